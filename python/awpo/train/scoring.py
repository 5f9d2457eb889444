"""Scores of whole trajectories: the outcome reward (per expected turn) and the judge's items.

Single-turn tasks are scored on the first turn's text against the task's answer. A multi-step task
(`env` set, with the calls and tool results of each step recorded in `meta.steps`) expects one turn
per step and then the final response: each expected turn is scored against its own ground truth
(a missing turn is scored as an empty output) and the trajectory's reward is their mean. Every
component is averaged the same way, so totals stay within the reward's range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from awpo.data.schema import Task
from awpo.rewards import RewardKind, outcome
from awpo.rewards import exact_call_correct as rewards_exact_call_correct
from awpo.rewards.judge.prompt import JudgeItem
from awpo.rollout.loop import Trajectory

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class TrajectoryOutcome:
    """Outcome rewards of N trajectories."""

    total: npt.NDArray[np.float64]  # (N,)
    components: dict[str, npt.NDArray[np.float64]]  # name -> (N,)
    failures: dict[str, int]  # parse failure class -> count over every scored turn
    reward_min: float
    reward_max: float


def expected_turns(task: Task) -> list[JsonDict]:
    """The ground truth of each assistant turn the task expects (Task.answer form)."""
    steps: list[JsonDict] = list(task.meta.get("steps") or [])
    if task.env and steps and all(s.get("results") for s in steps):
        turns: list[JsonDict] = [{"tool_calls": list(s["calls"])} for s in steps]
        if task.answer.response is not None:
            turns.append({"response": task.answer.response})
        return turns
    return [task.answer.model_dump(exclude_none=True)]


def score_outcomes(
    trajectories: Sequence[Trajectory], tasks: Mapping[str, Task], *, kind: RewardKind
) -> TrajectoryOutcome:
    """Outcome reward of each trajectory (one batched native call for every expected turn)."""
    texts: list[str] = []
    answers: list[JsonDict] = []
    tools: list[list[JsonDict]] = []
    truncated: list[bool] = []
    owner: list[int] = []
    truths = {task_id: expected_turns(task) for task_id, task in tasks.items()}
    for i, traj in enumerate(trajectories):
        task = tasks[traj.task_id]
        for k, truth in enumerate(truths[traj.task_id]):
            turn = traj.turns[k] if k < len(traj.turns) else None
            texts.append(turn.text if turn is not None else "")
            truncated.append(turn is not None and turn.engine_finish == "length")
            answers.append(truth)  # the same object for a task's rollouts: converted once
            tools.append(task.tools)
            owner.append(i)
    batch = outcome(texts, answers, tools, kind=kind, truncated=truncated)
    n = len(trajectories)
    index = np.asarray(owner, dtype=np.int64)
    counts = np.bincount(index, minlength=n).astype(np.float64)

    def per_trajectory(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        sums = np.bincount(index, weights=values, minlength=n)
        return np.divide(sums, counts, out=np.zeros(n), where=counts > 0)

    failures: dict[str, int] = {}
    for failure in batch.failure:
        failures[failure] = failures.get(failure, 0) + 1
    return TrajectoryOutcome(
        total=per_trajectory(batch.total),
        components={name: per_trajectory(v) for name, v in batch.components.items()},
        failures=failures,
        reward_min=batch.reward_min,
        reward_max=batch.reward_max,
    )


def judge_items(trajectories: Sequence[Trajectory], tasks: Mapping[str, Task]) -> list[JudgeItem]:
    """The judge's view of each trajectory: task, tools, all reasoning, all calls, the final answer."""
    items = []
    for traj in trajectories:
        task = tasks[traj.task_id]
        reasoning = "\n\n".join(t.reasoning for t in traj.turns if t.reasoning)
        answer = traj.turns[-1].answer if traj.turns else None
        observations = tuple(r.observation() for t in traj.turns for r in t.tool_results)
        items.append(JudgeItem(task.messages, task.tools, reasoning, traj.calls, answer, observations))
    return items


def exact_call_correct(trajectory: Trajectory, task: Task) -> bool:
    """Whether the calls made over all turns equal the expected ones as a multiset (no call for
    no-call tasks): the exact-call rule of `awpo.rewards.exact_call_correct` (REWARDS.md "`exact`")."""
    return rewards_exact_call_correct(trajectory.calls, task)
