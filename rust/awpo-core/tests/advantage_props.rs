//! Property tests of the advantage engine (issue 4 §4); the Python side has the same properties
//! with hypothesis in `tests/algo/test_advantage_properties.py`.
use awpo_core::advantage::{
    AdvantageConfig, AdvantageOutput, Clip, Estimator, Gate, Scale, Weight, compute,
};
use proptest::prelude::*;

/// A batch: outcomes on a coarse grid in [0, 1] (so ties happen), judge scores in [0, 1] or NaN.
fn batch() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<usize>)> {
    prop::collection::vec(1usize..10, 1..12).prop_flat_map(|sizes| {
        let n: usize = sizes.iter().sum();
        let mut offsets = vec![0usize];
        for s in &sizes {
            offsets.push(offsets[offsets.len() - 1] + s);
        }
        let outcome = prop::collection::vec(
            prop_oneof![(0u8..=4).prop_map(|k| f64::from(k) / 4.0), 0.0f64..=1.0],
            n,
        );
        let reasoning =
            prop::collection::vec(prop_oneof![1 => Just(f64::NAN), 4 => 0.0f64..=1.0], n);
        (outcome, reasoning, Just(offsets))
    })
}

fn config() -> impl Strategy<Value = AdvantageConfig> {
    (
        prop_oneof![
            Just(Estimator::Grpo),
            Just(Estimator::NaiveSum),
            Just(Estimator::NormSum),
            Just(Estimator::Awpo)
        ],
        prop_oneof![
            Just(Gate::Soft),
            Just(Gate::Hard),
            Just(Gate::Ratio),
            Just(Gate::Off),
            Just(Gate::Reliability)
        ],
        prop_oneof![Just(Weight::Linear), Just(Weight::Off)],
        prop_oneof![Just(Clip::On), Just(Clip::Off)],
        prop_oneof![Just(Scale::Std), Just(Scale::None)],
        (0.0f64..3.0, 0.0f64..=1.0, 0.0f64..0.99, 0.0f64..2.0),
    )
        .prop_map(
            |(estimator, gate, weight, clip, scale, (lam, w_floor, kappa, delta0))| {
                AdvantageConfig {
                    estimator,
                    gate,
                    weight,
                    clip,
                    scale,
                    lam,
                    w_floor,
                    kappa,
                    delta0,
                    ..AdvantageConfig::default()
                }
            },
        )
}

fn run(o: &[f64], r: &[f64], offs: &[usize], cfg: &AdvantageConfig) -> AdvantageOutput {
    match compute(o, r, offs, cfg) {
        Ok(out) => out,
        Err(e) => panic!("valid input rejected: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// §4: with kappa < 1 and the clip on, sign(A_i) = sign(Ao_i) wherever |Ao_i| > eps.
    #[test]
    fn awpo_keeps_the_outcome_sign((o, r, offs) in batch(), cfg in config()) {
        let cfg = AdvantageConfig { estimator: Estimator::Awpo, clip: Clip::On, ..cfg };
        let out = run(&o, &r, &offs, &cfg);
        let ao = run(&o, &r, &offs, &AdvantageConfig { estimator: Estimator::Grpo, ..cfg }).advantage;
        for (a, ao) in out.advantage.iter().zip(&ao) {
            if ao.abs() > cfg.eps {
                prop_assert_eq!(a.signum(), ao.signum(), "A = {}, Ao = {}", a, ao);
            }
        }
    }

    /// §6: GRPO advantages sum to ~0 in every group.
    #[test]
    fn grpo_sums_to_zero_per_group((o, r, offs) in batch(), scale in prop_oneof![Just(Scale::Std), Just(Scale::None)]) {
        let cfg = AdvantageConfig { estimator: Estimator::Grpo, scale, ..AdvantageConfig::default() };
        let out = run(&o, &r, &offs, &cfg);
        for w in offs.windows(2) {
            let s: f64 = out.advantage[w[0]..w[1]].iter().sum();
            prop_assert!(s.abs() < 1e-9, "group sum {}", s);
        }
    }

    /// Permuting rows within a group permutes the per-row outputs and keeps the per-group ones.
    #[test]
    fn permutation_within_a_group_permutes_the_output(
        (o, r, offs) in batch(), cfg in config(), seed in any::<u64>()
    ) {
        let base = run(&o, &r, &offs, &cfg);
        // a deterministic per-group rotation + reversal driven by the seed
        let mut perm: Vec<usize> = (0..o.len()).collect();
        for (k, w) in offs.windows(2).enumerate() {
            let g = &mut perm[w[0]..w[1]];
            let shift = ((seed >> (k % 60)) as usize) % g.len();
            g.rotate_left(shift);
            if (seed >> (k % 64)) & 1 == 1 { g.reverse(); }
        }
        let po: Vec<f64> = perm.iter().map(|&i| o[i]).collect();
        let pr: Vec<f64> = perm.iter().map(|&i| r[i]).collect();
        let out = run(&po, &pr, &offs, &cfg);
        for (j, &i) in perm.iter().enumerate() {
            let (a, b) = (out.advantage[j], base.advantage[i]);
            prop_assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "A {} vs {}", a, b);
            let (a, b) = (out.reasoning_share[j], base.reasoning_share[i]);
            prop_assert!((a - b).abs() <= 1e-9, "s {} vs {}", a, b);
        }
        prop_assert_eq!(&out.tied, &base.tied);
        prop_assert_eq!(&out.bound_hit, &base.bound_hit);
        for (a, b) in out.gate.iter().zip(&base.gate) {
            prop_assert!((a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9);
        }
    }

    /// Outputs are finite, gates in [0, 1], shares in [0, 1], counts bounded by group sizes.
    #[test]
    fn outputs_are_well_formed((o, r, offs) in batch(), cfg in config()) {
        let out = run(&o, &r, &offs, &cfg);
        prop_assert!(out.advantage.iter().all(|a| a.is_finite()));
        prop_assert!(out.reasoning_share.iter().all(|s| (0.0..=1.0).contains(s)));
        for (k, w) in offs.windows(2).enumerate() {
            let g = out.gate[k];
            prop_assert!(g.is_nan() || (0.0..=1.0).contains(&g));
            prop_assert!(out.bound_hit[k] as usize <= w[1] - w[0]);
            if w[1] - w[0] == 1 {
                prop_assert_eq!(out.advantage[w[0]], 0.0);
            }
        }
    }
}
