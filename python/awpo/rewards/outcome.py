"""Outcome rewards of a batch of rollouts (REWARDS.md), computed in Rust on all cores.

```python
from awpo.rewards import outcome

batch = outcome(texts, answers, tools, kind="toolrl")
batch.total                   # (N,) float64, within [batch.reward_min, batch.reward_max]
batch.components["format"]    # (N,) float64
batch.failure[0]              # "ok", "no_call", "malformed_json", ...
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from awpo import _native

RewardKind: TypeAlias = Literal["toolrl", "exact", "bfcl"]
REWARD_KINDS: tuple[RewardKind, ...] = ("toolrl", "exact", "bfcl")

AnswerLike: TypeAlias = "Mapping[str, Any] | BaseModel"  # a Task answer dict or an awpo.data.Answer
ToolList: TypeAlias = "Sequence[Mapping[str, Any]] | _native.ToolSet"


@dataclass(frozen=True)
class OutcomeBatch:
    """Outcome rewards of N rollouts.

    Attributes:
        kind: The reward (`"toolrl"`, `"exact"` or `"bfcl"`).
        total: `(N,)` float64, each within `[reward_min, reward_max]`.
        components: Per component name, `(N,)` float64 (toolrl: `format`, `correctness`;
            exact: `think`, `calls`; bfcl: `ast`).
        failure: Per rollout, the parse failure class (`ok`, `no_call`, `malformed_json`,
            `unclosed_tag`, `unknown_tool`, `schema_violation`, `extra_text`, `truncated`).
        reward_min: Lowest possible total of this reward (the AWPO gate normalises by the range).
        reward_max: Highest possible total.
    """

    kind: RewardKind
    total: npt.NDArray[np.float64]
    components: dict[str, npt.NDArray[np.float64]]
    failure: list[str]
    reward_min: float
    reward_max: float

    def __len__(self) -> int:
        return len(self.total)


def reward_range(kind: RewardKind) -> tuple[float, float]:
    """`(min, max)` of a reward's total: toolrl `(-3, 4)`, exact and bfcl `(0, 1)`."""
    return _native.reward_range(kind)


def _check_kind(kind: str) -> None:
    if kind not in REWARD_KINDS:
        raise ValueError(f"unknown reward kind {kind!r}; expected one of: {', '.join(REWARD_KINDS)}")


def _per_item_tools(tools: ToolList | Sequence[ToolList] | None, n: int) -> list[Any]:
    """One tool list per item (the same object for every item when one list is given)."""
    if tools is None:
        return [[]] * n
    if isinstance(tools, _native.ToolSet):
        return [tools] * n
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Sequence):
        raise ValueError(
            f"tools must be a list of function schemas or one such list per item, got {type(tools).__name__}"
        )
    if len(tools) == 0 or isinstance(tools[0], Mapping):
        return [tools] * n
    if len(tools) != n:
        raise ValueError(f"tools has {len(tools)} lists for {n} texts; pass one list for all or one per text")
    return list(tools)


def outcome(
    texts: Sequence[str],
    answers: Sequence[AnswerLike],
    tools: ToolList | Sequence[ToolList] | None = None,
    *,
    kind: RewardKind = "toolrl",
    truncated: bool | Sequence[bool] | None = None,
) -> OutcomeBatch:
    """Parses and scores N rollouts with an outcome reward (REWARDS.md), on all cores.

    Args:
        texts: The N model outputs. A text is never an error: malformed output gets a low
            reward and its failure class.
        answers: Per text, the Task `answer` (a dict or an `awpo.data.Answer`): `tool_calls`,
            `response`, `no_call`, `acceptable`. Rollouts of one task should share one object:
            each distinct object (by identity) is converted once, in Rust.
        tools: The OpenAI function schemas (a list of dicts or a compiled `ToolSet`): one for
            all texts, or one per text (`None`: no tools, nothing schema-checked).
        kind: `"toolrl"` (format + correctness, in [-3, 4]), `"exact"` (binary, think block +
            calls equal as a multiset) or `"bfcl"` (binary, BFCL's AST checker).
        truncated: Whether each generation stopped on the length budget (one flag for all or
            one per text); an open tag at the end is then `truncated`, not `unclosed_tag`.

    Returns:
        An `OutcomeBatch` of NumPy arrays.

    Raises:
        ValueError: unknown `kind`, mismatched lengths, or a malformed answer or tool schema (the
            message names the item and the field).
        TypeError: an answer or schema holds a value that is not JSON-like (names the item).
    """
    _check_kind(kind)
    texts = list(texts)
    n = len(texts)
    if len(answers) != n:
        raise ValueError(f"answers has {len(answers)} entries for {n} texts; pass one answer per text")
    flags: npt.NDArray[np.bool_] | None = None
    if isinstance(truncated, bool):
        flags = np.full(n, truncated, dtype=np.bool_)
    elif truncated is not None:
        flags = np.asarray(truncated, dtype=np.bool_)
        if flags.shape != (n,):
            raise ValueError(f"truncated has shape {flags.shape} for {n} texts; pass one flag per text")
    total, columns, failure = _native.outcome_batch(kind, texts, list(answers), _per_item_tools(tools, n), flags)
    low, high = _native.reward_range(kind)
    names = _native.reward_components(kind)
    return OutcomeBatch(
        kind=kind,
        total=total,
        components=dict(zip(names, columns, strict=True)),
        failure=failure,
        reward_min=low,
        reward_max=high,
    )
