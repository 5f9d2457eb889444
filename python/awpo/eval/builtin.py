"""Evaluation on awpo's built-in tasks (by default the held-out families).

Single-turn tasks take one generation and are also scored with awpo's outcome rewards (`toolrl`,
`exact`, `bfcl`; REWARDS.md), the numbers training optimises. Multi-step tasks (`env` set) run a
tool loop: when an output has calls, they are executed with the family's real tools in a fresh
episode state and the results appended as `tool` messages, up to `max_steps` generations. A task
is right when the calls made (over all turns) equal the expected ones as a multiset of (name,
arguments), and, for tasks whose answer is no call, when no call was made.
"""

from __future__ import annotations

import importlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from awpo.data.convert import JsonDict
from awpo.data.schema import FunctionCall, Task
from awpo.eval.decode import Decoder
from awpo.eval.generation import ChatGenerator, Conversation
from awpo.eval.runner import CategoryScore
from awpo.rewards import REWARD_KINDS, outcome
from awpo.tools.context import bind_episode_state

Progress = Callable[[str, int, int], None]


@dataclass
class BuiltinResult:
    """One task's outcome."""

    id: str
    family: str
    kind: str
    correct: bool
    outputs: list[str]
    calls: list[FunctionCall]
    rewards: dict[str, float] = field(default_factory=dict)  # single-turn tasks: outcome reward by kind

    def to_json(self) -> JsonDict:
        """JSON form for the report file."""
        return {
            "id": self.id,
            "family": self.family,
            "kind": self.kind,
            "correct": self.correct,
            "rewards": self.rewards,
            "outputs": self.outputs,
            "calls": [c.model_dump() for c in self.calls],
        }


@dataclass
class BuiltinReport:
    """Accuracy by kind of task, and each task's outcome."""

    scores: list[CategoryScore] = field(default_factory=list)
    results: list[BuiltinResult] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Fraction of all tasks answered right."""
        return sum(r.correct for r in self.results) / len(self.results) if self.results else 0.0

    def mean_rewards(self, kind: str | None = None) -> dict[str, float]:
        """Mean outcome reward by reward kind, over the single-turn tasks (of one task kind, if given)."""
        rows = [r.rewards for r in self.results if r.rewards and (kind is None or r.kind == kind)]
        return {k: sum(r[k] for r in rows) / len(rows) for k in REWARD_KINDS} if rows else {}

    def to_json(self) -> JsonDict:
        """JSON form for the report file."""
        return {
            "accuracy": self.accuracy,
            "rewards": self.mean_rewards(),
            "categories": [{**s.to_json(), "rewards": self.mean_rewards(s.category)} for s in self.scores],
            "tasks": [r.to_json() for r in self.results],
        }


def call_key(call: FunctionCall) -> str:
    """Canonical form of a call: name and arguments as sorted JSON."""
    return json.dumps([call.name, call.arguments], sort_keys=True, ensure_ascii=False)


def calls_match(made: Sequence[FunctionCall], expected: Sequence[FunctionCall]) -> bool:
    """Whether two call lists are equal as multisets of (name, arguments); 1 and 1.0 are equal values."""
    return Counter(call_key(_normalise(c)) for c in made) == Counter(call_key(_normalise(c)) for c in expected)


def _normalise(call: FunctionCall) -> FunctionCall:
    return FunctionCall(name=call.name, arguments=_num(call.arguments))


def _num(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _num(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_num(v) for v in value]
    return value


class ToolExecutor:
    """Runs built-in tools in-process by their dotted paths (`meta.tool_paths`), one episode state per task."""

    def __init__(self, task: Task) -> None:
        self.paths: dict[str, str] = dict(task.meta.get("tool_paths", {}))
        self.state: dict[str, Any] = {}

    def __call__(self, call: FunctionCall) -> str:
        """The tool's result as JSON text, or `Error: ...` (a failed call is an observation, not a crash)."""
        path = self.paths.get(call.name)
        if path is None:
            return f"Error: unknown tool {call.name!r}"
        module, _, qualname = path.partition(":")
        tool = getattr(importlib.import_module(module), qualname)
        try:
            with bind_episode_state(self.state):
                return json.dumps(tool(**call.arguments), ensure_ascii=False)
        except (TypeError, ValueError, KeyError, LookupError, RuntimeError) as e:
            return f"Error: {e}"


def run_builtin(
    generator: ChatGenerator,
    decoder: Decoder,
    tasks: Sequence[Task],
    *,
    max_steps: int = 4,
    chunk: int = 64,
    progress: Progress | None = None,
) -> BuiltinReport:
    """Evaluate `generator` on `tasks` (built-in tasks: `meta.kind`, `meta.family`, `meta.tool_paths`)."""
    results: list[BuiltinResult] = []
    gen_s: dict[str, float] = {}
    check_s: dict[str, float] = {}
    gens: dict[str, int] = {}
    for start in range(0, len(tasks), chunk):
        part = list(tasks[start : start + chunk])
        results.extend(_run_chunk(generator, decoder, part, max_steps, gen_s, check_s, gens))
        if progress is not None:
            progress("built-in", len(results), len(tasks))
    _add_rewards(tasks, results)
    report = BuiltinReport(results=results)
    for kind in sorted({r.kind for r in results}):
        mine = [r for r in results if r.kind == kind]
        report.scores.append(
            CategoryScore(
                category=kind,
                total=len(mine),
                correct=sum(r.correct for r in mine),
                generation_s=gen_s.get(kind, 0.0),
                checking_s=check_s.get(kind, 0.0),
                generations=gens.get(kind, 0),
            )
        )
    return report


def _add_rewards(tasks: Sequence[Task], results: list[BuiltinResult]) -> None:
    """Outcome rewards of each single-turn task's output (multi-step tasks span several outputs)."""
    pairs = [(t, r) for t, r in zip(tasks, results, strict=True) if t.env is None and r.outputs]
    if not pairs:
        return
    texts = [r.outputs[0] for _, r in pairs]
    answers = [t.answer for t, _ in pairs]
    tools = [t.tools for t, _ in pairs]
    for kind in REWARD_KINDS:
        totals = outcome(texts, answers, tools, kind=kind).total
        for (_, result), total in zip(pairs, totals, strict=True):
            result.rewards[kind] = float(total)


@dataclass
class _Episode:
    task: Task
    executor: ToolExecutor
    messages: list[JsonDict]
    outputs: list[str] = field(default_factory=list)
    calls: list[FunctionCall] = field(default_factory=list)
    done: bool = False


def _run_chunk(
    generator: ChatGenerator,
    decoder: Decoder,
    tasks: list[Task],
    max_steps: int,
    gen_s: dict[str, float],
    check_s: dict[str, float],
    gens: dict[str, int],
) -> list[BuiltinResult]:
    episodes = [_Episode(t, ToolExecutor(t), list(t.messages)) for t in tasks]
    while active := [e for e in episodes if not e.done]:
        start = time.perf_counter()
        texts = generator.generate([Conversation(list(e.messages), e.task.tools) for e in active])
        elapsed = time.perf_counter() - start
        for ep, text in zip(active, texts, strict=True):
            kind = str(ep.task.meta.get("kind", "task"))
            gen_s[kind] = gen_s.get(kind, 0.0) + elapsed / len(active)
            gens[kind] = gens.get(kind, 0) + 1
            t0 = time.perf_counter()
            decoded = decoder(text, ep.task.tools)
            ep.outputs.append(text)
            ep.calls.extend(decoded.calls)
            ep.messages.append({"role": "assistant", "content": text})
            multi = ep.task.env is not None
            if multi and decoded.calls and len(ep.outputs) < max_steps:
                for call in decoded.calls:
                    ep.messages.append({"role": "tool", "name": call.name, "content": ep.executor(call)})
            else:
                ep.done = True
            check_s[kind] = check_s.get(kind, 0.0) + time.perf_counter() - t0
    out = []
    for ep in episodes:
        answer = ep.task.answer
        correct = not ep.calls if answer.no_call else calls_match(ep.calls, answer.tool_calls)
        out.append(
            BuiltinResult(
                ep.task.id,
                str(ep.task.meta.get("family", "")),
                str(ep.task.meta.get("kind", "task")),
                correct,
                ep.outputs,
                ep.calls,
            )
        )
    return out
