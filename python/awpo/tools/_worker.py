"""Sandbox worker: started (already isolated) by the Rust supervisor, it imports the tool modules
once and then serves calls over one descriptor with length-prefixed JSON frames.

Standard library only; run as a script (`python -I -S -B _worker.py FD`), never imported by the
trainer. Frames are a 4-byte big-endian length and a UTF-8 JSON payload.

Requests and replies:
- `{"op": "init", "sys_path": [...], "tools": {name: "module:qualname"}, "value_bytes": N,
  "state_bytes": N}` → `{"ok": true, "pid": P, "tools": [...]}` or `{"ok": false, "error": "..."}`.
- `{"op": "call", "tool": name, "args": {...}, "session": bool, "state": {...} | null,
  "fresh": bool, "memory_bytes": N | null, "cpu_seconds": N}` → `{"ok": bool, "value": ...,
  "error": str | null, "error_type": str | null, "state": {...} | null, "memory_exceeded": bool,
  "exit_status": int | null, "signal": int | null, "child_cpu_ns": int, "dirty": bool}`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import json
import os
import resource
import select
import signal
import struct
import sys
import traceback
from collections.abc import Callable
from typing import Any

_HEADER = struct.Struct(">I")
_MAX_REQUEST = 64 << 20
_MAX_ERROR_CHARS = 4000


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks: list[bytes] = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> Any:
    """One request, or None at end of stream (the supervisor went away)."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    if length > _MAX_REQUEST:
        raise ValueError(f"request of {length} bytes is too large")
    payload = _read_exact(fd, length)
    if payload is None:
        return None
    return _DECODE(payload.decode())


# Bound once: code run by a call may patch the json module; the worker's replies do not use it.
_ENCODE = json.JSONEncoder(allow_nan=False).encode
_DECODE = json.JSONDecoder().decode
_DUMPS = json.dumps


def write_frame(fd: int, obj: Any) -> None:
    payload = _ENCODE(obj).encode()
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _jsonable(obj: Any) -> Any:
    """Fallback for `json.dumps`: common non-JSON values a tool may return."""
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", errors="replace")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def _to_json(obj: Any, limit: int, what: str) -> tuple[Any, str | None]:
    """(a JSON-clean copy of obj, None) or (None, error message)."""
    try:
        text = _DUMPS(obj, allow_nan=False, default=_jsonable)
    except ValueError as e:
        return None, f"{what} is not valid JSON: {e}"
    except (TypeError, RecursionError) as e:
        return None, f"{what} cannot be encoded as JSON: {e}"
    if len(text) > limit:
        return None, f"{what} is {len(text)} bytes, over the {limit}-byte limit"
    return _DECODE(text), None


def _short(text: str) -> str:
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 3] + "..."


def _resolve(path: str) -> Callable[..., Any]:
    module_name, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split(".") if qualname else []:
        obj = getattr(obj, part)
    # An `awpo.Tool` wraps its function in `.func`.
    func = getattr(obj, "func", obj)
    if not callable(func):
        raise TypeError(f"{path} is not callable")
    return func  # type: ignore[no-any-return]


class Worker:
    def __init__(self, fd: int, init: dict[str, Any]) -> None:
        self.fd = fd
        self.value_bytes = int(init.get("value_bytes", 1 << 20))
        self.state_bytes = int(init.get("state_bytes", 1 << 20))
        self.tools: dict[str, Callable[..., Any]] = {}
        self.signatures: dict[str, inspect.Signature] = {}
        for name, path in init["tools"].items():
            func = _resolve(path)
            self.tools[name] = func
            with contextlib.suppress(TypeError, ValueError):  # builtins may have no signature
                self.signatures[name] = inspect.signature(func)
        self._bind_state: Any = None
        self.stdout = sys.stdout
        self.stderr = sys.stderr

    def _state_binder(self) -> Any:
        if self._bind_state is None:
            try:
                from awpo.tools.context import bind_episode_state
            except ImportError:
                return None
            self._bind_state = bind_episode_state
        return self._bind_state

    def execute(self, req: dict[str, Any]) -> dict[str, Any]:
        """Runs one call in this process and builds its reply."""
        reply: dict[str, Any] = {
            "ok": False,
            "value": None,
            "error": None,
            "error_type": None,
            "state": None,
            "memory_exceeded": False,
            "exit_status": None,
            "signal": None,
            "child_cpu_ns": 0,
            "dirty": False,
        }
        name = req.get("tool")
        if not isinstance(name, str) or name not in self.tools:
            reply.update(error=f"unknown tool {name!r}", error_type="unknown_tool")
            return reply
        func = self.tools[name]
        args = req.get("args")
        if not isinstance(args, dict):
            reply.update(error="arguments must be a JSON object", error_type="invalid_arguments")
            return reply
        sig = self.signatures.get(name)
        if sig is not None:
            try:
                sig.bind(**args)
            except TypeError as e:
                reply.update(error=f"invalid arguments for {name}: {e}", error_type="invalid_arguments")
                return reply
        state = req.get("state") if req.get("session") else None
        binder = self._state_binder() if state is not None else None
        try:
            if binder is not None:
                with binder(state):
                    value = func(**args)
            else:
                value = func(**args)
        except MemoryError:
            reply.update(
                error=f"tool {name} ran out of memory (address-space limit)",
                error_type="memory",
                memory_exceeded=True,
                dirty=True,
            )
            return reply
        except RecursionError as e:
            traceback.print_exc()
            reply.update(error=_short(f"RecursionError: {e}"), error_type="tool_error")
            return reply
        except Exception as e:
            traceback.print_exc()
            reply.update(error=_short(f"{type(e).__name__}: {e}"), error_type="tool_error")
            return reply
        except BaseException as e:  # SystemExit, KeyboardInterrupt, ...: the call failed, the worker is suspect
            reply.update(error=_short(f"{type(e).__name__}: {e}"), error_type="tool_error", dirty=True)
            return reply
        clean, problem = _to_json(value, self.value_bytes, f"the value returned by {name}")
        if problem is not None:
            reply.update(error=problem, error_type="bad_value")
            return reply
        if state is not None:
            clean_state, problem = _to_json(state, self.state_bytes, "the episode state")
            if problem is not None:
                reply.update(error=problem, error_type="bad_state")
                return reply
            reply["state"] = clean_state
        reply.update(ok=True, value=clean)
        return reply

    def execute_fresh(self, req: dict[str, Any]) -> dict[str, Any]:
        """Runs one call in a forked child, so it cannot change this worker's state."""
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the call's process
            try:
                os.close(rfd)
                os.close(self.fd)
                memory = req.get("memory_bytes")
                if isinstance(memory, int) and memory > 0:
                    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
                cpu = req.get("cpu_seconds")
                if isinstance(cpu, int) and cpu > 0:
                    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
                child_reply = self.execute(req)
                self.flush()
                write_frame(wfd, child_reply)
            except BaseException:
                pass
            finally:
                os._exit(0)
        os.close(wfd)
        data, status, usage = _collect(rfd, pid)
        cpu_ns = int((usage.ru_utime + usage.ru_stime) * 1e9)
        reply: dict[str, Any] | None = None
        if len(data) >= _HEADER.size:
            try:
                parsed = _DECODE(data[_HEADER.size :].decode())
            except ValueError:
                parsed = None
            reply = parsed if isinstance(parsed, dict) else None
        if reply is None:
            reply = {
                "ok": False,
                "value": None,
                "error": None,
                "error_type": "crash",
                "state": None,
                "memory_exceeded": False,
                "exit_status": None,
                "signal": None,
                "dirty": False,
            }
            cpu_limit = req.get("cpu_seconds")
            if os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
                reply["signal"] = sig
                hit_cpu = sig == signal.SIGXCPU or (
                    sig == signal.SIGKILL and isinstance(cpu_limit, int) and cpu_ns >= cpu_limit * 1e9
                )
                if hit_cpu:
                    reply.update(error=f"CPU time limit of {cpu_limit} s exceeded", error_type="cpu")
                else:
                    reply["error"] = f"the call's process was killed by {signal.Signals(sig).name}"
            else:
                code = os.WEXITSTATUS(status)
                reply["exit_status"] = code
                reply["error"] = f"the call's process exited with status {code} without answering"
        reply["child_cpu_ns"] = cpu_ns
        reply["dirty"] = False
        return reply

    def flush(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a tool may have closed or replaced a stream
                stream.flush()

    def serve(self) -> None:
        while True:
            req = read_frame(self.fd)
            if req is None:
                return
            _reap_children()
            reply = self.execute_fresh(req) if req.get("fresh") else self.execute(req)
            # A tool may have replaced the streams; the next call gets the real ones back.
            self.flush()
            sys.stdout, sys.stderr = self.stdout, self.stderr
            _reap_children()
            try:
                write_frame(self.fd, reply)
            except ValueError:
                write_frame(
                    self.fd,
                    {"ok": False, "error": "reply is not valid JSON", "error_type": "bad_value", "dirty": True},
                )


def _frame_complete(buf: bytes | bytearray) -> bool:
    return len(buf) >= _HEADER.size and len(buf) >= _HEADER.size + _HEADER.unpack_from(buf)[0]


def _collect(rfd: int, pid: int) -> tuple[bytes, int, Any]:
    """Reads the call process's reply frame and reaps it. Stops at a complete frame or when the
    process has exited: its own children may keep the pipe open after it is gone."""
    buf = bytearray()
    os.set_blocking(rfd, False)
    done: tuple[int, Any] | None = None
    while not _frame_complete(buf):
        readable, _, _ = select.select([rfd], [], [], 0.05)
        if readable:
            try:
                chunk = os.read(rfd, 1 << 20)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                break
            if chunk:
                buf += chunk
                continue
        waited, status, usage = os.wait4(pid, os.WNOHANG)
        if waited == pid:
            done = (status, usage)
            with contextlib.suppress(BlockingIOError):
                buf += os.read(rfd, 1 << 24)
            break
    os.close(rfd)
    if done is None:
        _, status, usage = os.wait4(pid, 0)
        done = (status, usage)
    return bytes(buf), done[0], done[1]


def _reap_children() -> None:
    """Reaps what the supervisor killed after an earlier call. The worker is a child subreaper,
    so orphans of its calls are its children; until reaped, a zombie keeps its pids.max slot."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    fd = int(sys.argv[1])
    os.set_inheritable(fd, False)  # exec'd children never get the channel
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    init = read_frame(fd)
    if init is None:
        return
    try:
        sys.path[:] = [p for p in init.get("sys_path", []) if isinstance(p, str)]
        importlib.invalidate_caches()
        worker = Worker(fd, init)
    except BaseException as e:
        detail = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        write_frame(fd, {"ok": False, "error": _short(detail)})
        return
    write_frame(fd, {"ok": True, "pid": os.getpid(), "tools": sorted(worker.tools)})
    worker.serve()


if __name__ == "__main__":
    main()
