"""Boundary of the sandbox bindings: configs, JSON, errors and results."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from awpo import _native
from awpo.errors import SandboxError

WORKER = str(Path(_native.__file__).parent / "tools" / "_worker.py")


def _pool_config(**extra: object) -> str:
    cfg: dict[str, object] = {
        "python": sys.executable,
        "worker_script": WORKER,
        "sys_path": [p for p in sys.path if p and os.path.isabs(p)],
        "tools": {"calculate": "awpo.tools.builtin.calculator:calculate"},
        "size": 1,
        "isolation": {"read_only": [sys.prefix, sys.base_prefix, *[p for p in sys.path if p]]},
    }
    cfg.update(extra)
    return json.dumps(cfg)


def _pool(**extra: object) -> _native.SandboxPool:
    try:
        return _native.SandboxPool(_pool_config(**extra))
    except SandboxError as e:
        if os.geteuid() == 0:
            raise
        pytest.skip(f"sandbox refused to start without root: {e}")


def test_bad_configs_raise_value_error() -> None:
    with pytest.raises(ValueError, match="sandbox pool config"):
        _native.SandboxPool("not json")
    with pytest.raises(ValueError, match="unknown field"):
        _native.SandboxPool(_pool_config(colour="blue"))
    with pytest.raises(ValueError, match="max_processes"):
        _native.SandboxPool(_pool_config(limits={"max_processes": 1}))
    with pytest.raises(ValueError, match="size"):
        _native.SandboxPool(_pool_config(size=0))
    with pytest.raises(ValueError, match="at least one tool"):
        _native.SandboxPool(_pool_config(tools={}))


def test_a_missing_interpreter_is_a_sandbox_error() -> None:
    with pytest.raises(SandboxError, match="exec"):
        _native.SandboxPool(_pool_config(python="/nonexistent/python3"))


def test_calls_results_and_json() -> None:
    pool = _pool()
    try:
        r = pool.call("calculate", '{"expression": "1 + 2"}')
        assert r.ok and r.value_json == "3" and r.error is None and r.error_kind is None
        assert repr(r).startswith("CallResult(ok=True, error_kind=None")
        with pytest.raises(ValueError, match="tool arguments"):
            pool.call("calculate", "{not json")
        r = pool.call("calculate", "[1, 2]")
        assert not r.ok and r.error_kind == "invalid_arguments"
        r = pool.call("nope", "{}")
        assert r.error_kind == "unknown_tool"
        out = pool.call_batch([("calculate", '{"expression": "2*3"}', None), ("calculate", "{}", "s1")])
        assert [x.value_json for x in out] == ["6", None]
        assert out[1].error_kind == "invalid_arguments"
        assert pool.session_state_json("s1") == "{}"
        assert pool.session_count() == 1 and pool.end_session("s1") and pool.session_count() == 0
        assert pool.workers_started() == 1
        assert set(pool.isolation) >= {"network", "filesystem", "processes"}
    finally:
        pool.close()
    with pytest.raises(SandboxError, match="closed"):
        pool.call("calculate", '{"expression": "1"}')


def test_supervisor_runs_commands_once() -> None:
    cfg = json.dumps({"isolation": {"read_only": ["/bin", "/usr/bin"]}, "limits": {"timeout_ms": 5000}})
    try:
        sup = _native.SandboxSupervisor(cfg)
    except SandboxError as e:
        if os.geteuid() == 0:
            raise
        pytest.skip(str(e))
    r = sup.run(["/bin/sh", "-c", "cat; echo done >&2; exit 4"], b"piped")
    assert (r.stdout, r.stderr, r.exit_status, r.ok) == ("piped", "done\n", 4, False)
    assert repr(r) == "RunResult(ok=False, exit_status=4, signal=None, timed_out=False)"
    r = sup.run(["/bin/sh", "-c", "kill -9 $$"])
    assert r.signal == 9 and r.exit_status is None
    with pytest.raises(ValueError, match="absolute"):
        sup.run(["sh", "-c", "true"])
    with pytest.raises(ValueError, match="empty"):
        sup.run([])
    with pytest.raises(ValueError, match="supervisor config"):
        _native.SandboxSupervisor('{"limitz": {}}')
