//! Batches: parse and score many rollouts in parallel (through [`crate::par`]).
//!
//! Rollouts of one group share their task, so ground truths and tool sets are given once each and
//! every rollout names its own by index (`answer_index[i]`, `tools_index[i]`).
use super::bfcl::{self, FunctionSig};
use super::{AcceptableCall, GroundTruth, RewardKind, RewardOutput, bfcl_output, score};
use crate::toolcall::{
    FailureClass, ParseOptions, ParseResult, ToolSchema, at_item, parse, parse_for_scoring,
    parse_toolset, push_unique,
};
use crate::{Error, Result, par};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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

impl<'a> Rollouts<'a> {
    /// Checks lengths and indices ([`Error::InvalidInput`] naming the first bad one).
    pub fn validate(&self) -> Result<()> {
        let n = self.texts.len();
        check_index("answer index", self.truth_index, n, self.truths.len())?;
        check_index("tools index", self.toolset_index, n, self.toolsets.len())?;
        check_truncated(self.truncated, n)
    }

    fn parse_one(&self, i: usize) -> ParseResult {
        parse(self.texts[i], self.tools_of(i), &self.options(i))
    }

    /// [`Rollouts::parse_one`] for scoring only: no reasoning or answer text (unused by the
    /// rewards).
    fn parse_to_score(&self, i: usize) -> ParseResult {
        parse_for_scoring(self.texts[i], self.tools_of(i), &self.options(i))
    }

    fn tools_of(&self, i: usize) -> &[ToolSchema] {
        &self.toolsets[self.toolset_index[i]].schemas
    }

    fn options(&self, i: usize) -> ParseOptions {
        ParseOptions {
            truncated: self.truncated.get(i).copied().unwrap_or(false),
        }
    }

    /// What scoring needs that depends on the task only, once per distinct (answer, tools) pair.
    fn prepare(&self, kind: RewardKind) -> Prepared<'a> {
        if kind != RewardKind::Bfcl {
            return Prepared::default();
        }
        let (first, index) = dedupe_pairs(self.truth_index, self.toolset_index);
        let truths = self.truths;
        let toolsets = self.toolsets;
        let (ti, si) = (self.truth_index, self.toolset_index);
        let possible = par::map_collect(&first, |&i| {
            bfcl::possible_answers(&truths[ti[i]], &toolsets[si[i]].sigs)
        });
        Prepared { possible, index }
    }

    fn score_one(
        &self,
        kind: RewardKind,
        i: usize,
        parsed: &ParseResult,
        prep: &Prepared<'_>,
    ) -> RewardOutput {
        let sigs = &self.toolsets[self.toolset_index[i]].sigs;
        let truth = &self.truths[self.truth_index[i]];
        match (kind, prep.index.get(i)) {
            (RewardKind::Bfcl, Some(&p)) => {
                bfcl_output(bfcl::score_with(parsed, truth, &prep.possible[p], sigs))
            }
            _ => score(kind, self.texts[i], parsed, truth, sigs),
        }
    }
}

/// Per-task inputs of the scores, computed once per distinct (answer, tools) pair of a batch:
/// `bfcl`'s possible answers (derived from the ground-truth calls and the signatures). Empty for
/// the other rewards.
#[derive(Default)]
struct Prepared<'a> {
    possible: Vec<Cow<'a, [AcceptableCall]>>,
    /// Per rollout, its entry in `possible`.
    index: Vec<usize>,
}

/// [`dedupe`] of the pairs `(a[i], b[i])`.
fn dedupe_pairs(a: &[usize], b: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut seen: FastMap<(usize, usize), usize> = FastMap::default();
    let mut first = Vec::new();
    let mut last: Option<((usize, usize), usize)> = None;
    let index = a
        .iter()
        .zip(b)
        .enumerate()
        .map(|(i, (&x, &y))| {
            if let Some((k, u)) = last
                && k == (x, y)
            {
                return u;
            }
            let u = *seen.entry((x, y)).or_insert_with(|| {
                first.push(i);
                first.len() - 1
            });
            last = Some(((x, y), u));
            u
        })
        .collect();
    (first, index)
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
    let prep = rollouts.prepare(kind);
    let rows = par::map_range(parsed.len(), |i| {
        (
            rollouts.score_one(kind, i, &parsed[i], &prep),
            parsed[i].failure,
        )
    });
    Ok(OutcomeBatch::collect(kind, rows))
}

/// Parses and scores every rollout in one parallel pass.
pub fn outcome_batch(kind: RewardKind, rollouts: &Rollouts<'_>) -> Result<OutcomeBatch> {
    rollouts.validate()?;
    let prep = rollouts.prepare(kind);
    let rows = par::map_range(rollouts.texts.len(), |i| {
        let parsed = rollouts.parse_to_score(i);
        (rollouts.score_one(kind, i, &parsed, &prep), parsed.failure)
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
    let mut seen: FastMap<usize, usize> = FastMap::default();
    let mut first = Vec::new();
    let mut last: Option<(usize, usize)> = None;
    let index = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            // Rollouts of a group usually sit together: the same key as the item before.
            if let Some((lk, lu)) = last
                && lk == k
            {
                return lu;
            }
            let u = *seen.entry(k).or_insert_with(|| {
                first.push(i);
                first.len() - 1
            });
            last = Some((k, u));
            u
        })
        .collect();
    (first, index)
}

/// A fast hasher for the batch's own keys (object addresses, content keys of schemas): std's
/// SipHash is made for untrusted keys and costs more than the rest of [`dedupe`]. Keys here are
/// never adversarial and every lookup compares the key itself, so a poor spread only slows.
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHasher(u64);

/// `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // Fold the high bits (the well-mixed ones) into the low bits the table indexes by.
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.add(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
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

/// One distinct tool list of a [`TableRollouts`].
#[derive(Clone, Debug, PartialEq)]
pub enum ToolList {
    /// A list: its function schemas, as entries of [`TableRollouts::schemas`], in order.
    Schemas(Vec<usize>),
    /// A value that is not a list (compiled as a whole, which reports the error).
    Other(Value),
}

/// [`JsonRollouts`] with the tool lists split into a table of distinct function schemas: a
/// schema shared by many tasks' lists (equal content) is compiled once. The answers are taken
/// (moved into the ground truths, not copied). The Python binding builds it, deduplicating
/// schemas by content.
#[derive(Clone, Debug)]
pub struct TableRollouts<'a> {
    /// Model outputs.
    pub texts: &'a [&'a str],
    /// Distinct Task `answer` objects.
    pub answers: Vec<Value>,
    /// Per text, its entry in `answers`.
    pub answer_index: &'a [usize],
    /// Distinct function schemas (each one OpenAI function schema).
    pub schemas: &'a [Value],
    /// Distinct tool lists.
    pub tool_lists: &'a [ToolList],
    /// Per text, its entry in `tool_lists`.
    pub tools_index: &'a [usize],
    /// Per text, whether the generation hit the length budget; empty = none did.
    pub truncated: &'a [bool],
}

/// The error of compiling a schema again (compiling is deterministic, so it fails again).
fn again<T>(r: Result<T>, i: usize) -> Error {
    r.err()
        .unwrap_or_else(|| Error::InvalidSpec(format!("tools[{i}]: malformed tool schema")))
}

/// Compiles the tool lists of a table: each distinct schema once (in parallel), then each list
/// from its compiled schemas (shared, not copied). Errors are those of [`Toolset::from_json`]
/// on the list as a whole, naming the first item using the bad list.
pub fn toolsets_from_table(
    schemas: &[Value],
    lists: &[ToolList],
    index: &[usize],
) -> Result<Vec<Toolset>> {
    if let Some((u, k)) = lists.iter().enumerate().find_map(|(u, l)| match l {
        ToolList::Schemas(ks) => ks.iter().find(|&&k| k >= schemas.len()).map(|&k| (u, k)),
        ToolList::Other(_) => None,
    }) {
        return Err(Error::InvalidInput(format!(
            "tool list {u} names schema {k}, out of range for {} schemas",
            schemas.len()
        )));
    }
    // Compiled at position 0; an error is compiled again at its real position for its message.
    let compiled = par::map_range(schemas.len(), |k| {
        (
            ToolSchema::from_json(&schemas[k]),
            bfcl::signature_from_json(&schemas[k], 0),
        )
    });
    let one = |list: &ToolList| -> Result<Toolset> {
        let ks = match list {
            ToolList::Schemas(ks) => ks,
            ToolList::Other(v) => return Toolset::from_json(v),
        };
        let mut set = Toolset {
            schemas: Vec::with_capacity(ks.len()),
            sigs: Vec::with_capacity(ks.len()),
        };
        for (i, &k) in ks.iter().enumerate() {
            match &compiled[k].0 {
                Ok(t) => push_unique(&mut set.schemas, t.clone(), i)?,
                Err(_) => {
                    return Err(again(
                        ToolSchema::from_json(&schemas[k]).map_err(|e| at_item(e, i)),
                        i,
                    ));
                }
            }
        }
        for (i, &k) in ks.iter().enumerate() {
            match &compiled[k].1 {
                Ok(sig) => set.sigs.push(sig.clone()),
                Err(_) => return Err(again(bfcl::signature_from_json(&schemas[k], i), i)),
            }
        }
        Ok(set)
    };
    let mut out = Vec::with_capacity(lists.len());
    for (u, list) in lists.iter().enumerate() {
        out.push(one(list).map_err(|e| label(e, &first_user(index, u)))?);
    }
    Ok(out)
}

/// [`truths_from_json`] taking the answers.
pub fn truths_from_values(answers: Vec<Value>, index: &[usize]) -> Result<Vec<GroundTruth>> {
    par::map_owned(answers, |u, v| {
        GroundTruth::from_value(v).map_err(|e| label(e, &first_user(index, u)))
    })
    .into_iter()
    .collect()
}

/// [`outcome_from_json`] for a [`TableRollouts`]: the same results and errors.
pub fn outcome_from_table(kind: RewardKind, input: TableRollouts<'_>) -> Result<OutcomeBatch> {
    let n = input.texts.len();
    check_index("answer index", input.answer_index, n, input.answers.len())?;
    check_index("tools index", input.tools_index, n, input.tool_lists.len())?;
    check_truncated(input.truncated, n)?;
    let truths = truths_from_values(input.answers, input.answer_index)?;
    let toolsets = toolsets_from_table(input.schemas, input.tool_lists, input.tools_index)?;
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
