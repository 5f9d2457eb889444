//! Outcome rewards (REWARDS.md): `toolrl`, `exact`, `bfcl`, each with its components and range.
//!
//! A model's output is never an error: every text gets a reward within [`RewardKind::range`].
//! Malformed ground truth or tool schemas are [`crate::Error::InvalidSpec`].
//!
//! | kind     | total                         | components            | range    |
//! |----------|-------------------------------|-----------------------|----------|
//! | `toolrl` | `format + correctness`        | `format`, `correctness` | [-3, 4] |
//! | `exact`  | `think · calls`               | `think`, `calls`      | [0, 1]   |
//! | `bfcl`   | `ast`                         | `ast`                 | [0, 1]   |
pub mod batch;
pub mod bfcl;
pub mod exact;
pub mod toolrl;
mod truth;
pub mod value;

pub use batch::{OutcomeBatch, Rollouts, Toolset, outcome_batch};
pub use bfcl::FunctionSig;
pub use truth::{AcceptableCall, GroundTruth};

use crate::toolcall::ParseResult;
use crate::{Error, Result};

/// Which outcome reward to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RewardKind {
    /// ToolRL's format + correctness reward, in [-3, 4].
    ToolRl,
    /// Binary: think block present and the calls equal the ground truth as a multiset.
    Exact,
    /// Binary: BFCL's AST checker accepts the calls.
    Bfcl,
}

impl RewardKind {
    /// Every kind, in documentation order.
    pub const ALL: [RewardKind; 3] = [RewardKind::ToolRl, RewardKind::Exact, RewardKind::Bfcl];

    /// The name used in configs and Python (`"toolrl"`, `"exact"`, `"bfcl"`).
    pub fn as_str(self) -> &'static str {
        match self {
            RewardKind::ToolRl => "toolrl",
            RewardKind::Exact => "exact",
            RewardKind::Bfcl => "bfcl",
        }
    }

    /// `(min, max)` of the total (the AWPO gate normalises by it).
    pub fn range(self) -> (f64, f64) {
        match self {
            RewardKind::ToolRl => (toolrl::CORRECTNESS_MIN, 1.0 + toolrl::CORRECTNESS_MAX),
            RewardKind::Exact | RewardKind::Bfcl => (0.0, 1.0),
        }
    }

    /// Names of the components, in the order of [`RewardOutput::components`].
    pub fn component_names(self) -> &'static [&'static str] {
        match self {
            RewardKind::ToolRl => &["format", "correctness"],
            RewardKind::Exact => &["think", "calls"],
            RewardKind::Bfcl => &["ast"],
        }
    }

    /// `(min, max)` of each component, in the order of [`RewardKind::component_names`].
    pub fn component_ranges(self) -> &'static [(f64, f64)] {
        match self {
            RewardKind::ToolRl => &[
                (0.0, 1.0),
                (toolrl::CORRECTNESS_MIN, toolrl::CORRECTNESS_MAX),
            ],
            RewardKind::Exact => &[(0.0, 1.0), (0.0, 1.0)],
            RewardKind::Bfcl => &[(0.0, 1.0)],
        }
    }
}

impl std::str::FromStr for RewardKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<RewardKind> {
        RewardKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown reward kind {s:?}; expected one of: toolrl, exact, bfcl"
                ))
            })
    }
}

impl std::fmt::Display for RewardKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Components of one reward; at most [`MAX_COMPONENTS`] values, named by the kind.
pub const MAX_COMPONENTS: usize = 2;

/// One scored output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RewardOutput {
    /// Which reward produced it.
    pub kind: RewardKind,
    /// The reward, within `kind.range()`.
    pub total: f64,
    /// Component values in the order of `kind.component_names()`; unused slots are 0.
    pub values: [f64; MAX_COMPONENTS],
}

impl RewardOutput {
    /// `(name, value)` of each component.
    pub fn components(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.kind
            .component_names()
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }

    /// The value of the named component.
    pub fn component(&self, name: &str) -> Option<f64> {
        self.components().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// Scores one output. `text` is the raw model text (`toolrl` reads it), `parsed` its parse
/// (`exact`, `bfcl`), `sigs` the task's function signatures (`bfcl` types and required params).
pub fn score(
    kind: RewardKind,
    text: &str,
    parsed: &ParseResult,
    truth: &GroundTruth,
    sigs: &[FunctionSig],
) -> RewardOutput {
    let (total, values) = match kind {
        RewardKind::ToolRl => {
            let (format, correctness) = toolrl::score(text, truth);
            (format + correctness, [format, correctness])
        }
        RewardKind::Exact => {
            let (think, calls) = exact::score(parsed, truth);
            (think * calls, [think, calls])
        }
        RewardKind::Bfcl => return bfcl_output(bfcl::score(parsed, truth, sigs)),
    };
    RewardOutput {
        kind,
        total,
        values,
    }
}

/// The output of `bfcl` with AST score `ast`.
pub(crate) fn bfcl_output(ast: f64) -> RewardOutput {
    RewardOutput {
        kind: RewardKind::Bfcl,
        total: ast,
        values: [ast, 0.0],
    }
}
