"""Helpers for the evaluation tests: the real BFCL package and scripted model outputs.

A scripted generator stands in for the model where a test needs outputs with known outcomes (the
right answer, a wrong value, no call ...). Everything it feeds goes through awpo's real decoder and
BFCL's real checkers.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
from collections.abc import Callable, Sequence
from typing import Any

from awpo.data.schema import FunctionCall
from awpo.eval.bfcl import Bfcl, BfclEntry
from awpo.eval.generation import Conversation


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


class Scripted:
    """A generator whose output for a conversation is `script(entry_id, conversation)`."""

    def __init__(self, entries: Sequence[BfclEntry], script: Callable[[BfclEntry, Conversation], str]) -> None:
        self.by_first_message = {json.dumps(e.task.messages): e for e in entries}
        self.script = script
        self.calls = 0

    def generate(self, conversations: Sequence[Conversation]) -> list[str]:
        out = []
        for conv in conversations:
            entry = self._entry(conv)
            out.append(self.script(entry, conv))
        self.calls += 1
        return out

    def _entry(self, conv: Conversation) -> BfclEntry:
        for n in range(len(conv.messages), 0, -1):
            key = json.dumps(conv.messages[:n])
            if key in self.by_first_message:
                return self.by_first_message[key]
        raise KeyError("conversation matches no entry")


def turn_and_step(conv: Conversation) -> tuple[int, int]:
    """(index of the current user turn, assistant outputs since that user message)."""
    users = [i for i, m in enumerate(conv.messages) if m["role"] == "user"]
    after = conv.messages[users[-1] + 1 :]
    return len(users) - 1, sum(m["role"] == "assistant" for m in after)
