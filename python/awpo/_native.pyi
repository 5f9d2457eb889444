"""Type stubs of `awpo._native`, the Rust extension module (hand-written, checked by stubtest)."""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, final

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

# --- advantages ---

# --- sandbox ---
