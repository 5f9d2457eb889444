"""The `awpo._native` advantage boundary itself: dtypes, layout, lengths, empty input, NaN, zero-copy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from awpo import _native

CFG = _native.AdvantageConfig()
RO = np.array([1.0, 0.0, 0.0, 0.0])
RR = np.array([0.9, 0.1, 0.5, 0.3])
OFF = np.array([0, 4], dtype=np.int64)


def test_returns_six_arrays_with_the_documented_dtypes() -> None:
    adv, share, gate, weight, tied, hit = _native.compute_advantages(RO, RR, OFF, config=CFG)
    assert [a.dtype for a in (adv, share, gate, weight, tied, hit)] == [
        np.float64,
        np.float64,
        np.float64,
        np.float64,
        np.bool_,
        np.uint32,
    ]
    assert adv.shape == share.shape == (4,) and gate.shape == tied.shape == hit.shape == (1,)
    # the outputs are fresh, writable arrays that own their memory (moved out of Rust, not copied)
    assert adv.flags.writeable and adv.flags.c_contiguous


@pytest.mark.parametrize(
    ("outcome", "reasoning", "offsets"),
    [
        (RO.astype(np.float32), RR, OFF),
        (RO, RR.astype(np.float32), OFF),
        (RO, RR, OFF.astype(np.int32)),
        (RO, RR, OFF.astype(np.uint64)),
        (RO.astype(np.int64), RR, OFF),
    ],
)
def test_wrong_dtype_is_a_type_error(outcome: np.ndarray, reasoning: np.ndarray, offsets: np.ndarray) -> None:
    with pytest.raises(TypeError):
        _native.compute_advantages(outcome, reasoning, offsets, config=CFG)


def test_non_contiguous_input_is_a_type_error() -> None:
    strided = np.repeat(RO, 2)[::2]
    assert not strided.flags.c_contiguous
    with pytest.raises(TypeError):
        _native.compute_advantages(strided, RR, OFF, config=CFG)


def test_non_array_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _native.compute_advantages([1.0, 0.0], RR[:2], OFF, config=CFG)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _native.compute_advantages(RO, RR, OFF, config="awpo")  # type: ignore[arg-type]


def test_two_dimensional_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _native.compute_advantages(RO.reshape(2, 2), RR, OFF, config=CFG)  # type: ignore[arg-type]


def test_length_mismatch_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="outcome has 4 rows but reasoning has 3"):
        _native.compute_advantages(RO, RR[:3], OFF, config=CFG)
    with pytest.raises(ValueError, match="the last offset must equal the number of rows"):
        _native.compute_advantages(RO, RR, np.array([0, 3], dtype=np.int64), config=CFG)
    with pytest.raises(ValueError, match="negative"):
        _native.compute_advantages(RO, RR, np.array([0, -1, 4], dtype=np.int64), config=CFG)


def test_empty_input() -> None:
    empty = np.zeros(0)
    outs = _native.compute_advantages(empty, empty, np.array([0], dtype=np.int64), config=CFG)
    assert [a.shape for a in outs] == [(0,)] * 6
    with pytest.raises(ValueError, match="empty"):
        _native.compute_advantages(empty, empty, np.zeros(0, dtype=np.int64), config=CFG)


def test_nan_outcome_names_its_index_and_nan_reasoning_is_missing() -> None:
    with pytest.raises(ValueError, match=r"outcome\[2\] = NaN"):
        _native.compute_advantages(np.array([1.0, 0.0, math.nan, 0.0]), RR, OFF, config=CFG)
    with pytest.raises(ValueError, match=r"reasoning\[0\] = -inf"):
        _native.compute_advantages(RO, np.array([-math.inf, 0.1, 0.5, 0.3]), OFF, config=CFG)
    adv, *_ = _native.compute_advantages(RO, np.full(4, math.nan), OFF, config=CFG)
    assert np.all(np.isfinite(adv))


def test_inputs_are_not_modified() -> None:
    o, r = RO.copy(), RR.copy()
    _native.compute_advantages(o, r, OFF, config=CFG)
    np.testing.assert_array_equal(o, RO)
    np.testing.assert_array_equal(r, RR)


def test_config_getters_and_repr() -> None:
    cfg = _native.AdvantageConfig(estimator="norm_sum", gate="off", lam=0.5, outcome_min=-3.0, outcome_max=4.0)
    assert (cfg.estimator, cfg.gate, cfg.weight, cfg.clip, cfg.scale) == ("norm_sum", "off", "linear", "on", "std")
    assert (cfg.lam, cfg.outcome_min, cfg.outcome_max, cfg.tau_r, cfg.kappa) == (0.5, -3.0, 4.0, 0.05, 0.5)
    assert repr(cfg).startswith("AdvantageConfig(estimator='norm_sum', gate='off'")
    with pytest.raises(AttributeError):
        cfg.lam = 1.0  # type: ignore[misc]
    assert _native.AdvantageConfig.options()["scale"] == ["std", "none"]


def test_the_gil_is_released_so_threads_overlap() -> None:
    # Not a timing assertion: two threads both finish and agree with a serial call.
    from concurrent.futures import ThreadPoolExecutor

    n = 200_000
    rng = np.random.default_rng(0)
    o, r = (rng.random(n) < 0.5).astype(np.float64), rng.random(n)
    off = np.arange(0, n + 1, 8, dtype=np.int64)
    expected = _native.compute_advantages(o, r, off, config=CFG)[0]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: _native.compute_advantages(o, r, off, config=CFG)[0], range(4)))
    for res in results:
        np.testing.assert_array_equal(res, expected)
