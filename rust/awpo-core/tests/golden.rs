//! Golden tests of the advantage engine: every number below is worked out by hand (the arithmetic
//! is in the comment beside it), not by running the code. `tests/algo/test_golden_advantages.py`
//! holds the same cases for the Python API.
//!
//! Shared hand arithmetic (eps = 1e-6, outcome range [0, 1] unless said otherwise):
//! - Ro = [1, 0, 0, 0]: mu_o = 0.25, sd_o = sqrt((0.75^2 + 3 * 0.25^2) / 4) = sqrt(0.1875)
//!   = 0.4330127018922193; Ao = 0.75 / 0.4330137018922193 = 1.732046807578115 and
//!   -0.25 / 0.4330137018922193 = -0.5773489358593717.
//! - Rr = [0.9, 0.1, 0.5, 0.3]: mu_r = 0.45, sd_r = sqrt((0.45^2 + 0.35^2 + 0.05^2 + 0.15^2) / 4)
//!   = sqrt(0.0875) = 0.2958039891549808; Ar = dev / 0.2958049891549808 =
//!   [1.5212725156715732, -1.1832119566334456, 0.1690302795190637, -0.5070908385571911].
use awpo_core::advantage::{
    AdvantageConfig, AdvantageOutput, Clip, Estimator, Gate, Scale, Weight, compute,
};

const NAN: f64 = f64::NAN;
const RO: [f64; 4] = [1.0, 0.0, 0.0, 0.0];
const RR: [f64; 4] = [0.9, 0.1, 0.5, 0.3];
const AO: [f64; 4] = [
    1.732046807578115,
    -0.5773489358593717,
    -0.5773489358593717,
    -0.5773489358593717,
];

fn run(ro: &[f64], rr: &[f64], offsets: &[usize], cfg: AdvantageConfig) -> AdvantageOutput {
    match compute(ro, rr, offsets, &cfg) {
        Ok(out) => out,
        Err(e) => panic!("compute failed: {e}"),
    }
}

fn one(ro: &[f64], rr: &[f64], cfg: AdvantageConfig) -> AdvantageOutput {
    run(ro, rr, &[0, ro.len()], cfg)
}

fn awpo() -> AdvantageConfig {
    AdvantageConfig::default()
}

fn with(estimator: Estimator) -> AdvantageConfig {
    AdvantageConfig::default().with_estimator(estimator)
}

#[track_caller]
fn close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        let ok = if e.is_nan() {
            a.is_nan()
        } else {
            (a - e).abs() <= 1e-12 * (1.0 + e.abs())
        };
        assert!(ok, "{actual:?} != {expected:?}");
    }
}

// ---------------------------------------------------------------- §1 group-relative advantages

#[test]
fn test_golden_1_outcome_advantage_std() {
    // ALGORITHM.md §1: Ao_i = (Ro_i - mu_o) / (sd_o + eps); grpo returns Ao unchanged
    let out = one(&RO, &[NAN; 4], with(Estimator::Grpo));
    close(&out.advantage, &AO);
    close(&out.reasoning_share, &[0.0; 4]);
    close(&out.gate, &[NAN]);
    close(&out.weight, &[NAN]);
    assert_eq!(
        (out.tied.as_slice(), out.bound_hit.as_slice()),
        (&[false][..], &[0][..])
    );
}

#[test]
fn test_golden_1_outcome_advantage_scale_none() {
    // ALGORITHM.md §1, scale: none: Ao_i = Ro_i - mu_o = [1 - 0.25, 0 - 0.25, ...]
    let cfg = AdvantageConfig {
        scale: Scale::None,
        ..with(Estimator::Grpo)
    };
    close(
        &one(&RO, &[NAN; 4], cfg).advantage,
        &[0.75, -0.25, -0.25, -0.25],
    );
}

#[test]
fn test_golden_1_reasoning_advantage_missing_score() {
    // ALGORITHM.md §1: Ar_i = (Rr_i - mu_r) / (sd_r + eps), 0 where missing.
    // Ro tied at 0 so Ao = 0 and norm_sum gives A = lam * Ar = Ar.
    // Present Rr = [0.75, 0.25, 0.5]: mu_r = 0.5, sd_r = sqrt((0.25^2 + 0.25^2 + 0) / 3)
    // = sqrt(1 / 24) = 0.2041241452319315; Ar = +-0.25 / 0.2041251452319315 = +-1.2247388714209828
    let out = one(&[0.0; 4], &[0.75, NAN, 0.25, 0.5], with(Estimator::NormSum));
    close(
        &out.advantage,
        &[1.2247388714209828, 0.0, -1.2247388714209828, 0.0],
    );
    // s_i = |c_i| / (0 + |c_i| + eps) = 1.2247388714209828 / 1.2247398714209828
    let s = 0.9999991835000858;
    close(&out.reasoning_share, &[s, 0.0, s, 0.0]);
}

#[test]
fn test_golden_1_reasoning_advantage_equal_scores_is_zero() {
    // ALGORITHM.md §1 (decision): all present Rr equal -> sd_r = 0 and Ar_i = 0 exactly
    let cfg = AdvantageConfig {
        gate: Gate::Off,
        ..awpo()
    };
    let out = one(&[0.0; 4], &[0.7, 0.7, NAN, 0.7], cfg);
    assert_eq!(out.advantage, vec![0.0; 4]);
    assert_eq!(out.gate, vec![1.0]);
}

// ---------------------------------------------------------------- §2 variance-aware gate

#[test]
fn test_golden_2_gate_soft() {
    // ALGORITHM.md §2: g = (1 - sd_o / sd_max) * [sd_r > tau_r], sd_max = (1 - 0) / 2 = 0.5
    // sd_r = 0.2958 > 0.05: g = 1 - 0.4330127018922193 / 0.5 = 0.1339745962155614
    close(&one(&RO, &RR, awpo()).gate, &[0.1339745962155614]);
    // tied outcomes (sd_o = 0): fully open, g = 1
    close(&one(&[1.0; 4], &RR, awpo()).gate, &[1.0]);
    // maximal spread [1, 0, 1, 0]: sd_o = 0.5 = sd_max, g = 0
    close(&one(&[1.0, 0.0, 1.0, 0.0], &RR, awpo()).gate, &[0.0]);
}

#[test]
fn test_golden_2_gate_soft_closed_below_tau_r() {
    // ALGORITHM.md §2: Rr = [0.5, 0.5, 0.55, 0.5]: mu_r = 0.5125,
    // sd_r = sqrt((3 * 0.0125^2 + 0.0375^2) / 4) = sqrt(0.00046875) = 0.0216506 <= tau_r = 0.05
    let rr = [0.5, 0.5, 0.55, 0.5];
    let out = one(&[1.0; 4], &rr, awpo());
    close(&out.gate, &[0.0]);
    close(&out.advantage, &[0.0; 4]);
    let hard = AdvantageConfig {
        gate: Gate::Hard,
        ..awpo()
    };
    close(&one(&[1.0; 4], &rr, hard).gate, &[0.0]);
}

#[test]
fn test_golden_2_gate_hard() {
    // ALGORITHM.md §2: g = [sd_o <= tau_o] * [sd_r > tau_r]
    let cfg = AdvantageConfig {
        gate: Gate::Hard,
        ..awpo()
    };
    close(&one(&RO, &RR, cfg).gate, &[0.0]); // sd_o = 0.433 > 1e-6
    close(&one(&[1.0; 4], &RR, cfg).gate, &[1.0]); // sd_o = 0, sd_r = 0.296 > 0.05
}

#[test]
fn test_golden_2_gate_ratio() {
    // ALGORITHM.md §2: g = sd_r' / (sd_r' + sd_o' + eps), sd_r' = sd_r / 0.5, sd_o' = sd_o / 0.5
    // = 0.5916079783099616 / (0.5916079783099616 + 0.8660254037844386 + 1e-6) = 0.40586856730143156
    let cfg = AdvantageConfig {
        gate: Gate::Ratio,
        ..awpo()
    };
    close(&one(&RO, &RR, cfg).gate, &[0.40586856730143156]);
}

#[test]
fn test_golden_2_gate_off() {
    // ALGORITHM.md §2: g = 1
    let cfg = AdvantageConfig {
        gate: Gate::Off,
        ..awpo()
    };
    close(&one(&RO, &RR, cfg).gate, &[1.0]);
}

#[test]
fn test_golden_2_gate_needs_two_scores() {
    // ALGORITHM.md §2: fewer than 2 non-missing Rr -> g = 0, in every mode (decision: `off` too)
    for gate in [
        Gate::Soft,
        Gate::Hard,
        Gate::Ratio,
        Gate::Off,
        Gate::Reliability,
    ] {
        let cfg = AdvantageConfig { gate, ..awpo() };
        let all_missing = one(&RO, &[NAN; 4], cfg);
        close(&all_missing.gate, &[0.0]);
        close(&all_missing.advantage, &AO);
        close(&all_missing.reasoning_share, &[0.0; 4]);
        let all_but_one = one(&RO, &[0.9, NAN, NAN, NAN], cfg);
        close(&all_but_one.gate, &[0.0]);
        close(&all_but_one.advantage, &AO);
    }
}

#[test]
fn test_golden_2_5_reliability_gate() {
    // ALGORITHM.md §2: g = rho * (1 - sd_o / sd_max) * [sd_r > eps]
    // RO, RR: sd_o = 0.4330127018922193, sd_max = 0.5, 1 - sd_o / 0.5 = 0.1339745962155614;
    // rho = 0.6: g = 0.08038475772933684
    let cfg = AdvantageConfig {
        gate: Gate::Reliability,
        rho: 0.6,
        ..awpo()
    };
    close(&one(&RO, &RR, cfg).gate, &[0.08038475772933684]);
    // a compressed judge: Rr = [0.53, 0.51, 0.52, 0.51], mu_r = 0.5175, sd_r = sqrt(6.875e-5)
    // = 0.00829 < tau_r = 0.05: soft closes (g = 0); tied outcomes (sd_o = 0), rho = 0.7: g = 0.7
    let compressed = [0.53, 0.51, 0.52, 0.51];
    let tied = [0.0; 4];
    close(&one(&tied, &compressed, awpo()).gate, &[0.0]);
    let cfg = AdvantageConfig { rho: 0.7, ..cfg };
    let out = one(&tied, &compressed, cfg);
    close(&out.gate, &[0.7]);
    // Ao = 0, bound = delta0 = 1, w = 1 (d = 1): A_i = clip(0.7 * Ar_i, -1, 1) with Ar_i = dev / (sd_r + eps);
    // the highest score gets the largest advantage, equal scores equal ones
    assert!(out.advantage[0] > out.advantage[2] && out.advantage[2] > out.advantage[1]);
    assert_eq!(out.advantage[1], out.advantage[3]);
    // all scores equal (sd_r = 0 <= eps): closed; rho = 0 (a judge at chance): closed
    close(&one(&tied, &[0.4; 4], cfg).gate, &[0.0]);
    close(
        &one(&RO, &RR, AdvantageConfig { rho: 0.0, ..cfg }).gate,
        &[0.0],
    );
    // rho outside [0, 1] is refused
    assert!(AdvantageConfig { rho: 1.5, ..cfg }.validate().is_err());
}

// ---------------------------------------------------------------- §3 difficulty-aware weight

#[test]
fn test_golden_3_weight_linear() {
    // ALGORITHM.md §3: d = 1 - (0.25 - 0) / (1 - 0) = 0.75; w = 1 * (0.25 + 0.75 * 0.75) = 0.8125
    close(&one(&RO, &RR, awpo()).weight, &[0.8125]);
    // range [-3, 4], Ro = [4, 4, -3, -3]: mu_o = 0.5, d = 1 - 3.5 / 7 = 0.5,
    // lam = 2: w = 2 * (0.25 + 0.75 * 0.5) = 1.25
    let cfg = AdvantageConfig {
        lam: 2.0,
        ..awpo().with_outcome_range(-3.0, 4.0)
    };
    close(&one(&[4.0, 4.0, -3.0, -3.0], &RR, cfg).weight, &[1.25]);
    // solved prompt Ro = [1, 1, 1, 1]: d = 0, w = w_floor = 0.25; failed: d = 1, w = 1
    close(&one(&[1.0; 4], &RR, awpo()).weight, &[0.25]);
    close(&one(&[0.0; 4], &RR, awpo()).weight, &[1.0]);
}

#[test]
fn test_golden_3_weight_off() {
    // ALGORITHM.md §3: w = lam = 2
    let cfg = AdvantageConfig {
        weight: Weight::Off,
        lam: 2.0,
        ..awpo()
    };
    close(&one(&RO, &RR, cfg).weight, &[2.0]);
}

// ---------------------------------------------------------------- §4 tailored clipping

#[test]
fn test_golden_4_awpo_defaults() {
    // ALGORITHM.md §4 with soft gate, linear weight: g * w = 0.1339745962155614 * 0.8125
    // = 0.10885435942514364; c = g * w * Ar; bounds 0.5 * |Ao| = 0.866 / 0.289 are not reached.
    // A_0 = 1.732046807578115 + 0.10885435942514364 * 1.5212725156715732 = 1.897643952782621
    // A_1 = -0.5773489358593717 - 0.10885435942514364 * 1.1832119566334456 = -0.7061467154628763
    // A_2 = -0.5773489358593717 + 0.10885435942514364 * 0.1690302795190637 = -0.5589492530588711
    // A_3 = -0.5773489358593717 - 0.10885435942514364 * 0.5070908385571911 = -0.6325479842608737
    let out = one(&RO, &RR, awpo());
    close(
        &out.advantage,
        &[
            1.897643952782621,
            -0.7061467154628763,
            -0.5589492530588711,
            -0.6325479842608737,
        ],
    );
    // s_i = |c_i| / (|Ao_i| + |c_i| + eps), e.g. s_0 = 0.1655971 / (1.7320468 + 0.1655971 + 1e-6)
    close(
        &out.reasoning_share,
        &[
            0.08726455650288095,
            0.1823949533265547,
            0.030884925855077166,
            0.08726446453155154,
        ],
    );
    assert_eq!(
        (out.tied.as_slice(), out.bound_hit.as_slice()),
        (&[false][..], &[0][..])
    );
}

#[test]
fn test_golden_4_clip_binds() {
    // ALGORITHM.md §4 with gate and weight off (g * w = 1): c = Ar;
    // bound = 0.5 * |Ao| = [0.8660234037890575, 0.28867446792968585 x3]
    // c_0 = 1.5213 -> 0.8660: A_0 = 1.5 * 1.732046807578115 = 2.5980702113671725
    // c_1 = -1.1832 -> -0.2887: A_1 = -1.5 * 0.5773489358593717 = -0.8660234037890576
    // c_2 = 0.1690 inside: A_2 = -0.5773489358593717 + 0.1690302795190637 = -0.40831865634030806
    // c_3 = -0.5071 -> -0.2887: A_3 = -0.8660234037890576; 3 rows hit the bound.
    // s = 0.5|Ao| / (1.5|Ao| + eps) ~ 1/3 where clipped; s_2 = 0.16903 / (0.57735 + 0.16903 + eps)
    let cfg = AdvantageConfig {
        gate: Gate::Off,
        weight: Weight::Off,
        ..awpo()
    };
    let out = one(&RO, &RR, cfg);
    close(
        &out.advantage,
        &[
            2.5980702113671725,
            -0.8660234037890576,
            -0.40831865634030806,
            -0.8660234037890576,
        ],
    );
    close(
        &out.reasoning_share,
        &[
            0.3333332050330266,
            0.33333294843270944,
            0.22646672036096327,
            0.33333294843270944,
        ],
    );
    assert_eq!(out.bound_hit, vec![3]);
}

#[test]
fn test_golden_4_clip_off() {
    // ALGORITHM.md §4, clip: off: A_i = Ao_i + c_i = Ao_i + Ar_i (g = w = 1)
    // A_0 = 1.732046807578115 + 1.5212725156715732 = 3.253319323249688
    // A_1 = -0.5773489358593717 - 1.1832119566334456 = -1.7605608924928173
    // A_2 = -0.40831865634030806; A_3 = -0.5773489358593717 - 0.5070908385571911 = -1.0844397744165628
    let cfg = AdvantageConfig {
        gate: Gate::Off,
        weight: Weight::Off,
        clip: Clip::Off,
        ..awpo()
    };
    let out = one(&RO, &RR, cfg);
    close(
        &out.advantage,
        &[
            3.253319323249688,
            -1.7605608924928173,
            -0.40831865634030806,
            -1.0844397744165628,
        ],
    );
    close(
        &out.reasoning_share,
        &[
            0.4676061268236873,
            0.6720649593057535,
            0.22646672036096327,
            0.4676058393599316,
        ],
    );
    assert_eq!(out.bound_hit, vec![0]);
}

#[test]
fn test_golden_4_tied_outcomes_use_delta0() {
    // ALGORITHM.md §4: all outcomes 0 (tied): Ao = 0, bound = delta0 = 1; soft g = 1 - 0 = 1;
    // d = 1 so w = 1. Rr = [1, 0, 0, 0]: Ar = [1.732046807578115, -0.5773489358593717 x3].
    // c_0 = 1.732 -> clipped to 1; others inside. s_0 = 1 / (0 + 1 + 1e-6) = 0.9999990000010001;
    // s_k = 0.5773489358593717 / 0.5773499358593717 = 0.9999982679481924
    let out = one(&[0.0; 4], &[1.0, 0.0, 0.0, 0.0], awpo());
    let a = -0.5773489358593717;
    close(&out.advantage, &[1.0, a, a, a]);
    let sk = 0.9999982679481924;
    close(&out.reasoning_share, &[0.9999990000010001, sk, sk, sk]);
    close(&out.gate, &[1.0]);
    close(&out.weight, &[1.0]);
    assert_eq!(
        (out.tied.as_slice(), out.bound_hit.as_slice()),
        (&[true][..], &[1][..])
    );
}

#[test]
fn test_golden_4_tied_outcomes_one_score_missing() {
    // ALGORITHM.md §4: Ro = 0 x4 (g = 1, w = 1, bound = delta0 = 1); Rr = [0.75, NaN, 0.25, 0.5]:
    // Ar = [1.2247388714209828, 0, -1.2247388714209828, 0] -> clipped to +-1 twice.
    // s = 1 / (0 + 1 + 1e-6) = 0.9999990000010001 where clipped, 0 where Ar = 0
    let out = one(&[0.0; 4], &[0.75, NAN, 0.25, 0.5], awpo());
    close(&out.advantage, &[1.0, 0.0, -1.0, 0.0]);
    close(
        &out.reasoning_share,
        &[0.9999990000010001, 0.0, 0.9999990000010001, 0.0],
    );
    assert_eq!(out.bound_hit, vec![2]);
}

// ---------------------------------------------------------------- §6 baselines

#[test]
fn test_golden_6_grpo() {
    // ALGORITHM.md §6: A_i = Ao_i, whatever the judge says
    let out = one(&RO, &RR, with(Estimator::Grpo));
    close(&out.advantage, &AO);
    close(&out.reasoning_share, &[0.0; 4]);
}

#[test]
fn test_golden_6_naive_sum() {
    // ALGORITHM.md §6: Rr = [0.9, NaN, 0.5, 0.3]: the missing one becomes mu_r = 1.7 / 3
    // = 0.5666666666666667. R = Ro + Rr = [1.9, 0.5666666666666667, 0.5, 0.3];
    // mu = 3.2666666666666667 / 4 = 0.8166666666666667;
    // sd = sqrt((1.0833333^2 + 0.25^2 + 0.3166667^2 + 0.5166667^2) / 4) = 0.6331139971074192;
    // A = (R - mu) / 0.6331149971074192
    let out = one(&RO, &[0.9, NAN, 0.5, 0.3], with(Estimator::NaiveSum));
    close(
        &out.advantage,
        &[
            1.7111162084026994,
            -0.39487297116985376,
            -0.5001724301484813,
            -0.8160708070843643,
        ],
    );
    close(&out.reasoning_share, &[0.0; 4]);
    close(&out.gate, &[NAN]);
    // all scores missing: R = Ro, same as grpo
    close(
        &one(&RO, &[NAN; 4], with(Estimator::NaiveSum)).advantage,
        &AO,
    );
}

#[test]
fn test_golden_6_norm_sum() {
    // ALGORITHM.md §6: A_i = Ao_i + lam * Ar_i; lam = 0.5:
    // A_0 = 1.732046807578115 + 0.5 * 1.5212725156715732 = 2.4926830654139014
    // A_1 = -0.5773489358593717 - 0.5 * 1.1832119566334456 = -1.1689549141760947
    // A_2 = -0.5773489358593717 + 0.5 * 0.1690302795190637 = -0.4928337960998399
    // A_3 = -0.5773489358593717 - 0.5 * 0.5070908385571911 = -0.8308943551379673
    let cfg = AdvantageConfig {
        lam: 0.5,
        ..with(Estimator::NormSum)
    };
    let out = one(&RO, &RR, cfg);
    close(
        &out.advantage,
        &[
            2.4926830654139014,
            -1.1689549141760947,
            -0.4928337960998399,
            -0.8308943551379673,
        ],
    );
    close(&out.weight, &[0.5]);
    close(&out.gate, &[1.0]);
}

// ---------------------------------------------------------------- edge cases

#[test]
fn test_golden_4_group_sizes_1_and_2() {
    // Group 0 has one row: Ro = mu_o so Ao = 0; one score so g = 0: A = 0, s = 0.
    // d = 1 - 1 = 0 so w = 0.25; sd_o = 0 so tied.
    // Group 1 = [1, 0] with Rr = [0.2, 0.8], ratio gate: mu_o = 0.5, sd_o = 0.5,
    // Ao = +-0.5 / 0.500001 = +-0.999998; sd_r = 0.3, Ar = -+0.3 / 0.300001;
    // g = 0.6 / (0.6 + 1 + 1e-6) = 0.3749997656251465; d = 0.5, w = 0.625;
    // c_0 = -0.3749997656 * 0.625 * 0.9999966667 = -0.2343741; bound 0.499999 not reached;
    // A_0 = 0.999998000004 - 0.2343741 = 0.765623927735191
    let cfg = AdvantageConfig {
        gate: Gate::Ratio,
        ..awpo()
    };
    let out = run(&[1.0, 1.0, 0.0], &[0.7, 0.2, 0.8], &[0, 1, 3], cfg);
    close(
        &out.advantage,
        &[0.0, 0.765623927735191, -0.765623927735191],
    );
    close(&out.reasoning_share[..1], &[0.0]);
    close(&out.reasoning_share[1..2], &[0.18987296266700313]);
    close(&out.gate, &[0.0, 0.3749997656251465]);
    close(&out.weight, &[0.25, 0.625]);
    assert_eq!(out.tied, vec![true, false]);
    // every estimator gives a size-1 group zero advantage
    for e in [
        Estimator::Grpo,
        Estimator::NaiveSum,
        Estimator::NormSum,
        Estimator::Awpo,
    ] {
        close(&one(&[1.0], &[0.7], with(e)).advantage, &[0.0]);
    }
}

#[test]
fn test_golden_1_extreme_values() {
    // range [-1e300, 1e300] (sd_max = 1e300); Ro = [1e300, -1e300, 1e300, -1e300]: mu_o = 0,
    // sd_o = 1e300 (squares overflow, so the scaled path runs), Ao = +-1e300 / (1e300 + 1e-6) = +-1.
    // soft gate: 1 - 1e300 / 1e300 = 0 -> A = Ao.
    let ro = [1e300, -1e300, 1e300, -1e300];
    let rr = [1.0, 0.0, 0.0, 1.0];
    let cfg = awpo().with_outcome_range(-1e300, 1e300);
    let out = one(&ro, &rr, cfg);
    close(&out.advantage, &[1.0, -1.0, 1.0, -1.0]);
    close(&out.gate, &[0.0]);
    // gate off: d = 1 - (0 + 1e300) / 2e300 = 0.5, w = 0.625; Ar = +-0.5 / 0.500001 = +-0.999998;
    // c = +-0.62499875 > bound 0.5 -> +-0.5: A = [1.5, -1.5, 0.5, -0.5], 4 hits
    let cfg = AdvantageConfig {
        gate: Gate::Off,
        ..cfg
    };
    let out = one(&ro, &rr, cfg);
    close(&out.advantage, &[1.5, -1.5, 0.5, -0.5]);
    close(&out.weight, &[0.625]);
    assert_eq!(out.bound_hit, vec![4]);
    // sum overflow: range [0, 1.5e308], Ro = [1.5e308, 1.5e308, 0]: mu = 1e308,
    // sd = 1e308 * sqrt((0.25 + 0.25 + 1) / 3) = 1e308 * sqrt(0.5);
    // Ao = [0.5 / sqrt(0.5), 0.5 / sqrt(0.5), -1 / sqrt(0.5)] = [1 / sqrt(2) x2, -sqrt(2)]
    let cfg = with(Estimator::Grpo).with_outcome_range(0.0, 1.5e308);
    let out = one(&[1.5e308, 1.5e308, 0.0], &[NAN; 3], cfg);
    close(
        &out.advantage,
        &[
            std::f64::consts::FRAC_1_SQRT_2,
            std::f64::consts::FRAC_1_SQRT_2,
            -std::f64::consts::SQRT_2,
        ],
    );
}

#[test]
fn test_golden_2_tiny_spread() {
    // Ro = [0.5, 0.5 + 2^-40]: mu_o = 0.5 + 2^-41, sd_o = 2^-41 = 4.547473508864641e-13 <= tau_o:
    // tied, and the hard gate opens (sd_r = 0.5 > 0.05). Ao = -+2^-41 / (2^-41 + 1e-6)
    // = -+4.5474714409140505e-07, below eps, so bound = delta0 = 1.
    // d = 1 - mu_o = 0.5 - 2^-41, w = 0.25 + 0.75 * d = 0.6249999999996589;
    // Ar = +-0.999998000004; c = +-0.6249987500 (inside delta0);
    // A_0 = -4.5474714409140505e-07 + 0.62499875 = 0.6249982952550148
    let cfg = AdvantageConfig {
        gate: Gate::Hard,
        ..awpo()
    };
    let out = one(&[0.5, 0.5 + 2f64.powi(-40)], &[1.0, 0.0], cfg);
    close(&out.advantage, &[0.6249982952550148, -0.6249982952550148]);
    close(
        &out.reasoning_share,
        &[0.999997672405332, 0.999997672405332],
    );
    close(&out.gate, &[1.0]);
    close(&out.weight, &[0.6249999999996589]);
    assert_eq!(
        (out.tied.as_slice(), out.bound_hit.as_slice()),
        (&[true][..], &[0][..])
    );
}

#[test]
fn test_golden_1_all_outcomes_equal() {
    // ALGORITHM.md §1: equal outcomes give Ao = 0 exactly, for both scales and every estimator
    // without a reasoning term.
    for scale in [Scale::Std, Scale::None] {
        for e in [Estimator::Grpo, Estimator::NaiveSum] {
            let cfg = AdvantageConfig { scale, ..with(e) };
            let out = one(&[0.3; 5], &[NAN; 5], cfg);
            assert_eq!(out.advantage, vec![0.0; 5]);
            assert_eq!(out.tied, vec![true]);
        }
    }
}

#[test]
fn test_golden_6_multiple_groups_are_independent() {
    // Two groups side by side give exactly what each gives alone (offsets [0, 4, 8]).
    let ro = [RO, [0.0; 4]].concat();
    let rr = [RR, [1.0, 0.0, 0.0, 0.0]].concat();
    let out = run(&ro, &rr, &[0, 4, 8], awpo());
    let a = one(&RO, &RR, awpo());
    let b = one(&[0.0; 4], &[1.0, 0.0, 0.0, 0.0], awpo());
    assert_eq!(out.advantage, [a.advantage, b.advantage].concat());
    assert_eq!(out.gate, [a.gate, b.gate].concat());
    assert_eq!(out.bound_hit, [a.bound_hit, b.bound_hit].concat());
}
