"""Group-relative advantages (ALGORITHM.md §1–§4, §6), computed natively by `awpo._native`.

`A_i = Ao_i + clip(g * w * Ar_i, -bound_i, +bound_i)` (§4) with
`Ao_i = (Ro_i - mu_o) / (sd_o + eps)`, `Ar_i = (Rr_i - mu_r) / (sd_r + eps)` (§1), the gate `g` (§2),
the weight `w` (§3), and the baselines `grpo`, `naive_sum`, `norm_sum` (§6): see `AdvantageSettings`.

Decisions where ALGORITHM.md is silent (the Rust module docs list the same):
- a group of size 1 gets `A = 0`, `s = 0`; empty groups are an error;
- "fewer than 2 judge scores -> g = 0" holds in every gate mode, `off` included (`Ar = 0` there anyway);
- all present judge scores equal (`sd_r = 0`) gives `Ar_i = 0` exactly;
- the `ratio` gate divides `sd_r` by 0.5 (the `sd_max` of a score in [0, 1]) and has no `tau_r`;
- `scale: none` applies to `Ao` (and `naive_sum`'s summed reward), never to `Ar`;
- `tied = sd_o <= tau_o`; `grpo` and `naive_sum` report gate and weight as NaN and `s = 0`;
- `bound_hit` counts rows the clip actually cut (0 with `clip: off`);
- outcomes must lie in the outcome range (slack `1e-9` of its width); judge scores must be NaN or in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from awpo import _native
from awpo import metric_names as m
from awpo.algo.config import AdvantageSettings


@dataclass(frozen=True)
class AdvantageBatch:
    """The advantages of a batch of groups; row arrays have length N, group arrays length K."""

    advantage: npt.NDArray[np.float64]
    """`A_i`, per row (N,)."""
    reasoning_share: npt.NDArray[np.float64]
    """`s_i = |clipped c_i| / (|Ao_i| + |clipped c_i| + eps)` (§4), per row (N,); feeds the §5 clip range."""
    gate: npt.NDArray[np.float64]
    """Gate `g` in [0, 1] (§2), per group (K,); NaN for `grpo`/`naive_sum`."""
    weight: npt.NDArray[np.float64]
    """Weight `w` (§3), per group (K,); NaN for `grpo`/`naive_sum`."""
    tied: npt.NDArray[np.bool_]
    """Whether the group's outcomes tie (`sd_o <= tau_o`), per group (K,)."""
    bound_hit: npt.NDArray[np.uint32]
    """Rows whose reasoning term the §4 bound cut, per group (K,)."""
    group_offsets: npt.NDArray[np.int64]
    """Group k is rows `group_offsets[k]:group_offsets[k + 1]`, (K + 1,)."""
    gate_mode: str = "soft"
    """The gate mode that produced `gate` (§2; empty for estimators without a gate); `awpo/gate/scale_free`."""
    rho: float = float("nan")
    """The judge reliability the `reliability` gate applied (§2); NaN for other modes."""

    @property
    def n_rows(self) -> int:
        """N, the number of rollouts."""
        return int(self.advantage.shape[0])

    @property
    def n_groups(self) -> int:
        """K, the number of groups (prompts)."""
        return int(self.gate.shape[0])

    def metrics(self) -> dict[str, float]:
        """The §7 advantage metrics of this batch (names in `awpo.metric_names`); NaN where undefined."""
        out: dict[str, float] = {}
        distributions = (
            (self.gate, (m.AWPO_GATE_MEAN, m.AWPO_GATE_STD, m.AWPO_GATE_MIN, m.AWPO_GATE_MAX)),
            (self.weight, (m.AWPO_WEIGHT_MEAN, m.AWPO_WEIGHT_STD, m.AWPO_WEIGHT_MIN, m.AWPO_WEIGHT_MAX)),
        )
        for values, names in distributions:
            finite = values[~np.isnan(values)]  # NaN for grpo/naive_sum: not applicable
            stats: tuple[Callable[[npt.NDArray[Any]], Any], ...] = (np.mean, np.std, np.min, np.max)
            for name, fn in zip(names, stats, strict=True):
                out[name] = _stat(finite, fn)
        gates = self.gate[~np.isnan(self.gate)]
        out[m.AWPO_GATE_OPEN_FRAC] = _stat(gates > 0.0, np.mean)
        out[m.AWPO_GATE_RELIABILITY] = self.rho
        scale_free = 1.0 if self.gate_mode == "reliability" else 0.0
        out[m.AWPO_GATE_SCALE_FREE] = scale_free if self.gate_mode and self.n_groups else float("nan")
        out[m.AWPO_REASONING_SHARE_MEAN] = _stat(self.reasoning_share, np.mean)
        out[m.AWPO_REASONING_SHARE_STD] = _stat(self.reasoning_share, np.std)
        out[m.AWPO_REASONING_SHARE_MAX] = _stat(self.reasoning_share, np.max)
        n = self.n_rows
        out[m.AWPO_CLIP_BOUND_HIT_FRAC] = float(self.bound_hit.sum(dtype=np.int64)) / n if n else float("nan")
        out[m.AWPO_TIED_OUTCOME_FRAC] = _stat(self.tied, np.mean)
        out[m.AWPO_ADVANTAGE_MEAN] = _stat(self.advantage, np.mean)
        out[m.AWPO_ADVANTAGE_STD] = _stat(self.advantage, np.std)
        out[m.AWPO_ADVANTAGE_ABS_MAX] = _stat(np.abs(self.advantage), np.max)
        return out


def _stat(values: npt.NDArray[Any], fn: Callable[[npt.NDArray[Any]], Any]) -> float:
    """`fn(values)` as a float, NaN for an empty array (no numpy warning)."""
    if values.size == 0:
        return float("nan")
    return float(fn(values))


def _float_array(x: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    """A contiguous float64 view (or copy) of a 1-D numeric array; bools and objects are a TypeError."""
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a numeric array, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.float64)


def _offsets_array(x: npt.ArrayLike) -> npt.NDArray[np.int64]:
    a = np.asarray(x)
    if a.size == 0 and a.dtype.kind == "f":  # np.asarray([]) is float64
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"group_offsets must be an integer array, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"group_offsets must be 1-D, got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.int64)


def advantages(
    outcome: npt.ArrayLike,
    reasoning: npt.ArrayLike | None,
    group_offsets: npt.ArrayLike,
    cfg: AdvantageSettings | None = None,
    *,
    outcome_range: tuple[float, float] | None = None,
) -> AdvantageBatch:
    """Advantages of a batch of groups (ALGORITHM.md §1–§4, §6), with the GIL released.

    `A_i = Ao_i + clip(g * w * Ar_i, -bound_i, +bound_i)` for `awpo` (§4); `grpo`, `naive_sum`,
    `norm_sum` as in §6 (`cfg.estimator`).

    Args:
        outcome: `Ro_i` per rollout, (N,), finite, inside the outcome range.
        reasoning: `Rr_i` per rollout in [0, 1], (N,), NaN where the judge gave no score; `None`: no
            judge scores at all.
        group_offsets: (K + 1,) integers `[0, ..., N]`, strictly increasing; group k is rows
            `offsets[k]:offsets[k + 1]` (ragged sizes allowed).
        cfg: the estimator's options; `None` gives the defaults (AWPO).
        outcome_range: `(Ro_min, Ro_max)` of the outcome reward; overrides `cfg.outcome_range`.

    Raises:
        TypeError: a non-numeric input, or non-integer offsets.
        ValueError: lengths differ, bad offsets, a NaN/inf or out-of-range outcome (its index is named),
            a judge score outside [0, 1], or no outcome range.
    """
    cfg = cfg if cfg is not None else AdvantageSettings()
    native_cfg = cfg.to_native(outcome_range)
    ro = _float_array(outcome, "outcome")
    rr = _float_array(reasoning, "reasoning") if reasoning is not None else np.full(ro.shape, np.nan)
    offsets = _offsets_array(group_offsets)
    adv, share, gate, weight, tied, bound_hit = _native.compute_advantages(ro, rr, offsets, config=native_cfg)
    return AdvantageBatch(
        advantage=adv,
        reasoning_share=share,
        gate=gate,
        weight=weight,
        tied=tied,
        bound_hit=bound_hit,
        group_offsets=offsets,
        gate_mode=cfg.gate if cfg.estimator == "awpo" else "",
        rho=cfg.rho if cfg.estimator == "awpo" and cfg.gate == "reliability" else float("nan"),
    )


def uniform_offsets(n_rows: int, group_size: int) -> npt.NDArray[np.int64]:
    """Offsets of `n_rows` rollouts in consecutive groups of `group_size` (the last may be smaller)."""
    if group_size < 1:
        raise ValueError(f"group_size must be >= 1, got {group_size}")
    if n_rows < 0:
        raise ValueError(f"n_rows must be >= 0, got {n_rows}")
    return np.append(np.arange(0, n_rows, group_size, dtype=np.int64), np.int64(n_rows))


__all__ = ["AdvantageBatch", "advantages", "uniform_offsets"]
