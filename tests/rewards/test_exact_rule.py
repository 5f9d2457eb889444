"""The exact-call rule is one rule: training's exact-call accuracy, held-out evaluation and the
`exact` outcome reward give the same verdict on the same (call, answer) pairs (REWARDS.md "`exact`")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from awpo.data.schema import Task
from awpo.eval.builtin import _result as eval_result
from awpo.rewards import calls_match, outcome, parse
from awpo.rollout.loop import Trajectory, Turn
from awpo.train.scoring import exact_call_correct

# Tools that take any arguments, so the reward's schema check never decides the verdict here.
TOOLS = [
    {"type": "function", "function": {"name": n, "parameters": {"type": "object", "additionalProperties": True}}}
    for n in ("f", "g")
]


def f(**arguments: Any) -> dict[str, Any]:
    return {"name": "f", "arguments": arguments}


# (calls made, calls expected, the rule's verdict)
PAIRS: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]], bool]] = [
    ("int equals float", [f(x=1)], [f(x=1.0)], True),
    ("float equals int", [f(x=2.0)], [f(x=2)], True),
    ("-0.0 equals 0", [f(x=-0.0)], [f(x=0)], True),
    ("string is not a number", [f(x="1")], [f(x=1)], False),
    ("bool is not a number", [f(x=True)], [f(x=1)], False),
    ("null is not zero", [f(x=None)], [f(x=0)], False),
    ("close floats differ", [f(x=0.1 + 0.2)], [f(x=0.3)], False),
    # Past 2**53 an int and a float compare by exact value (Python's ==), not after rounding.
    ("big int vs nearest float", [f(x=2**53 + 1)], [f(x=float(2**53))], False),
    ("nested numbers", [f(p={"a": [1, {"b": 2.0}], "c": "x"})], [f(p={"a": [1.0, {"b": 2}], "c": "x"})], True),
    ("nested list order", [f(p=[1, 2])], [f(p=[2, 1])], False),
    ("nested string vs number", [f(p={"a": ["1"]})], [f(p={"a": [1]})], False),
    ("key order", [f(a=1, b="x")], [f(b="x", a=1)], True),
    ("nested key order", [f(p={"u": 1, "v": 2})], [f(p={"v": 2, "u": 1})], True),
    ("extra argument", [f(a=1, b=2)], [f(a=1)], False),
    ("missing argument", [f()], [f(a=1)], False),
    ("other name", [{"name": "g", "arguments": {"x": 1}}], [f(x=1)], False),
    ("call order", [f(x=1), {"name": "g", "arguments": {}}], [{"name": "g", "arguments": {}}, f(x=1)], True),
    ("duplicate made once expected", [f(x=1), f(x=1)], [f(x=1)], False),
    ("duplicate equal by value", [f(x=1), f(x=1)], [f(x=1), f(x=1.0)], True),
    ("duplicate vs distinct", [f(x=1), f(x=1)], [f(x=1), f(x=2)], False),
    ("unicode", [f(city="Zürich")], [f(city="Zürich")], True),
    ("no call, no call expected", [], [], True),
    ("a call where none is expected", [f(x=1)], [], False),
    ("no call where one is expected", [], [f(x=1)], False),
]


def _text(calls: list[dict[str, Any]]) -> str:
    if not calls:
        return "<think>r</think>\n<response>done</response>"
    lines = "\n".join(json.dumps(c, ensure_ascii=False) for c in calls)
    return f"<think>r</think>\n<tool_call>\n{lines}\n</tool_call>"


def _task(expected: list[dict[str, Any]]) -> Task:
    answer: dict[str, Any] = {"tool_calls": expected} if expected else {"no_call": True}
    return Task(id="t", messages=[{"role": "user", "content": "x"}], tools=TOOLS, answer=answer)


def _trajectory(task: Task, text: str) -> Trajectory:
    parsed = parse(text, TOOLS)
    turn = Turn([1], [0.0], text, "stop", parsed.calls, parsed.failure, parsed.reasoning, parsed.answer)
    return Trajectory(task.id, 0, [1], [], list(task.tools), [turn], "answer")


@pytest.mark.parametrize(("made", "expected", "verdict"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_training_evaluation_and_reward_agree(
    made: list[dict[str, Any]], expected: list[dict[str, Any]], verdict: bool
) -> None:
    task = _task(expected)
    text = _text(made)
    trajectory = _trajectory(task, text)
    assert trajectory.calls == made  # the parser hands the calls over unchanged (1.0 stays a float)
    training = exact_call_correct(trajectory, task)
    evaluation = eval_result(task, trajectory).correct
    batch = outcome([text], [task.answer], [task.tools], kind="exact")
    reward = bool(batch.components["calls"][0] == 1.0)
    assert batch.failure[0] in ("ok", "no_call")  # the verdict is the rule's, not a parse failure
    assert (training, evaluation, reward) == (verdict, verdict, verdict)
    assert calls_match(made, expected) is verdict


def test_multi_step_tasks_expect_every_recorded_step_call() -> None:
    steps = [{"calls": [f(x=1)], "results": ["a"]}, {"calls": [f(x=2)], "results": ["b"]}]
    task = Task(
        id="m",
        messages=[{"role": "user", "content": "x"}],
        tools=TOOLS,
        answer={"tool_calls": [f(x=1), f(x=2)], "response": "done"},
        env="f",
        meta={"steps": steps},
    )
    turns = [_trajectory(task, _text([c])).turns[0] for c in (f(x=2.0), f(x=1))]
    trajectory = Trajectory(task.id, 0, [1], [], list(task.tools), turns, "answer")
    assert exact_call_correct(trajectory, task)
    assert eval_result(task, trajectory).correct


def test_a_malformed_call_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"made\[0\]: `arguments` must be an object"):
        calls_match([{"name": "f", "arguments": [1]}], [])
    with pytest.raises(TypeError, match=r"made\[0\]\.arguments\.x"):
        calls_match([{"name": "f", "arguments": {"x": object()}}], [])
