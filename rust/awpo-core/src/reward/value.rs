//! Equality of JSON values, in the two flavours the rewards need.
//!
//! - [`json_eq`]: JSON equality (REWARDS.md "Value equality is JSON equality"): numbers compare
//!   by exact value, so `1 == 1.0` and `"1" != 1`; objects ignore key order; booleans are not
//!   numbers, so `true != 1`. This is a deliberate difference from Python, where `True == 1`:
//!   ToolRL's Python `==` would call `{"flag": true}` and `{"flag": 1}` equal, awpo does not.
//!   `toolrl` and `exact` use it.
//! - [`py_eq`]: Python's `==` on the values `json.loads` returns (`True == 1 == 1.0`). `bfcl` uses
//!   it, because BFCL's official checker compares with Python `==` and the checker is the arbiter.
use crate::toolcall::map_get;
use serde_json::{Map, Number, Value};

/// A JSON number as an exact integer or a float, the way `json.loads` would return it.
#[derive(Clone, Copy, Debug)]
enum Num {
    Int(i128),
    Float(f64),
}

fn num(n: &Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Num::Int(i128::from(u))
    } else {
        // serde_json without arbitrary precision always has one of the three representations.
        Num::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Exact numeric equality of an integer and a float, as Python compares `int == float`.
fn int_eq_float(i: i128, f: f64) -> bool {
    // Every i64/u64 lies within ±2^65; beyond that no float can equal one of them.
    const LIMIT: f64 = 36_893_488_147_419_103_232.0; // 2^65
    f.is_finite() && f.fract() == 0.0 && f.abs() <= LIMIT && f as i128 == i
}

fn num_eq(a: Num, b: Num) -> bool {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x == y,
        (Num::Float(x), Num::Float(y)) => x == y,
        (Num::Int(i), Num::Float(f)) | (Num::Float(f), Num::Int(i)) => int_eq_float(i, f),
    }
}

/// JSON equality: `1 == 1.0`, `"1" != 1`, `true != 1`, object key order ignored.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => num_eq(num(x), num(y)),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => map_eq(x, y),
        _ => false,
    }
}

/// [`json_eq`] of two objects: the same keys, and JSON-equal values under each.
pub fn map_eq(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    x.len() == y.len()
        && x.iter()
            .all(|(k, v)| map_get(y, k).is_some_and(|w| json_eq(v, w)))
}

/// The numeric value of a bool or number as Python sees it (`True` is the int 1).
fn py_num(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Int(i128::from(*b))),
        Value::Number(n) => Some(num(n)),
        _ => None,
    }
}

/// Python `==` on `json.loads` values: `True == 1 == 1.0`, `"1" != 1`, key order ignored.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (py_num(a), py_num(b)) {
        return num_eq(x, y);
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| map_get(y, k).is_some_and(|w| py_eq(v, w)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_eq_numbers_compare_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!(-0.0), &json!(0)));
        assert!(!json_eq(&json!(1), &json!(1.5)));
        assert!(!json_eq(&json!("1"), &json!(1)));
        // 2^53 + 1 is not representable as f64: Python says 9007199254740993 != 9007199254740992.0.
        assert!(!json_eq(
            &json!(9_007_199_254_740_993_i64),
            &json!(9_007_199_254_740_992.0)
        ));
        assert!(json_eq(&json!(u64::MAX), &json!(u64::MAX)));
        assert!(!json_eq(&json!(u64::MAX), &json!(-1)));
    }

    #[test]
    fn json_eq_bools_are_not_numbers() {
        // awpo's choice (REWARDS.md: JSON equality); Python would say True == 1.
        assert!(!json_eq(&json!(true), &json!(1)));
        assert!(!json_eq(&json!(false), &json!(0.0)));
        assert!(json_eq(&json!(true), &json!(true)));
    }

    #[test]
    fn json_eq_containers() {
        assert!(json_eq(
            &json!({"a": 1, "b": [1, 2.0]}),
            &json!({"b": [1.0, 2], "a": 1.0})
        ));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
        assert!(!json_eq(&json!(null), &json!(false)));
        assert!(!json_eq(&json!([]), &json!({})));
    }

    #[test]
    fn py_eq_follows_python() {
        assert!(py_eq(&json!(true), &json!(1)));
        assert!(py_eq(&json!(true), &json!(1.0)));
        assert!(py_eq(&json!(false), &json!(0)));
        assert!(!py_eq(&json!(true), &json!(2)));
        assert!(py_eq(&json!([true, {"a": 0}]), &json!([1, {"a": false}])));
        assert!(!py_eq(&json!("1"), &json!(1)));
        assert!(!py_eq(&json!(null), &json!(0)));
    }
}
