"""Security tests: each one really attempts an escape from the sandbox (issue 5 §4).

Every attack runs twice: through `python_exec` (the model's code in a fresh process forked from a
warm worker) and through `run_code`, a test tool that executes code inside the warm worker itself
(the worst kind of tool). After every attack the same sandbox must still answer normal calls.

Full isolation needs root (network namespace, pids cgroup); CI runs as root. As another user the
sandbox refuses to start and these tests are skipped with the refusal as the reason.
"""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import sandbox_attack_tools

from awpo.errors import SandboxError
from awpo.tools import Sandbox, SandboxConfig, SandboxLimits, ToolResult
from awpo.tools.builtin import calculator, python_exec

REPO = Path(__file__).resolve().parents[2]
MODES = ["python_exec", "run_code"]
LIMITS = SandboxLimits(timeout_s=2.0, cpu_s=1, memory_mb=128, max_processes=16, stdout_kb=8)


def _start(filesystem: str = "auto") -> Sandbox:
    try:
        return Sandbox(
            [sandbox_attack_tools.run_code, calculator.calculate, python_exec.python_exec],
            LIMITS,
            config=SandboxConfig(pool_size=2, filesystem=filesystem),  # type: ignore[arg-type]
            policies={"python_exec": {"fresh_process": True, "timeout_s": 2.0, "cpu_s": 1, "memory_mb": 128}},
        )
    except SandboxError as e:
        if os.geteuid() == 0:
            raise
        pytest.skip(f"sandbox refused to start without root: {e}")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sb = _start()
    yield sb
    sb.close()


def attack(sb: Sandbox, mode: str, code: str) -> ToolResult:
    """Runs attack code that assigns `result`."""
    return sb.call(mode, {"code": f"{code}\nresult"})


def value(mode: str, r: ToolResult) -> Any:
    assert r.ok, r
    if mode == "python_exec":
        text = r.value["result"]
        return None if text is None else ast.literal_eval(text)
    return r.value


def assert_still_serves(sb: Sandbox) -> None:
    r = sb.call("calculate", {"expression": "6 * 7"})
    assert r.ok and r.value == 42, r
    r = sb.call("python_exec", {"code": "print(2 + 2)"})
    assert r.ok and r.value["stdout"] == "4\n", r


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def has_pids_cgroup(sb: Sandbox) -> bool:
    return "pids cgroup" in sb.isolation["processes"]


# ------------------------------------------------------------------ processes


@pytest.mark.parametrize("mode", MODES)
def test_fork_bomb_is_bounded_and_killed(sandbox: Sandbox, mode: str) -> None:
    marker = f"awpo-forkbomb-{uuid.uuid4().hex}"
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    code = (
        "import os, sys, time\nif os.fork() == 0:\n"
        f"    os.execv(sys.executable, [sys.executable, '-c', {bomb!r}, {marker!r}])\n"
        "time.sleep(60)\nresult = 0"
    )
    r = attack(sandbox, mode, code)
    assert not r.ok
    assert r.timed_out or r.error_kind in ("crash", "cpu"), r
    if has_pids_cgroup(sandbox):
        assert r.fork_failures > 0, r  # pids.max refused forks: the bomb hit the ceiling
    assert processes_with(marker) == [], "fork-bomb processes survived the call"
    assert_still_serves(sandbox)


@pytest.mark.parametrize("mode", MODES)
def test_process_count_stops_at_the_limit(sandbox: Sandbox, mode: str) -> None:
    if not has_pids_cgroup(sandbox):
        pytest.skip("no pids cgroup here: " + sandbox.isolation["processes"])
    code = (
        "import os, time\nn = 0\nwhile n < 1000:\n    try:\n        pid = os.fork()\n"
        "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n"
        "    n += 1\nresult = n"
    )
    r = attack(sandbox, mode, code)
    forked = value(mode, r)
    # The worker (and, for python_exec, the call's own process) hold slots of pids.max = 16.
    assert 1 <= forked < LIMITS.max_processes, r
    assert r.fork_failures >= 1, r
    assert r.strays_killed == forked, r  # every child was killed after the call
    assert_still_serves(sandbox)


@pytest.mark.parametrize("mode", MODES)
def test_orphans_do_not_survive_the_call(sandbox: Sandbox, mode: str) -> None:
    if not has_pids_cgroup(sandbox):
        pytest.skip("no pids cgroup here: " + sandbox.isolation["processes"])
    marker = f"awpo-orphan-{uuid.uuid4().hex}"
    code = (
        "import os, subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}],"
        " start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "result = 'spawned'"
    )
    r = attack(sandbox, mode, code)
    assert value(mode, r) == "spawned"
    assert r.strays_killed == 2, r
    assert processes_with(marker) == [], "an orphan survived the call"
    # The same when the call is killed at its timeout.
    r = attack(sandbox, mode, code.replace("result = 'spawned'", "import time\ntime.sleep(60)\nresult = 1"))
    assert r.timed_out, r
    assert processes_with(marker) == [], "an orphan survived a timed-out call"
    assert_still_serves(sandbox)


# ------------------------------------------------------------------ memory, CPU, time, output


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "code",
    ["x = bytearray(8 * 2**30)", "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 2**20))"],
    ids=["one-block", "growing"],
)
def test_memory_bomb_fails_the_call_only(sandbox: Sandbox, mode: str, code: str) -> None:
    r = attack(sandbox, mode, code + "\nresult = 1")
    assert not r.ok and r.memory_exceeded and r.error_kind == "memory", r
    assert_still_serves(sandbox)


@pytest.mark.parametrize("mode", MODES)
def test_cpu_spin_is_stopped_by_the_cpu_limit(sandbox: Sandbox, mode: str) -> None:
    # A wall-clock limit far above the CPU limit, so even a busy machine hits the CPU limit first.
    spin_limits = LIMITS.model_copy(update={"timeout_s": 60.0, "cpu_s": 1})
    with Sandbox(
        [sandbox_attack_tools.run_code, python_exec.python_exec],
        spin_limits,
        config=SandboxConfig(pool_size=1),
        policies={"python_exec": {"fresh_process": True, "timeout_s": 60.0, "cpu_s": 1}},
    ) as sb:
        r = attack(sb, mode, "while True:\n    pass")
        assert not r.ok and r.error_kind == "cpu" and not r.timed_out, r
        # the CPU limit counts the process's whole CPU time (interpreter start included), so the share
        # measured for the call is below 1 s by a load-dependent amount: only check that it was spent
        assert r.cpu_ms > 0, r
        assert sb.call("run_code", {"code": "result = 6 * 7"}).value == 42
    assert_still_serves(sandbox)


@pytest.mark.parametrize("mode", MODES)
def test_sleep_past_the_timeout_is_killed(sandbox: Sandbox, mode: str) -> None:
    r = attack(sandbox, mode, "import time\ntime.sleep(120)\nresult = 1")
    assert not r.ok and r.timed_out and r.error_kind == "timeout", r
    assert 2000 <= r.wall_ms < 30_000, r
    assert_still_serves(sandbox)


@pytest.mark.parametrize("mode", MODES)
def test_endless_output_is_capped(sandbox: Sandbox, mode: str) -> None:
    r = attack(sandbox, mode, "import os\nwhile True:\n    os.write(1, b'y' * 4096)")
    # Writing spends CPU, so on a fast machine the 1 s CPU limit can stop the writer before the 2 s
    # wall clock does; either way the call must end with the output capped.
    assert not r.ok and r.output_truncated, r
    assert r.timed_out or r.error_kind == "cpu", r
    assert len(r.stdout) == LIMITS.stdout_kb * 1024
    assert set(r.stdout) == {"y"}
    assert_still_serves(sandbox)


# ------------------------------------------------------------------ network


@pytest.mark.parametrize("mode", MODES)
def test_loopback_listener_of_the_test_receives_nothing(sandbox: Sandbox, mode: str) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    arrived: list[Any] = []

    def accept() -> None:
        try:
            conn, _ = server.accept()
            arrived.append(conn.recv(100))
        except OSError:
            pass

    listener = threading.Thread(target=accept)
    listener.start()
    code = (
        "import socket\nout = {}\n"
        "for name, kind in (('tcp', socket.SOCK_STREAM), ('udp', socket.SOCK_DGRAM)):\n"
        "    s = socket.socket(socket.AF_INET, kind)\n    s.settimeout(1)\n"
        "    try:\n"
        f"        s.connect(('127.0.0.1', {port}))\n"
        "        s.send(b'escaped')\n"
        "        out[name] = 'sent'\n"
        "    except OSError as e:\n"
        "        out[name] = type(e).__name__\n"
        "result = out"
    )
    r = attack(sandbox, mode, code)
    listener.join()
    server.close()
    outcome = value(mode, r)
    assert outcome["tcp"] != "sent" and outcome["udp"] != "sent", outcome
    assert arrived == [], "a connection reached the test's listener"
    assert_still_serves(sandbox)


@pytest.mark.parametrize("mode", MODES)
def test_public_addresses_are_unreachable_without_sending(sandbox: Sandbox, mode: str) -> None:
    code = (
        "import errno, socket\nout = {}\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\ns.settimeout(2)\n"
        "try:\n    s.connect(('1.1.1.1', 80))\n    out['tcp'] = 'connected'\n"
        "except OSError as e:\n    out['tcp'] = errno.errorcode.get(e.errno, str(e.errno))\n"
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "try:\n    u.sendto(b'x', ('8.8.8.8', 53))\n    out['udp'] = 'sent'\n"
        "except OSError as e:\n    out['udp'] = errno.errorcode.get(e.errno, str(e.errno))\n"
        "try:\n    socket.getaddrinfo('example.com', 80)\n    out['dns'] = 'resolved'\n"
        "except OSError as e:\n    out['dns'] = type(e).__name__\n"
        "out['interfaces'] = [name for _, name in socket.if_nameindex()]\n"
        "result = out"
    )
    outcome = value(mode, attack(sandbox, mode, code))
    # ENETUNREACH: no route exists, so no packet was built; EACCES: Landlock denied the connect
    # before any routing. Either way nothing left the machine.
    assert outcome["tcp"] in ("ENETUNREACH", "EACCES"), outcome
    assert outcome["udp"] == "ENETUNREACH", outcome
    assert outcome["dns"] != "resolved", outcome
    assert outcome["interfaces"] == ["lo"], outcome  # a fresh namespace: only a loopback, down
    assert_still_serves(sandbox)


# ------------------------------------------------------------------ filesystem


@pytest.mark.parametrize("mode", MODES)
def test_writes_outside_the_workdir_are_denied(sandbox: Sandbox, mode: str) -> None:
    tag = uuid.uuid4().hex
    targets = {
        "repo": REPO / f"escape-{tag}",
        "tmp": Path("/tmp") / f"awpo-escape-{tag}",
        "package": Path(calculator.__file__).with_name(f"escape-{tag}.py"),
    }
    code = "out = {}\n"
    for name, path in targets.items():
        code += (
            f"try:\n    open({str(path)!r}, 'w').write('x')\n    out[{name!r}] = 'written'\n"
            f"except OSError as e:\n    out[{name!r}] = type(e).__name__\n"
        )
    code += "open('inside.txt', 'w').write('ok')\nout['workdir'] = open('inside.txt').read()\nresult = out"
    outcome = value(mode, attack(sandbox, mode, code))
    assert outcome["workdir"] == "ok"
    for name, path in targets.items():
        assert outcome[name] != "written", (name, outcome)
        assert not path.exists(), f"the sandbox wrote {path}"
    assert_still_serves(sandbox)


@pytest.mark.parametrize("mode", MODES)
def test_reads_outside_the_allow_list_are_denied(sandbox: Sandbox, mode: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret-token")
    targets = {
        "secret": str(secret),
        "repo": str(REPO / "Cargo.toml"),
        "passwd": "/etc/passwd",
        "init_environ": "/proc/1/environ",
        "own_environ_of_parent": f"/proc/{os.getpid()}/environ",
    }
    code = "out = {}\n"
    for name, path in targets.items():
        code += (
            f"try:\n    out[{name!r}] = open({path!r}).read()[:40]\n"
            f"except OSError as e:\n    out[{name!r}] = type(e).__name__\n"
        )
    code += "try:\n    out['root_listing'] = len(__import__('os').listdir('/'))\nexcept OSError as e:\n"
    code += "    out['root_listing'] = type(e).__name__\nresult = out"
    outcome = value(mode, attack(sandbox, mode, code))
    for name in targets:
        assert outcome[name] in ("PermissionError", "FileNotFoundError"), (name, outcome)
    assert outcome["root_listing"] in ("PermissionError", "FileNotFoundError"), outcome
    assert_still_serves(sandbox)


# ------------------------------------------------------------------ signals and other escapes


@pytest.mark.parametrize("mode", MODES)
def test_signalling_the_parent_and_its_processes_fails(sandbox: Sandbox, mode: str) -> None:
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGUSR1, handler)
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        targets = [
            ("parent", os.getpid(), int(signal.SIGUSR1)),
            ("parent_group", -os.getpgid(0), int(signal.SIGUSR1)),
            ("victim", victim.pid, int(signal.SIGKILL)),
            ("init", 1, 0),
        ]
        code = "import os\nout = {}\n"
        for name, pid, sig in targets:
            code += (
                f"try:\n    os.kill({pid}, {sig})\n    out[{name!r}] = 'sent'\n"
                f"except OSError as e:\n    out[{name!r}] = type(e).__name__\n"
            )
        code += "out['ppid'] = os.getppid()\nresult = out"
        outcome = value(mode, attack(sandbox, mode, code))
        if mode == "run_code":
            assert outcome["ppid"] == os.getpid()  # the worker's parent is this test process
        for name in ("parent", "parent_group", "victim", "init"):
            assert outcome[name] in ("PermissionError", "ProcessLookupError"), (name, outcome)
        assert received == [], "the test process received a signal from the sandbox"
        assert victim.poll() is None, "the victim process was killed from the sandbox"
    finally:
        victim.kill()
        victim.wait()
        signal.signal(signal.SIGUSR1, previous)
    assert_still_serves(sandbox)


@pytest.mark.parametrize("mode", MODES)
def test_host_ipc_namespaces_and_mounts_are_refused(sandbox: Sandbox, mode: str) -> None:
    code = (
        "import ctypes, os, socket\nout = {}\n"
        "try:\n    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n    out['unix_socket'] = 'created'\n"
        "except OSError as e:\n    out['unix_socket'] = type(e).__name__\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "out['unshare_net'] = libc.unshare(0x40000000)\n"
        "out['unshare_user'] = libc.unshare(0x10000000)\n"
        "out['mount'] = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)\n"
        "out['chroot'] = libc.chroot(b'/')\n"
        "try:\n    os.setuid(1000)\n    out['setuid'] = 'changed'\nexcept OSError as e:\n"
        "    out['setuid'] = type(e).__name__\n"
        "result = out"
    )
    outcome = value(mode, attack(sandbox, mode, code))
    assert outcome["unix_socket"] == "PermissionError", outcome
    for name in ("unshare_net", "unshare_user", "mount", "chroot"):
        assert outcome[name] == -1, (name, outcome)
    if os.geteuid() == 0:
        assert outcome["setuid"] == "PermissionError", outcome  # capabilities are gone
    assert_still_serves(sandbox)


def test_environment_is_scrubbed(sandbox: Sandbox) -> None:
    os.environ["AWPO_TEST_SECRET"] = "hunter2"
    try:
        r = sandbox.call("run_code", {"code": "import os\nresult = dict(os.environ)"})
    finally:
        del os.environ["AWPO_TEST_SECRET"]
    env = r.value
    assert "AWPO_TEST_SECRET" not in env
    assert env["AWPO_SANDBOX_WORKER"] == "1"
    assert not any(k.startswith(("PYTHON", "VIRTUAL_ENV", "CARGO")) for k in env), env


def test_python_exec_state_does_not_leak_between_calls(sandbox: Sandbox) -> None:
    # A call that patches a module and sets globals in its process...
    r = sandbox.call("python_exec", {"code": "import json\njson.dumps = lambda *a, **k: 'pwned'\nX = 1"})
    assert r.ok, r
    # ...leaves nothing for the next calls (each runs in a fresh process).
    for _ in range(3):
        r = sandbox.call("python_exec", {"code": "import json\n(json.dumps([1]), 'X' in globals())"})
        assert r.value["result"] == "('[1]', False)", r
    assert_still_serves(sandbox)


def test_mount_namespace_mode_contains_the_same_attacks() -> None:
    if os.geteuid() != 0:
        with pytest.raises(SandboxError, match="root"):
            _start("mount-namespace")
        return
    sb = _start("mount-namespace")
    try:
        assert "mount namespace" in sb.isolation["filesystem"]
        tag = uuid.uuid4().hex
        code = (
            "import os, socket\nout = {'uid': os.getuid()}\n"
            f"for name, path in [('repo', {str(REPO / ('escape-' + tag))!r}), ('tmp', '/tmp/awpo-escape-{tag}')]:\n"
            "    try:\n        open(path, 'w').write('x')\n        out[name] = 'written'\n"
            "    except OSError as e:\n        out[name] = type(e).__name__\n"
            "try:\n    out['passwd'] = open('/etc/passwd').read()[:10]\nexcept OSError as e:\n"
            "    out['passwd'] = type(e).__name__\n"
            f"try:\n    os.kill({os.getpid()}, 0)\n    out['signal'] = 'sent'\nexcept OSError as e:\n"
            "    out['signal'] = type(e).__name__\n"
            "s = socket.socket()\ntry:\n    s.connect(('1.1.1.1', 80))\n    out['tcp'] = 'connected'\n"
            "except OSError as e:\n    out['tcp'] = type(e).__name__\n"
            "result = out"
        )
        for mode in MODES:
            outcome = value(mode, attack(sb, mode, code))
            assert outcome["uid"] == 65534, outcome
            assert outcome["repo"] != "written" and outcome["tmp"] != "written", outcome
            assert outcome["passwd"] in ("PermissionError", "FileNotFoundError"), outcome
            assert outcome["signal"] == "PermissionError", outcome
            assert outcome["tcp"] != "connected", outcome
            assert not (REPO / f"escape-{tag}").exists()
        assert_still_serves(sb)
    finally:
        sb.close()
