"""What every judge backend returns, and the protocol a backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from awpo.rewards.judge.prompt import JudgeItem, Message

# Failure classes of one item (counted in `JudgeResult.errors`).
TIMEOUT = "timeout"
CONNECT = "connect"
HTTP_5XX = "http_5xx"
HTTP_4XX = "http_4xx"
BAD_RESPONSE = "bad_response"
PARSE = "parse"
TOO_LONG = "too_long"
ERROR = "error"


@dataclass(frozen=True)
class BackendResult:
    """One prompt's outcome.

    Attributes:
        score: the expected (or parsed) score divided by 10, in [0, 1]; NaN when `error` is set.
        error: `None`, or the failure class (`timeout`, `connect`, `http_5xx`, `http_4xx`, `bad_response`,
            `parse`, `too_long`, `error`).
        weighted: whether the score is an expectation over score-token probabilities (not a parsed integer).
        latency_s: seconds this prompt took (a request with its retries; a forward pass's share).
        detail: a short description of the failure, for the log.
        score_token_mass: `hf` only: the probability of any score token at the reply's first position (a
            judge that answers in its own format shows a low mass); NaN when unknown.
    """

    score: float
    error: str | None = None
    weighted: bool = False
    latency_s: float = 0.0
    detail: str = ""
    score_token_mass: float = float("nan")

    @staticmethod
    def failure(error: str, detail: str = "", latency_s: float = 0.0) -> BackendResult:
        """A failed item: NaN score."""
        return BackendResult(score=float("nan"), error=error, latency_s=latency_s, detail=detail)


class JudgeBackend(Protocol):
    """Scores chat prompts; never raises for a bad item (it returns a failure)."""

    name: str
    model_id: str

    def score_prompts(self, prompts: Sequence[list[Message]]) -> list[BackendResult]:
        """One result per prompt, in order."""
        ...

    def close(self) -> None:
        """Releases threads and connections."""
        ...


@runtime_checkable
class ItemJudgeBackend(Protocol):
    """A backend that grades `JudgeItem`s directly (no rendered prompt, no cache), e.g. the `rubric` judge."""

    name: str
    model_id: str

    def score_items(self, items: Sequence[JudgeItem]) -> list[BackendResult]:
        """One result per item, in order."""
        ...

    def close(self) -> None:
        """Releases what the backend holds."""
        ...
