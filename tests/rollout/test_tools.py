"""Tool runners of the rollout loop: sandbox sessions and in-process tools, one episode per trajectory."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from rollout_test_tools import divide, get_weather

from awpo.data.schema import Task
from awpo.errors import SandboxError
from awpo.rollout.tools import LocalTools, SandboxTools, ToolRunner
from awpo.tools import Sandbox, SandboxConfig

TASK = Task(id="t", messages=[{"role": "user", "content": "hi"}])


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    try:
        sb = Sandbox([get_weather, divide], config=SandboxConfig(pool_size=2))
    except SandboxError as exc:
        if os.geteuid() == 0:
            raise
        pytest.skip(f"the tool sandbox refused to start without root: {exc}")
    yield sb
    sb.close()


@pytest.fixture(params=["local", "sandbox"])
def runner(request: pytest.FixtureRequest) -> ToolRunner:
    if request.param == "local":
        return LocalTools([get_weather, divide])
    return SandboxTools(request.getfixturevalue("sandbox"))


def test_episodes_have_their_own_state(runner: ToolRunner) -> None:
    one, two = runner.episode(TASK), runner.episode(TASK)
    call = {"name": "get_weather", "arguments": {"city": "Oslo"}}
    assert [r.value["call"] for r in one.run([call, call])] == [1, 2]
    assert [r.value["call"] for r in two.run([call])] == [1]
    one.close()
    two.close()


def test_failures_are_results_in_order(runner: ToolRunner) -> None:
    episode = runner.episode(TASK)
    results = episode.run(
        [
            {"name": "divide", "arguments": {"a": 1, "b": 4}},
            {"name": "divide", "arguments": {"a": 1, "b": 0}},
            {"name": "nope", "arguments": {}},
            {"name": "divide", "arguments": {"a": "x", "b": 1}},
        ]
    )
    episode.close()
    assert [r.ok for r in results] == [True, False, False, False]
    assert results[0].value == 0.25
    assert results[0].observation() == "0.25"
    assert [r.error_kind for r in results[1:]] == ["tool_error", "unknown_tool", "invalid_arguments"]
    assert "ZeroDivisionError" in (results[1].error or "")
    assert results[2].observation().startswith("Error (unknown_tool)")


def test_local_failed_call_does_not_change_state() -> None:
    episode = LocalTools([get_weather]).episode(TASK)
    assert episode.run([{"name": "get_weather", "arguments": {"city": "Oslo"}}])[0].value["call"] == 1
    assert not episode.run([{"name": "get_weather", "arguments": {"town": "Oslo"}}])[0].ok
    assert episode.run([{"name": "get_weather", "arguments": {"city": "Oslo"}}])[0].value["call"] == 2


def test_local_tools_reject_duplicate_names() -> None:
    with pytest.raises(ValueError, match="share a name"):
        LocalTools([divide, divide])
