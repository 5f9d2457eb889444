//! JSON calls: call objects, arrays of them, and streams of them (one per line in ToolRL data).
//!
//! A call object has a non-empty string `name` and optional arguments under `arguments` (else
//! `parameters`): an object; a JSON string holding an object (OpenAI style; an empty string
//! means no arguments); or null / absent (no arguments). An object without `name` whose
//! `function` is an object is unwrapped once (`{"type": "function", "function": {...}}`).
//! Other keys (`id`, `type`, …) are ignored.
use super::types::ToolCall;
use serde_json::{Deserializer, Map, Value};

/// Reads calls out of one JSON value: an object is one call, an array holds call objects.
/// Each entry is a call or why it is not one.
pub(super) fn calls_from_value(v: Value, out: &mut Vec<Result<ToolCall, String>>) {
    match v {
        Value::Object(m) => out.push(call_from_object(m)),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) => out.push(call_from_object(m)),
                    _ => out.push(Err("array element is not a call object".into())),
                }
            }
        }
        _ => out.push(Err(
            "expected a call object or an array of call objects".into()
        )),
    }
}

/// Maps with at most this many entries are searched by comparing keys in order.
const SMALL_MAP: usize = 16;

/// `m.get(key)`. A small map is searched by comparing its keys in order: the same answer (keys
/// are unique), without hashing `key` (serde_json's maps use SipHash, which costs more than a
/// few comparisons of short keys).
pub(crate) fn map_get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if m.len() <= SMALL_MAP {
        m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// `m.contains_key(key)`, as [`map_get`] searches.
pub(crate) fn map_has(m: &Map<String, Value>, key: &str) -> bool {
    map_get(m, key).is_some()
}

/// The values of the keys a call object is read from, taken in one pass over the object.
#[derive(Default)]
struct CallKeys {
    name: Option<Value>,
    function: Option<Value>,
    arguments: Option<Value>,
    parameters: Option<Value>,
}

impl CallKeys {
    fn take(m: Map<String, Value>) -> CallKeys {
        let mut keys = CallKeys::default();
        for (k, v) in m {
            match k.as_str() {
                "name" => keys.name = Some(v),
                "function" => keys.function = Some(v),
                "arguments" => keys.arguments = Some(v),
                "parameters" => keys.parameters = Some(v),
                _ => {}
            }
        }
        keys
    }
}

fn call_from_object(m: Map<String, Value>) -> Result<ToolCall, String> {
    let mut keys = CallKeys::take(m);
    if keys.name.is_none()
        && let Some(Value::Object(inner)) = keys.function
    {
        keys = CallKeys::take(inner);
    }
    let name = match keys.name {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(Value::String(_)) => return Err("call `name` is empty".into()),
        Some(_) => return Err("call `name` is not a string".into()),
        None => return Err("call object has no `name`".into()),
    };
    let args = match keys.arguments {
        Some(a) => a,
        None => keys.parameters.unwrap_or(Value::Null),
    };
    let arguments = match args {
        Value::Object(a) => a,
        Value::Null => Map::new(),
        Value::String(s) => {
            if s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
                .is_empty()
            {
                Map::new()
            } else {
                match serde_json::from_str::<Value>(&s) {
                    Ok(Value::Object(a)) => a,
                    Ok(_) => {
                        return Err(format!(
                            "`{name}`: arguments string does not hold a JSON object"
                        ));
                    }
                    Err(e) => {
                        return Err(format!(
                            "`{name}`: arguments string is not valid JSON ({e})"
                        ));
                    }
                }
            }
        }
        _ => return Err(format!("`{name}`: arguments must be an object")),
    };
    Ok(ToolCall { name, arguments })
}

/// Parses one JSON value at the start of `s` (leading whitespace allowed); returns it and the
/// byte offset just past it.
pub(super) fn value_at(s: &str) -> Result<(Value, usize), String> {
    let mut it = Deserializer::from_str(s).into_iter::<Value>();
    match it.next() {
        Some(Ok(v)) => Ok((v, it.byte_offset())),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("expected a JSON value".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(v: Value) -> Result<ToolCall, String> {
        let mut out = Vec::new();
        calls_from_value(v, &mut out);
        assert_eq!(out.len(), 1);
        out.pop().unwrap()
    }

    #[test]
    fn argument_spellings() {
        let a = one(json!({"name": "f", "arguments": {"x": 1}})).unwrap();
        let b = one(json!({"name": "f", "parameters": {"x": 1}})).unwrap();
        let c = one(json!({"name": "f", "arguments": "{\"x\": 1}"})).unwrap();
        let d = one(json!({"type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}, "id": "c1"})).unwrap();
        assert!(a == b && b == c && c == d);
        assert!(one(json!({"name": "f"})).unwrap().arguments.is_empty());
        assert!(
            one(json!({"name": "f", "arguments": " "}))
                .unwrap()
                .arguments
                .is_empty()
        );
        assert!(
            one(json!({"name": "f", "arguments": null}))
                .unwrap()
                .arguments
                .is_empty()
        );
    }

    #[test]
    fn not_calls() {
        assert!(one(json!({"arguments": {}})).is_err());
        assert!(one(json!({"name": 3})).is_err());
        assert!(one(json!({"name": ""})).is_err());
        assert!(one(json!({"name": "f", "arguments": [1]})).is_err());
        assert!(one(json!({"name": "f", "arguments": "[1]"})).is_err());
        assert!(one(json!({"name": "f", "arguments": "{"})).is_err());
        assert!(one(json!("f")).is_err());
    }

    #[test]
    fn map_lookups_agree_with_the_map() {
        for n in [0, 1, 5, SMALL_MAP, SMALL_MAP + 1, 40] {
            let m: Map<String, Value> = (0..n).map(|i| (format!("k{i}"), json!(i))).collect();
            for key in ["k0", "k3", "k16", "k17", "k39", "", "x", "k"] {
                assert_eq!(map_get(&m, key), m.get(key), "{n} {key}");
                assert_eq!(map_has(&m, key), m.contains_key(key), "{n} {key}");
            }
        }
    }

    #[test]
    fn the_function_wrapper_is_unwrapped_once_and_only_without_a_name() {
        let c =
            one(json!({"function": {"name": "f", "arguments": {"x": 1}}, "arguments": {"y": 2}}))
                .unwrap();
        assert_eq!(
            (c.name.as_str(), c.arguments.get("x")),
            ("f", Some(&json!(1)))
        );
        let c =
            one(json!({"name": "g", "function": {"name": "f"}, "parameters": {"y": 2}})).unwrap();
        assert_eq!(
            (c.name.as_str(), c.arguments.get("y")),
            ("g", Some(&json!(2)))
        );
        assert!(one(json!({"function": "f"})).is_err());
        assert!(one(json!({"function": {"function": {"name": "f"}}})).is_err());
    }

    #[test]
    fn value_offsets() {
        let (v, end) = value_at("  {\"a\": 1} tail").unwrap();
        assert_eq!(v, json!({"a": 1}));
        assert_eq!(end, 10);
        assert!(value_at("   ").is_err());
        assert!(value_at("{\"a\": ").is_err());
    }
}
