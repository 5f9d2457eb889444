"""Golden tests of `awpo.algo.advantages`: every number is worked out by hand (arithmetic in the
comments), not by running the code. `rust/awpo-core/tests/golden.rs` holds the same cases.

Shared hand arithmetic (eps = 1e-6, outcome range [0, 1] unless said otherwise):
- Ro = [1, 0, 0, 0]: mu_o = 0.25, sd_o = sqrt((0.75^2 + 3 * 0.25^2) / 4) = sqrt(0.1875) = 0.4330127018922193;
  Ao = 0.75 / 0.4330137018922193 = 1.732046807578115 and -0.25 / 0.4330137018922193 = -0.5773489358593717.
- Rr = [0.9, 0.1, 0.5, 0.3]: mu_r = 0.45, sd_r = sqrt((0.45^2 + 0.35^2 + 0.05^2 + 0.15^2) / 4) = sqrt(0.0875)
  = 0.2958039891549808; Ar = dev / 0.2958049891549808 =
  [1.5212725156715732, -1.1832119566334456, 0.1690302795190637, -0.5070908385571911].
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from awpo.algo import AdvantageBatch, AdvantageSettings, advantages

NAN = math.nan
RO = [1.0, 0.0, 0.0, 0.0]
RR = [0.9, 0.1, 0.5, 0.3]
AO = [1.732046807578115, -0.5773489358593717, -0.5773489358593717, -0.5773489358593717]


def run(
    ro: list[float],
    rr: list[float],
    offsets: list[int] | None = None,
    outcome_range: tuple[float, float] = (0.0, 1.0),
    **options: Any,
) -> AdvantageBatch:
    offsets = offsets if offsets is not None else [0, len(ro)]
    return advantages(ro, rr, offsets, AdvantageSettings(**options), outcome_range=outcome_range)


def close(actual: Any, expected: list[float]) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-12, atol=1e-12, equal_nan=True)


# ---------------------------------------------------------------- §1 group-relative advantages


def test_golden_1_outcome_advantage_std() -> None:
    # ALGORITHM.md §1: Ao_i = (Ro_i - mu_o) / (sd_o + eps); grpo returns Ao unchanged
    out = run(RO, [NAN] * 4, estimator="grpo")
    close(out.advantage, AO)
    close(out.reasoning_share, [0.0] * 4)
    close(out.gate, [NAN])
    close(out.weight, [NAN])
    assert out.tied.tolist() == [False] and out.bound_hit.tolist() == [0]


def test_golden_1_outcome_advantage_scale_none() -> None:
    # ALGORITHM.md §1, scale: none: Ao_i = Ro_i - mu_o = [1 - 0.25, 0 - 0.25, ...]
    close(run(RO, [NAN] * 4, estimator="grpo", scale="none").advantage, [0.75, -0.25, -0.25, -0.25])


def test_golden_1_reasoning_advantage_missing_score() -> None:
    # ALGORITHM.md §1: Ar_i = (Rr_i - mu_r) / (sd_r + eps), 0 where missing.
    # Ro tied at 0 so Ao = 0 and norm_sum gives A = lam * Ar = Ar.
    # Present Rr = [0.75, 0.25, 0.5]: mu_r = 0.5, sd_r = sqrt((0.25^2 + 0.25^2 + 0) / 3) = sqrt(1 / 24)
    # = 0.2041241452319315; Ar = +-0.25 / 0.2041251452319315 = +-1.2247388714209828
    out = run([0.0] * 4, [0.75, NAN, 0.25, 0.5], estimator="norm_sum")
    close(out.advantage, [1.2247388714209828, 0.0, -1.2247388714209828, 0.0])
    # s_i = |c_i| / (0 + |c_i| + eps) = 1.2247388714209828 / 1.2247398714209828 = 0.9999991835000858
    s = 0.9999991835000858
    close(out.reasoning_share, [s, 0.0, s, 0.0])


def test_golden_1_reasoning_advantage_equal_scores_is_zero() -> None:
    # ALGORITHM.md §1 (decision): all present Rr equal -> sd_r = 0 and Ar_i = 0 exactly
    out = run([0.0] * 4, [0.7, 0.7, NAN, 0.7], gate="off")
    assert out.advantage.tolist() == [0.0] * 4
    assert out.gate.tolist() == [1.0]


# ---------------------------------------------------------------- §2 variance-aware gate


def test_golden_2_gate_soft() -> None:
    # ALGORITHM.md §2: g = (1 - sd_o / sd_max) * [sd_r > tau_r], sd_max = (1 - 0) / 2 = 0.5
    # sd_r = 0.2958 > 0.05: g = 1 - 0.4330127018922193 / 0.5 = 0.1339745962155614
    close(run(RO, RR).gate, [0.1339745962155614])
    # tied outcomes (sd_o = 0): fully open, g = 1
    close(run([1.0] * 4, RR).gate, [1.0])
    # maximal spread [1, 0, 1, 0]: sd_o = 0.5 = sd_max, g = 0
    close(run([1.0, 0.0, 1.0, 0.0], RR).gate, [0.0])


def test_golden_2_gate_soft_closed_below_tau_r() -> None:
    # ALGORITHM.md §2: Rr = [0.5, 0.5, 0.55, 0.5]: mu_r = 0.5125,
    # sd_r = sqrt((3 * 0.0125^2 + 0.0375^2) / 4) = sqrt(0.00046875) = 0.0216506 <= tau_r = 0.05
    rr = [0.5, 0.5, 0.55, 0.5]
    out = run([1.0] * 4, rr)
    close(out.gate, [0.0])
    close(out.advantage, [0.0] * 4)
    close(run([1.0] * 4, rr, gate="hard").gate, [0.0])


def test_golden_2_gate_hard() -> None:
    # ALGORITHM.md §2: g = [sd_o <= tau_o] * [sd_r > tau_r]
    close(run(RO, RR, gate="hard").gate, [0.0])  # sd_o = 0.433 > 1e-6
    close(run([1.0] * 4, RR, gate="hard").gate, [1.0])  # sd_o = 0, sd_r = 0.296 > 0.05


def test_golden_2_gate_ratio() -> None:
    # ALGORITHM.md §2: g = sd_r' / (sd_r' + sd_o' + eps), sd_r' = sd_r / 0.5, sd_o' = sd_o / 0.5
    # = 0.5916079783099616 / (0.5916079783099616 + 0.8660254037844386 + 1e-6) = 0.40586856730143156
    close(run(RO, RR, gate="ratio").gate, [0.40586856730143156])


def test_golden_2_gate_off() -> None:
    # ALGORITHM.md §2: g = 1
    close(run(RO, RR, gate="off").gate, [1.0])


def test_golden_2_5_gate_reliability() -> None:
    # ALGORITHM.md §2: g = rho * (1 - sd_o / sd_max) * [sd_r > eps]
    # RO, RR, rho = 0.6: g = 0.6 * 0.1339745962155614 = 0.08038475772933684
    out = run(RO, RR, gate="reliability", rho=0.6)
    close(out.gate, [0.08038475772933684])
    assert out.metrics()["awpo/gate/reliability"] == 0.6 and out.metrics()["awpo/gate/scale_free"] == 1.0
    # the compressed judge that `soft` shuts out (sd_r = 0.0216506 <= tau_r): tied outcomes, rho = 0.8 -> g = 0.8;
    # w = 0.25 (d = 0), Ao = 0, bound = delta0 = 1: A_i = 0.8 * 0.25 * (Rr_i - 0.5125) / (0.021650635094610966 + 1e-6)
    # = 0.2 * [-0.0125, -0.0125, 0.0375, -0.0125] / 0.021651635094610966
    rr = [0.5, 0.5, 0.55, 0.5]
    out = run([1.0] * 4, rr, gate="reliability", rho=0.8)
    close(out.gate, [0.8])
    close(out.advantage, [-0.11546472075091657] * 2 + [0.34639416225274966, -0.11546472075091657])
    # equal scores (sd_r = 0) close it; other gates log no reliability
    close(run([1.0] * 4, [0.4] * 4, gate="reliability").gate, [0.0])
    soft = run(RO, RR).metrics()
    assert math.isnan(soft["awpo/gate/reliability"]) and soft["awpo/gate/scale_free"] == 0.0
    with pytest.raises(ValueError):
        AdvantageSettings(rho=1.5)


@pytest.mark.parametrize("gate", ["soft", "hard", "ratio", "off", "reliability"])
def test_golden_2_gate_needs_two_scores(gate: str) -> None:
    # ALGORITHM.md §2: fewer than 2 non-missing Rr -> g = 0, in every mode (decision: `off` too)
    all_missing = run(RO, [NAN] * 4, gate=gate)
    close(all_missing.gate, [0.0])
    close(all_missing.advantage, AO)
    close(all_missing.reasoning_share, [0.0] * 4)
    all_but_one = run(RO, [0.9, NAN, NAN, NAN], gate=gate)
    close(all_but_one.gate, [0.0])
    close(all_but_one.advantage, AO)


# ---------------------------------------------------------------- §3 difficulty-aware weight


def test_golden_3_weight_linear() -> None:
    # ALGORITHM.md §3: d = 1 - (0.25 - 0) / (1 - 0) = 0.75; w = 1 * (0.25 + 0.75 * 0.75) = 0.8125
    close(run(RO, RR).weight, [0.8125])
    # range [-3, 4], Ro = [4, 4, -3, -3]: mu_o = 0.5, d = 1 - 3.5 / 7 = 0.5,
    # lam = 2: w = 2 * (0.25 + 0.75 * 0.5) = 1.25
    close(run([4.0, 4.0, -3.0, -3.0], RR, outcome_range=(-3.0, 4.0), lam=2.0).weight, [1.25])
    # solved prompt Ro = [1, 1, 1, 1]: d = 0, w = w_floor = 0.25; failed: d = 1, w = 1
    close(run([1.0] * 4, RR).weight, [0.25])
    close(run([0.0] * 4, RR).weight, [1.0])


def test_golden_3_weight_off() -> None:
    # ALGORITHM.md §3: w = lam = 2
    close(run(RO, RR, weight="off", lam=2.0).weight, [2.0])


# ---------------------------------------------------------------- §4 tailored clipping


def test_golden_4_awpo_defaults() -> None:
    # ALGORITHM.md §4 with soft gate, linear weight: g * w = 0.1339745962155614 * 0.8125 = 0.10885435942514364;
    # c = g * w * Ar; the bounds 0.5 * |Ao| = 0.866 / 0.289 are not reached.
    # A_0 = 1.732046807578115 + 0.10885435942514364 * 1.5212725156715732 = 1.897643952782621
    # A_1 = -0.5773489358593717 - 0.10885435942514364 * 1.1832119566334456 = -0.7061467154628763
    # A_2 = -0.5773489358593717 + 0.10885435942514364 * 0.1690302795190637 = -0.5589492530588711
    # A_3 = -0.5773489358593717 - 0.10885435942514364 * 0.5070908385571911 = -0.6325479842608737
    out = run(RO, RR)
    close(out.advantage, [1.897643952782621, -0.7061467154628763, -0.5589492530588711, -0.6325479842608737])
    # s_i = |c_i| / (|Ao_i| + |c_i| + eps), e.g. s_0 = 0.1655971 / (1.7320468 + 0.1655971 + 1e-6)
    close(out.reasoning_share, [0.08726455650288095, 0.1823949533265547, 0.030884925855077166, 0.08726446453155154])
    assert out.tied.tolist() == [False] and out.bound_hit.tolist() == [0]


def test_golden_4_clip_binds() -> None:
    # ALGORITHM.md §4 with gate and weight off (g * w = 1): c = Ar; bound = 0.5 * |Ao| = [0.866, 0.2887 x3]
    # c_0 = 1.5213 -> 0.8660: A_0 = 1.5 * 1.732046807578115 = 2.5980702113671725
    # c_1 = -1.1832 -> -0.2887: A_1 = -1.5 * 0.5773489358593717 = -0.8660234037890576
    # c_2 = 0.1690 inside: A_2 = -0.5773489358593717 + 0.1690302795190637 = -0.40831865634030806
    # c_3 = -0.5071 -> -0.2887: A_3 = -0.8660234037890576; 3 rows hit the bound.
    # s = 0.5|Ao| / (1.5|Ao| + eps) ~ 1/3 where clipped; s_2 = 0.16903 / (0.57735 + 0.16903 + eps)
    out = run(RO, RR, gate="off", weight="off")
    close(out.advantage, [2.5980702113671725, -0.8660234037890576, -0.40831865634030806, -0.8660234037890576])
    close(out.reasoning_share, [0.3333332050330266, 0.33333294843270944, 0.22646672036096327, 0.33333294843270944])
    assert out.bound_hit.tolist() == [3]


def test_golden_4_clip_off() -> None:
    # ALGORITHM.md §4, clip: off: A_i = Ao_i + c_i = Ao_i + Ar_i (g = w = 1)
    # A_0 = 1.732046807578115 + 1.5212725156715732 = 3.253319323249688
    # A_1 = -0.5773489358593717 - 1.1832119566334456 = -1.7605608924928173
    # A_2 = -0.40831865634030806; A_3 = -0.5773489358593717 - 0.5070908385571911 = -1.0844397744165628
    out = run(RO, RR, gate="off", weight="off", clip="off")
    close(out.advantage, [3.253319323249688, -1.7605608924928173, -0.40831865634030806, -1.0844397744165628])
    close(out.reasoning_share, [0.4676061268236873, 0.6720649593057535, 0.22646672036096327, 0.4676058393599316])
    assert out.bound_hit.tolist() == [0]


def test_golden_4_tied_outcomes_use_delta0() -> None:
    # ALGORITHM.md §4: all outcomes 0 (tied): Ao = 0, bound = delta0 = 1; soft g = 1 - 0 = 1; d = 1 so w = 1.
    # Rr = [1, 0, 0, 0]: Ar = [1.732046807578115, -0.5773489358593717 x3]; c_0 = 1.732 -> clipped to 1.
    # s_0 = 1 / (0 + 1 + 1e-6) = 0.9999990000010001; s_k = 0.5773489358593717 / 0.5773499358593717 = 0.9999982679481924
    out = run([0.0] * 4, [1.0, 0.0, 0.0, 0.0])
    a, sk = -0.5773489358593717, 0.9999982679481924
    close(out.advantage, [1.0, a, a, a])
    close(out.reasoning_share, [0.9999990000010001, sk, sk, sk])
    close(out.gate, [1.0])
    close(out.weight, [1.0])
    assert out.tied.tolist() == [True] and out.bound_hit.tolist() == [1]


def test_golden_4_tied_outcomes_one_score_missing() -> None:
    # ALGORITHM.md §4: Ro = 0 x4 (g = 1, w = 1, bound = delta0 = 1); Rr = [0.75, NaN, 0.25, 0.5]:
    # Ar = [1.2247388714209828, 0, -1.2247388714209828, 0] -> clipped to +-1 twice.
    # s = 1 / (0 + 1 + 1e-6) = 0.9999990000010001 where clipped, 0 where Ar = 0
    out = run([0.0] * 4, [0.75, NAN, 0.25, 0.5])
    close(out.advantage, [1.0, 0.0, -1.0, 0.0])
    close(out.reasoning_share, [0.9999990000010001, 0.0, 0.9999990000010001, 0.0])
    assert out.bound_hit.tolist() == [2]


# ---------------------------------------------------------------- §6 baselines


def test_golden_6_grpo() -> None:
    # ALGORITHM.md §6: A_i = Ao_i, whatever the judge says
    out = run(RO, RR, estimator="grpo")
    close(out.advantage, AO)
    close(out.reasoning_share, [0.0] * 4)


def test_golden_6_naive_sum() -> None:
    # ALGORITHM.md §6: Rr = [0.9, NaN, 0.5, 0.3]: the missing one becomes mu_r = 1.7 / 3 = 0.5666666666666667.
    # R = Ro + Rr = [1.9, 0.5666666666666667, 0.5, 0.3]; mu = 3.2666666666666667 / 4 = 0.8166666666666667;
    # sd = sqrt((1.0833333^2 + 0.25^2 + 0.3166667^2 + 0.5166667^2) / 4) = 0.6331139971074192;
    # A = (R - mu) / 0.6331149971074192
    out = run(RO, [0.9, NAN, 0.5, 0.3], estimator="naive_sum")
    close(out.advantage, [1.7111162084026994, -0.39487297116985376, -0.5001724301484813, -0.8160708070843643])
    close(out.reasoning_share, [0.0] * 4)
    close(out.gate, [NAN])
    # all scores missing: R = Ro, same as grpo
    close(run(RO, [NAN] * 4, estimator="naive_sum").advantage, AO)


def test_golden_6_norm_sum() -> None:
    # ALGORITHM.md §6: A_i = Ao_i + lam * Ar_i; lam = 0.5:
    # A_0 = 1.732046807578115 + 0.5 * 1.5212725156715732 = 2.4926830654139014
    # A_1 = -0.5773489358593717 - 0.5 * 1.1832119566334456 = -1.1689549141760947
    # A_2 = -0.5773489358593717 + 0.5 * 0.1690302795190637 = -0.4928337960998399
    # A_3 = -0.5773489358593717 - 0.5 * 0.5070908385571911 = -0.8308943551379673
    out = run(RO, RR, estimator="norm_sum", lam=0.5)
    close(out.advantage, [2.4926830654139014, -1.1689549141760947, -0.4928337960998399, -0.8308943551379673])
    close(out.weight, [0.5])
    close(out.gate, [1.0])


# ---------------------------------------------------------------- edge cases


def test_golden_4_group_sizes_1_and_2() -> None:
    # Group 0 has one row: Ro = mu_o so Ao = 0; one score so g = 0: A = 0, s = 0; d = 1 - 1 = 0 so w = 0.25.
    # Group 1 = [1, 0] with Rr = [0.2, 0.8], ratio gate: mu_o = 0.5, sd_o = 0.5, Ao = +-0.5 / 0.500001 = +-0.999998;
    # sd_r = 0.3, Ar = -+0.3 / 0.300001; g = 0.6 / (0.6 + 1 + 1e-6) = 0.3749997656251465; d = 0.5, w = 0.625;
    # c_0 = -0.3749997656 * 0.625 * 0.9999966667 = -0.2343741 (bound 0.499999 not reached);
    # A_0 = 0.999998000004 - 0.2343741 = 0.765623927735191
    out = run([1.0, 1.0, 0.0], [0.7, 0.2, 0.8], offsets=[0, 1, 3], gate="ratio")
    close(out.advantage, [0.0, 0.765623927735191, -0.765623927735191])
    close(out.reasoning_share[:2], [0.0, 0.18987296266700313])
    close(out.gate, [0.0, 0.3749997656251465])
    close(out.weight, [0.25, 0.625])
    assert out.tied.tolist() == [True, False]
    # every estimator gives a size-1 group zero advantage
    for estimator in ("grpo", "naive_sum", "norm_sum", "awpo"):
        assert run([1.0], [0.7], estimator=estimator).advantage.tolist() == [0.0]


def test_golden_1_extreme_values() -> None:
    # range [-1e300, 1e300] (sd_max = 1e300); Ro = [1e300, -1e300, 1e300, -1e300]: mu_o = 0, sd_o = 1e300
    # (squares overflow, so the scaled path runs), Ao = +-1e300 / (1e300 + 1e-6) = +-1; soft gate 1 - 1 = 0.
    ro, rr, rng = [1e300, -1e300, 1e300, -1e300], [1.0, 0.0, 0.0, 1.0], (-1e300, 1e300)
    out = run(ro, rr, outcome_range=rng)
    close(out.advantage, [1.0, -1.0, 1.0, -1.0])
    close(out.gate, [0.0])
    # gate off: d = 1 - (0 + 1e300) / 2e300 = 0.5, w = 0.625; Ar = +-0.5 / 0.500001 = +-0.999998;
    # c = +-0.62499875 > bound 0.5 -> +-0.5: A = [1.5, -1.5, 0.5, -0.5], 4 hits
    out = run(ro, rr, outcome_range=rng, gate="off")
    close(out.advantage, [1.5, -1.5, 0.5, -0.5])
    close(out.weight, [0.625])
    assert out.bound_hit.tolist() == [4]
    # sum overflow: range [0, 1.5e308], Ro = [1.5e308, 1.5e308, 0]: mu = 1e308,
    # sd = 1e308 * sqrt((0.25 + 0.25 + 1) / 3) = 1e308 * sqrt(0.5); Ao = [0.5, 0.5, -1] / sqrt(0.5)
    out = run([1.5e308, 1.5e308, 0.0], [NAN] * 3, outcome_range=(0.0, 1.5e308), estimator="grpo")
    close(out.advantage, [0.7071067811865475, 0.7071067811865475, -1.414213562373095])


def test_golden_2_tiny_spread() -> None:
    # Ro = [0.5, 0.5 + 2^-40]: mu_o = 0.5 + 2^-41, sd_o = 2^-41 = 4.547473508864641e-13 <= tau_o: tied, and the
    # hard gate opens (sd_r = 0.5 > 0.05). Ao = -+2^-41 / (2^-41 + 1e-6) = -+4.5474714409140505e-07 (below eps,
    # so bound = delta0 = 1). d = 1 - mu_o = 0.5 - 2^-41, w = 0.25 + 0.75 * d = 0.6249999999996589;
    # Ar = +-0.999998000004; c = +-0.62499875 (inside delta0); A_0 = -4.5474714409140505e-07 + 0.62499875
    out = run([0.5, 0.5 + 2.0**-40], [1.0, 0.0], gate="hard")
    close(out.advantage, [0.6249982952550148, -0.6249982952550148])
    close(out.reasoning_share, [0.999997672405332, 0.999997672405332])
    close(out.gate, [1.0])
    close(out.weight, [0.6249999999996589])
    assert out.tied.tolist() == [True] and out.bound_hit.tolist() == [0]


@pytest.mark.parametrize("scale", ["std", "none"])
@pytest.mark.parametrize("estimator", ["grpo", "naive_sum"])
def test_golden_1_all_outcomes_equal(scale: str, estimator: str) -> None:
    # ALGORITHM.md §1: equal outcomes give Ao = 0 exactly, for both scales
    out = run([0.3] * 5, [NAN] * 5, scale=scale, estimator=estimator)
    assert out.advantage.tolist() == [0.0] * 5
    assert out.tied.tolist() == [True]


def test_golden_6_multiple_groups_are_independent() -> None:
    # Two groups side by side give exactly what each gives alone (offsets [0, 4, 8]).
    out = run([*RO, 0.0, 0.0, 0.0, 0.0], [*RR, 1.0, 0.0, 0.0, 0.0], offsets=[0, 4, 8])
    a, b = run(RO, RR), run([0.0] * 4, [1.0, 0.0, 0.0, 0.0])
    assert out.advantage.tolist() == a.advantage.tolist() + b.advantage.tolist()
    assert out.gate.tolist() == a.gate.tolist() + b.gate.tolist()
    assert out.bound_hit.tolist() == a.bound_hit.tolist() + b.bound_hit.tolist()
