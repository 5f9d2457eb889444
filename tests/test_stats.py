"""`awpo.stats`: mean, std over seeds and the two-level bootstrap interval, on data computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awpo.stats import (
    Summary,
    bootstrap_ci,
    bootstrap_means,
    mean_std,
    paired_differences,
    percentile_interval,
    summarize,
)

# ---------------------------------------------------------------------------- golden cases


def test_constant_data_give_a_zero_width_interval() -> None:
    s = summarize([[0.5] * 5, [0.5] * 3], resamples=200)
    assert (s.mean, s.std, s.low, s.high) == (0.5, 0.0, 0.5, 0.5)
    assert (s.seeds, s.n) == (2, 8)


def test_mean_and_std_are_over_per_seed_means() -> None:
    # seed means 2 and 5: mean 3.5, sample std |5 - 2| / sqrt(2)
    mean, std = mean_std([[1.0, 2.0, 3.0], [5.0]])
    assert mean == 3.5
    assert std == pytest.approx(3 / math.sqrt(2))
    assert math.isnan(mean_std([[1.0, 2.0]])[1])  # one seed: no spread over seeds
    assert all(math.isnan(x) for x in mean_std([]))


def test_percentiles_interpolate_linearly_between_order_statistics() -> None:
    # 0, 1, ..., 100: the 2.5th percentile sits at position 0.025 * 100 = 2.5, the 97.5th at 97.5
    assert percentile_interval(np.arange(101.0)) == pytest.approx((2.5, 97.5), abs=1e-12)
    # 90%: positions 5 and 95
    assert percentile_interval(np.arange(101.0), 0.90) == pytest.approx((5.0, 95.0), abs=1e-12)
    assert all(math.isnan(x) for x in percentile_interval(np.empty(0)))


def test_one_seed_of_four_binary_tasks() -> None:
    # values 0, 0, 0, 1: a replicate's mean is k/4 with k ~ Binomial(4, 1/4).
    # P(k=0) = 0.316 > 2.5%, so the low end is 0; P(k<=2) = 0.949 < 97.5% < P(k<=3) = 0.996, so the high
    # end is 3/4. With 20000 replicates the empirical cdf is within ~0.002 of these, far from the edges.
    low, high = bootstrap_ci([[0.0, 0.0, 0.0, 1.0]], resamples=20_000, seed=0)
    assert (low, high) == (0.0, 0.75)
    replicates = bootstrap_means([[0.0, 0.0, 0.0, 1.0]], resamples=20_000, seed=0)
    counts = np.bincount(np.rint(replicates * 4).astype(int), minlength=5) / replicates.size
    binomial = [0.75**4, 4 * 0.25 * 0.75**3, 6 * 0.25**2 * 0.75**2, 4 * 0.25**3 * 0.75, 0.25**4]
    np.testing.assert_allclose(counts, binomial, atol=0.01)


def test_seeds_are_resampled_before_tasks() -> None:
    # Seed 0 scores 0 on every task, seed 1 scores 1: tasks within a seed do not vary, so a replicate is
    # (number of seed-1 draws) / 2 in {0, 1/2, 1} with probabilities 1/4, 1/2, 1/4 -> interval [0, 1].
    replicates = bootstrap_means([[0.0, 0.0], [1.0, 1.0]], resamples=20_000, seed=3)
    assert set(np.unique(replicates)) == {0.0, 0.5, 1.0}
    assert np.mean(replicates == 0.5) == pytest.approx(0.5, abs=0.02)
    s = summarize([[0.0, 0.0], [1.0, 1.0]], resamples=20_000)
    assert (s.mean, s.low, s.high) == (0.5, 0.0, 1.0)
    assert s.std == pytest.approx(math.sqrt(0.5))


def test_missing_values_are_left_out_and_empty_seeds_dropped() -> None:
    s = summarize([[math.nan, 1.0, 0.0], [math.nan]], resamples=100)
    assert (s.seeds, s.n, s.mean) == (1, 2, 0.5)
    empty = summarize([[math.nan]], resamples=100)
    assert empty.seeds == 0 and math.isnan(empty.mean) and math.isnan(empty.low)
    assert empty.format() == "–"
    assert empty.to_json()["mean"] is None


def test_the_same_seed_gives_the_same_interval() -> None:
    data = [[0.1, 0.9, 0.4, 0.3], [0.7, 0.2, 0.5]]
    assert bootstrap_ci(data, seed=7) == bootstrap_ci(data, seed=7)
    assert bootstrap_ci(data, seed=7) != bootstrap_ci(data, seed=8)


def test_paired_differences_and_format() -> None:
    assert paired_differences([[1.0, 0.0]], [[0.0, 0.0]]) == [[1.0, 0.0]]
    diff = paired_differences([[1.0, math.nan]], [[0.5, 1.0]])
    assert diff[0][0] == 0.5 and math.isnan(diff[0][1])
    with pytest.raises(ValueError, match="same tasks"):
        paired_differences([[1.0]], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="same seeds"):
        paired_differences([[1.0]], [])
    assert Summary(0.25, math.nan, 0.0, 0.75, seeds=1, n=4).format() == "0.250 [0.000, 0.750]"
    assert Summary(0.5, 0.1, 0.25, 0.75, seeds=2, n=4).format(2) == "0.50 ± 0.10 [0.25, 0.75]"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_means([[1.0]], resamples=0)
    with pytest.raises(ValueError, match="confidence"):
        percentile_interval(np.ones(3), 1.0)


# ---------------------------------------------------------------------------- properties

scores = st.floats(-10.0, 10.0, allow_nan=False)
datasets = st.lists(st.lists(scores, min_size=1, max_size=12), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(datasets, st.integers(0, 2**16))
def test_the_interval_holds_the_mean_and_stays_within_the_data(data: list[list[float]], seed: int) -> None:
    s = summarize(data, resamples=400, seed=seed)
    tol = 1e-9 * (1 + max(abs(x) for row in data for x in row))
    assert s.low - tol <= s.mean <= s.high + tol
    assert min(min(row) for row in data) - tol <= s.low <= s.high <= max(max(row) for row in data) + tol


@settings(max_examples=40, deadline=None)
@given(st.lists(scores, min_size=2, max_size=10).filter(lambda xs: max(xs) - min(xs) > 1e-3), st.integers(0, 99))
def test_more_tasks_give_a_narrower_interval(values: list[float], seed: int) -> None:
    small = bootstrap_ci([values], resamples=2000, seed=seed)
    large = bootstrap_ci([values * 4], resamples=2000, seed=seed)  # the same scores on 4x the tasks
    assert large[1] - large[0] <= small[1] - small[0] + 1e-9


@settings(max_examples=40, deadline=None)
@given(datasets, st.floats(-5.0, 5.0), st.integers(0, 99))
def test_shifting_the_data_shifts_the_interval(data: list[list[float]], shift: float, seed: int) -> None:
    low, high = bootstrap_ci(data, resamples=300, seed=seed)
    low2, high2 = bootstrap_ci([[x + shift for x in row] for row in data], resamples=300, seed=seed)
    assert low2 == pytest.approx(low + shift, abs=1e-9)
    assert high2 == pytest.approx(high + shift, abs=1e-9)


def test_the_eval_report_prints_an_interval_beside_each_accuracy() -> None:
    from awpo.eval.report import accuracy_ci

    # 1 right of 4: the hand-checked case above, with the default 2000 replicates
    assert accuracy_ci(1, 4) == "[0.0, 75.0]"
    assert accuracy_ci(0, 3) == "[0.0, 0.0]"
    assert accuracy_ci(0, 0) == "–"
