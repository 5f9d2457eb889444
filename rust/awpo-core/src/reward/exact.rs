//! `exact`: the binary Tool-N1-style reward, REWARDS.md "`exact`".
//!
//! `total = think · calls`, both in {0, 1}:
//! - `think`: the parse found a `<think>…</think>` block (`ParseResult::reasoning` is set);
//! - `calls`: with ground-truth calls, the parse succeeded (`failure == ok`: every call read and
//!   fits its schema) and the multiset of `(name, arguments)` equals the ground truth's, the
//!   arguments compared as canonical JSON (key order ignored, `1 == 1.0`, `true != 1`; see
//!   [`super::value::json_eq`]); without ground-truth calls (`no_call`, or a response-only
//!   answer), no call was made and nothing failed to parse (`failure` is `ok` or `no_call`).
//!
//! [`calls_match`] is the exact-call rule itself; training's and evaluation's exact-call accuracy
//! call it too (through `awpo.rewards.calls_match`), so the three never disagree.
use super::truth::GroundTruth;
use super::value::map_eq;
use crate::toolcall::{FailureClass, ParseResult, ToolCall};
use crate::{Error, Result};
use serde_json::{Map, Value};

fn same_call(a: &ToolCall, b: &ToolCall) -> bool {
    a.name == b.name && map_eq(&a.arguments, &b.arguments)
}

/// The exact-call rule: `pred` and `gt` are equal as multisets of `(name, arguments)`, the
/// arguments compared with JSON equality ([`super::value::json_eq`]: key order ignored,
/// `1 == 1.0`, `"1" != 1`, `true != 1`). [`same_call`] is an equivalence relation, so pairing
/// each ground-truth call with any unused equal prediction decides the multiset equality exactly.
pub fn calls_match(pred: &[ToolCall], gt: &[ToolCall]) -> bool {
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
        parsed.failure == FailureClass::Ok && calls_match(&parsed.calls, &truth.tool_calls)
    };
    (f64::from(u8::from(think)), f64::from(u8::from(calls)))
}

/// One call read from `{"name": str, "arguments": object}` (`arguments` may be absent: no
/// arguments). `field` names the call in errors.
fn call_from_json(v: &Value, field: &str) -> Result<ToolCall> {
    let bad = |what: &str| Error::InvalidSpec(format!("{field}: {what}"));
    let Value::Object(m) = v else {
        return Err(bad("expected an object with `name` and `arguments`"));
    };
    if let Some(k) = m.keys().find(|k| *k != "name" && *k != "arguments") {
        return Err(bad(&format!(
            "unknown key {k:?} (allowed: name, arguments)"
        )));
    }
    let Some(Value::String(name)) = m.get("name") else {
        return Err(bad("`name` must be a string"));
    };
    let arguments = match m.get("arguments") {
        None => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => return Err(bad("`arguments` must be an object")),
    };
    Ok(ToolCall {
        name: name.clone(),
        arguments,
    })
}

/// [`calls_match`] on two JSON lists of `{"name", "arguments"}` calls (what Python holds).
/// A list item that is not such a call is [`Error::InvalidSpec`] naming it (`made[2]: …`).
pub fn calls_match_json(made: &[Value], expected: &[Value]) -> Result<bool> {
    let read = |calls: &[Value], what: &str| -> Result<Vec<ToolCall>> {
        calls
            .iter()
            .enumerate()
            .map(|(i, c)| call_from_json(c, &format!("{what}[{i}]")))
            .collect()
    };
    Ok(calls_match(
        &read(made, "made")?,
        &read(expected, "expected")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn matches(made: Value, expected: Value) -> bool {
        let (Value::Array(m), Value::Array(e)) = (made, expected) else {
            panic!("test lists")
        };
        calls_match_json(&m, &e).unwrap()
    }

    #[test]
    fn numbers_by_value_strings_and_bools_apart() {
        let f = |x: Value| json!([{"name": "f", "arguments": {"x": x}}]);
        assert!(matches(f(json!(1)), f(json!(1.0))));
        assert!(!matches(f(json!("1")), f(json!(1))));
        assert!(!matches(f(json!(true)), f(json!(1))));
        assert!(!matches(f(json!(null)), f(json!(0))));
    }

    #[test]
    fn nested_values_and_key_order() {
        let a =
            json!([{"name": "f", "arguments": {"p": {"a": [1, {"b": 2.0}], "c": "x"}, "q": 1}}]);
        let b =
            json!([{"arguments": {"q": 1.0, "p": {"c": "x", "a": [1.0, {"b": 2}]}}, "name": "f"}]);
        assert!(matches(a.clone(), b));
        let reordered =
            json!([{"name": "f", "arguments": {"p": {"a": [{"b": 2.0}, 1], "c": "x"}, "q": 1}}]);
        assert!(!matches(a, reordered)); // list order matters
    }

    #[test]
    fn a_multiset_counts_duplicates() {
        let one = json!({"name": "f", "arguments": {"x": 1}});
        let other = json!({"name": "g"});
        assert!(matches(json!([one, other]), json!([other, one])));
        assert!(!matches(json!([one, one]), json!([one])));
        assert!(!matches(json!([one, one]), json!([one, other])));
        assert!(matches(
            json!([one, one]),
            json!([one, {"name": "f", "arguments": {"x": 1.0}}])
        ));
        assert!(matches(json!([]), json!([])));
        assert!(!matches(json!([other]), json!([])));
    }

    #[test]
    fn malformed_calls_name_the_item() {
        let err = |m: Value| {
            let Value::Array(m) = m else { panic!() };
            calls_match_json(&m, &[]).unwrap_err().to_string()
        };
        assert!(err(json!([{"name": "f"}, 3])).contains("made[1]"));
        assert!(err(json!([{"name": 1}])).contains("name"));
        assert!(err(json!([{"name": "f", "arguments": []}])).contains("arguments"));
        assert!(err(json!([{"name": "f", "id": 1}])).contains("unknown key"));
    }
}
