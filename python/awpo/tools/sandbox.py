"""`Sandbox`: run tool calls isolated, bounded and fast, in warm worker processes.

Each call runs in a pre-started Python worker that the Rust supervisor isolated before it ran a
line of code: no network, a read-only view of the Python installation and the tool modules, a
private writable working directory, rlimits, a pids cgroup, no capabilities (docs/SANDBOX.md has
the threat model). Arguments are checked against the tool's JSON schema before anything runs. A
call that fails, times out or breaks a limit comes back as a `ToolResult` with `ok=False`; its
worker is replaced and the other calls are untouched.

    from awpo.tools import Sandbox, SandboxLimits
    from awpo.tools.builtin import all_tools

    with Sandbox(all_tools(), SandboxLimits(timeout_s=5)) as sandbox:
        sandbox.call("calculate", {"expression": "2**10"}).value          # 1024
        with sandbox.session() as episode:                                  # per-episode state
            episode.call("kv_set", {"key": "a", "value": "1"})
            episode.call("kv_get", {"key": "a"}).value                      # "1"
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import types
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from awpo import _native
from awpo.errors import AwpoError, ToolTimeoutError
from awpo.tools.registry import Tool, build_tool

logger = logging.getLogger(__name__)

_WORKER_SCRIPT = Path(__file__).with_name("_worker.py")
_MB = 1 << 20
_KB = 1 << 10


class SandboxLimits(BaseModel):
    """Resource limits of sandboxed tool calls.

    Parameters:
        > Parameters that control time

        timeout_s (`float`, defaults to `10.0`):
            Wall-clock limit of one call, seconds. Past it the worker and everything it started are
            killed and the call returns `timed_out=True`. Range (0, 3600].
        cpu_s (`int`, defaults to `10`):
            CPU-time limit of one call, seconds (RLIMIT_CPU, re-armed before each call). Bounds calls
            that burn several cores at once. Range [1, 3600].

        > Parameters that control memory, files and processes

        memory_mb (`int`, defaults to `1024`):
            Address-space limit of each sandboxed process, MiB (RLIMIT_AS). An allocation past it
            fails (`memory_exceeded=True`). Range [64, 1048576].
        file_size_mb (`int`, defaults to `16`):
            Largest file a call may write, MiB (RLIMIT_FSIZE). Range [1, 1048576].
        open_files (`int`, defaults to `256`):
            Open file descriptors per process (RLIMIT_NOFILE). Range [16, 65536].
        max_processes (`int`, defaults to `32`):
            Processes and threads alive at once in one worker's sandbox (pids cgroup `pids.max`):
            what stops a fork bomb, even as root. Range [2, 4096].

        > Parameters that control output

        stdout_kb (`int`, defaults to `64`):
            stdout kept per call, KiB; the rest is dropped and `output_truncated` is set.
        stderr_kb (`int`, defaults to `64`):
            stderr kept per call, KiB.
        value_kb (`int`, defaults to `1024`):
            Largest JSON value a tool may return, KiB.
        state_kb (`int`, defaults to `1024`):
            Largest JSON episode state one session may hold, KiB.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(10.0, gt=0, le=3600, description="Wall-clock limit of one call, seconds.")
    cpu_s: int = Field(10, ge=1, le=3600, description="CPU-time limit of one call, seconds.")
    memory_mb: int = Field(1024, ge=64, le=1 << 20, description="Address-space limit of each process, MiB.")
    file_size_mb: int = Field(16, ge=1, le=1 << 20, description="Largest file a call may write, MiB.")
    open_files: int = Field(256, ge=16, le=65536, description="Open file descriptors per process.")
    max_processes: int = Field(32, ge=2, le=4096, description="Processes alive at once in one sandbox.")
    stdout_kb: int = Field(64, ge=1, le=1 << 20, description="stdout kept per call, KiB.")
    stderr_kb: int = Field(64, ge=1, le=1 << 20, description="stderr kept per call, KiB.")
    value_kb: int = Field(1024, ge=1, le=1 << 20, description="Largest JSON value a tool may return, KiB.")
    state_kb: int = Field(1024, ge=1, le=1 << 20, description="Largest JSON episode state of a session, KiB.")

    def to_native(self) -> dict[str, int]:
        """The `awpo_core::sandbox::Limits` JSON object."""
        return {
            "timeout_ms": max(1, round(self.timeout_s * 1000)),
            "cpu_seconds": self.cpu_s,
            "memory_bytes": self.memory_mb * _MB,
            "file_size_bytes": self.file_size_mb * _MB,
            "open_files": self.open_files,
            "max_processes": self.max_processes,
            "stdout_bytes": self.stdout_kb * _KB,
            "stderr_bytes": self.stderr_kb * _KB,
            "value_bytes": self.value_kb * _KB,
            "state_bytes": self.state_kb * _KB,
        }


class ToolPolicy(BaseModel):
    """Per-tool overrides of the sandbox limits (a tool module may declare them in
    `SANDBOX_POLICY = {"tool_name": {...}}`; `Sandbox(policies=...)` overrides those).

    Parameters:
        > Parameters that control one tool

        timeout_s (`float` or `None`, defaults to `None`):
            Wall-clock limit of a call of this tool, seconds; `None` keeps `SandboxLimits.timeout_s`.
        cpu_s (`int` or `None`, defaults to `None`):
            CPU-time limit of a call of this tool, seconds; `None` keeps `SandboxLimits.cpu_s`.
        memory_mb (`int` or `None`, defaults to `None`):
            Address-space limit of the call's own process, MiB. Needs `fresh_process=True`.
        fresh_process (`bool`, defaults to `False`):
            Run each call in a process forked from the warm worker, so a call can never change what
            later calls see (monkey-patched modules, threads, globals). Costs about a millisecond.
            The `python_exec` built-in uses it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float | None = Field(None, gt=0, le=3600, description="Wall-clock limit of one call, seconds.")
    cpu_s: int | None = Field(None, ge=1, le=3600, description="CPU-time limit of one call, seconds.")
    memory_mb: int | None = Field(None, ge=16, le=1 << 20, description="Address-space limit of the call process.")
    fresh_process: bool = Field(False, description="Run each call in a fresh forked process.")

    @model_validator(mode="after")
    def _memory_needs_fresh_process(self) -> ToolPolicy:
        if self.memory_mb is not None and not self.fresh_process:
            raise ValueError(
                f"memory_mb={self.memory_mb} needs fresh_process=True: a warm worker's address space is "
                "bounded by SandboxLimits.memory_mb"
            )
        return self

    def to_native(self) -> dict[str, Any]:
        """The `awpo_core::sandbox::ToolPolicy` JSON object."""
        return {
            "timeout_ms": None if self.timeout_s is None else max(1, round(self.timeout_s * 1000)),
            "cpu_seconds": self.cpu_s,
            "memory_bytes": None if self.memory_mb is None else self.memory_mb * _MB,
            "fresh_process": self.fresh_process,
        }


class SandboxConfig(BaseModel):
    """How the sandbox isolates its workers and how many it keeps warm.

    Parameters:
        > Parameters that control the pool

        pool_size (`int`, defaults to `2`):
            Warm workers; also how many calls of a batch run at once. About one per core.
        recycle_after (`int`, defaults to `1000`):
            Calls a worker serves before it is replaced by a fresh one.
        startup_timeout_s (`float`, defaults to `60.0`):
            How long a worker may take to start and import the tool modules, seconds.
        python (`str` or `None`, defaults to `None`):
            Interpreter of the workers; `None` is the trainer's own `sys.executable`.

        > Parameters that control isolation

        network (`"isolate"` or `"allow"`, defaults to `"isolate"`):
            `isolate` gives each worker a fresh network namespace and refuses to start where one
            cannot be made; `allow` runs tools with the host network, on purpose.
        filesystem (`"auto"`, `"landlock"`, `"mount-namespace"` or `"allow"`, defaults to `"auto"`):
            `auto` uses Landlock where the kernel has it, else a mount namespace, and refuses if
            neither works; `allow` gives tools the host filesystem view (cwd is still private).
        read_only_paths (`list[str]`, defaults to `[]`):
            Extra paths tools may read (the Python installation, `sys.path` and the tool modules'
            directories are always readable).
        read_write_paths (`list[str]`, defaults to `[]`):
            Extra paths tools may write (each call has a private writable working directory).
        env (`dict[str, str]`, defaults to `{}`):
            Environment of the workers; nothing of the trainer's environment is passed on.
        workdir_root (`str` or `None`, defaults to `None`):
            Where private working directories are created; `None` is the system temp dir.
        seccomp (`bool`, defaults to `True`):
            Install the seccomp deny-list (x86_64 and aarch64).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    pool_size: int = Field(2, ge=1, le=256, description="Warm workers; also how many calls run at once.")
    recycle_after: int = Field(1000, ge=1, description="Calls a worker serves before it is replaced.")
    startup_timeout_s: float = Field(60.0, gt=0, le=3600, description="Worker start and import limit, seconds.")
    python: str | None = Field(None, description="Interpreter of the workers (default: sys.executable).")
    network: Literal["isolate", "allow"] = Field("isolate", description="Network policy of the workers.")
    filesystem: Literal["auto", "landlock", "mount-namespace", "allow"] = Field(
        "auto", description="Filesystem isolation mechanism."
    )
    read_only_paths: list[str] = Field(default_factory=list, description="Extra paths tools may read.")
    read_write_paths: list[str] = Field(default_factory=list, description="Extra paths tools may write.")
    env: dict[str, str] = Field(default_factory=dict, description="Environment of the workers.")
    workdir_root: str | None = Field(None, description="Where private working directories are created.")
    seccomp: bool = Field(True, description="Install the seccomp deny-list.")


@dataclass(frozen=True)
class ToolResult:
    """Outcome of one tool call: a value, or why there is none, and how the call went."""

    name: str
    ok: bool
    value: Any = None
    error: str | None = None
    error_kind: str | None = None
    stdout: str = ""
    stderr: str = ""
    exit_status: int | None = None
    signal: int | None = None
    timed_out: bool = False
    memory_exceeded: bool = False
    output_truncated: bool = False
    wall_ms: float = 0.0
    cpu_ms: float = 0.0
    strays_killed: int = 0
    fork_failures: int = 0
    worker_replaced: bool = False

    def observation(self) -> str:
        """Text to show the model: the value (JSON unless a string) or the error."""
        if self.ok:
            return self.value if isinstance(self.value, str) else json.dumps(self.value, ensure_ascii=False)
        return f"Error ({self.error_kind}): {self.error}"

    @classmethod
    def failure(cls, name: str, kind: str, error: str) -> ToolResult:
        """A call that failed before or without running (`kind`: `unknown_tool`, `invalid_arguments`, ...)."""
        return cls(name=name, ok=False, error=error, error_kind=kind)

    def unwrap(self) -> Any:
        """The value; raises `ToolTimeoutError` for a timeout and `ToolCallError` otherwise."""
        if self.ok:
            return self.value
        if self.timed_out:
            raise ToolTimeoutError(f"{self.name}: {self.error}")
        raise ToolCallError(f"{self.name} failed ({self.error_kind}): {self.error}")


class ToolCallError(AwpoError):
    """A tool call failed (raised only by `ToolResult.unwrap`; calls themselves return results)."""


def arguments_json(name: str, args: Any) -> str | ToolResult:
    """`args` as JSON text, or the failed result when `args` is not JSON.

    Whether the call may then run (the tool exists, the arguments are an object fitting its schema)
    is the native gate's decision: the sandbox pool's, or `ToolSet.check_call` for in-process tools.
    """
    try:
        return json.dumps(dict(args) if isinstance(args, Mapping) else args, allow_nan=False)
    except (TypeError, ValueError) as e:
        return ToolResult.failure(name, "invalid_arguments", f"arguments are not JSON: {e}")


def _from_native(name: str, r: _native.CallResult) -> ToolResult:
    return ToolResult(
        name=name,
        ok=r.ok,
        value=None if r.value_json is None else json.loads(r.value_json),
        error=r.error,
        error_kind=r.error_kind,
        stdout=r.stdout,
        stderr=r.stderr,
        exit_status=r.exit_status,
        signal=r.signal,
        timed_out=r.timed_out,
        memory_exceeded=r.memory_exceeded,
        output_truncated=r.output_truncated,
        wall_ms=r.wall_ms,
        cpu_ms=r.cpu_ms,
        strays_killed=r.strays_killed,
        fork_failures=r.fork_failures,
        worker_replaced=r.worker_replaced,
    )


ToolSpec = Tool | str | types.ModuleType


def load_tools(specs: Iterable[ToolSpec]) -> dict[str, Tool]:
    """Resolve tools given as `Tool` objects, dotted paths `pkg.mod:func`, module paths `pkg.mod`
    (every `Tool` defined in it) or modules. Raises `ValueError` for duplicates or tools a worker
    could not import by dotted path (defined in `__main__` or inside a function)."""
    tools: dict[str, Tool] = {}
    for spec in specs:
        for t in _resolve_spec(spec):
            if t.module in ("", "__main__") or "<locals>" in t.qualname:
                raise ValueError(
                    f"tool {t.name!r} is defined in {t.module or 'an unnamed module'}"
                    f"{' inside a function' if '<locals>' in t.qualname else ''}: the sandbox imports tools "
                    "by dotted path, so define it at module level in an importable module"
                )
            if t.name in tools and tools[t.name].path != t.path:
                raise ValueError(f"two tools are named {t.name!r}: {tools[t.name].path} and {t.path}")
            tools[t.name] = t
    if not tools:
        raise ValueError("a Sandbox needs at least one tool")
    return tools


def _resolve_spec(spec: ToolSpec) -> list[Tool]:
    if isinstance(spec, Tool):
        return [spec]
    if isinstance(spec, types.ModuleType):
        return _module_tools(spec)
    if not isinstance(spec, str):
        raise TypeError(f"a tool is a Tool, a module or a dotted path, not {type(spec).__name__}")
    module_name, sep, qualname = spec.partition(":")
    module = importlib.import_module(module_name)
    if not sep:
        found = _module_tools(module)
        if not found:
            raise ValueError(f"module {module_name} defines no @tool functions")
        return found
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if isinstance(obj, Tool):
        return [obj]
    if callable(obj):
        return [build_tool(obj)]
    raise TypeError(f"{spec} is neither a Tool nor a function")


def _module_tools(module: types.ModuleType) -> list[Tool]:
    return [v for v in vars(module).values() if isinstance(v, Tool) and v.module == module.__name__]


def _import_root(module_name: str) -> str | None:
    """The `sys.path` entry a module was imported from (its top package's parent directory)."""
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    file = getattr(module, "__file__", None)
    if not file:
        return None
    depth = module_name.count(".") + (1 if Path(file).name == "__init__.py" else 0)
    parents = Path(os.path.abspath(file)).parents
    return str(parents[depth]) if depth < len(parents) else None


def _module_policies(tools: Mapping[str, Tool]) -> dict[str, ToolPolicy]:
    policies: dict[str, ToolPolicy] = {}
    for name, t in tools.items():
        declared = getattr(sys.modules.get(t.module), "SANDBOX_POLICY", None)
        if isinstance(declared, Mapping) and t.name in declared:
            entry = declared[t.name]
            policies[name] = entry if isinstance(entry, ToolPolicy) else ToolPolicy.model_validate(entry)
    return policies


def _dedupe(paths: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for p in paths:
        if p and p not in seen:
            seen.add(p)
            out.append(p)
    return out


CallSpec = tuple[str, Mapping[str, Any]] | tuple[str, Mapping[str, Any], str | None] | Mapping[str, Any] | Any


class Sandbox:
    """Runs tool calls in warm, isolated worker processes (see the module docstring).

    Args:
        tools: `Tool` objects, dotted paths `pkg.mod:func`, module paths `pkg.mod` or modules.
        limits: resource limits of every call (`SandboxLimits()` by default).
        config: pool size and isolation policy (`SandboxConfig()` by default).
        policies: per-tool overrides, on top of the tool modules' own `SANDBOX_POLICY`.

    Raises `SandboxError` when the isolation the config asks for cannot be had here (the message
    says which setting accepts the risk) or a tool module cannot be imported by the workers.
    """

    def __init__(
        self,
        tools: Iterable[ToolSpec],
        limits: SandboxLimits | None = None,
        *,
        config: SandboxConfig | None = None,
        policies: Mapping[str, ToolPolicy | Mapping[str, Any]] | None = None,
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.config = config or SandboxConfig()
        self._tools = load_tools(tools)
        merged = _module_policies(self._tools)
        for name, p in (policies or {}).items():
            if name not in self._tools:
                raise ValueError(f"policy for unknown tool {name!r}; tools: {sorted(self._tools)}")
            merged[name] = p if isinstance(p, ToolPolicy) else ToolPolicy.model_validate(p)
        self.policies: dict[str, ToolPolicy] = merged
        python = self.config.python or sys.executable
        roots = [r for r in (_import_root(t.module) for t in self._tools.values()) if r]
        cwd = os.getcwd()
        sys_path = _dedupe(
            [p for p in sys.path if p and os.path.isabs(p) and p != cwd and os.path.exists(p)]
            + [r for r in roots if r not in sys.path or r == cwd]
        )
        real = Path(os.path.realpath(python))
        read_only = _dedupe(
            [
                *sys_path,
                *roots,
                sys.prefix,
                sys.base_prefix,
                sys.exec_prefix,
                sys.base_exec_prefix,
                str(Path(python).parent),
                str(real.parents[1]) if len(real.parents) > 1 else str(real.parent),
                *self.config.read_only_paths,
            ]
        )
        native = {
            "python": python,
            "worker_script": str(_WORKER_SCRIPT),
            "sys_path": sys_path,
            "tools": {name: t.path for name, t in self._tools.items()},
            # The pool checks every call against these before it runs (the reward's validator).
            "schemas": [t.schema for t in self._tools.values()],
            "policies": {name: p.to_native() for name, p in self.policies.items()},
            "size": self.config.pool_size,
            "recycle_after": self.config.recycle_after,
            "startup_timeout_ms": max(1, round(self.config.startup_timeout_s * 1000)),
            "isolation": {
                "network": self.config.network,
                "filesystem": self.config.filesystem,
                "read_only": read_only,
                "read_write": list(self.config.read_write_paths),
                "env": dict(self.config.env),
                "workdir_root": self.config.workdir_root,
                "seccomp": self.config.seccomp,
                "system_paths": True,
            },
            "limits": self.limits.to_native(),
        }
        self._pool = _native.SandboxPool(json.dumps(native))
        self.isolation: dict[str, str] = dict(self._pool.isolation)
        logger.info(
            "tool sandbox: %d workers; %s",
            self.config.pool_size,
            "; ".join(f"{k}: {v}" for k, v in self.isolation.items()),
        )

    @property
    def tools(self) -> dict[str, Tool]:
        """The tools served, by name."""
        return dict(self._tools)

    @property
    def schemas(self) -> list[dict[str, Any]]:
        """OpenAI function schemas of the tools (for the prompt)."""
        return [t.schema for t in self._tools.values()]

    def call(self, name: str, args: Mapping[str, Any], *, session: str | None = None) -> ToolResult:
        """Runs one call. A failed call is a result (`ok=False`), never an exception; only a sandbox
        that cannot run anything raises `SandboxError`."""
        args_json = arguments_json(name, args)
        if isinstance(args_json, ToolResult):
            return args_json
        return _from_native(name, self._pool.call(name, args_json, session))

    def call_batch(self, calls: Sequence[CallSpec], *, session: str | None = None) -> list[ToolResult]:
        """Runs calls concurrently (up to `pool_size` at once; the GIL is released); results come
        back in order. A call is `(name, args)`, `(name, args, session)`, a mapping with `name`,
        `arguments` (or `args`) and optional `session`, or an object with `.name` and `.arguments`
        (a parsed tool call). Calls of one session run in their order; `session` is the default."""
        results: list[ToolResult | None] = [None] * len(calls)
        native_calls: list[tuple[str, str, str | None]] = []
        where: list[int] = []
        for i, spec in enumerate(calls):
            name, args, sess = _unpack(spec, session)
            args_json = arguments_json(name, args)
            if isinstance(args_json, ToolResult):
                results[i] = args_json
                continue
            native_calls.append((name, args_json, sess))
            where.append(i)
        if native_calls:
            answers = self._pool.call_batch(native_calls)
            for i, (name, _, _), r in zip(where, native_calls, answers, strict=True):
                results[i] = _from_native(name, r)
        return [r if r is not None else ToolResult.failure("?", "protocol", "missing result") for r in results]

    def session(self, session_id: str | None = None) -> Session:
        """A new episode session (fresh tool state); use it as a context manager to end it."""
        return Session(self, session_id or uuid.uuid4().hex)

    def session_state(self, session_id: str) -> dict[str, Any] | None:
        """A copy of a session's episode state, or None if it has none."""
        text = self._pool.session_state_json(session_id)
        return None if text is None else dict(json.loads(text))

    def end_session(self, session_id: str) -> bool:
        """Forgets a session's state; returns whether it had any."""
        return self._pool.end_session(session_id)

    @property
    def session_count(self) -> int:
        """Sessions currently holding state."""
        return self._pool.session_count()

    @property
    def workers_started(self) -> int:
        """Workers started so far, replacements included."""
        return self._pool.workers_started()

    def worker_pids(self) -> list[int]:
        """Process ids of the idle workers."""
        return self._pool.worker_pids()

    def close(self) -> None:
        """Kills the workers; later calls raise `SandboxError`."""
        self._pool.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unpack(spec: CallSpec, default_session: str | None) -> tuple[str, Any, str | None]:
    if isinstance(spec, tuple):
        if len(spec) == 2:
            return str(spec[0]), spec[1], default_session
        if len(spec) == 3:
            return str(spec[0]), spec[1], spec[2] if spec[2] is not None else default_session
    if isinstance(spec, Mapping):
        args = spec.get("arguments", spec.get("args", {}))
        return str(spec.get("name", "")), args, spec.get("session", default_session)
    name, args = getattr(spec, "name", None), getattr(spec, "arguments", None)
    if isinstance(name, str):
        return name, args, default_session
    raise TypeError(f"cannot read a tool call from {type(spec).__name__}: use (name, args) or a mapping")


class Session:
    """One episode's view of a sandbox: every call shares this session's fresh tool state.

    Use as a context manager; on exit the state is dropped.
    """

    def __init__(self, sandbox: Sandbox, session_id: str) -> None:
        self.sandbox = sandbox
        self.id = session_id

    def call(self, name: str, args: Mapping[str, Any]) -> ToolResult:
        """`Sandbox.call` within this session."""
        return self.sandbox.call(name, args, session=self.id)

    def call_batch(self, calls: Sequence[CallSpec]) -> list[ToolResult]:
        """`Sandbox.call_batch` within this session (the calls run in order)."""
        return self.sandbox.call_batch(calls, session=self.id)

    @property
    def state(self) -> dict[str, Any]:
        """A copy of this session's tool state (empty before the first stateful call)."""
        return self.sandbox.session_state(self.id) or {}

    def close(self) -> None:
        """Drops this session's state."""
        self.sandbox.end_session(self.id)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
