"""Built-in Python executor: runs only in a sandbox worker, one fresh process per call."""

from __future__ import annotations

import pytest

from awpo.tools import Sandbox
from awpo.tools.builtin import python_exec as px


def test_refuses_to_run_in_the_trainer_process() -> None:
    with pytest.raises(RuntimeError, match="only inside an awpo sandbox worker"):
        px.python_exec("print('hi')")


def test_declares_the_tightest_policy() -> None:
    policy = px.SANDBOX_POLICY["python_exec"]
    assert policy["fresh_process"] is True and policy["timeout_s"] <= 5 and policy["memory_mb"] <= 512


def test_prints_and_last_expression(builtin_sandbox: Sandbox) -> None:
    r = builtin_sandbox.call("python_exec", {"code": "import math\nprint('hello')\nx = 6\nmath.factorial(x) // 2"})
    assert r.ok, r
    assert r.value == {"stdout": "hello\n", "result": "360"}  # 720 // 2
    r = builtin_sandbox.call("python_exec", {"code": "y = 1"})
    assert r.value == {"stdout": "", "result": None}


def test_errors_show_only_the_codes_own_traceback(builtin_sandbox: Sandbox) -> None:
    r = builtin_sandbox.call("python_exec", {"code": "def f(x):\n    return 1 / x\nprint('before')\nf(0)"})
    assert not r.ok and r.error_kind == "tool_error"
    error = r.error or ""
    assert 'File "<code>", line 2, in f' in error and "ZeroDivisionError: division by zero" in error
    assert "stdout before the error:\nbefore" in error
    assert "_worker.py" not in error and "python_exec.py" not in error
    r = builtin_sandbox.call("python_exec", {"code": "def (:"})
    assert "SyntaxError" in (r.error or "") and "line 1" in (r.error or "")


def test_output_and_code_size_are_capped(builtin_sandbox: Sandbox) -> None:
    r = builtin_sandbox.call("python_exec", {"code": "for i in range(100000):\n    print('line', i)"})
    assert r.ok
    assert len(r.value["stdout"]) < px.MAX_OUTPUT_CHARS + 100
    assert "more characters dropped" in r.value["stdout"]
    r = builtin_sandbox.call("python_exec", {"code": "#" * (px.MAX_CODE_CHARS + 1)})
    assert not r.ok and "longer than" in (r.error or "")


def test_each_call_is_a_fresh_process(builtin_sandbox: Sandbox) -> None:
    code = "import os\nos.getpid()"
    pids = {builtin_sandbox.call("python_exec", {"code": code}).value["result"] for _ in range(3)}
    assert len(pids) == 3
    r = builtin_sandbox.call("python_exec", {"code": "open('f.txt', 'w').write('ok')\nopen('f.txt').read()"})
    assert r.value["result"] == "'ok'"  # its working directory is writable
