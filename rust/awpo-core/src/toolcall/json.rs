//! JSON calls: call objects, arrays of them, and streams of them (one per line in ToolRL data).
//!
//! A call object has a non-empty string `name` and optional arguments under `arguments` (else
//! `parameters`): an object; a JSON string holding an object (OpenAI style; an empty string
//! means no arguments); or null / absent (no arguments). An object without `name` whose
//! `function` is an object is unwrapped once (`{"type": "function", "function": {...}}`).
//! Other keys (`id`, `type`, …) are ignored.
use super::types::ToolCall;
use serde::de::{self, Deserialize, MapAccess, SeqAccess, Visitor};
use serde_json::{Deserializer, Map, Value};
use std::fmt;

/// Each entry a call or why it is not one.
pub(super) type Found = Vec<Result<ToolCall, String>>;

/// Reads calls out of one JSON value: an object is one call, an array holds call objects.
/// Each entry is a call or why it is not one. ([`calls_at`] reads the same from text.)
#[cfg(test)]
pub(super) fn calls_from_value(v: Value, out: &mut Found) {
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
    /// The keys of a call object being read: the call's keys as values, every other value read
    /// (so exactly the texts a `Value` accepts are accepted) and dropped. A repeated key keeps
    /// its last value, as in a `Map`.
    fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<CallKeys, A::Error> {
        let mut keys = CallKeys::default();
        while let Some(key) = map.next_key::<CallKey>()? {
            let value = map.next_value::<Value>()?;
            match key {
                CallKey::Name => keys.name = Some(value),
                CallKey::Function => keys.function = Some(value),
                CallKey::Arguments => keys.arguments = Some(value),
                CallKey::Parameters => keys.parameters = Some(value),
                CallKey::Other => {}
            }
        }
        Ok(keys)
    }

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

#[cfg(test)]
fn call_from_object(m: Map<String, Value>) -> Result<ToolCall, String> {
    call_from_keys(CallKeys::take(m))
}

fn call_from_keys(mut keys: CallKeys) -> Result<ToolCall, String> {
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

/// A key of a call object, matched without allocating.
enum CallKey {
    Name,
    Function,
    Arguments,
    Parameters,
    Other,
}

impl<'de> Deserialize<'de> for CallKey {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<CallKey, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CallKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<CallKey, E> {
                Ok(match key {
                    "name" => CallKey::Name,
                    "function" => CallKey::Function,
                    "arguments" => CallKey::Arguments,
                    "parameters" => CallKey::Parameters,
                    _ => CallKey::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// What [`calls_from_value`] reads out of a JSON value, read straight from the text: only a
/// call's own fields become `Value`s (no map is built for the call object itself).
struct Calls(Found);

/// An element of an array of calls: a call object's keys, or `None` for anything else (read as
/// a `Value`).
struct Element(Option<CallKeys>);

/// Reads every element of an array as a `Value` (what a `Value` would accept) and drops it.
fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Value>()?.is_some() {}
    Ok(())
}

macro_rules! scalars_are {
    ($out:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($out)
        }
    };
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Element, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Element;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Element, A::Error> {
                CallKeys::read(map).map(|keys| Element(Some(keys)))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Element, A::Error> {
                skip_seq(seq).map(|()| Element(None))
            }

            scalars_are!(Element(None));
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Calls {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Calls, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Calls;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Calls, A::Error> {
                let keys = CallKeys::read(map)?;
                Ok(Calls(vec![call_from_keys(keys)]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Calls, A::Error> {
                let mut out = Vec::new();
                while let Some(Element(e)) = seq.next_element::<Element>()? {
                    out.push(match e {
                        Some(keys) => call_from_keys(keys),
                        None => Err("array element is not a call object".into()),
                    });
                }
                Ok(Calls(out))
            }

            scalars_are!(Calls(vec![Err(
                "expected a call object or an array of call objects".into()
            )]));
        }
        d.deserialize_any(V)
    }
}

/// Reads the JSON value at the start of `s` (leading whitespace allowed) as calls, the way
/// [`value_at`] then [`calls_from_value`] would (the same calls, the same errors); returns them
/// and the byte offset just past the value.
pub(super) fn calls_at(s: &str) -> Result<(Found, usize), String> {
    let mut it = Deserializer::from_str(s).into_iter::<Calls>();
    match it.next() {
        Some(Ok(Calls(found))) => Ok((found, it.byte_offset())),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("expected a JSON value".into()),
    }
}

/// Parses one JSON value at the start of `s` (leading whitespace allowed); returns it and the
/// byte offset just past it.
#[cfg(test)]
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
    use proptest::prelude::*;
    use serde_json::json;

    /// `value_at` then `calls_from_value`: the definition `calls_at` reads in one step.
    fn by_value(s: &str) -> Result<(Found, usize), String> {
        let (v, end) = value_at(s)?;
        let mut out = Vec::new();
        calls_from_value(v, &mut out);
        Ok((out, end))
    }

    /// JSON texts around call objects: valid values, then cut, spliced or with bytes inserted.
    fn call_texts() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "name",
            "function",
            "arguments",
            "parameters",
            "id",
            "type",
            "n\\u0061me",
        ]);
        let leaf = prop_oneof![
            Just(json!(null)),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop::sample::select(vec!["f", "", "{\"a\": 1}", " ", "[1]", "{"])
                .prop_map(Value::from),
        ];
        let value = leaf.prop_recursive(4, 40, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((key.clone(), inner), 0..5).prop_map(|kv| {
                    Value::Object(
                        kv.into_iter()
                            .map(|(k, v)| (k.replace("\\u0061", "a"), v))
                            .collect(),
                    )
                }),
            ]
        });
        let raw = prop::sample::select(vec![
            "{\"name\": \"f\", \"name\": \"g\", \"arguments\": {}}",
            "{\"n\\u0061me\": \"f\"}",
            "[{\"name\": \"f\"}, 3, [{\"name\": \"g\"}]]",
            "{\"name\": \"f\", \"x\": 1e400}",
            "{\"name\": \"f\"} {\"name\": \"g\"}",
            "1x",
            "",
        ]);
        (
            value,
            raw,
            0..3u8,
            0..200usize,
            prop::sample::select(vec!["", "}", "]", ",", "\"", " x", "\\"]),
        )
            .prop_map(|(v, raw, how, at, junk)| {
                let mut t = match how {
                    0 => v.to_string(),
                    1 => raw.to_owned(),
                    _ => format!("{v}\n{raw}"),
                };
                let cut = t
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(at % (t.chars().count() + 1))
                    .unwrap_or(t.len());
                if at % 3 == 0 {
                    t.truncate(cut);
                } else if at % 3 == 1 {
                    t.insert_str(cut, junk);
                }
                t
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn calls_at_reads_as_value_then_calls(s in call_texts()) {
            prop_assert_eq!(calls_at(&s), by_value(&s));
        }
    }

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
