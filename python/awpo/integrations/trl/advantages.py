"""AWPO advantages over TRL's gathered per-function rewards (ALGORITHM.md §1–§4, §6), NumPy only.

TRL gathers a `(N, F)` reward matrix across ranks (one column per reward function, NaN where a function
returned `None`) whose rows come in groups of `num_generations` consecutive completions of one prompt.
Here that matrix becomes awpo's inputs and the native engine's advantages:

- the outcome `Ro_i` is the `reward_weights`-weighted sum of the outcome functions that returned a value
  (TRL's convention: `None` = "this function does not apply to this sample");
- the reasoning reward `Rr_i` is the judge column as it is (NaN = missing, as awpo treats it);
- a row where *every* outcome function returned `None` has no outcome: it is left out of its group's
  statistics, gets `A_i = 0` and `s_i = 0`, and is counted (`OUTCOME_MISSING_FRAC`), never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from awpo import metric_names as m
from awpo.algo.advantages import AdvantageBatch, advantages
from awpo.algo.config import AdvantageSettings
from awpo.metric_names import OUTCOME_MISSING_FRAC


@dataclass(frozen=True)
class RewardRoles:
    """Which of TRL's reward functions (columns of its reward matrix) is what in AWPO."""

    names: tuple[str, ...]
    """Every reward function's name, in TRL's column order."""
    outcome: tuple[int, ...]
    """Columns whose weighted sum is the outcome `Ro_i`."""
    weights: tuple[float, ...]
    """Weight of each outcome column (TRL's `reward_weights`)."""
    judge: int | None
    """Column of the reasoning reward `Rr_i` in [0, 1], or None (no judge: every `Rr_i` is missing)."""

    def __post_init__(self) -> None:
        if not self.outcome:
            raise ValueError(
                f"no outcome reward function: every reward function ({', '.join(self.names)}) is the judge"
            )
        if len(self.weights) != len(self.outcome):
            raise ValueError(f"{len(self.weights)} weights for {len(self.outcome)} outcome columns")
        if self.judge is not None and self.judge in self.outcome:
            raise ValueError(f"column {self.judge} ({self.names[self.judge]}) is both an outcome and the judge")


def outcome_range(ranges: Sequence[tuple[float, float]], weights: Sequence[float]) -> tuple[float, float]:
    """`[Ro_min, Ro_max]` of the weighted sum of outcome functions with these ranges.

    One function: its range scaled by its weight. Several: each may also be absent from a row (`None`,
    contributing 0), so each term spans `[min(0, w*lo, w*hi), max(0, w*lo, w*hi)]`.
    """
    if len(ranges) != len(weights):
        raise ValueError(f"{len(ranges)} ranges for {len(weights)} weights")
    if len(ranges) == 1:
        (lo, hi), w = ranges[0], weights[0]
        return (min(w * lo, w * hi), max(w * lo, w * hi))
    low = sum(min(0.0, w * lo, w * hi) for (lo, hi), w in zip(ranges, weights, strict=True))
    high = sum(max(0.0, w * lo, w * hi) for (lo, hi), w in zip(ranges, weights, strict=True))
    return (low, high)


@dataclass(frozen=True)
class StepAdvantages:
    """The advantages of one generation batch (every rank's rows, in TRL's gathered order)."""

    advantage: npt.NDArray[np.float64]
    """`A_i` per row (N,); 0 where the outcome is missing."""
    reasoning_share: npt.NDArray[np.float64]
    """`s_i` per row (N,), feeding the §5 clip range; 0 where the outcome is missing."""
    outcome: npt.NDArray[np.float64]
    """`Ro_i` per row (N,), NaN where every outcome function returned None."""
    reasoning: npt.NDArray[np.float64]
    """`Rr_i` per row (N,), NaN where missing."""
    batch: AdvantageBatch | None
    """The native result over the rows with an outcome (ragged groups); None when no row has one."""
    has_judge: bool
    """Whether a judge column exists (otherwise judge metrics are not reported)."""

    @property
    def outcome_missing(self) -> npt.NDArray[np.bool_]:
        """Rows without an outcome (N,)."""
        return np.isnan(self.outcome)

    def metrics(self) -> dict[str, float]:
        """The ALGORITHM.md §7 metrics of this batch that the advantages determine (awpo's names)."""
        nan = float("nan")
        out = dict.fromkeys(m.ADVANTAGE_METRICS, nan) if self.batch is None else self.batch.metrics()
        n = self.outcome.size
        present = ~self.outcome_missing
        out[OUTCOME_MISSING_FRAC] = float((~present).sum()) / n if n else nan
        out[m.REWARD_OUTCOME_MEAN] = float(self.outcome[present].mean()) if present.any() else nan
        out[m.REWARD_OUTCOME_STD] = float(self.outcome[present].std()) if present.any() else nan
        if self.has_judge:
            scored = ~np.isnan(self.reasoning)
            out[m.JUDGE_FAILURE_FRAC] = float((~scored).sum()) / n if n else nan
            out[m.REWARD_REASONING_MEAN] = float(self.reasoning[scored].mean()) if scored.any() else nan
        return out


def split_rewards(
    rewards: npt.NDArray[np.float64], roles: RewardRoles
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """`(Ro, Rr)` per row from TRL's `(N, F)` reward matrix (NaN = the function returned None).

    Raises:
        ValueError: the matrix has the wrong width, a reward is infinite, or a judge score is outside [0, 1]
            (the message names the function and the row).
    """
    if rewards.ndim != 2 or rewards.shape[1] != len(roles.names):
        raise ValueError(f"rewards have shape {rewards.shape}, expected (N, {len(roles.names)})")
    for col, name in enumerate(roles.names):
        bad = np.flatnonzero(np.isinf(rewards[:, col]))
        if bad.size:
            raise ValueError(f"reward function {name!r} returned {rewards[bad[0], col]} for row {bad[0]}")
    block = rewards[:, list(roles.outcome)]  # (N, K)
    weights = np.asarray(roles.weights, dtype=np.float64)  # (K,)
    missing = np.isnan(block).all(axis=1)  # (N,)
    ro = np.where(np.isnan(block), 0.0, block * weights).sum(axis=1)  # (N,) weighted sum of the present ones
    ro[missing] = np.nan
    if roles.judge is None:
        return ro, np.full(ro.shape, np.nan)
    rr = np.array(rewards[:, roles.judge], dtype=np.float64)  # (N,)
    out = np.flatnonzero(~np.isnan(rr) & ((rr < 0.0) | (rr > 1.0)))
    if out.size:
        raise ValueError(
            f"judge reward function {roles.names[roles.judge]!r} returned {rr[out[0]]} for row {out[0]}:"
            " the reasoning reward must be in [0, 1], or None when missing"
        )
    return ro, rr


def step_advantages(
    rewards: npt.ArrayLike,
    roles: RewardRoles,
    group_size: int,
    settings: AdvantageSettings,
    outcome_range: tuple[float, float] | None,
) -> StepAdvantages:
    """AWPO advantages of TRL's gathered reward matrix: groups of `group_size` consecutive rows.

    `A_i = Ao_i + clip(g * w * Ar_i, -bound_i, +bound_i)` (§4), or the §6 baseline `settings.estimator`
    names, computed by `awpo.algo.advantages` (the native engine) over the rows that have an outcome.

    Raises:
        ValueError: N is not a multiple of `group_size`, a bad reward (see `split_rewards`), or an outcome
            outside `outcome_range` (the native engine names its row).
    """
    matrix = np.asarray(rewards, dtype=np.float64)
    if group_size < 1 or matrix.shape[0] % group_size:
        raise ValueError(f"{matrix.shape[0]} rows do not form groups of {group_size} completions")
    ro, rr = split_rewards(matrix, roles)
    n = ro.size
    keep = np.flatnonzero(~np.isnan(ro))  # (N_kept,) rows with an outcome, in order
    advantage = np.zeros(n)
    share = np.zeros(n)
    batch: AdvantageBatch | None = None
    if keep.size:
        sizes = np.bincount(keep // group_size, minlength=n // group_size)  # (K,) kept rows per group
        offsets = np.concatenate(([0], np.cumsum(sizes[sizes > 0]))).astype(np.int64)  # empty groups dropped
        batch = advantages(ro[keep], rr[keep], offsets, settings, outcome_range=outcome_range)
        advantage[keep] = batch.advantage
        share[keep] = batch.reasoning_share
    if not np.all(np.isfinite(advantage)):  # the engine never does this; a NaN here would train silently
        raise ValueError("the advantage engine returned a non-finite advantage")
    return StepAdvantages(advantage, share, ro, rr, batch, roles.judge is not None)


def trust_region_scale(reasoning_share: npt.NDArray[np.float64], eta: float) -> npt.NDArray[np.float64]:
    """`1 - eta * s_i` (ALGORITHM.md §5): the factor on each sample's clip range `eps_low`, `eps_high`."""
    if not 0.0 <= eta <= 1.0 or math.isnan(eta):
        raise ValueError(f"eta must be in [0, 1], got {eta}")
    return 1.0 - eta * reasoning_share


__all__ = [
    "OUTCOME_MISSING_FRAC",
    "RewardRoles",
    "StepAdvantages",
    "outcome_range",
    "split_rewards",
    "step_advantages",
    "trust_region_scale",
]
