"""`awpo.tools.Sandbox`: calls, schema validation, batches, sessions, worker replacement, config."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sandbox_test_tools as tt
from pydantic import BaseModel, ValidationError

from awpo.errors import SandboxError, ToolTimeoutError
from awpo.tools import Sandbox, SandboxConfig, SandboxLimits, ToolCallError, ToolPolicy, ToolResult
from awpo.tools.builtin import calculator
from awpo.tools.sandbox import load_tools

TEST_TOOLS = [tt.add, tt.whoami, tt.nap, tt.rendezvous, tt.wait_for_file, tt.workdir_files, tt.crash, tt.tally]


def wait_until(condition: Callable[[], bool], limit_s: float = 30.0) -> bool:
    """Waits for something the sandbox does in the background (starting a replacement worker)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _sandbox(shared: Path, **config: object) -> Sandbox:
    try:
        return Sandbox(
            [*TEST_TOOLS, calculator.calculate],
            SandboxLimits(timeout_s=5.0),
            config=SandboxConfig(read_write_paths=[str(shared)], **config),  # type: ignore[arg-type]
        )
    except SandboxError as e:
        if os.geteuid() == 0:
            raise
        pytest.skip(f"sandbox refused to start without root: {e}")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shared")


@pytest.fixture(scope="module")
def sandbox(shared: Path) -> Iterator[Sandbox]:
    sb = _sandbox(shared, pool_size=2)
    yield sb
    sb.close()


def test_isolation_is_reported_for_every_concern(sandbox: Sandbox) -> None:
    assert set(sandbox.isolation) == {"network", "filesystem", "processes", "signals", "syscalls", "capabilities"}
    assert "namespace" in sandbox.isolation["network"]
    assert any(m in sandbox.isolation["filesystem"] for m in ("landlock", "mount namespace"))


def test_call_returns_a_structured_result(sandbox: Sandbox) -> None:
    r = sandbox.call("add", {"a": 2, "b": 40})
    assert isinstance(r, ToolResult)
    assert r.ok and r.value == 42 and r.error is None and r.error_kind is None
    assert not (r.timed_out or r.memory_exceeded or r.output_truncated)
    assert r.exit_status is None and r.signal is None  # the worker lives on
    assert r.wall_ms > 0 and r.cpu_ms >= 0
    assert r.observation() == "42"
    assert r.unwrap() == 42


def test_workers_run_in_a_scrubbed_private_workdir(sandbox: Sandbox) -> None:
    facts = sandbox.call("whoami", {}).value
    assert facts["pid"] != os.getpid()
    assert Path(facts["cwd"]).name.startswith("awpo-sbx-")
    assert facts["env"]["HOME"] == facts["cwd"] and facts["env"]["TMPDIR"] == facts["cwd"]
    assert "VIRTUAL_ENV" not in facts["env"]


def test_the_workdir_is_emptied_after_each_call(sandbox: Sandbox) -> None:
    assert sandbox.call("workdir_files", {"create": "scratch.txt"}).value == ["scratch.txt"]
    for _ in range(3):  # whichever worker serves it, nothing is left over
        assert sandbox.call("workdir_files", {}).value == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"a": 1}, "arguments.b: missing required parameter `b`"),
        ({"a": "1", "b": 2}, "arguments.a: expected integer, got string"),
        ({"a": 1, "b": 2, "c": 3}, "arguments.c: unknown parameter `c`"),
        ({"a": True, "b": 2}, "expected integer, got boolean"),
    ],
)
def test_arguments_are_checked_against_the_schema_before_running(
    sandbox: Sandbox, args: dict[str, object], needle: str
) -> None:
    started = sandbox.workers_started
    r = sandbox.call("add", args)
    assert not r.ok and r.error_kind == "invalid_arguments"
    assert needle in (r.error or ""), r.error
    assert r.wall_ms == 0.0  # nothing ran
    assert sandbox.workers_started == started


def test_unknown_tools_and_non_json_arguments_are_results(sandbox: Sandbox) -> None:
    r = sandbox.call("nope", {})
    assert r.error_kind == "unknown_tool" and "available" in (r.error or "")
    r = sandbox.call("calculate", {"expression": float("nan")})  # type: ignore[dict-item]
    assert r.error_kind == "invalid_arguments"
    r = sandbox.call("add", [1, 2])  # type: ignore[arg-type]
    assert r.error_kind == "invalid_arguments"


def test_tool_errors_are_results_with_an_observation(sandbox: Sandbox) -> None:
    r = sandbox.call("calculate", {"expression": "1/0"})
    assert not r.ok and r.error_kind == "tool_error"
    assert r.error == "ValueError: division by zero"
    assert r.observation() == "Error (tool_error): ValueError: division by zero"
    assert "Traceback" in r.stderr
    with pytest.raises(ToolCallError, match="division by zero"):
        r.unwrap()
    assert not r.worker_replaced


def test_a_crash_fails_only_that_call_and_the_worker_is_replaced(sandbox: Sandbox) -> None:
    started = sandbox.workers_started
    r = sandbox.call("crash", {})
    assert not r.ok and r.error_kind == "crash" and r.signal == 11 and r.worker_replaced
    assert "SIGSEGV" in (r.error or "")
    assert sandbox.call("add", {"a": 1, "b": 1}).value == 2
    assert wait_until(lambda: sandbox.workers_started > started)


def test_timeout_is_a_result_and_unwrap_raises_tool_timeout(shared: Path) -> None:
    with Sandbox([tt.nap], SandboxLimits(timeout_s=0.5), config=SandboxConfig(pool_size=1)) as sb:
        r = sb.call("nap", {"seconds": 30})
        assert r.timed_out and r.error_kind == "timeout" and r.worker_replaced
        with pytest.raises(ToolTimeoutError):
            r.unwrap()
        assert sb.call("nap", {"seconds": 0}).ok


def test_batch_calls_run_concurrently(sandbox: Sandbox, shared: Path) -> None:
    # Each call waits until both have arrived: only two calls running at once can finish.
    meet = shared / "meet"
    meet.mkdir()
    results = sandbox.call_batch([("rendezvous", {"directory": str(meet), "parties": 2})] * 2)
    assert all(r.ok for r in results), results
    assert results[0].value == results[1].value and len(set(results[0].value)) == 2


def test_batch_keeps_order_and_mixes_invalid_calls(sandbox: Sandbox) -> None:
    calls: list[object] = [("add", {"a": i, "b": 1}) for i in range(20)]
    calls.insert(5, ("add", {"a": "x", "b": 1}))
    calls.insert(9, {"name": "nope", "arguments": {}})
    results = sandbox.call_batch(calls)
    assert [r.value for r in results if r.ok] == [i + 1 for i in range(20)]
    assert results[5].error_kind == "invalid_arguments"
    assert results[9].error_kind == "unknown_tool"


def test_batch_accepts_parsed_tool_call_objects(sandbox: Sandbox) -> None:
    class Call:
        def __init__(self, name: str, arguments: dict[str, int]) -> None:
            self.name = name
            self.arguments = arguments

    assert [r.value for r in sandbox.call_batch([Call("add", {"a": 1, "b": 2})])] == [3]
    with pytest.raises(TypeError):
        sandbox.call_batch([42])


def test_the_gil_is_released_during_a_call(sandbox: Sandbox, shared: Path) -> None:
    # The tool waits for a file that only this Python thread creates while the call runs: if the
    # call held the GIL, the file would never appear and the call would time out.
    flag = shared / "gil-flag"
    box: list[ToolResult] = []
    worker = threading.Thread(target=lambda: box.append(sandbox.call("wait_for_file", {"path": str(flag)})))
    worker.start()
    time.sleep(0.05)
    flag.write_text("released")
    worker.join()
    assert box[0].ok and box[0].value == "released", box


def test_sessions_keep_separate_fresh_state(sandbox: Sandbox) -> None:
    with sandbox.session() as a, sandbox.session() as b:
        assert a.call("tally", {"step": 2}).value == 2
        assert b.call("tally", {}).value == 1
        assert a.call("tally", {"step": 3}).value == 5
        assert a.state == {"tally": {"n": 5}}
        assert b.state == {"tally": {"n": 1}}
        session_a = a.id
    assert sandbox.session_state(session_a) is None  # ended with the block
    with sandbox.session() as fresh:
        assert fresh.call("tally", {}).value == 1


def test_batched_sessions_run_in_order_and_in_parallel(sandbox: Sandbox) -> None:
    calls = [("tally", {"step": 1}, f"s{i % 3}") for i in range(12)]
    results = sandbox.call_batch(calls)
    assert [r.value for r in results] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    for s in ("s0", "s1", "s2"):
        assert sandbox.end_session(s)
    assert not sandbox.end_session("s0")


def test_stateful_tool_without_a_session_fails_clearly(sandbox: Sandbox) -> None:
    r = sandbox.call("tally", {})
    assert not r.ok and "session" in (r.error or "")


def test_failed_call_does_not_commit_session_state(sandbox: Sandbox) -> None:
    with sandbox.session() as s:
        s.call("tally", {"step": 1})
        assert not s.call("tally", {"step": "x"}).ok  # schema error: never ran
        s.call("crash", {})  # crashed: state untouched
        assert s.state == {"tally": {"n": 1}}


def test_recycle_after_replaces_workers(shared: Path) -> None:
    with Sandbox([tt.whoami], config=SandboxConfig(pool_size=1, recycle_after=2)) as sb:
        pids = [sb.call("whoami", {}).value["pid"] for _ in range(4)]
        assert pids[0] == pids[1] != pids[2] == pids[3]
        assert wait_until(lambda: sb.workers_started == 3)


def test_closed_sandbox_raises(shared: Path) -> None:
    sb = Sandbox([tt.add], config=SandboxConfig(pool_size=1))
    sb.close()
    with pytest.raises(SandboxError, match="closed"):
        sb.call("add", {"a": 1, "b": 2})


def test_a_tool_module_that_fails_to_import_stops_the_start() -> None:
    import broken_tool_module

    with pytest.raises(SandboxError, match="broken_tool_module refuses to load"):
        Sandbox([broken_tool_module.never], config=SandboxConfig(pool_size=1))


def test_network_allow_is_reported(shared: Path) -> None:
    with Sandbox([tt.add], config=SandboxConfig(pool_size=1, network="allow")) as sb:
        assert "network: allow" in sb.isolation["network"]
        assert sb.call("add", {"a": 1, "b": 2}).value == 3


def test_mount_namespace_mode_serves_calls(shared: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the mount-namespace mode needs root")
    with Sandbox(
        [tt.whoami, calculator.calculate], config=SandboxConfig(pool_size=1, filesystem="mount-namespace")
    ) as sb:
        assert "mount namespace" in sb.isolation["filesystem"]
        assert sb.call("calculate", {"expression": "2**10"}).value == 1024
        assert sb.call("whoami", {}).value["uid"] == 65534


# ---------------------------------------------------------------- tool loading and config


def test_tools_load_by_dotted_path_module_path_and_module() -> None:
    assert set(load_tools(["sandbox_test_tools:add"])) == {"add"}
    assert set(load_tools(["sandbox_test_tools"])) == {t.name for t in TEST_TOOLS}
    assert set(load_tools([tt])) == {t.name for t in TEST_TOOLS}
    # A plain function gets its schema built on the fly.
    plain = load_tools(["sandbox_test_tools:plain_mul"])
    assert plain["plain_mul"].parameters["required"] == ["a", "b"]
    with Sandbox(["sandbox_test_tools:plain_mul"], config=SandboxConfig(pool_size=1)) as sb:
        assert sb.call("plain_mul", {"a": 6, "b": 7}).value == 42


def test_tools_that_cannot_be_imported_by_path_are_refused() -> None:
    from awpo.tools import tool

    @tool
    def local(x: int) -> int:
        """Local.

        Args:
            x: X.
        """
        return x

    with pytest.raises(ValueError, match="inside a function"):
        load_tools([local])
    with pytest.raises(ValueError, match="at least one"):
        load_tools([])
    with pytest.raises(TypeError):
        load_tools([42])  # type: ignore[list-item]


def test_limits_and_policies_validate_and_convert() -> None:
    native = SandboxLimits(timeout_s=1.5, memory_mb=256).to_native()
    assert native["timeout_ms"] == 1500 and native["memory_bytes"] == 256 * 2**20
    with pytest.raises(ValidationError):
        SandboxLimits(timeout_s=0)
    with pytest.raises(ValidationError):
        SandboxLimits(unknown=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="fresh_process"):
        ToolPolicy(memory_mb=128)
    assert ToolPolicy(memory_mb=128, fresh_process=True).to_native()["memory_bytes"] == 128 * 2**20
    with pytest.raises(ValidationError):
        SandboxConfig(network="sometimes")  # type: ignore[arg-type]


def test_module_policies_apply_and_can_be_overridden() -> None:
    from awpo.tools.builtin import python_exec

    with Sandbox([python_exec.python_exec], config=SandboxConfig(pool_size=1)) as sb:
        assert sb.policies["python_exec"].fresh_process
        assert sb.policies["python_exec"].timeout_s == 5.0
    with Sandbox(
        [python_exec.python_exec], config=SandboxConfig(pool_size=1), policies={"python_exec": {"timeout_s": 1.0}}
    ) as sb:
        assert sb.policies["python_exec"].timeout_s == 1.0
        assert not sb.policies["python_exec"].fresh_process
    with pytest.raises(ValueError, match="unknown tool"):
        Sandbox([tt.add], policies={"nope": {}})


def test_schemas_are_the_tools_openai_schemas(sandbox: Sandbox) -> None:
    names = [s["function"]["name"] for s in sandbox.schemas]
    assert names == [t.name for t in TEST_TOOLS] + ["calculate"]
    assert json.loads(json.dumps(sandbox.schemas)) == sandbox.schemas


@pytest.mark.parametrize("model", [SandboxLimits, ToolPolicy, SandboxConfig])
def test_every_field_is_documented_with_its_real_default(model: type[BaseModel]) -> None:
    doc = model.__doc__ or ""
    documented = dict(re.findall(r"^\s+(\w+) \(.*defaults to `(.*?)`\):$", doc, flags=re.MULTILINE))
    assert set(documented) == set(model.model_fields), model.__name__
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        assert documented[name] == (f'"{default}"' if isinstance(default, str) else repr(default)), name
