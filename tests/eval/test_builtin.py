"""Evaluation on the built-in tasks: an oracle scores 100%, wrong or missing calls do not."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from awpo.data.generator import GeneratorConfig, demonstration, generate
from awpo.data.schema import FunctionCall, Task
from awpo.eval.builtin import calls_match, run_builtin
from awpo.eval.decode import Decoded, make_decoder
from awpo.eval.generation import Conversation

SPLITS = generate(GeneratorConfig(per_family=12, seed=3))


def _hermes_decode(text: str, _tools: Sequence[dict[str, object]]) -> Decoded:
    """One JSON call per `<tool_call>` block (the format the oracle below writes)."""
    calls = []
    for part in text.split("<tool_call>\n")[1:]:
        body = part.split("\n</tool_call>")[0]
        calls.append(FunctionCall.model_validate(json.loads(body)))
    return Decoded(calls=calls)


class Oracle:
    """Answers each task with its demonstration, one turn per call of `generate`."""

    def __init__(self, tasks: Sequence[Task], *, hermes: bool) -> None:
        self.by_prompt = {self._key(t.messages[0]["content"], t.tools): t for t in tasks}
        self.hermes = hermes
        self.seen_tool_messages: list[tuple[str, str]] = []

    @staticmethod
    def _key(query: str, tools: Sequence[dict[str, object]]) -> str:
        # the same query can appear twice: as a request of its family and as an irrelevant one elsewhere
        return json.dumps([query, sorted(json.dumps(t, sort_keys=True) for t in tools)])

    def generate(self, conversations: Sequence[Conversation]) -> list[str]:
        out = []
        for conv in conversations:
            task = self.by_prompt[self._key(conv.messages[0]["content"], conv.tools)]
            turns = [t for t in demonstration(task) if t["role"] == "assistant"]
            done = sum(m["role"] == "assistant" for m in conv.messages)
            self.seen_tool_messages += [(m["name"], m["content"]) for m in conv.messages if m["role"] == "tool"]
            text = turns[done]["content"]
            if self.hermes and "<tool_call>" in text:
                head, block = text.split("<tool_call>\n")
                lines = block.split("\n</tool_call>")[0].splitlines()
                text = head + "\n".join(f"<tool_call>\n{line}\n</tool_call>" for line in lines)
            out.append(text)
        return out


def test_oracle_scores_every_kind_right() -> None:
    tasks = SPLITS.heldout + SPLITS.validation
    oracle = Oracle(tasks, hermes=True)
    report = run_builtin(oracle, _hermes_decode, tasks, chunk=16)
    assert report.accuracy == 1.0, [r.id for r in report.results if not r.correct]
    assert {s.category for s in report.scores} >= {"single", "multi_step", "irrelevance"}
    # the tools really ran: observations equal the results recorded at generation time
    recorded = {(c["name"], json.dumps(r, ensure_ascii=False)) for t in tasks for s in t.meta.get("steps", [])
                for c, r in zip(s["calls"], s["results"], strict=True)}  # fmt: skip
    assert recorded and set(oracle.seen_tool_messages) == recorded


def test_wrong_answers_are_wrong() -> None:
    tasks = [t for t in SPLITS.validation if t.meta["kind"] in ("single", "missing")][:6]

    class Wrong:
        def generate(self, conversations: Sequence[Conversation]) -> list[str]:
            return ['<tool_call>\n{"name": "get_weather", "arguments": {"city": "Nowhere"}}\n</tool_call>'] * len(
                conversations
            )

    report = run_builtin(Wrong(), _hermes_decode, tasks)
    assert report.accuracy == 0.0


def test_calls_match_is_a_multiset_with_numeric_equality() -> None:
    a = [FunctionCall(name="f", arguments={"x": 1.0}), FunctionCall(name="g", arguments={})]
    assert calls_match(a, [FunctionCall(name="g", arguments={}), FunctionCall(name="f", arguments={"x": 1})])
    assert not calls_match(a, a[:1])
    assert not calls_match(
        [FunctionCall(name="f", arguments={"x": True})], [FunctionCall(name="f", arguments={"x": 1})]
    )


def test_awpo_decoder_reads_the_demonstrations() -> None:
    """With awpo's native parser, the demonstrations themselves (one block, JSON lines) score 100%."""
    try:
        decoder = make_decoder("awpo")
    except Exception as e:  # the parser is another branch's work; skip until it is in this build
        pytest.skip(str(e))
    tasks = SPLITS.validation
    report = run_builtin(Oracle(tasks, hermes=False), decoder, tasks)
    assert report.accuracy == 1.0, [r.id for r in report.results if not r.correct]
