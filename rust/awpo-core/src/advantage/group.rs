//! The per-group formulas of ALGORITHM.md §1–§4 and §6 (one prompt's G responses at a time).
use super::config::{AdvantageConfig, Clip, Estimator, Gate, Scale, Weight};

/// `sd_max` of the reasoning reward `Rr` in `[0, 1]`: `(1 - 0) / 2` (§2, `ratio` gate).
pub const SD_MAX_REASONING: f64 = 0.5;

/// Group mean and population std: `mu = sum(x) / n`, `sd = sqrt(sum((x - mu)^2) / n)` (notation),
/// over every value, or over the non-NaN ones when `SKIP_NAN` (missing judge scores).
///
/// Exact `(x, 0)` when every value is equal (so tied groups give exactly zero advantages), and
/// free of overflow/underflow: when `sum(x)` overflows the mean is `sum(x / n)`; when the sum of
/// squares overflows or underflows, the std is recomputed on deviations scaled by their largest
/// magnitude. Returns `(n, mu, sd)`; `n == 0` gives `(0, NaN, NaN)`.
#[inline]
pub(crate) fn moments<const SKIP_NAN: bool>(xs: &[f64]) -> (usize, f64, f64) {
    let (mut n, mut sum, mut lo, mut hi) = (0usize, 0.0f64, f64::INFINITY, f64::NEG_INFINITY);
    for &x in xs {
        if SKIP_NAN {
            let present = !x.is_nan();
            n += usize::from(present);
            sum += if present { x } else { 0.0 };
        } else {
            sum += x;
        }
        // a NaN fails both comparisons, so it never becomes lo or hi (compiles to minsd/maxsd)
        lo = if x < lo { x } else { lo };
        hi = if x > hi { x } else { hi };
    }
    if !SKIP_NAN {
        n = xs.len();
    }
    if n == 0 {
        return (0, f64::NAN, f64::NAN);
    }
    if lo == hi {
        return (n, lo, 0.0);
    }
    let nf = n as f64;
    let mut mu = sum / nf;
    if !mu.is_finite() {
        mu = present_values::<SKIP_NAN>(xs).map(|x| x / nf).sum();
    }
    let mut ss = 0.0f64;
    for &x in xs {
        let d = x - mu;
        ss += if SKIP_NAN && x.is_nan() { 0.0 } else { d * d };
    }
    let var = ss / nf;
    if var.is_normal() {
        return (n, mu, var.sqrt());
    }
    // the sum of squares over- or underflowed:
    // sd = dmax * sqrt(sum(((x - mu) / dmax)^2) / n), dmax = max |x - mu|
    let dmax = present_values::<SKIP_NAN>(xs).fold(0.0f64, |m, x| m.max((x - mu).abs()));
    if dmax == 0.0 || !dmax.is_finite() {
        return (n, mu, 0.0);
    }
    let ss_scaled: f64 = present_values::<SKIP_NAN>(xs)
        .map(|x| {
            let t = (x - mu) / dmax;
            t * t
        })
        .sum();
    (n, mu, dmax * (ss_scaled / nf).sqrt())
}

/// [`moments`] of the outcomes (all values) and of the judge scores (non-NaN values) of one group,
/// fused into two passes over both arrays (the hot path of `awpo`/`norm_sum`). Same arithmetic, in
/// the same order, as two [`moments`] calls; the rare over/underflow case falls back to them.
/// Returns `((mu_o, sd_o), (n_r, mu_r, sd_r))`.
#[inline]
fn moments_pair(ro: &[f64], rr: &[f64]) -> ((f64, f64), (usize, f64, f64)) {
    let n = ro.len().min(rr.len());
    let (ro, rr) = (&ro[..n], &rr[..n]);
    let (mut sum_o, mut lo_o, mut hi_o) = (0.0f64, f64::INFINITY, f64::NEG_INFINITY);
    let (mut n_r, mut sum_r, mut lo_r, mut hi_r) =
        (0usize, 0.0f64, f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..n {
        let (o, r) = (ro[i], rr[i]);
        sum_o += o;
        lo_o = if o < lo_o { o } else { lo_o };
        hi_o = if o > hi_o { o } else { hi_o };
        let present = !r.is_nan();
        n_r += usize::from(present);
        sum_r += if present { r } else { 0.0 };
        lo_r = if r < lo_r { r } else { lo_r };
        hi_r = if r > hi_r { r } else { hi_r };
    }
    let tie_o = lo_o == hi_o;
    let tie_r = lo_r == hi_r;
    let mu_o = if tie_o { lo_o } else { sum_o / n as f64 };
    let mu_r = if n_r == 0 {
        f64::NAN
    } else if tie_r {
        lo_r
    } else {
        sum_r / n_r as f64
    };
    if n == 0 || !mu_o.is_finite() {
        return (drop_n(moments::<false>(ro)), moments::<true>(rr));
    }
    let (mut ss_o, mut ss_r) = (0.0f64, 0.0f64);
    for i in 0..n {
        let (o, r) = (ro[i], rr[i]);
        let d_o = o - mu_o;
        ss_o += d_o * d_o;
        let d_r = r - mu_r;
        ss_r += if r.is_nan() { 0.0 } else { d_r * d_r };
    }
    let var_o = ss_o / n as f64;
    let var_r = ss_r / n_r as f64;
    let stats_o = if tie_o {
        (mu_o, 0.0)
    } else if var_o.is_normal() {
        (mu_o, var_o.sqrt())
    } else {
        drop_n(moments::<false>(ro))
    };
    let stats_r = if n_r == 0 {
        (0, f64::NAN, f64::NAN)
    } else if tie_r {
        (n_r, mu_r, 0.0)
    } else if var_r.is_normal() {
        (n_r, mu_r, var_r.sqrt())
    } else {
        moments::<true>(rr)
    };
    (stats_o, stats_r)
}

/// One row is valid: the outcome inside `bounds` (so finite: a NaN fails both comparisons, an
/// infinity one), the judge score NaN (missing) or in `[0, 1]`. Branch-free.
#[inline]
pub(crate) fn row_ok(o: f64, r: f64, bounds: (f64, f64)) -> bool {
    (o >= bounds.0) & (o <= bounds.1) & (r.is_nan() | (0.0..=1.0).contains(&r))
}

fn drop_n((_, mu, sd): (usize, f64, f64)) -> (f64, f64) {
    (mu, sd)
}

fn present_values<const SKIP_NAN: bool>(xs: &[f64]) -> impl Iterator<Item = f64> + '_ {
    xs.iter().copied().filter(|x| !(SKIP_NAN && x.is_nan()))
}

/// Per-group outputs besides the per-row arrays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GroupStats {
    pub gate: f64,
    pub weight: f64,
    pub tied: bool,
    pub bound_hit: u32,
}

/// Gate `g` (§2) of an AWPO group.
///
/// - `soft`: `g = (1 - sd_o / sd_max) * [sd_r > tau_r]`, `sd_max = (Ro_max - Ro_min) / 2`
/// - `hard`: `g = [sd_o <= tau_o] * [sd_r > tau_r]`
/// - `ratio`: `g = sd_r' / (sd_r' + sd_o' + eps)`, `sd_r' = sd_r / 0.5`, `sd_o' = sd_o / sd_max`
/// - `off`: `g = 1`
/// - `reliability` (§2): `g = rho * (1 - sd_o / sd_max) * [sd_r > eps]`
///
/// and `g = 0` for every mode when fewer than 2 judge scores are present (`n_r < 2`). The result
/// is clamped to `[0, 1]` (it only leaves it when outcomes sit in the range's round-off slack).
pub(crate) fn gate(cfg: &AdvantageConfig, gate: Gate, n_r: usize, sd_o: f64, sd_r: f64) -> f64 {
    if n_r < 2 {
        return 0.0;
    }
    let judge_discriminates = sd_r > cfg.tau_r;
    let g = match gate {
        Gate::Soft => {
            if judge_discriminates {
                1.0 - sd_o / cfg.sd_max()
            } else {
                0.0
            }
        }
        Gate::Hard => {
            if sd_o <= cfg.tau_o && judge_discriminates {
                1.0
            } else {
                0.0
            }
        }
        Gate::Ratio => {
            let sd_r_n = sd_r / SD_MAX_REASONING;
            let sd_o_n = sd_o / cfg.sd_max();
            sd_r_n / (sd_r_n + sd_o_n + cfg.eps)
        }
        Gate::Off => 1.0,
        Gate::Reliability => {
            // g = rho * (1 - sd_o / sd_max) * [sd_r > eps]  (§2): no absolute score threshold
            if sd_r > cfg.eps {
                cfg.rho * (1.0 - sd_o / cfg.sd_max())
            } else {
                0.0
            }
        }
    };
    g.clamp(0.0, 1.0)
}

/// Weight `w` (§3): `d = 1 - (mu_o - Ro_min) / (Ro_max - Ro_min)` clamped to `[0, 1]`;
/// `linear`: `w = lam * (w_floor + (1 - w_floor) * d)`; `off`: `w = lam`.
pub(crate) fn weight(cfg: &AdvantageConfig, weight: Weight, mu_o: f64) -> f64 {
    match weight {
        Weight::Linear => {
            let d = (1.0 - (mu_o - cfg.outcome_min) / (cfg.outcome_max - cfg.outcome_min))
                .clamp(0.0, 1.0);
            cfg.lam * (cfg.w_floor + (1.0 - cfg.w_floor) * d)
        }
        Weight::Off => cfg.lam,
    }
}

/// Fills `adv` and `share` for one group and returns its per-group statistics.
///
/// `ro`, `rr`, `adv`, `share` have the same length `G >= 1` (the caller checks). Formulas:
/// - `Ao_i = (Ro_i - mu_o) / (sd_o + eps)`, or `Ro_i - mu_o` with `scale: none` (§1)
/// - `Ar_i = (Rr_i - mu_r) / (sd_r + eps)`, `0` where `Rr_i` is missing (NaN) (§1)
/// - `c_i = g * w * Ar_i`; `bound_i = kappa * |Ao_i|` if `|Ao_i| > eps` else `delta0` (§4)
/// - `A_i = Ao_i + clip(c_i, -bound_i, +bound_i)` (`clip: off`: `A_i = Ao_i + c_i`) (§4)
/// - `s_i = |clipped c_i| / (|Ao_i| + |clipped c_i| + eps)` (§4)
/// - baselines (§6): `grpo` `A_i = Ao_i`; `norm_sum` `A_i = Ao_i + lam * Ar_i` (AWPO with gate,
///   weight and clip off); `naive_sum` GRPO-normalises `R_i = Ro_i + lam * Rr_i`, a missing `Rr_i`
///   replaced by the group's `mu_r` (all missing: `R_i = Ro_i`).
///
/// `tied = sd_o <= tau_o` for every estimator. `grpo` and `naive_sum` have no gate or weight:
/// those are NaN, `s_i = 0`, `bound_hit = 0`.
pub(crate) fn compute_group(
    cfg: &AdvantageConfig,
    ro: &[f64],
    rr: &[f64],
    adv: &mut [f64],
    share: &mut [f64],
) -> GroupStats {
    let outcome_moments = || drop_n(moments::<false>(ro));
    // Ao_i = (Ro_i - mu_o) / denom, as a product with 1 / denom  (§1)
    let inv_denom = |sd: f64| match cfg.scale {
        Scale::Std => 1.0 / (sd + cfg.eps),
        Scale::None => 1.0,
    };
    let no_gate = |sd_o: f64| GroupStats {
        gate: f64::NAN,
        weight: f64::NAN,
        tied: sd_o <= cfg.tau_o,
        bound_hit: 0,
    };
    let (gate_mode, weight_mode, clip_mode) = match cfg.estimator {
        Estimator::Grpo => {
            let (mu_o, sd_o) = outcome_moments();
            let inv_o = inv_denom(sd_o);
            for (a, &o) in adv.iter_mut().zip(ro) {
                *a = (o - mu_o) * inv_o;
            }
            share.fill(0.0);
            return no_gate(sd_o);
        }
        Estimator::NaiveSum => {
            let (_, sd_o) = outcome_moments();
            let (n_r, mu_r, _) = moments::<true>(rr);
            // R_i = Ro_i + lam * Rr_i, Rr_i := mu_r where missing; all missing: R_i = Ro_i  (§6)
            let (lam, fill) = if n_r == 0 {
                (0.0, 0.0)
            } else {
                (cfg.lam, mu_r)
            };
            for ((a, &o), &r) in adv.iter_mut().zip(ro).zip(rr) {
                *a = o + lam * if r.is_nan() { fill } else { r };
            }
            // then GRPO normalisation of R, in place
            let (_, mu, sd) = moments::<false>(adv);
            let inv = inv_denom(sd);
            for a in adv.iter_mut() {
                *a = (*a - mu) * inv;
            }
            share.fill(0.0);
            return no_gate(sd_o);
        }
        Estimator::NormSum => (Gate::Off, Weight::Off, Clip::Off),
        Estimator::Awpo => (cfg.gate, cfg.weight, cfg.clip),
    };

    let ((mu_o, sd_o), (n_r, mu_r, sd_r)) = moments_pair(ro, rr);
    let g = gate(cfg, gate_mode, n_r, sd_o, sd_r);
    let w = weight(cfg, weight_mode, mu_o);
    let gw = g * w;
    let inv_o = inv_denom(sd_o);
    let inv_r = 1.0 / (sd_r + cfg.eps);
    let (kappa, delta0, eps) = (cfg.kappa, cfg.delta0, cfg.eps);
    let clip_on = clip_mode == Clip::On;
    let mut bound_hit = 0u32;
    // equal lengths up front, so the indexed loop below has no bounds checks
    let n = ro.len().min(rr.len()).min(adv.len()).min(share.len());
    let (ro, rr, adv, share) = (&ro[..n], &rr[..n], &mut adv[..n], &mut share[..n]);
    for i in 0..n {
        let (o, r) = (ro[i], rr[i]);
        let ao = (o - mu_o) * inv_o;
        // Ar_i = (Rr_i - mu_r) / (sd_r + eps), 0 where missing  (§1)
        let ar = if r.is_nan() { 0.0 } else { (r - mu_r) * inv_r };
        // c_i = g * w * Ar_i  (§4)
        let mut c = gw * ar;
        if clip_on {
            // bound_i = kappa * |Ao_i| if |Ao_i| > eps else delta0; c_i := clip(c_i, -bound_i, bound_i)
            let bound = if ao.abs() > eps {
                kappa * ao.abs()
            } else {
                delta0
            };
            bound_hit += u32::from(c.abs() > bound);
            c = c.max(-bound).min(bound);
        }
        // A_i = Ao_i + c_i;  s_i = |c_i| / (|Ao_i| + |c_i| + eps)  (§4)
        adv[i] = ao + c;
        share[i] = c.abs() / (ao.abs() + c.abs() + eps);
    }
    GroupStats {
        gate: g,
        weight: w,
        tied: sd_o <= cfg.tau_o,
        bound_hit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn moments_population_std() {
        // [1, 2, 3, 4]: mu = 2.5, var = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
        let (n, mu, sd) = moments::<false>(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(n, 4);
        assert!(close(mu, 2.5) && close(sd, 1.25f64.sqrt()));
    }

    #[test]
    fn moments_exact_tie_and_empty() {
        assert_eq!(moments::<false>(&[0.7, 0.7, 0.7]), (3, 0.7, 0.0));
        assert_eq!(moments::<true>(&[0.7, f64::NAN, 0.7]), (2, 0.7, 0.0));
        let (n, mu, sd) = moments::<true>(&[f64::NAN; 3]);
        assert!(n == 0 && mu.is_nan() && sd.is_nan());
    }

    #[test]
    fn moments_survive_overflow_and_underflow() {
        // [1e300, -1e300]: mu = 0, sd = 1e300 (squares overflow)
        let (_, mu, sd) = moments::<true>(&[1e300, f64::NAN, -1e300]);
        assert!(close(mu, 0.0) && close(sd, 1e300), "{mu} {sd}");
        // sum overflows: [1.5e308, 1.5e308, 0]: mu = 1e308, sd = sqrt(2/9) * 1.5e308
        let (_, mu, sd) = moments::<false>(&[1.5e308, 1.5e308, 0.0]);
        assert!(close(mu, 1e308), "{mu}");
        assert!(close(sd, (2.0f64 / 9.0).sqrt() * 1.5e308), "{sd}");
        // deviations of 1e-170 square to 1e-340 (underflow): sd = 1e-170 for [0.5 - d, 0.5 + d]?
        // 0.5 +- 1e-170 rounds to 0.5; use values near 0: [-1e-170, 1e-170] -> mu 0, sd 1e-170
        let (_, mu, sd) = moments::<false>(&[-1e-170, 1e-170]);
        assert!(mu == 0.0 && close(sd, 1e-170), "{mu} {sd}");
    }

    #[test]
    fn moments_pair_equals_two_moments_calls() {
        let cases: [(&[f64], &[f64]); 6] = [
            (&[1.0, 0.0, 0.0, 0.0], &[0.9, 0.1, f64::NAN, 0.3]),
            (&[0.5, 0.5], &[f64::NAN, f64::NAN]),
            (&[0.3], &[0.7]),
            (&[1e300, -1e300, 1e300], &[0.2, 0.2, f64::NAN]),
            (&[1.5e308, 1.5e308, 0.0], &[0.0, 1.0, 0.5]),
            (&[-1e-170, 1e-170], &[0.25, 0.75]),
        ];
        for (ro, rr) in cases {
            let ((mu_o, sd_o), (n_r, mu_r, sd_r)) = moments_pair(ro, rr);
            let (_, mu_o2, sd_o2) = moments::<false>(ro);
            let (n_r2, mu_r2, sd_r2) = moments::<true>(rr);
            let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
            assert!(same(mu_o, mu_o2) && same(sd_o, sd_o2), "{ro:?}");
            assert!(
                n_r == n_r2 && same(mu_r, mu_r2) && same(sd_r, sd_r2),
                "{rr:?}"
            );
        }
    }

    #[test]
    fn gate_needs_two_judge_scores_in_every_mode() {
        let cfg = AdvantageConfig::default();
        for g in [
            Gate::Soft,
            Gate::Hard,
            Gate::Ratio,
            Gate::Off,
            Gate::Reliability,
        ] {
            assert_eq!(gate(&cfg, g, 1, 0.0, 0.3), 0.0);
            assert_eq!(gate(&cfg, g, 0, 0.0, f64::NAN), 0.0);
        }
    }
}
