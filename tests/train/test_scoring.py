"""Trajectory-level outcome rewards (per expected turn, averaged) and exact-call correctness."""

from __future__ import annotations

import json
from typing import Any

import pytest

from awpo.data.schema import Task
from awpo.rollout.loop import Trajectory, Turn
from awpo.train.scoring import exact_call_correct, expected_turns, judge_items, score_outcomes

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        },
    }
]


def _turn(text: str, calls: list[dict[str, Any]] | None = None, finish: str = "stop") -> Turn:
    return Turn(
        generated_ids=[1],
        logprobs=[0.0],
        text=text,
        engine_finish=finish,  # type: ignore[arg-type]
        calls=calls or [],
        failure="ok" if calls else "no_call",
        reasoning="r",
        answer=None,
    )


def _call_text(q: str) -> str:
    return f"<think>r</think>\n<tool_call>\n{json.dumps({'name': 'lookup', 'arguments': {'q': q}})}\n</tool_call>"


MULTI = Task(
    id="m",
    messages=[{"role": "user", "content": "find a then b"}],
    tools=TOOLS,
    answer={
        "tool_calls": [{"name": "lookup", "arguments": {"q": "a"}}, {"name": "lookup", "arguments": {"q": "b"}}],
        "response": "done",
    },
    env="lookup",
    meta={
        "steps": [
            {"calls": [{"name": "lookup", "arguments": {"q": "a"}}], "results": ["x"]},
            {"calls": [{"name": "lookup", "arguments": {"q": "b"}}], "results": ["y"]},
        ]
    },
)
SINGLE = Task(
    id="s",
    messages=[{"role": "user", "content": "find a"}],
    tools=TOOLS,
    answer={"tool_calls": [{"name": "lookup", "arguments": {"q": "a"}}]},
)


def _traj(task: Task, turns: list[Turn]) -> Trajectory:
    return Trajectory(task.id, 0, [1], [], list(task.tools), turns, "answer")


def test_multi_step_tasks_expect_one_turn_per_step_then_the_response() -> None:
    assert expected_turns(MULTI) == [
        {"tool_calls": [{"name": "lookup", "arguments": {"q": "a"}}]},
        {"tool_calls": [{"name": "lookup", "arguments": {"q": "b"}}]},
        {"response": "done"},
    ]
    assert len(expected_turns(SINGLE)) == 1


def test_exact_reward_is_averaged_over_expected_turns() -> None:
    tasks = {"m": MULTI, "s": SINGLE}
    a = [{"name": "lookup", "arguments": {"q": "a"}}]
    b = [{"name": "lookup", "arguments": {"q": "b"}}]
    right = _traj(
        MULTI,
        [_turn(_call_text("a"), a), _turn(_call_text("b"), b), _turn("<think>r</think>\n<response>done</response>")],
    )
    # turn 1 right, turn 2 wrong value, turn 3 missing: exact = (1 + 0 + 0) / 3
    partial = _traj(
        MULTI, [_turn(_call_text("a"), a), _turn(_call_text("c"), [{"name": "lookup", "arguments": {"q": "c"}}])]
    )
    single = _traj(SINGLE, [_turn(_call_text("a"), a)])
    out = score_outcomes([right, partial, single], tasks, kind="exact")
    assert out.total.tolist() == pytest.approx([1.0, 1 / 3, 1.0])
    assert (out.reward_min, out.reward_max) == (0.0, 1.0)
    assert sum(out.failures.values()) == 3 + 3 + 1  # every expected turn is scored


def test_truncated_turns_are_flagged_to_the_reward() -> None:
    cut = _traj(SINGLE, [_turn('<think>r</think>\n<tool_call>\n{"name": "lookup"', finish="length")])
    out = score_outcomes([cut], {"s": SINGLE}, kind="toolrl")
    assert out.failures == {"truncated": 1}


def test_exact_call_correct_over_all_turns_with_json_number_equality() -> None:
    a = [{"name": "lookup", "arguments": {"q": "a"}}]
    b = [{"name": "lookup", "arguments": {"q": "b"}}]
    assert exact_call_correct(_traj(MULTI, [_turn("", b), _turn("", a)]), MULTI)  # multiset: order-free
    assert not exact_call_correct(_traj(MULTI, [_turn("", a)]), MULTI)
    nums = Task(
        id="n",
        messages=[{"role": "user", "content": "x"}],
        answer={"tool_calls": [{"name": "f", "arguments": {"x": 1}}]},
    )
    assert exact_call_correct(_traj(nums, [_turn("", [{"name": "f", "arguments": {"x": 1.0}}])]), nums)
    none = Task(id="z", messages=[{"role": "user", "content": "x"}], answer={"no_call": True})
    assert exact_call_correct(_traj(none, [_turn("<response>no</response>")]), none)


def test_judge_items_carry_reasoning_calls_and_answer() -> None:
    a = [{"name": "lookup", "arguments": {"q": "a"}}]
    item = judge_items([_traj(SINGLE, [_turn(_call_text("a"), a)])], {"s": SINGLE})[0]
    assert item.reasoning == "r" and list(item.calls) == a and item.messages == SINGLE.messages
