"""Type stubs of `awpo._native`, the Rust extension module (hand-written, checked by stubtest)."""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, final

import numpy as np
import numpy.typing as npt

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
    @staticmethod
    def options() -> dict[str, list[str]]:
        """The allowed spellings of each option, e.g. `{"gate": ["soft", "hard", "ratio", "off"], ...}`."""

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
