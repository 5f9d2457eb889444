//! Criterion micro-bench of the advantage engine: 1M rollouts in groups of 8, serial and parallel,
//! for each estimator, into reused buffers (`compute_into`, what the Python binding does); plus the
//! allocating `compute`, whose fresh `Vec`s add a page fault per 4 KiB.
//! Run: `cargo bench -p awpo-core --bench advantage`.
use std::hint::black_box;

use awpo_core::advantage::{
    AdvantageConfig, AdvantageOutput, Estimator, compute, compute_into, uniform_offsets,
};
use awpo_core::par;
use criterion::{Criterion, criterion_group, criterion_main};

/// Deterministic batch: binary-ish outcomes, judge scores with ~5% missing (xorshift, no deps).
fn batch(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let outcome = (0..n)
        .map(|_| if next() < 0.4 { 1.0 } else { 0.0 })
        .collect();
    let reasoning = (0..n)
        .map(|_| {
            let u = next();
            if u < 0.05 { f64::NAN } else { next() }
        })
        .collect();
    (outcome, reasoning)
}

fn bench(c: &mut Criterion) {
    let n = 1 << 20;
    let (o, r) = batch(n);
    let offsets = match uniform_offsets(n, 8) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    let mut group = c.benchmark_group("advantage_1M_g8");
    group.sample_size(20);
    let mut out = match compute(&o, &r, &offsets, &AdvantageConfig::default()) {
        Ok(out) => out,
        Err(e) => panic!("{e}"),
    };
    for est in [
        Estimator::Awpo,
        Estimator::Grpo,
        Estimator::NaiveSum,
        Estimator::NormSum,
    ] {
        let cfg = AdvantageConfig::default().with_estimator(est);
        for parallel in [false, true] {
            let name = format!("{}/{}", est, if parallel { "parallel" } else { "serial" });
            group.bench_function(name, |b| {
                par::set_parallelism(parallel);
                b.iter(|| {
                    compute_into(
                        black_box(&o),
                        black_box(&r),
                        &offsets,
                        &cfg,
                        out.as_out_mut(),
                    )
                });
            });
        }
    }
    let cfg = AdvantageConfig::default();
    group.bench_function("awpo/serial/allocating", |b| {
        par::set_parallelism(false);
        b.iter(|| -> Option<AdvantageOutput> {
            compute(black_box(&o), black_box(&r), &offsets, &cfg).ok()
        });
    });
    par::set_parallelism(true);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
