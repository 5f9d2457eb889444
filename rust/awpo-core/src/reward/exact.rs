//! `exact`: the binary Tool-N1-style reward, REWARDS.md "`exact`".
//!
//! `total = think · calls`, both in {0, 1}:
//! - `think`: the parse found a `<think>…</think>` block (`ParseResult::reasoning` is set);
//! - `calls`: with ground-truth calls, the parse succeeded (`failure == ok`: every call read and
//!   fits its schema) and the multiset of `(name, arguments)` equals the ground truth's, the
//!   arguments compared as canonical JSON (key order ignored, `1 == 1.0`, `true != 1`; see
//!   [`super::value::json_eq`]); without ground-truth calls (`no_call`, or a response-only
//!   answer), no call was made and nothing failed to parse (`failure` is `ok` or `no_call`).
use super::truth::GroundTruth;
use super::value::map_eq;
use crate::toolcall::{FailureClass, ParseResult, ToolCall};

fn same_call(a: &ToolCall, b: &ToolCall) -> bool {
    a.name == b.name && map_eq(&a.arguments, &b.arguments)
}

/// Multiset equality under [`same_call`]. It is an equivalence relation, so pairing each
/// ground-truth call with any unused equal prediction decides the multiset equality exactly.
fn multiset_eq(pred: &[ToolCall], gt: &[ToolCall]) -> bool {
    if pred.len() != gt.len() {
        return false;
    }
    let mut used = vec![false; pred.len()];
    gt.iter().all(|g| {
        let hit = (0..pred.len()).find(|&i| !used[i] && same_call(&pred[i], g));
        hit.map(|i| used[i] = true).is_some()
    })
}

/// `(think, calls)` of one parsed output; the total is their product.
pub fn score(parsed: &ParseResult, truth: &GroundTruth) -> (f64, f64) {
    let think = parsed.reasoning.is_some();
    let calls = if truth.tool_calls.is_empty() {
        parsed.calls.is_empty() && matches!(parsed.failure, FailureClass::Ok | FailureClass::NoCall)
    } else {
        parsed.failure == FailureClass::Ok && multiset_eq(&parsed.calls, &truth.tool_calls)
    };
    (f64::from(u8::from(think)), f64::from(u8::from(calls)))
}
