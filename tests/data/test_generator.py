"""The built-in generator: determinism, splits, executable ground truth, demonstrations."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import ValidationError

from awpo.data import Task
from awpo.data.families import ALL, BY_NAME
from awpo.data.generator import KINDS, GeneratorConfig, demonstration, demonstration_text, generate
from awpo.data.schema import Answer, FunctionCall
from awpo.tools.context import bind_episode_state

CONFIG = GeneratorConfig(per_family=30, seed=7)


@pytest.fixture(scope="module")
def splits():  # type: ignore[no-untyped-def]
    return generate(CONFIG)


def _all(splits) -> list[Task]:  # type: ignore[no-untyped-def]
    return splits.train + splits.validation + splits.heldout


def test_at_least_twenty_families_and_every_kind(splits) -> None:  # type: ignore[no-untyped-def]
    tasks = _all(splits)
    assert len(ALL) >= 25  # the sandbox's 5 core families and 20 more
    assert {t.meta["family"] for t in tasks} == set(BY_NAME)
    assert {t.meta["kind"] for t in tasks} == set(KINDS)
    assert len({t.id for t in tasks}) == len(tasks)


def test_deterministic_by_seed(splits) -> None:  # type: ignore[no-untyped-def]
    again = generate(CONFIG)
    assert [t.model_dump_json() for t in _all(again)] == [t.model_dump_json() for t in _all(splits)]
    other = generate(GeneratorConfig(per_family=30, seed=8))
    assert [t.messages for t in _all(other)] != [t.messages for t in _all(splits)]


def test_splits_by_family_and_item(splits) -> None:  # type: ignore[no-untyped-def]
    held = set(CONFIG.heldout_families)
    held_tools = {t.name for f in held for t in BY_NAME[f].tools()}
    assert {t.meta["family"] for t in splits.heldout} == held
    for task in splits.train + splits.validation:
        assert task.meta["family"] not in held
        assert not {tool["function"]["name"] for tool in task.tools} & held_tools  # not even as distractors
    train_queries = {json.dumps(t.messages) for t in splits.train}
    assert not any(json.dumps(t.messages) in train_queries for t in splits.validation)
    n = len(splits.train) + len(splits.validation)
    assert 0.03 < len(splits.validation) / n < 0.2  # validation_fraction 0.1
    assert {t.meta["split"] for t in splits.train} == {"train"}


def _check_schema(call: FunctionCall, tools: list[dict[str, Any]]) -> None:
    schema = next(t["function"]["parameters"] for t in tools if t["function"]["name"] == call.name)
    props = schema["properties"]
    assert set(schema["required"]) <= set(call.arguments), (call, schema["required"])
    types = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
    for key, value in call.arguments.items():
        assert key in props, (call.name, key)
        expected = props[key].get("type")
        if expected:
            assert isinstance(value, types[expected]) and not (expected != "boolean" and isinstance(value, bool)), (
                call.name,
                key,
                value,
            )
        if "enum" in props[key]:
            assert value in props[key]["enum"]


def test_ground_truth_fits_the_schemas_and_executes(splits) -> None:  # type: ignore[no-untyped-def]
    for task in _all(splits):
        tools = {t.name: t for f in ALL for t in f.tools()}
        offered = {t["function"]["name"] for t in task.tools}
        assert set(task.meta["tool_paths"]) == offered
        for call in task.answer.tool_calls:
            assert call.name in offered
            _check_schema(call, task.tools)
        if task.meta["family"] == "python":
            continue  # python_exec runs only in a sandbox worker: see test_ground_truth_runs_in_the_sandbox
        with bind_episode_state({}):  # a fresh episode; multi-step calls replay in order
            results = [tools[c.name](**c.arguments) for c in task.answer.tool_calls]
        if task.meta["kind"] == "multi_step":
            recorded = [r for s in task.meta["steps"] for r in s["results"]]
            assert results == recorded, task.id
            assert task.env == task.meta["family"] and task.answer.response


def test_no_call_kinds(splits) -> None:  # type: ignore[no-untyped-def]
    for task in _all(splits):
        if task.meta["kind"] in ("missing", "irrelevance"):
            assert task.answer.no_call and not task.answer.tool_calls and task.answer.response
        else:
            assert task.answer.tool_calls and not task.answer.no_call
        if task.meta["kind"] == "parallel":
            assert len(task.answer.tool_calls) >= 2
        if task.meta["kind"] == "multiple":
            families = {p.split(":")[0] for p in task.meta["tool_paths"].values()}
            assert len(families) == 1 + CONFIG.distractor_families


_TURN = re.compile(
    r"^<think>(?P<think>.+)</think>\n(?:<tool_call>\n(?P<calls>(?:.+\n)+)</tool_call>|<response>(?P<resp>.+)</response>)$",
    re.S,
)


def test_demonstrations_quote_the_user_and_give_the_answer(splits) -> None:  # type: ignore[no-untyped-def]
    for task in _all(splits):
        turns = demonstration(task)
        user = task.messages[-1]["content"]
        calls: list[FunctionCall] = []
        response = None
        for turn in turns:
            if turn["role"] == "tool":
                continue
            m = _TURN.match(turn["content"])
            assert m, turn["content"]
            quoted = re.findall(r'"([^"]+)"', m.group("think"))
            assert any(qt in user for qt in quoted), (task.id, m.group("think"))
            if m.group("calls"):
                calls += [FunctionCall.model_validate(json.loads(line)) for line in m.group("calls").splitlines()]
            else:
                response = m.group("resp")
        assert calls == list(task.answer.tool_calls)
        assert response == task.answer.response
        if task.meta["kind"] == "multi_step":
            assert [t["role"] for t in turns][-1] == "assistant" and any(t["role"] == "tool" for t in turns)
        assert demonstration_text(task) == turns[0]["content"]


def test_demonstration_of_loaded_task_without_reasoning() -> None:
    task = Task(
        id="x",
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
        answer=Answer(
            tool_calls=[FunctionCall(name="get_weather", arguments={"city": "Oslo"})], response="It is cold."
        ),
    )
    (turn,) = demonstration(task)  # calls and response in one turn, as ToolRL data has them
    assert turn["content"].startswith('<think>The user wrote "Weather in Oslo?". get_weather fits')
    assert turn["content"].endswith("</tool_call>\n<response>It is cold.</response>")


def test_config_validation() -> None:
    with pytest.raises(ValidationError, match="unknown families"):
        GeneratorConfig(heldout_families=["nope"])
    with pytest.raises(ValidationError, match="kinds: unknown"):
        GeneratorConfig(kinds={"single": 1.0, "chitchat": 1.0})
    with pytest.raises(ValidationError, match="fewer than 2 training families"):
        GeneratorConfig(families=["weather", "maps"], heldout_families=["maps"])
    only = generate(GeneratorConfig(per_family=5, families=["weather", "maps", "stats"], heldout_families=["stats"],
                                    kinds={"single": 1.0}))  # fmt: skip
    assert {t.meta["kind"] for t in only.train + only.validation + only.heldout} == {"single"}


def test_ground_truth_runs_in_the_sandbox(splits) -> None:  # type: ignore[no-untyped-def]
    """Every family's tools run in real sandbox workers (one session per task), as in training."""
    from awpo.tools import Sandbox

    tasks = {}
    for task in _all(splits):
        tasks.setdefault(task.meta["family"], task)  # the first task of each family
    paths = sorted({p.split(":")[0] for t in tasks.values() for p in t.meta["tool_paths"].values()})
    with Sandbox(paths) as sandbox:
        for family, task in tasks.items():
            with sandbox.session() as session:
                for call in task.answer.tool_calls:
                    result = session.call(call.name, call.arguments)
                    assert result.ok, (family, call, result)
