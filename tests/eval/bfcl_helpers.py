"""Helpers for the evaluation tests: scripted model outputs behind the real engine protocol.

A scripted engine stands in for the model where a test needs outputs with known outcomes (the right
answer, a wrong value, no call ...). It is an `awpo.rollout.Engine`: it gets token ids and returns token
ids, so everything around it is the real path (the trainer's renderer, the rollout loop's parsing and
observation appending, awpo's decoder, BFCL's checkers). It also checks token-in/token-out: each prompt
of a conversation must extend that conversation's previous prompt and output exactly.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from awpo.data.schema import FunctionCall
from awpo.eval.bfcl import Bfcl, BfclEntry
from awpo.eval.generation import EvalPolicy
from awpo.rollout.engine import Generation, NamedTensors, SamplingParams, per_row_params
from awpo.rollout.render import Renderer, decode

K = TypeVar("K", bound=Hashable)


def hermes(calls: Sequence[FunctionCall] | Sequence[dict[str, Any]]) -> str:
    """`<think>` then one `<tool_call>` block per call (what BFCL's Qwen-FC decoder reads)."""
    blocks = []
    for call in calls:
        name, args = (
            (call.name, call.arguments) if isinstance(call, FunctionCall) else (call["name"], call["arguments"])
        )
        blocks.append("<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>")
    return "<think>The user asked for it.</think>\n" + "\n".join(blocks)


def gt_calls(bfcl: Bfcl, entry: BfclEntry, strings: list[str]) -> list[dict[str, Any]]:
    """BFCL multi-turn ground-truth strings (`f(a='x')`, positional args too) as JSON calls."""
    classes = []
    mapping = importlib.import_module("bfcl_eval.constants.executable_backend_config").CLASS_FILE_PATH_MAPPING
    for cls_name in entry.raw["involved_classes"]:
        classes.append(getattr(importlib.import_module(mapping[cls_name]), cls_name))
    calls = []
    for text in strings:
        node = ast.parse(text, mode="eval").body
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        name = node.func.id
        method = next(getattr(c, name) for c in classes if hasattr(c, name))
        params = [p for p in inspect.signature(method).parameters if p != "self"]
        args = {params[i]: ast.literal_eval(a) for i, a in enumerate(node.args)}
        args.update({kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg})
        calls.append({"name": name, "arguments": args})
    return calls


class ScriptedEngine(Generic[K]):
    """An engine whose next output for a conversation is `script(key, continuation)`.

    `prompts` maps each conversation's key to its first prompt's ids; a prompt belongs to the conversation
    whose first prompt it starts with. `continuation` is the text after that first prompt (earlier outputs
    and what was appended after them). Outputs are encoded and closed with the end-of-turn token (cut, with
    finish reason `length`, at `max_new_tokens`). `appended[key]` records, per later prompt, the ids
    appended after the previous output: the observation or next user turn.
    """

    def __init__(self, renderer: Renderer, prompts: Mapping[K, list[int]], script: Callable[[K, str], str]) -> None:
        self.renderer = renderer
        self.prompts = dict(prompts)
        by_ids: dict[tuple[int, ...], K] = {}
        for key, ids in self.prompts.items():
            if tuple(ids) in by_ids:
                raise ValueError(f"conversations {by_ids[tuple(ids)]!r} and {key!r} share their first prompt")
            by_ids[tuple(ids)] = key
        self.script = script
        self.calls = 0  # generate() calls
        self.seen: list[list[int]] = []  # every prompt, in order
        self.last: dict[K, list[int]] = {}  # per conversation: its last prompt + output
        self.appended: dict[K, list[list[int]]] = {}

    @property
    def name(self) -> str:
        return "scripted"

    def key_of(self, ids: Sequence[int]) -> K:
        found = [k for k, p in self.prompts.items() if len(p) <= len(ids) and list(ids[: len(p)]) == p]
        if not found:
            raise KeyError("the prompt extends no known conversation")
        return max(found, key=lambda k: len(self.prompts[k]))

    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams | Sequence[SamplingParams]
    ) -> list[Generation]:
        self.calls += 1
        out = []
        for ids, p in zip(prompts, per_row_params(params, len(prompts)), strict=True):
            ids = list(ids)
            self.seen.append(ids)
            key = self.key_of(ids)
            first = self.prompts[key]
            if len(ids) > len(first):  # a later turn: token-in/token-out, nothing before re-encoded
                before = self.last[key]
                assert ids[: len(before)] == before, "a later prompt does not extend the earlier ids"
                self.appended.setdefault(key, []).append(ids[len(before) :])
            text = self.script(key, decode(self.renderer.tokenizer, ids[len(first) :]))
            new = [*self.renderer.tokenizer.encode(text, add_special_tokens=False), self.renderer.end_of_turn_id]
            finish = "stop"
            if len(new) > p.max_new_tokens:
                new, finish = new[: p.max_new_tokens], "length"
            self.last[key] = ids + new
            out.append(Generation(new, [0.0] * len(new), finish))  # type: ignore[arg-type]
        return out

    def update_weights(self, named_tensors: NamedTensors) -> None:
        """Nothing to update: the outputs are scripted."""

    def sleep(self) -> None:
        """Nothing to release."""

    def wake(self) -> None:
        """Nothing to restore."""

    def close(self) -> None:
        """Nothing to free."""


def scripted_policy(engine: ScriptedEngine[Any], **budgets: int) -> EvalPolicy:
    """An `EvalPolicy` around a scripted engine, with budgets no test conversation reaches unless given."""
    settings = {"max_new_tokens": 10**6, "max_total_tokens": 10**7, "max_tool_response_tokens": 10**6}
    return EvalPolicy(engine, engine.renderer, **{**settings, **budgets})


def bfcl_engine(
    renderer: Renderer, entries: Sequence[BfclEntry], script: Callable[[BfclEntry, str], str]
) -> ScriptedEngine[str]:
    """A scripted engine for BFCL entries: `script(entry, continuation)`."""
    by_id = {e.id: e for e in entries}
    prompts = {e.id: renderer.prompt_ids(e.task.messages, e.task.tools) for e in entries}
    return ScriptedEngine(renderer, prompts, lambda key, text: script(by_id[key], text))


def turn_and_step(continuation: str) -> tuple[int, int]:
    """(index of the current user turn, outputs since that user turn) from the text after the first prompt.

    For the tiny ChatML template in tool system-prompt mode: a tool observation is a `user` message holding
    `<tool_response>` blocks; any other `user` message starts a new user turn.
    """
    turn, step = 0, 0
    for segment in continuation.split("<|im_start|>")[1:]:
        role, _, content = segment.partition("\n")
        if role == "assistant":
            step += 1
        elif role == "user" and not content.startswith("<tool_response>"):
            turn, step = turn + 1, -1  # the assistant header that follows makes it step 0
    return turn, step
