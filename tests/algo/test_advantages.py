"""`awpo.algo.advantages`: agreement with the NumPy reference for every option, input coercion, metrics."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from reference_advantages import reference_advantages

from awpo import _native
from awpo import metric_names as m
from awpo.algo import AdvantageBatch, AdvantageSettings, advantages, uniform_offsets

ESTIMATORS = ["grpo", "naive_sum", "norm_sum", "awpo"]
AWPO_OPTIONS = list(
    itertools.product(["soft", "hard", "ratio", "off"], ["linear", "off"], ["on", "off"], ["std", "none"])
)


def random_batch(
    rng: np.random.Generator, n_groups: int, *, outcome_range: tuple[float, float] = (0.0, 1.0)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ragged groups (1..12 rows); outcomes half binary, half continuous; ~15% judge scores missing."""
    sizes = rng.integers(1, 13, size=n_groups)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(offsets[-1])
    lo, hi = outcome_range
    binary = rng.random(n) < 0.5
    outcome = np.where(binary, np.where(rng.random(n) < 0.4, hi, lo), rng.uniform(lo, hi, n))
    # a few groups with all outcomes tied
    for k in rng.choice(n_groups, size=n_groups // 5, replace=False):
        outcome[offsets[k] : offsets[k + 1]] = outcome[offsets[k]]
    reasoning = rng.random(n)
    reasoning[rng.random(n) < 0.15] = np.nan
    return outcome, reasoning, offsets


def assert_matches_reference(out: AdvantageBatch, ref: dict[str, Any]) -> None:
    np.testing.assert_allclose(out.advantage, ref["advantage"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out.reasoning_share, ref["reasoning_share"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out.gate, ref["gate"], rtol=1e-9, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(out.weight, ref["weight"], rtol=1e-9, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(out.tied, ref["tied"])
    np.testing.assert_array_equal(out.bound_hit, ref["bound_hit"])


@pytest.mark.parametrize(("gate", "weight", "clip", "scale"), AWPO_OPTIONS)
def test_awpo_matches_numpy_reference_for_every_option(gate: str, weight: str, clip: str, scale: str) -> None:
    rng = np.random.default_rng(AWPO_OPTIONS.index((gate, weight, clip, scale)))
    outcome, reasoning, offsets = random_batch(rng, 300, outcome_range=(-3.0, 4.0))
    opts = {"gate": gate, "weight": weight, "clip": clip, "scale": scale, "lam": 1.3, "kappa": 0.7}
    out = advantages(outcome, reasoning, offsets, AdvantageSettings(**opts), outcome_range=(-3.0, 4.0))
    ref = reference_advantages(outcome, reasoning, offsets, outcome_min=-3.0, outcome_max=4.0, **opts)
    assert_matches_reference(out, ref)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("scale", ["std", "none"])
def test_every_estimator_matches_numpy_reference(estimator: str, scale: str) -> None:
    rng = np.random.default_rng(ESTIMATORS.index(estimator) * 2 + (scale == "std"))
    outcome, reasoning, offsets = random_batch(rng, 500)
    cfg = AdvantageSettings(estimator=estimator, scale=scale, lam=0.8)
    out = advantages(outcome, reasoning, offsets, cfg, outcome_range=(0.0, 1.0))
    ref = reference_advantages(outcome, reasoning, offsets, estimator=estimator, scale=scale, lam=0.8)
    assert_matches_reference(out, ref)


def test_parallel_and_serial_agree_on_a_big_batch() -> None:
    rng = np.random.default_rng(7)
    outcome, reasoning, offsets = random_batch(rng, 20_000)
    before = _native.is_parallel()
    try:
        _native.set_parallelism(False)
        serial = advantages(outcome, reasoning, offsets, outcome_range=(0.0, 1.0))
        _native.set_parallelism(True)
        parallel = advantages(outcome, reasoning, offsets, outcome_range=(0.0, 1.0))
    finally:
        _native.set_parallelism(before)
    np.testing.assert_array_equal(serial.advantage, parallel.advantage)
    np.testing.assert_array_equal(serial.bound_hit, parallel.bound_hit)
    assert_matches_reference(serial, reference_advantages(outcome, reasoning, offsets))


def test_batch_shapes_dtypes_and_metrics() -> None:
    out = advantages([1, 0, 0, 0, 1, 1], [0.9, 0.1, 0.5, 0.3, 0.2, np.nan], [0, 4, 6], outcome_range=(0, 1))
    assert (out.n_rows, out.n_groups) == (6, 2)
    assert out.advantage.dtype == np.float64 and out.tied.dtype == np.bool_ and out.bound_hit.dtype == np.uint32
    assert out.group_offsets.tolist() == [0, 4, 6]
    metrics = out.metrics()
    assert set(metrics) == set(m.ADVANTAGE_METRICS)
    # group 0: g = 0.1339745962155614 (golden §2); group 1: one judge score -> g = 0
    assert metrics[m.AWPO_GATE_MEAN] == pytest.approx(0.1339745962155614 / 2)
    assert metrics[m.AWPO_GATE_OPEN_FRAC] == 0.5
    assert metrics[m.AWPO_TIED_OUTCOME_FRAC] == 0.5
    assert metrics[m.AWPO_CLIP_BOUND_HIT_FRAC] == 0.0
    assert metrics[m.AWPO_REASONING_SHARE_MEAN] == pytest.approx(float(np.mean(out.reasoning_share)))


def test_metrics_of_grpo_and_of_an_empty_batch_are_nan_not_warnings() -> None:
    grpo = advantages([1.0, 0.0], None, [0, 2], AdvantageSettings(estimator="grpo"), outcome_range=(0, 1))
    metrics = grpo.metrics()
    assert math.isnan(metrics[m.AWPO_GATE_MEAN]) and math.isnan(metrics[m.AWPO_WEIGHT_MAX])
    assert metrics[m.AWPO_REASONING_SHARE_MEAN] == 0.0
    empty = advantages([], [], [0], outcome_range=(0, 1))
    assert empty.n_rows == 0 and empty.n_groups == 0
    assert all(math.isnan(v) for v in empty.metrics().values())


def test_reasoning_none_means_no_judge_scores() -> None:
    out = advantages([1.0, 0.0, 0.0, 0.0], None, [0, 4], outcome_range=(0, 1))
    grpo = advantages([1.0, 0.0, 0.0, 0.0], None, [0, 4], AdvantageSettings(estimator="grpo"), outcome_range=(0, 1))
    np.testing.assert_array_equal(out.advantage, grpo.advantage)
    assert out.gate.tolist() == [0.0]


def test_inputs_are_coerced_from_lists_ints_and_float32() -> None:
    a = advantages(np.array([1, 0, 0, 0], dtype=np.int32), [0.9, 0.1, 0.5, 0.3], [0, 4], outcome_range=(0, 1))
    b = advantages(
        np.array([1, 0, 0, 0], dtype=np.float32),
        np.array([0.9, 0.1, 0.5, 0.3]),
        np.array([0, 4], dtype=np.uint8),
        outcome_range=(0, 1),
    )
    np.testing.assert_array_equal(a.advantage, b.advantage)
    # a strided view is copied to a contiguous one
    strided = np.array([1.0, 9.0, 0.0, 9.0, 0.0, 9.0, 0.0, 9.0])[::2]
    c = advantages(strided, [0.9, 0.1, 0.5, 0.3], [0, 4], outcome_range=(0, 1))
    np.testing.assert_array_equal(a.advantage, c.advantage)


def test_torch_tensors_are_accepted() -> None:
    torch = pytest.importorskip("torch")
    out = advantages(torch.tensor([1.0, 0.0]), torch.tensor([0.2, 0.8]), torch.tensor([0, 2]), outcome_range=(0, 1))
    assert out.advantage.shape == (2,)


@pytest.mark.parametrize(
    ("outcome", "reasoning", "offsets", "error", "match"),
    [
        (["a", "b"], [0.1, 0.2], [0, 2], TypeError, "outcome must be a numeric array"),
        ([True, False], [0.1, 0.2], [0, 2], TypeError, "outcome must be a numeric array"),
        ([1.0, 0.0], [0.1, 0.2], [0.0, 2.0], TypeError, "group_offsets must be an integer array"),
        ([[1.0, 0.0]], [0.1, 0.2], [0, 2], ValueError, "outcome must be 1-D"),
        ([1.0, 0.0], [0.1], [0, 2], ValueError, "must match"),
        ([1.0, math.nan], [0.1, 0.2], [0, 2], ValueError, r"outcome\[1\] = NaN"),
        ([1.0, math.inf], [0.1, 0.2], [0, 2], ValueError, r"outcome\[1\] = inf"),
        ([1.0, 2.0], [0.1, 0.2], [0, 2], ValueError, r"outcome\[1\] = 2 is outside the outcome range"),
        ([1.0, 0.0], [0.1, 1.2], [0, 2], ValueError, r"reasoning\[1\] = 1.2 is outside \[0, 1\]"),
        ([1.0, 0.0], [0.1, 0.2], [0, 1], ValueError, "end at 1"),
        ([1.0, 0.0], [0.1, 0.2], [0, 0, 2], ValueError, "strictly increasing"),
        ([1.0, 0.0], [0.1, 0.2], [], ValueError, "offsets are empty"),
    ],
)
def test_bad_input_is_a_clear_error(
    outcome: Any, reasoning: Any, offsets: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        advantages(outcome, reasoning, offsets, outcome_range=(0.0, 1.0))


def test_outcome_range_comes_from_the_argument_or_the_settings() -> None:
    with pytest.raises(ValueError, match="outcome reward's range is unknown"):
        advantages([1.0, 0.0], [0.2, 0.8], [0, 2])
    by_settings = advantages([4.0, -3.0], [0.2, 0.8], [0, 2], AdvantageSettings(outcome_range=(-3.0, 4.0)))
    by_argument = advantages([4.0, -3.0], [0.2, 0.8], [0, 2], outcome_range=(-3.0, 4.0))
    np.testing.assert_array_equal(by_settings.advantage, by_argument.advantage)
    # the argument wins over the settings
    narrow = AdvantageSettings(outcome_range=(0.0, 1.0))
    wide = advantages([4.0, -3.0], [0.2, 0.8], [0, 2], narrow, outcome_range=(-3.0, 4.0))
    np.testing.assert_array_equal(wide.advantage, by_argument.advantage)


def test_uniform_offsets() -> None:
    assert uniform_offsets(10, 4).tolist() == [0, 4, 8, 10]
    assert uniform_offsets(0, 8).tolist() == [0]
    assert uniform_offsets(16, 8).dtype == np.int64
    with pytest.raises(ValueError, match="group_size"):
        uniform_offsets(4, 0)
