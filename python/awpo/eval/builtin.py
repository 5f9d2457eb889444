"""Evaluation on awpo's built-in tasks (by default the held-out families), through the trainer's own loop.

Each task runs in `awpo.rollout.RolloutLoop`, the loop training samples with, greedy: the same
renderer, engine, parser, tool runner (the sandbox, by default) and budgets, so the outputs scored
here are the ones training's evaluation would produce. A task is right when the calls made (over all
turns) equal the expected ones as a multiset of (name, arguments), and, for tasks whose answer is no
call, when no call was made: `awpo.rewards.exact_call_correct`, the rule training and the `exact`
reward apply too. Single-turn tasks are also
scored with awpo's outcome rewards (`toolrl`, `exact`, `bfcl`; REWARDS.md) on their first turn, the
numbers training optimises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from awpo.data.convert import JsonDict
from awpo.data.schema import FunctionCall, Task
from awpo.eval.generation import EvalPolicy
from awpo.eval.runner import CategoryScore
from awpo.rewards import REWARD_KINDS, exact_call_correct, outcome
from awpo.rollout.loop import Trajectory
from awpo.rollout.tools import ToolRunner

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
    finish_reason: str = ""  # why the rollout loop stopped (answer, no_call, turn_budget, length_budget)
    rewards: dict[str, float] = field(default_factory=dict)  # single-turn tasks: outcome reward by kind

    def to_json(self) -> JsonDict:
        """JSON form for the report file."""
        return {
            "id": self.id,
            "family": self.family,
            "kind": self.kind,
            "correct": self.correct,
            "finish_reason": self.finish_reason,
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


def run_builtin(
    policy: EvalPolicy,
    tasks: Sequence[Task],
    tools: ToolRunner,
    *,
    chunk: int = 8,
    progress: Progress | None = None,
) -> BuiltinReport:
    """Evaluate `policy` on `tasks` (built-in tasks: `meta.kind`, `meta.family`) with the rollout loop.

    `tools` runs the calls (`SandboxTools`, as the trainer does, or `LocalTools`). Tasks run a kind at a
    time, `chunk` per engine batch, so generation and checking (parsing, tools) time is exact per kind.
    """
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    loop = policy.rollout_loop(tools)
    results: dict[int, BuiltinResult] = {}
    report = BuiltinReport()
    for kind in sorted({_kind(t) for t in tasks}):
        indices = [i for i, t in enumerate(tasks) if _kind(t) == kind]
        score = CategoryScore(category=kind)
        for start in range(0, len(indices), chunk):
            part = indices[start : start + chunk]
            trajectories = loop.run([tasks[i] for i in part], samples_per_task=1, seed=0)
            overflows = sum(1 for t in trajectories if not t.turns)
            policy.add_loop_stats(loop.stats, overflows)
            score.generation_s += loop.stats.engine_s
            score.checking_s += loop.stats.total_s - loop.stats.engine_s
            score.generations += loop.stats.turns
            for i, trajectory in zip(part, trajectories, strict=True):
                results[i] = _result(tasks[i], trajectory)
            if progress is not None:
                progress("built-in", len(results), len(tasks))
        mine = [results[i] for i in indices]
        score.total = len(mine)
        score.correct = sum(r.correct for r in mine)
        report.scores.append(score)
    report.results = [results[i] for i in range(len(tasks))]
    _add_rewards(tasks, report.results)
    return report


def _kind(task: Task) -> str:
    return str(task.meta.get("kind", "task"))


def _result(task: Task, trajectory: Trajectory) -> BuiltinResult:
    calls = [FunctionCall(name=c["name"], arguments=c["arguments"]) for c in trajectory.calls]
    correct = exact_call_correct(calls, task)
    return BuiltinResult(
        task.id,
        str(task.meta.get("family", "")),
        _kind(task),
        correct,
        [turn.text for turn in trajectory.turns],
        calls,
        finish_reason=trajectory.finish_reason,
    )


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
