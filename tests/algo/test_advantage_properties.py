"""Property tests of the advantages (issue 4 §4), with hypothesis; `rust/awpo-core/tests/advantage_props.rs`
checks the same properties with proptest."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_advantages import reference_advantages

from awpo.algo import AdvantageSettings, advantages

OUTCOME = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.floats(0.0, 1.0))
SCORE = st.one_of(st.just(math.nan), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[float], list[float], list[int]]:
    sizes = draw(st.lists(st.integers(1, 9), min_size=1, max_size=10))
    offsets = [0]
    for size in sizes:
        offsets.append(offsets[-1] + size)
    n = offsets[-1]
    outcome = draw(st.lists(OUTCOME, min_size=n, max_size=n))
    reasoning = draw(st.lists(SCORE, min_size=n, max_size=n))
    return outcome, reasoning, offsets


SETTINGS = st.builds(
    AdvantageSettings,
    estimator=st.sampled_from(["grpo", "naive_sum", "norm_sum", "awpo"]),
    gate=st.sampled_from(["soft", "hard", "ratio", "off"]),
    weight=st.sampled_from(["linear", "off"]),
    clip=st.sampled_from(["on", "off"]),
    scale=st.sampled_from(["std", "none"]),
    lam=st.floats(0.0, 3.0),
    w_floor=st.floats(0.0, 1.0),
    kappa=st.floats(0.0, 0.99),
    delta0=st.floats(0.0, 2.0),
)


def run(batch: tuple[list[float], list[float], list[int]], cfg: AdvantageSettings) -> Any:
    outcome, reasoning, offsets = batch
    return advantages(outcome, reasoning, offsets, cfg, outcome_range=(0.0, 1.0))


@settings(max_examples=150, deadline=None)
@given(batches(), SETTINGS)
def test_awpo_keeps_the_outcome_sign(batch: Any, cfg: AdvantageSettings) -> None:
    # ALGORITHM.md §4: with kappa < 1 and the clip on, sign(A_i) = sign(Ao_i) wherever |Ao_i| > eps
    awpo = cfg.model_copy(update={"estimator": "awpo", "clip": "on"})
    a = run(batch, awpo).advantage
    ao = run(batch, awpo.model_copy(update={"estimator": "grpo"})).advantage
    discriminates = np.abs(ao) > awpo.eps
    np.testing.assert_array_equal(np.sign(a[discriminates]), np.sign(ao[discriminates]))


@settings(max_examples=150, deadline=None)
@given(batches(), st.sampled_from(["std", "none"]))
def test_grpo_sums_to_zero_per_group(batch: Any, scale: str) -> None:
    # ALGORITHM.md §6: GRPO advantages sum to ~0 in every group
    out = run(batch, AdvantageSettings(estimator="grpo", scale=scale))
    sums = np.add.reduceat(out.advantage, np.asarray(batch[2][:-1]))
    np.testing.assert_allclose(sums, 0.0, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(batches(), SETTINGS, st.randoms(use_true_random=False))
def test_permutation_within_a_group_permutes_the_output(batch: Any, cfg: AdvantageSettings, rnd: Any) -> None:
    outcome, reasoning, offsets = batch
    perm = np.arange(len(outcome))
    for lo, hi in itertools.pairwise(offsets):
        block = list(perm[lo:hi])
        rnd.shuffle(block)
        perm[lo:hi] = block
    base = run(batch, cfg)
    shuffled = run(([outcome[i] for i in perm], [reasoning[i] for i in perm], offsets), cfg)
    np.testing.assert_allclose(shuffled.advantage, base.advantage[perm], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(shuffled.reasoning_share, base.reasoning_share[perm], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(shuffled.gate, base.gate, rtol=1e-9, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(shuffled.bound_hit, base.bound_hit)
    np.testing.assert_array_equal(shuffled.tied, base.tied)


@settings(max_examples=200, deadline=None)
@given(batches(), SETTINGS)
def test_native_matches_numpy_reference(batch: Any, cfg: AdvantageSettings) -> None:
    outcome, reasoning, offsets = batch
    out = run(batch, cfg)
    ref = reference_advantages(outcome, reasoning, offsets, **cfg.model_dump(exclude={"outcome_range"}))
    np.testing.assert_allclose(out.advantage, ref["advantage"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out.reasoning_share, ref["reasoning_share"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out.gate, ref["gate"], rtol=1e-9, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(out.weight, ref["weight"], rtol=1e-9, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(out.tied, ref["tied"])
    np.testing.assert_array_equal(out.bound_hit, ref["bound_hit"])


@settings(max_examples=100, deadline=None)
@given(batches(), SETTINGS)
def test_outputs_are_well_formed(batch: Any, cfg: AdvantageSettings) -> None:
    out = run(batch, cfg)
    assert np.all(np.isfinite(out.advantage))
    assert np.all((out.reasoning_share >= 0.0) & (out.reasoning_share <= 1.0))
    gates = out.gate[~np.isnan(out.gate)]
    assert np.all((gates >= 0.0) & (gates <= 1.0))
    sizes = np.diff(batch[2])
    assert np.all(out.bound_hit <= sizes)
    assert np.all(out.advantage[np.asarray(batch[2][:-1])[sizes == 1]] == 0.0)
