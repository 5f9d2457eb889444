//! Batches: parse and score many rollouts in parallel (through [`crate::par`]).
//!
//! Rollouts of one group share their task, so ground truths and tool sets are given once each and
//! every rollout names its own by index (`answer_index[i]`, `tools_index[i]`).
use super::bfcl::{self, FunctionSig};
use super::{GroundTruth, RewardKind, RewardOutput, score};
use crate::toolcall::{FailureClass, ParseOptions, ParseResult, ToolSchema, parse, parse_toolset};
use crate::{Error, Result, par};
use serde_json::Value;

/// A task's tools, compiled once for the parser's schema checks and for `bfcl`'s types.
#[derive(Clone, Debug, Default)]
pub struct Toolset {
    /// For [`crate::toolcall::parse`].
    pub schemas: Vec<ToolSchema>,
    /// For [`bfcl::score`].
    pub sigs: Vec<FunctionSig>,
}

impl Toolset {
    /// Compiles an OpenAI tool list (a JSON array). Malformed schemas are
    /// [`Error::InvalidSpec`] naming the field.
    pub fn from_json(v: &Value) -> Result<Toolset> {
        Ok(Toolset {
            schemas: parse_toolset(v)?,
            sigs: bfcl::signatures_from_json(v)?,
        })
    }
}

/// One batch: texts plus, per text, which ground truth and which tool set it is scored against.
#[derive(Clone, Copy, Debug)]
pub struct Rollouts<'a> {
    /// Model outputs.
    pub texts: &'a [&'a str],
    /// Distinct ground truths.
    pub truths: &'a [GroundTruth],
    /// `truths[truth_index[i]]` is the ground truth of `texts[i]`.
    pub truth_index: &'a [usize],
    /// Distinct tool sets.
    pub toolsets: &'a [Toolset],
    /// `toolsets[toolset_index[i]]` is the tool set of `texts[i]`.
    pub toolset_index: &'a [usize],
    /// Per text, whether the generation was cut by the length budget; empty = none was.
    pub truncated: &'a [bool],
}

/// Checks that `index` has one entry per text and each is below `len`.
fn check_index(what: &str, index: &[usize], n: usize, len: usize) -> Result<()> {
    if index.len() != n {
        return Err(Error::InvalidInput(format!(
            "{what} has {} entries for {n} texts",
            index.len()
        )));
    }
    match index.iter().position(|&j| j >= len) {
        Some(i) => Err(Error::InvalidInput(format!(
            "{what}[{i}] = {} is out of range for {len} entries",
            index[i]
        ))),
        None => Ok(()),
    }
}

fn check_truncated(truncated: &[bool], n: usize) -> Result<()> {
    if truncated.is_empty() || truncated.len() == n {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "truncated has {} flags for {n} texts",
            truncated.len()
        )))
    }
}

impl Rollouts<'_> {
    /// Checks lengths and indices ([`Error::InvalidInput`] naming the first bad one).
    pub fn validate(&self) -> Result<()> {
        let n = self.texts.len();
        check_index("answer index", self.truth_index, n, self.truths.len())?;
        check_index("tools index", self.toolset_index, n, self.toolsets.len())?;
        check_truncated(self.truncated, n)
    }

    fn parse_one(&self, i: usize) -> ParseResult {
        let opts = ParseOptions {
            truncated: self.truncated.get(i).copied().unwrap_or(false),
        };
        parse(
            self.texts[i],
            &self.toolsets[self.toolset_index[i]].schemas,
            &opts,
        )
    }

    fn score_one(&self, kind: RewardKind, i: usize, parsed: &ParseResult) -> RewardOutput {
        let sigs = &self.toolsets[self.toolset_index[i]].sigs;
        score(
            kind,
            self.texts[i],
            parsed,
            &self.truths[self.truth_index[i]],
            sigs,
        )
    }
}

/// Column-wise results of a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeBatch {
    /// Which reward.
    pub kind: RewardKind,
    /// Per rollout, the total reward (within `kind.range()`).
    pub total: Vec<f64>,
    /// Per component (in the order of `kind.component_names()`), its value per rollout.
    pub components: Vec<Vec<f64>>,
    /// Per rollout, the parse's failure class.
    pub failure: Vec<FailureClass>,
}

impl OutcomeBatch {
    fn collect(kind: RewardKind, rows: Vec<(RewardOutput, FailureClass)>) -> OutcomeBatch {
        let k = kind.component_names().len();
        let mut batch = OutcomeBatch {
            kind,
            total: Vec::with_capacity(rows.len()),
            components: vec![Vec::with_capacity(rows.len()); k],
            failure: Vec::with_capacity(rows.len()),
        };
        for (out, failure) in rows {
            batch.total.push(out.total);
            for (column, value) in batch.components.iter_mut().zip(out.values) {
                column.push(value);
            }
            batch.failure.push(failure);
        }
        batch
    }
}

/// Parses every rollout (in parallel).
pub fn parse_rollouts(rollouts: &Rollouts<'_>) -> Result<Vec<ParseResult>> {
    rollouts.validate()?;
    Ok(par::map_range(rollouts.texts.len(), |i| {
        rollouts.parse_one(i)
    }))
}

/// Scores already-parsed rollouts (in parallel); `parsed[i]` is the parse of `texts[i]`.
pub fn score_rollouts(
    kind: RewardKind,
    rollouts: &Rollouts<'_>,
    parsed: &[ParseResult],
) -> Result<OutcomeBatch> {
    rollouts.validate()?;
    if parsed.len() != rollouts.texts.len() {
        return Err(Error::InvalidInput(format!(
            "{} parses for {} texts",
            parsed.len(),
            rollouts.texts.len()
        )));
    }
    let rows = par::map_range(parsed.len(), |i| {
        (rollouts.score_one(kind, i, &parsed[i]), parsed[i].failure)
    });
    Ok(OutcomeBatch::collect(kind, rows))
}

/// Parses and scores every rollout in one parallel pass.
pub fn outcome_batch(kind: RewardKind, rollouts: &Rollouts<'_>) -> Result<OutcomeBatch> {
    rollouts.validate()?;
    let rows = par::map_range(rollouts.texts.len(), |i| {
        let parsed = rollouts.parse_one(i);
        (rollouts.score_one(kind, i, &parsed), parsed.failure)
    });
    Ok(OutcomeBatch::collect(kind, rows))
}

/// `"item i"` for the first item `i` whose index is `u` (for error messages about a shared
/// answer or tool set), or `"entry u"` when no item uses it.
pub fn first_user<T: Copy + TryInto<usize>>(index: &[T], u: usize) -> String {
    index
        .iter()
        .position(|&j| j.try_into().ok() == Some(u))
        .map_or_else(|| format!("entry {u}"), |i| format!("item {i}"))
}

fn label(e: Error, who: &str) -> Error {
    match e {
        Error::InvalidSpec(m) => Error::InvalidSpec(format!("{who}: {m}")),
        other => other,
    }
}

/// Groups equal keys (e.g. object identities): returns the position of each distinct key's first
/// item and, per item, the number of its distinct key. Rollouts of one task share its answer and
/// tools, so each distinct one is then converted and compiled once.
pub fn dedupe(keys: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut seen: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let mut first = Vec::new();
    let index = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            *seen.entry(k).or_insert_with(|| {
                first.push(i);
                first.len() - 1
            })
        })
        .collect();
    (first, index)
}

/// Reads distinct Task `answer` objects; an error names the first item using the bad one.
pub fn truths_from_json(answers: &[Value], index: &[usize]) -> Result<Vec<GroundTruth>> {
    par::map_range(answers.len(), |u| {
        GroundTruth::from_json(&answers[u]).map_err(|e| label(e, &first_user(index, u)))
    })
    .into_iter()
    .collect()
}

/// Compiles distinct tool lists; an error names the first item using the bad one.
pub fn toolsets_from_json(tools: &[Value], index: &[usize]) -> Result<Vec<Toolset>> {
    par::map_range(tools.len(), |u| {
        Toolset::from_json(&tools[u]).map_err(|e| label(e, &first_user(index, u)))
    })
    .into_iter()
    .collect()
}

/// Everything a caller holding JSON values passes (the Python binding).
#[derive(Clone, Copy, Debug)]
pub struct JsonRollouts<'a> {
    /// Model outputs.
    pub texts: &'a [&'a str],
    /// Distinct Task `answer` objects.
    pub answers: &'a [Value],
    /// Per text, its entry in `answers`.
    pub answer_index: &'a [usize],
    /// Distinct tool lists (arrays of OpenAI function schemas).
    pub tools: &'a [Value],
    /// Per text, its entry in `tools`.
    pub tools_index: &'a [usize],
    /// Per text, whether the generation hit the length budget; empty = none did.
    pub truncated: &'a [bool],
}

/// Compiles the answers and tools, then parses and scores every rollout (all in parallel).
/// Malformed answers/tools are [`Error::InvalidSpec`] naming the item; bad lengths or indices
/// [`Error::InvalidInput`]. A model's text is never an error.
pub fn outcome_from_json(kind: RewardKind, input: &JsonRollouts<'_>) -> Result<OutcomeBatch> {
    let n = input.texts.len();
    // Lengths and indices first, so they are reported before any answer is read.
    check_index("answer index", input.answer_index, n, input.answers.len())?;
    check_index("tools index", input.tools_index, n, input.tools.len())?;
    check_truncated(input.truncated, n)?;
    let truths = truths_from_json(input.answers, input.answer_index)?;
    let toolsets = toolsets_from_json(input.tools, input.tools_index)?;
    outcome_batch(
        kind,
        &Rollouts {
            texts: input.texts,
            truths: &truths,
            truth_index: input.answer_index,
            toolsets: &toolsets,
            toolset_index: input.tools_index,
            truncated: input.truncated,
        },
    )
}
