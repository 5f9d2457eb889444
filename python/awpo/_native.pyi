"""Type stubs of `awpo._native`, the Rust extension module (hand-written, checked by stubtest)."""

from typing import final

__version__: str

class AwpoError(Exception):
    """Base class of every awpo error."""

class SandboxError(AwpoError):
    """The tool sandbox could not start, isolate or reach a worker."""

class ToolTimeoutError(SandboxError):
    """A tool call ran past its wall-clock limit."""

def _after_fork() -> None:
    """Makes rayon batches serial in a forked child (registered by `awpo/__init__.py`)."""

def set_parallelism(on: bool) -> None:
    """Turns rayon batches on or off in this process (`AWPO_PARALLELISM` sets the default)."""

def is_parallel() -> bool:
    """Whether rayon batches are on in this process."""

# --- tool-call parsing ---

# --- outcome rewards ---

# --- advantages ---

# --- sandbox ---

@final
class CallResult:
    """Outcome of one sandboxed tool call (a failed call is a result with `ok == False`)."""

    @property
    def ok(self) -> bool:
        """The tool returned a value."""
    @property
    def value_json(self) -> str | None:
        """The returned value as JSON text, when `ok`."""
    @property
    def error(self) -> str | None:
        """What went wrong, when not `ok`."""
    @property
    def error_kind(self) -> str | None:
        """Why it went wrong: unknown_tool, invalid_arguments, tool_error, timeout, memory, cpu, crash,
        bad_value, bad_state or protocol."""
    @property
    def stdout(self) -> str:
        """Captured stdout (capped)."""
    @property
    def stderr(self) -> str:
        """Captured stderr (capped)."""
    @property
    def exit_status(self) -> int | None:
        """Exit status of the process that ended the call, if one did."""
    @property
    def signal(self) -> int | None:
        """Signal that killed that process, if one did."""
    @property
    def timed_out(self) -> bool:
        """The wall-clock limit was hit."""
    @property
    def memory_exceeded(self) -> bool:
        """An allocation failed against the address-space limit."""
    @property
    def output_truncated(self) -> bool:
        """stdout or stderr was cut at its cap."""
    @property
    def wall_ms(self) -> float:
        """Wall-clock time, milliseconds."""
    @property
    def cpu_ms(self) -> float:
        """CPU time, milliseconds."""
    @property
    def strays_killed(self) -> int:
        """Processes the call left behind, killed after it."""
    @property
    def fork_failures(self) -> int:
        """Forks refused at the process limit during the call."""
    @property
    def worker_replaced(self) -> bool:
        """The worker was replaced after this call."""

@final
class SandboxPool:
    """A pool of warm, isolated Python workers serving tool calls."""

    def __new__(cls, config_json: str) -> SandboxPool:
        """Starts the workers described by `config_json` (a `PoolConfig` as JSON) and waits until they
        have imported their tools. Raises `SandboxError` when isolation or a worker cannot start,
        `ValueError` for a bad config."""
    @property
    def isolation(self) -> dict[str, str]:
        """What isolates the workers, one line per concern."""
    def call(self, tool: str, args_json: str, session: str | None = None) -> CallResult:
        """Runs one call; `args_json` is a JSON object."""
    def call_batch(self, calls: list[tuple[str, str, str | None]]) -> list[CallResult]:
        """Runs `(tool, args_json, session)` calls concurrently; results in the same order."""
    def end_session(self, session: str) -> bool:
        """Forgets a session's episode state; returns whether it existed."""
    def session_state_json(self, session: str) -> str | None:
        """A session's episode state as JSON text, or None."""
    def session_count(self) -> int:
        """Number of sessions holding state."""
    def workers_started(self) -> int:
        """Workers started so far (initial ones and replacements)."""
    def worker_pids(self) -> list[int]:
        """Process ids of the idle workers."""
    def close(self) -> None:
        """Kills every worker; later calls raise `SandboxError`."""

@final
class RunResult:
    """Outcome of a one-shot sandboxed command."""

    @property
    def ok(self) -> bool:
        """Exited with status 0 within the limits."""
    @property
    def exit_status(self) -> int | None:
        """Exit status, when it exited."""
    @property
    def signal(self) -> int | None:
        """Signal that killed it."""
    @property
    def stdout(self) -> str:
        """Captured stdout (capped)."""
    @property
    def stderr(self) -> str:
        """Captured stderr (capped)."""
    @property
    def timed_out(self) -> bool:
        """The wall-clock limit was hit."""
    @property
    def cpu_exceeded(self) -> bool:
        """The CPU-time limit killed it."""
    @property
    def output_truncated(self) -> bool:
        """stdout or stderr was cut at its cap."""
    @property
    def wall_ms(self) -> float:
        """Wall-clock time, milliseconds."""
    @property
    def cpu_ms(self) -> float:
        """CPU time of the process and the children it reaped, milliseconds."""
    @property
    def fork_failures(self) -> int:
        """Forks refused at the process limit."""

@final
class SandboxSupervisor:
    """Runs commands one at a time, each in a fresh sandbox."""

    def __new__(cls, config_json: str) -> SandboxSupervisor:
        """Probes isolation for `config_json` (`{"isolation": ..., "limits": ...}`); raises
        `SandboxError` when it cannot be had."""
    @property
    def isolation(self) -> dict[str, str]:
        """What isolates the runs, one line per concern."""
    def run(self, argv: list[str], stdin: bytes | None = None) -> RunResult:
        """Runs `argv` (absolute program path first) with `stdin` in a fresh sandbox."""
