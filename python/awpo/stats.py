"""Mean, spread and a 95% bootstrap confidence interval of a score measured over tasks and seeds.

Data are `values[s][t]`: the score of held-out task `t` in run `s` (one training seed). NaN marks a
missing value (e.g. no judge score, or well-formedness of a task that expects no call) and is left out.

Point estimate: the mean of the per-seed means (every seed weighs the same, whatever its task count).
Spread: the sample standard deviation (n - 1) of the per-seed means: the seed-to-seed variation a
reader compares arms against; NaN with a single seed.

Confidence interval: a two-level (hierarchical) percentile bootstrap. Each of `resamples` replicates
draws as many seeds as there are, with replacement, then, within each drawn seed, as many tasks as that
seed has, with replacement, and takes the mean of the drawn seeds' task means. The interval is the
`(1 - confidence) / 2` and `(1 + confidence) / 2` percentiles of the replicates (NumPy's linear
interpolation between order statistics). Resampling seeds carries the training randomness; resampling
tasks within a seed carries the finite held-out sample. With one seed only tasks are resampled. The draws
come from `numpy.random.default_rng(seed)`, so the same data and seed give the same interval.

For a paired comparison of two arms on the same tasks, bootstrap the per-task differences
(`paired_differences`): the interval of the mean difference, which is far narrower than comparing two
separate intervals when both arms find the same tasks hard.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DEFAULT_RESAMPLES = 2000
DEFAULT_CONFIDENCE = 0.95

Values = Sequence[Sequence[float]]
"""values[s][t]: one score per task t of seed s (NaN = missing)."""


@dataclass(frozen=True)
class Summary:
    """Mean over seeds of the per-seed means, their standard deviation, and the bootstrap interval."""

    mean: float
    std: float  # sample std of the per-seed means; NaN with one seed
    low: float
    high: float
    seeds: int  # seeds with at least one value
    n: int  # values used over every seed

    def to_json(self) -> dict[str, float | int | None]:
        """JSON form (NaN written as null)."""
        return {
            "mean": _json(self.mean),
            "std": _json(self.std),
            "ci_low": _json(self.low),
            "ci_high": _json(self.high),
            "seeds": self.seeds,
            "n": self.n,
        }

    def format(self, digits: int = 3) -> str:
        """`mean ± std [low, high]` (the std only with several seeds); `–` without data."""
        if not math.isfinite(self.mean):
            return "–"
        spread = f" ± {self.std:.{digits}f}" if math.isfinite(self.std) else ""
        return f"{self.mean:.{digits}f}{spread} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def clean(values: Values) -> list[npt.NDArray[np.float64]]:
    """Each seed's finite values; seeds left with none are dropped."""
    out = []
    for seed_values in values:
        array = np.asarray(list(seed_values), dtype=np.float64)
        array = array[np.isfinite(array)]
        if array.size:
            out.append(array)
    return out


def mean_std(values: Values) -> tuple[float, float]:
    """(mean of the per-seed means, sample std of the per-seed means); NaN where undefined."""
    return _mean_std(clean(values))


def _mean_std(seeds: Sequence[npt.NDArray[np.float64]]) -> tuple[float, float]:
    if not seeds:
        return math.nan, math.nan
    means = np.array([s.mean() for s in seeds])
    std = float(means.std(ddof=1)) if means.size > 1 else math.nan
    return float(means.mean()), std


def bootstrap_means(values: Values, *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> npt.NDArray[np.float64]:
    """`resamples` replicates of the mean of per-seed means: seeds drawn with replacement, then tasks
    within each drawn seed (module docstring). Empty when there are no finite values."""
    return _bootstrap_means(clean(values), resamples=resamples, seed=seed)


def _bootstrap_means(
    seeds: Sequence[npt.NDArray[np.float64]], *, resamples: int, seed: int
) -> npt.NDArray[np.float64]:
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    if not seeds:
        return np.empty(0)
    rng = np.random.default_rng(seed)
    n_seeds = len(seeds)
    picked = rng.integers(0, n_seeds, size=(resamples, n_seeds))  # (R, S): which seed fills each slot
    totals = np.zeros(resamples)
    for slot in range(n_seeds):
        slot_means = np.empty(resamples)
        for s, data in enumerate(seeds):
            rows = np.flatnonzero(picked[:, slot] == s)
            if rows.size:
                draws = rng.integers(0, data.size, size=(rows.size, data.size))  # (r, T_s): task draws
                slot_means[rows] = data[draws].mean(axis=1)
        totals += slot_means
    return totals / n_seeds


def percentile_interval(
    replicates: npt.NDArray[np.float64], confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """The central `confidence` interval of `replicates` (percentiles, linear interpolation)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if replicates.size == 0:
        return math.nan, math.nan
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail])
    return float(low), float(high)


def bootstrap_ci(
    values: Values,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """The `confidence` bootstrap interval of the mean over tasks and seeds; (NaN, NaN) without data."""
    return percentile_interval(bootstrap_means(values, resamples=resamples, seed=seed), confidence)


def summarize(
    values: Values,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Summary:
    """Mean, std over seeds and bootstrap interval of `values` (see the module docstring)."""
    seeds = clean(values)
    mean, std = _mean_std(seeds)
    low, high = percentile_interval(_bootstrap_means(seeds, resamples=resamples, seed=seed), confidence)
    return Summary(mean, std, low, high, seeds=len(seeds), n=sum(s.size for s in seeds))


def paired_differences(a: Values, b: Values) -> list[list[float]]:
    """Per seed and task, `a - b` (NaN where either is NaN): two arms scored on the same tasks."""
    if len(a) != len(b):
        raise ValueError(f"paired data need the same seeds: {len(a)} against {len(b)}")
    out = []
    for seed_a, seed_b in zip(a, b, strict=True):
        if len(seed_a) != len(seed_b):
            raise ValueError(f"paired data need the same tasks per seed: {len(seed_a)} against {len(seed_b)}")
        out.append([float(x) - float(y) for x, y in zip(seed_a, seed_b, strict=True)])
    return out


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None
