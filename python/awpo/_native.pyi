"""Type stubs of `awpo._native`, the Rust extension module (hand-written, checked by stubtest)."""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, final

import numpy as np
import numpy.typing as npt

__version__: str
RUBRIC_JUDGE_VERSION: str
"""Version of the `rubric` judge's rules (bumped whenever a criterion changes)."""
RUBRIC_CRITERIA: list[str]
"""Names of the `rubric` judge's five criteria, in the column order of `rubric_scores`."""

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

_Failure = Literal[
    "ok", "no_call", "malformed_json", "unclosed_tag", "unknown_tool", "schema_violation", "extra_text", "truncated"
]
_Format = Literal["hermes", "pythonic", "json", "xml"]

@final
class ToolSet:
    """A compiled list of OpenAI function schemas, built once and reused across parses.

    Each item is `{"type": "function", "function": {name, description, parameters}}` or the bare
    `{name, description, parameters}`. Raises `TypeError` when `tools` is not a list/tuple or holds
    a non-JSON value, `ValueError` naming the item and field when a schema is malformed or two
    tools share a name.
    """

    def __new__(cls, tools: Sequence[Mapping[str, Any]]) -> ToolSet: ...
    @property
    def names(self) -> list[str]:
        """Tool names, in order."""
    def to_list(self) -> list[dict[str, Any]]:
        """The schemas as given, as a new list of dicts."""
    def check_call(self, name: str, arguments_json: str) -> tuple[str, str] | None:
        """Whether a call may run: None, or `(error_kind, message)` saying why not ("unknown_tool",
        or "invalid_arguments": not an object, or not fitting the tool's schema). The sandbox pool
        applies the same gate; the schema check is the reward's `schema_violation` check.
        Raises `ValueError` when `arguments_json` is not JSON."""
    def __reduce__(self) -> tuple[Any, tuple[list[dict[str, Any]]]]: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...

@final
class ParseIssue:
    """One problem found while parsing or checking a call."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def kind(self) -> _Failure:
        """The failure class this problem belongs to (never "ok" or "no_call")."""
    @property
    def call(self) -> int | None:
        """Index into `ParseResult.calls` for schema problems, else None."""
    @property
    def path(self) -> str:
        """Where in the call's arguments (`city`, `filter.limit`, `items[2]`); "" when not about one."""
    @property
    def message(self) -> str:
        """What is wrong, for people."""
    def to_dict(self) -> dict[str, Any]:
        """`{"kind", "call", "path", "message"}`."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class ParseResult:
    """What a parse of one model output yields (DESIGN.md "Parse result"). Picklable."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every recovered call as `{"name": str, "arguments": dict}`, in order (a new list per access)."""
    @property
    def reasoning(self) -> str | None:
        """Text of the `<think>` block(s), trimmed, joined by newlines; None without one."""
    @property
    def answer(self) -> str | None:
        """The `<response>` text, else the free text outside think and calls; None if empty."""
    @property
    def failure(self) -> _Failure:
        """The failure class (precedence: truncated > unclosed_tag > malformed_json > unknown_tool >
        schema_violation > extra_text > no_call > ok)."""
    @property
    def issues(self) -> list[ParseIssue]:
        """Every problem found, in order (empty iff failure is "ok" or "no_call")."""
    @property
    def format(self) -> _Format | None:
        """Format of the first call region, or None."""
    @property
    def ok(self) -> bool:
        """Whether calls were found and nothing went wrong (`failure == "ok"`)."""
    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form: `{"calls", "reasoning", "answer", "failure", "issues", "format"}`."""
    def __eq__(self, value: object, /) -> bool: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]: ...
    @staticmethod
    def _from_json(data: str) -> ParseResult:
        """Rebuilds a result from its JSON form (used by pickle)."""

def parse_tool_calls(text: str, tools: ToolSet | None = None, *, truncated: bool = False) -> ParseResult:
    """Parses one model output (see `awpo.rewards.parse`)."""

def parse_tool_calls_batch(
    texts: list[str] | tuple[str, ...], tools: ToolSet | None = None, *, truncated: list[bool] | None = None
) -> list[ParseResult]:
    """Parses many model outputs in parallel, without the GIL (see `awpo.rewards.parse_batch`)."""

# --- outcome rewards ---

def outcome_batch(
    kind: str,
    texts: list[str],
    answers: list[Any],
    tools: list[Any],
    truncated: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.float64], list[npt.NDArray[np.float64]], list[str]]:
    """Parses and scores a batch of rollouts in parallel, without the GIL.

    Item `i` is `texts[i]`, scored against the Task answer `answers[i]` (a dict or a pydantic
    `awpo.data.Answer`) with the tools `tools[i]` (a list of OpenAI function schemas). Items that
    share one answer or tool-list object (the rollouts of a task) are converted and compiled once.
    `truncated[i]`: the generation stopped on the length budget. Returns the total per item, one
    array per component (in the order of `reward_components(kind)`), and the parse failure class
    per item. Raises `ValueError` for an unknown kind, mismatched lengths, and a malformed answer or
    schema, `TypeError` for a value that is not JSON-like; the message names the item and field.
    """

def calls_match(made: list[Any], expected: list[Any]) -> bool:
    """The exact-call rule (REWARDS.md "`exact`"): whether `made` and `expected` (`{"name",
    "arguments"}` dicts or pydantic `FunctionCall`s) are equal as multisets of `(name, arguments)`,
    arguments compared with JSON equality (`1 == 1.0`, `"1" != 1`, `true != 1`, key order ignored).
    Raises `ValueError` / `TypeError` naming the item for a call that is not `{name, arguments}`.
    """

def reward_range(kind: str) -> tuple[float, float]:
    """`(min, max)` of a reward's total: toolrl (-3, 4), exact (0, 1), bfcl (0, 1)."""

def reward_components(kind: str) -> list[str]:
    """The names of a reward's components, in the order `outcome_batch` returns them."""

# --- advantages ---

@final
class AdvantageConfig:
    """The advantage estimator's options (ALGORITHM.md §1–§4, §6); every unset field takes the spec's default.

    Options are spelled as in configs: `estimator` in grpo | naive_sum | norm_sum | awpo, `gate` in
    soft | hard | ratio | off, `weight` in linear | off, `clip` in on | off, `scale` in std | none.
    An unknown spelling or an out-of-range number raises `ValueError`.
    """

    def __new__(
        cls,
        *,
        estimator: str | None = ...,
        gate: str | None = ...,
        weight: str | None = ...,
        clip: str | None = ...,
        scale: str | None = ...,
        tau_r: float | None = ...,
        tau_o: float | None = ...,
        lam: float | None = ...,
        w_floor: float | None = ...,
        kappa: float | None = ...,
        delta0: float | None = ...,
        eps: float | None = ...,
        outcome_min: float | None = ...,
        outcome_max: float | None = ...,
        rho: float | None = ...,
    ) -> AdvantageConfig: ...
    @property
    def estimator(self) -> str:
        """Which advantage is computed (§6); default `awpo`."""
    @property
    def gate(self) -> str:
        """Gate mode (§2); default `soft`."""
    @property
    def weight(self) -> str:
        """Weight mode (§3); default `linear`."""
    @property
    def clip(self) -> str:
        """Tailored clipping (§4); default `on`."""
    @property
    def scale(self) -> str:
        """Scaling of `Ao` (§1); default `std`."""
    @property
    def tau_r(self) -> float:
        """The judge discriminates only where `sd_r > tau_r` (§2); default 0.05."""
    @property
    def tau_o(self) -> float:
        """Outcomes tie where `sd_o <= tau_o` (§2); default 1e-6."""
    @property
    def lam(self) -> float:
        """Scale of the reasoning term (§3, §6); default 1.0."""
    @property
    def w_floor(self) -> float:
        """The weight a solved prompt keeps (§3); default 0.25."""
    @property
    def kappa(self) -> float:
        """The reasoning term is bounded by `kappa * |Ao_i|` (§4); default 0.5."""
    @property
    def delta0(self) -> float:
        """The bound where `|Ao_i| <= eps` (§4); default 1.0."""
    @property
    def eps(self) -> float:
        """Denominator guard and the `|Ao_i| > eps` threshold; default 1e-6."""
    @property
    def outcome_min(self) -> float:
        """`Ro_min`, the outcome reward's lower bound; default 0.0."""
    @property
    def outcome_max(self) -> float:
        """`Ro_max`, the outcome reward's upper bound; default 1.0."""
    @property
    def rho(self) -> float:
        """`rho` (§2): the judge's reliability `2 * AUC - 1`, used by the `reliability` gate; default 1.0."""
    @staticmethod
    def options() -> dict[str, list[str]]:
        """The allowed spellings of each option, e.g. `{"gate": ["soft", "hard", "ratio", "off"], ...}`."""

def rubric_scores(
    requests: Sequence[str],
    contexts: Sequence[str],
    tools: Sequence[Sequence[str]],
    reasoning: Sequence[str],
    calls_json: Sequence[str],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Scores reasoning with the model-free `rubric` judge, with the GIL released.

    One entry per item in every list: the user's last turn, the context (conversation and tool results
    as text), the offered tools' names, the `<think>` text, and the calls as a JSON array of
    `{"name", "arguments"}`. Returns `(scores (N,), criteria (N, 5))` in [0, 1] (columns named by
    `RUBRIC_CRITERIA`). Raises `ValueError` when lengths differ or a `calls_json` entry is malformed.
    """

def compute_advantages(
    outcome: npt.NDArray[np.float64],
    reasoning: npt.NDArray[np.float64],
    offsets: npt.NDArray[np.int64],
    *,
    config: AdvantageConfig,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.uint32],
]:
    """Advantages of a batch of groups (ALGORITHM.md §1–§4, §6), zero-copy, with the GIL released.

    Inputs must be contiguous 1-D arrays of exactly these dtypes (else `TypeError`): `outcome` `Ro_i`
    (finite, inside the outcome range), `reasoning` `Rr_i` in [0, 1] with NaN for a missing judge
    score, `offsets` `[0, ..., N]` strictly increasing (group k = rows `offsets[k]:offsets[k+1]`).
    Returns `(advantage, reasoning_share, gate, weight, tied, bound_hit)`: two arrays per row, four
    per group. Bad lengths, offsets or values raise `ValueError` naming the index.
    """

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
