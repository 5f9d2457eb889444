//! Group-relative AWPO advantages (ALGORITHM.md §1–§4, baselines of §6).
//!
//! Input: flat per-rollout arrays (the outcome reward `Ro`, the reasoning reward `Rr` with NaN for
//! a missing judge score) and group offsets (group `k` is rows `offsets[k]..offsets[k+1]`, ragged
//! sizes allowed). Output: the advantage `A_i`, the reasoning share `s_i`, and per group the gate
//! `g`, the weight `w`, the tied-outcome flag and how many rows the clip bound cut.
//!
//! ```
//! use awpo_core::advantage::{compute, uniform_offsets, AdvantageConfig};
//! let outcome = [1.0, 0.0, 0.0, 0.0];
//! let reasoning = [0.9, 0.2, f64::NAN, 0.6];
//! let out = compute(&outcome, &reasoning, &uniform_offsets(4, 4)?, &AdvantageConfig::default())?;
//! assert!(out.advantage[0] > 0.0 && out.advantage[1] < 0.0);
//! # Ok::<(), awpo_core::Error>(())
//! ```
//!
//! [`AdvantageOutput::summary`] gives the batch means that §7 logs. [`compute_into`] writes into
//! caller-provided buffers (the Python binding passes NumPy-allocated arrays).
//!
//! Decisions where ALGORITHM.md is silent (each is tested in `tests/golden.rs`):
//! - A group of size 1 gets `A = 0` and `s = 0` (its outcome equals its mean; fewer than two
//!   judge scores close the gate). Empty groups are rejected.
//! - "Fewer than 2 non-missing `Rr` → `g = 0`" holds for every gate mode, `off` included; with
//!   at most one score `Ar_i = 0` anyway, so only the reported gate changes.
//! - `sd_r = 0` (all present scores equal) gives `Ar_i = 0` exactly: the group mean of equal
//!   values is taken to be that value, so no round-off is divided by `eps`.
//! - The `ratio` gate divides `sd_r` by `0.5`, the `sd_max` of `Rr` in `[0, 1]`; it has no `tau_r`
//!   threshold.
//! - `scale: none` applies to `Ao` (and to `naive_sum`'s summed reward), never to `Ar`.
//! - `naive_sum`'s formula uses no outcome range: it GRPO-normalises `R_i = Ro_i + lam * Rr_i`
//!   (with `lam` as the reasoning coefficient); its outcomes are still checked against the range.
//! - `tied = sd_o <= tau_o` (the hard gate's test) for every estimator.
//! - `grpo` and `naive_sum` report gate and weight as NaN (not applicable), `s_i = 0` and no
//!   bound hits; `norm_sum` reports its gate (`off`: 1, or 0 below two scores) and `w = lam`.
//! - `bound_hit` counts rows whose reasoning term the clip actually cut (`|c_i| > bound_i`); it is
//!   0 with `clip: off`.
//! - Outcomes must lie in `[outcome_min, outcome_max]`, with a slack of `1e-9` of the width for
//!   round-off; `d` and `g` are clamped to `[0, 1]`. Judge scores must be NaN or in `[0, 1]`.
use std::sync::Mutex;

mod config;
mod group;

pub use config::{AdvantageConfig, Clip, Estimator, Gate, OUTCOME_RANGE_SLACK, Scale, Weight};
pub use group::SD_MAX_REASONING;

use crate::{Error, Result, par};

/// Rows per parallel work item (whole groups are never split).
const BLOCK_ROWS: usize = 1024;

/// An integer type usable as a group offset (`i64` from NumPy, `usize` from Rust).
pub trait Offset: Copy + Sync {
    /// The offset as an index, `None` when negative or too large for `usize`.
    fn to_index(self) -> Option<usize>;
}

macro_rules! impl_offset {
    ($($t:ty),+) => {
        $(impl Offset for $t {
            fn to_index(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
        })+
    };
}
impl_offset!(usize, u64, u32, i64, i32);

/// Offsets of `n_rows` rows cut into groups of `group_size` (the last group may be smaller).
pub fn uniform_offsets(n_rows: usize, group_size: usize) -> Result<Vec<usize>> {
    if group_size == 0 {
        return Err(Error::InvalidInput("group_size must be >= 1".into()));
    }
    let mut offsets: Vec<usize> = (0..n_rows).step_by(group_size).collect();
    offsets.push(n_rows);
    Ok(offsets)
}

/// The result of [`compute`]: per-row arrays of length `N`, per-group arrays of length `K`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdvantageOutput {
    /// `A_i` (§4, or the estimator's §6 form), per row.
    pub advantage: Vec<f64>,
    /// `s_i = |clipped c_i| / (|Ao_i| + |clipped c_i| + eps)` (§4), per row; 0 for `grpo`/`naive_sum`.
    pub reasoning_share: Vec<f64>,
    /// Gate `g` in `[0, 1]` (§2), per group; NaN for `grpo`/`naive_sum`.
    pub gate: Vec<f64>,
    /// Weight `w` (§3), per group; NaN for `grpo`/`naive_sum`.
    pub weight: Vec<f64>,
    /// `sd_o <= tau_o`: the group's outcomes tie, per group.
    pub tied: Vec<bool>,
    /// Rows whose reasoning term the clip bound cut, per group.
    pub bound_hit: Vec<u32>,
}

/// Batch means of the per-group and per-row outputs (ALGORITHM.md §7), NaN values skipped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdvantageSummary {
    /// Mean gate over groups (NaN when not applicable).
    pub gate_mean: f64,
    /// Mean weight over groups (NaN when not applicable).
    pub weight_mean: f64,
    /// Mean reasoning share over rows.
    pub reasoning_share_mean: f64,
    /// Share of rows whose reasoning term the clip bound cut.
    pub clip_bound_hit_frac: f64,
    /// Share of groups whose outcomes tie.
    pub tied_outcome_frac: f64,
}

fn nan_mean(xs: &[f64]) -> f64 {
    let (n, s) = xs
        .iter()
        .filter(|x| !x.is_nan())
        .fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

impl AdvantageOutput {
    /// Batch means for logging (§7).
    pub fn summary(&self) -> AdvantageSummary {
        let rows = self.advantage.len();
        let hits: u64 = self.bound_hit.iter().map(|&h| u64::from(h)).sum();
        let tied = self.tied.iter().filter(|&&t| t).count();
        let frac = |num: f64, den: usize| if den == 0 { f64::NAN } else { num / den as f64 };
        AdvantageSummary {
            gate_mean: nan_mean(&self.gate),
            weight_mean: nan_mean(&self.weight),
            reasoning_share_mean: nan_mean(&self.reasoning_share),
            clip_bound_hit_frac: frac(hits as f64, rows),
            tied_outcome_frac: frac(tied as f64, self.tied.len()),
        }
    }
}

/// Checks offsets (start 0, strictly increasing, end `n_rows`) and converts them to indices.
fn check_offsets<O: Offset>(offsets: &[O], n_rows: usize) -> Result<Vec<usize>> {
    let bad = |msg: String| Err(Error::InvalidInput(msg));
    let Some(&first) = offsets.first() else {
        return bad(format!(
            "group offsets are empty; expected [0, ..., {n_rows}] (use [0] for no rows)"
        ));
    };
    if first.to_index() != Some(0) {
        return bad("group offsets must start at 0".into());
    }
    let mut out = Vec::with_capacity(offsets.len());
    out.push(0usize);
    for (k, &o) in offsets.iter().enumerate().skip(1) {
        let Some(o) = o.to_index() else {
            return bad(format!("group offsets[{k}] is negative"));
        };
        let prev = out[k - 1];
        if o <= prev {
            return bad(format!(
                "group offsets must be strictly increasing (no empty groups): \
                 offsets[{}] = {prev}, offsets[{k}] = {o}",
                k - 1
            ));
        }
        out.push(o);
    }
    let last = out[out.len() - 1];
    if last != n_rows {
        return bad(format!(
            "group offsets end at {last} but there are {n_rows} rows; the last offset must equal the number of rows"
        ));
    }
    Ok(out)
}

/// Checks the rows `lo..lo + outcome.len()`: outcomes finite and in range, judge scores NaN or
/// in `[0, 1]` ([`group::row_ok`]). A branch-free pass (it vectorises); only a failing block is
/// searched for its first bad row, which the error names.
fn check_rows(
    outcome: &[f64],
    reasoning: &[f64],
    lo: usize,
    bounds: (f64, f64),
    cfg: &AdvantageConfig,
) -> Result<()> {
    let all_ok = outcome
        .iter()
        .zip(reasoning)
        .fold(true, |acc, (&o, &r)| acc & group::row_ok(o, r, bounds));
    if all_ok {
        return Ok(());
    }
    for (j, (&o, &r)) in outcome.iter().zip(reasoning).enumerate() {
        let i = lo + j;
        if group::row_ok(o, r, bounds) {
            continue;
        }
        return Err(Error::InvalidInput(if !o.is_finite() {
            format!("outcome[{i}] = {o}: outcome rewards must be finite")
        } else if !(bounds.0..=bounds.1).contains(&o) {
            format!(
                "outcome[{i}] = {o} is outside the outcome range [{}, {}]; set outcome_min/outcome_max \
                 to the outcome reward's range",
                cfg.outcome_min, cfg.outcome_max
            )
        } else {
            format!("reasoning[{i}] = {r} is outside [0, 1]; a missing judge score must be NaN")
        }));
    }
    Ok(())
}

/// The mutable output slices of one block of whole groups.
struct Block<'a> {
    groups: std::ops::Range<usize>,
    advantage: &'a mut [f64],
    share: &'a mut [f64],
    gate: &'a mut [f64],
    weight: &'a mut [f64],
    tied: &'a mut [bool],
    bound_hit: &'a mut [u32],
}

/// Splits the outputs into blocks of whole groups holding about [`BLOCK_ROWS`] rows each.
fn plan_blocks<'a>(bounds: &[usize], out: AdvantageOutMut<'a>) -> Vec<Mutex<Block<'a>>> {
    let mut blocks = Vec::new();
    let AdvantageOutMut {
        advantage: mut adv,
        reasoning_share: mut share,
        mut gate,
        mut weight,
        mut tied,
        bound_hit: mut hit,
    } = out;
    let n_groups = bounds.len().saturating_sub(1);
    let mut g0 = 0;
    while g0 < n_groups {
        let mut g1 = g0 + 1;
        while g1 < n_groups && bounds[g1] - bounds[g0] < BLOCK_ROWS {
            g1 += 1;
        }
        let (rows, groups) = (bounds[g1] - bounds[g0], g1 - g0);
        let (a, a_rest) = std::mem::take(&mut adv).split_at_mut(rows);
        let (s, s_rest) = std::mem::take(&mut share).split_at_mut(rows);
        let (g, g_rest) = std::mem::take(&mut gate).split_at_mut(groups);
        let (w, w_rest) = std::mem::take(&mut weight).split_at_mut(groups);
        let (t, t_rest) = std::mem::take(&mut tied).split_at_mut(groups);
        let (h, h_rest) = std::mem::take(&mut hit).split_at_mut(groups);
        (adv, share, gate, weight, tied, hit) = (a_rest, s_rest, g_rest, w_rest, t_rest, h_rest);
        blocks.push(Mutex::new(Block {
            groups: g0..g1,
            advantage: a,
            share: s,
            gate: g,
            weight: w,
            tied: t,
            bound_hit: h,
        }));
        g0 = g1;
    }
    blocks
}

/// Validates and computes one block's rows.
fn run_block(
    block: &mut Block<'_>,
    outcome: &[f64],
    reasoning: &[f64],
    bounds: &[usize],
    cfg: &AdvantageConfig,
    range: (f64, f64),
) -> Result<()> {
    let base = bounds[block.groups.start];
    let end = bounds[block.groups.end];
    check_rows(&outcome[base..end], &reasoning[base..end], base, range, cfg)?;
    for (j, k) in block.groups.clone().enumerate() {
        let (lo, hi) = (bounds[k], bounds[k + 1]);
        let stats = group::compute_group(
            cfg,
            &outcome[lo..hi],
            &reasoning[lo..hi],
            &mut block.advantage[lo - base..hi - base],
            &mut block.share[lo - base..hi - base],
        );
        block.gate[j] = stats.gate;
        block.weight[j] = stats.weight;
        block.tied[j] = stats.tied;
        block.bound_hit[j] = stats.bound_hit;
    }
    Ok(())
}

/// Computes advantages for a batch of groups (ALGORITHM.md §1–§4, §6).
///
/// `A_i = Ao_i + clip(g * w * Ar_i, -bound_i, +bound_i)` for `awpo` (§4), with
/// `Ao_i = (Ro_i - mu_o) / (sd_o + eps)`, `Ar_i = (Rr_i - mu_r) / (sd_r + eps)` (§1), the gate `g`
/// (§2), the weight `w` (§3); `grpo`, `naive_sum`, `norm_sum` as in §6. See the module docs for
/// the decisions where the spec is silent.
///
/// - `outcome`: `Ro_i`, finite, in `[cfg.outcome_min, cfg.outcome_max]`.
/// - `reasoning`: `Rr_i` in `[0, 1]`, NaN where the judge gave no score; same length.
/// - `offsets`: `[0, ..., N]`, strictly increasing; group `k` is rows `offsets[k]..offsets[k+1]`.
///
/// Groups run in parallel through [`crate::par`] for big batches. Errors (`InvalidInput`): a bad
/// config, a length mismatch, bad offsets, a NaN/inf or out-of-range outcome (naming its index),
/// an out-of-range judge score.
pub fn compute<O: Offset>(
    outcome: &[f64],
    reasoning: &[f64],
    offsets: &[O],
    cfg: &AdvantageConfig,
) -> Result<AdvantageOutput> {
    let n_rows = outcome.len();
    let n_groups = offsets.len().saturating_sub(1);
    let mut out = AdvantageOutput {
        advantage: vec![0.0; n_rows],
        reasoning_share: vec![0.0; n_rows],
        gate: vec![0.0; n_groups],
        weight: vec![0.0; n_groups],
        tied: vec![false; n_groups],
        bound_hit: vec![0; n_groups],
    };
    compute_into(outcome, reasoning, offsets, cfg, out.as_out_mut())?;
    Ok(out)
}

/// Caller-provided output slices of [`compute_into`]: `N` per row, `K` per group.
#[derive(Debug)]
pub struct AdvantageOutMut<'a> {
    /// `A_i`, length `N`.
    pub advantage: &'a mut [f64],
    /// `s_i`, length `N`.
    pub reasoning_share: &'a mut [f64],
    /// `g`, length `K`.
    pub gate: &'a mut [f64],
    /// `w`, length `K`.
    pub weight: &'a mut [f64],
    /// Tied-outcome flags, length `K`.
    pub tied: &'a mut [bool],
    /// Bound-hit counts, length `K`.
    pub bound_hit: &'a mut [u32],
}

impl AdvantageOutput {
    /// Mutable views of every output array, for [`compute_into`].
    pub fn as_out_mut(&mut self) -> AdvantageOutMut<'_> {
        AdvantageOutMut {
            advantage: &mut self.advantage,
            reasoning_share: &mut self.reasoning_share,
            gate: &mut self.gate,
            weight: &mut self.weight,
            tied: &mut self.tied,
            bound_hit: &mut self.bound_hit,
        }
    }
}

/// [`compute`] into caller-provided buffers (every element is overwritten), e.g. arrays that
/// NumPy allocated: large fresh `Vec`s cost a page fault per 4 KiB page, NumPy's huge-page
/// allocations far fewer. The output lengths must be `N` and `K` (`InvalidInput` otherwise); on
/// an error the buffers hold partial results.
pub fn compute_into<O: Offset>(
    outcome: &[f64],
    reasoning: &[f64],
    offsets: &[O],
    cfg: &AdvantageConfig,
    out: AdvantageOutMut<'_>,
) -> Result<()> {
    cfg.validate()?;
    if outcome.len() != reasoning.len() {
        return Err(Error::InvalidInput(format!(
            "outcome has {} rows but reasoning has {}; they must match",
            outcome.len(),
            reasoning.len()
        )));
    }
    let bounds = check_offsets(offsets, outcome.len())?;
    let (n_rows, n_groups) = (outcome.len(), bounds.len() - 1);
    let row_lens = [out.advantage.len(), out.reasoning_share.len()];
    let group_lens = [
        out.gate.len(),
        out.weight.len(),
        out.tied.len(),
        out.bound_hit.len(),
    ];
    if row_lens.iter().any(|&l| l != n_rows) || group_lens.iter().any(|&l| l != n_groups) {
        return Err(Error::InvalidInput(format!(
            "output buffers have lengths {row_lens:?} (rows) and {group_lens:?} (groups); \
             expected {n_rows} and {n_groups}"
        )));
    }
    let range = cfg.outcome_bounds();
    let blocks = plan_blocks(&bounds, out);
    let results = par::map_collect(&blocks, |cell| {
        // A poisoned lock needs a panic, which this code has none of; recover anyway.
        let mut block = match cell.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        run_block(&mut block, outcome, reasoning, &bounds, cfg, range)
    });
    // blocks are in row order, so the first error names the lowest bad index
    results.into_iter().collect::<Result<()>>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_validated() {
        let cfg = AdvantageConfig::default();
        let o = [0.0, 1.0, 1.0];
        let r = [0.5; 3];
        let err = |offs: &[i64]| {
            compute(&o, &r, offs, &cfg)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(&[]).contains("empty"));
        assert!(err(&[1, 3]).contains("start at 0"));
        assert!(err(&[0, 2, 2, 3]).contains("strictly increasing"));
        assert!(err(&[0, 2, 1, 3]).contains("strictly increasing"));
        assert!(err(&[0, -1, 3]).contains("negative"));
        assert!(err(&[0, 2]).contains("end at 2"));
        assert!(err(&[0, 4]).contains("end at 4"));
        assert!(compute(&o, &r, &[0i64, 1, 3], &cfg).is_ok());
    }

    #[test]
    fn bad_values_name_their_index() {
        let cfg = AdvantageConfig::default();
        let offs = [0usize, 2, 4];
        let msg = |o: &[f64], r: &[f64]| {
            compute(o, r, &offs, &cfg)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(msg(&[0.0, 1.0, f64::NAN, 0.0], &[0.5; 4]).starts_with("outcome[2] = NaN"));
        assert!(msg(&[0.0, 1.0, 0.0, f64::INFINITY], &[0.5; 4]).starts_with("outcome[3] = inf"));
        assert!(msg(&[0.0, 1.5, 0.0, 1.0], &[0.5; 4]).starts_with("outcome[1] = 1.5 is outside"));
        assert!(
            msg(&[0.0, 1.0, 0.0, 1.0], &[0.5, 0.5, f64::INFINITY, 0.5])
                .starts_with("reasoning[2] = inf")
        );
        assert!(msg(&[0.0; 4], &[0.5; 3]).contains("must match"));
        // round-off slack: 1 + 1e-12 is accepted for the range [0, 1]
        assert!(compute(&[0.0, 1.0 + 1e-12], &[0.5; 2], &[0usize, 2], &cfg).is_ok());
    }

    #[test]
    fn first_error_is_the_lowest_index_across_blocks() {
        let n = 50_000;
        let mut o = vec![0.5; n];
        o[40_000] = f64::NAN;
        o[30_001] = f64::NAN;
        let r = vec![0.5; n];
        let offs = uniform_offsets(n, 8).unwrap_or_default();
        for on in [true, false] {
            crate::par::set_parallelism(on);
            let e = compute(&o, &r, &offs, &AdvantageConfig::default()).err();
            assert!(e.is_some_and(|e| e.to_string().starts_with("outcome[30001]")));
        }
        crate::par::set_parallelism(true);
    }

    #[test]
    fn empty_batch_and_uniform_offsets() {
        let out = compute::<usize>(&[], &[], &[0], &AdvantageConfig::default());
        assert_eq!(out.ok(), Some(AdvantageOutput::default()));
        assert_eq!(uniform_offsets(10, 4).ok(), Some(vec![0, 4, 8, 10]));
        assert_eq!(uniform_offsets(0, 4).ok(), Some(vec![0]));
        assert!(uniform_offsets(3, 0).is_err());
    }

    #[test]
    fn serial_and_parallel_agree_on_ragged_batches() {
        let mut offs = vec![0usize];
        let mut k = 0usize;
        while *offs.last().unwrap_or(&0) < 20_000 {
            k += 1;
            let next = offs.last().copied().unwrap_or(0) + 1 + (k * 7) % 13;
            offs.push(next.min(20_000));
        }
        let n = 20_000;
        let o: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 / 10.0).collect();
        let r: Vec<f64> = (0..n)
            .map(|i| {
                if i % 9 == 0 {
                    f64::NAN
                } else {
                    ((i * 13) % 7) as f64 / 6.0
                }
            })
            .collect();
        let cfg = AdvantageConfig::default();
        crate::par::set_parallelism(false);
        let a = compute(&o, &r, &offs, &cfg).ok();
        crate::par::set_parallelism(true);
        let b = compute(&o, &r, &offs, &cfg).ok();
        assert!(a.is_some());
        assert_eq!(a, b);
    }

    #[test]
    fn compute_into_fills_buffers_and_checks_their_lengths() {
        let (o, r, offs) = ([1.0, 0.0, 0.0, 0.0], [0.9, 0.1, 0.5, f64::NAN], [0usize, 4]);
        let cfg = AdvantageConfig::default();
        let expected = compute(&o, &r, &offs, &cfg).ok();
        let mut out = AdvantageOutput {
            advantage: vec![f64::NAN; 4],
            reasoning_share: vec![f64::NAN; 4],
            gate: vec![f64::NAN; 1],
            weight: vec![f64::NAN; 1],
            tied: vec![true; 1],
            bound_hit: vec![9; 1],
        };
        assert!(compute_into(&o, &r, &offs, &cfg, out.as_out_mut()).is_ok());
        assert_eq!(Some(out), expected);
        let mut short = AdvantageOutput {
            advantage: vec![0.0; 3],
            ..AdvantageOutput::default()
        };
        let err = compute_into(&o, &r, &offs, &cfg, short.as_out_mut()).err();
        assert!(err.is_some_and(|e| e.to_string().contains("output buffers")));
    }

    #[test]
    fn summary_skips_nan() {
        let out = AdvantageOutput {
            advantage: vec![0.0; 4],
            reasoning_share: vec![0.0, 0.5, 0.5, 1.0],
            gate: vec![f64::NAN, 1.0, 0.5],
            weight: vec![1.0, 1.0, 1.0],
            tied: vec![true, false, false],
            bound_hit: vec![1, 0, 1],
        };
        let s = out.summary();
        assert_eq!(s.gate_mean, 0.75);
        assert_eq!(s.reasoning_share_mean, 0.5);
        assert_eq!(s.clip_bound_hit_frac, 0.5);
        assert!((s.tied_outcome_frac - 1.0 / 3.0).abs() < 1e-15);
    }
}
