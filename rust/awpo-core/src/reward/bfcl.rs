//! `bfcl`: BFCL's AST checker (Python language, no-order parallel matching), REWARDS.md "`bfcl`".
//!
//! `total` in {0, 1}, one component `ast`. Behaviour follows the official checker
//! (`bfcl_eval/eval_checker/ast_eval/ast_checker.py`, v4), which REWARDS.md names the arbiter:
//!
//! - **Count and pairing.** The number of predicted calls must equal the number of possible
//!   answers. Possible answers are taken in order; each is paired with the *first* unused
//!   prediction that passes the per-call check (BFCL's greedy `parallel_function_checker_no_order`,
//!   not a maximum matching). One possible answer is the simple/multiple case.
//! - **Per call.** Names equal; every parameter the schema marks `required` is present; every
//!   predicted parameter is in the schema's `properties` *and* in the possible answer; each value
//!   passes [`value_ok`]; every possible-answer parameter that is absent lists `""`.
//! - **Types** come from the schema (`string`, `integer`, `float`/`number`, `boolean`,
//!   `array`/`tuple` with `items.type`, `dict`/`object`, `any` = string). An int is accepted
//!   where a float is declared. A value whose type differs from the declared one is still
//!   accepted when it has the type of the possible answers (BFCL's "variable" rule) and then
//!   compares with plain `==`.
//! - **Strings** compare after BFCL's `standardize_string` ([`standardize`]); lists compare
//!   element-wise with top-level strings standardized; dicts key by key with standardized string
//!   values and `""` marking optional keys; lists of dicts dict by dict. Other values compare with
//!   Python `==` ([`super::value::py_eq`]: `True == 1`, as in the checker).
//! - **Derived answers.** Without `acceptable`, each ground-truth argument `v` is the only
//!   acceptable value (`[v]`; a dict becomes `{key: [value]}` as BFCL writes possible dicts).
//! - **Irrelevance.** With no possible answer (`no_call`, or no calls at all) the output is right
//!   iff it contains no call. As in BFCL, an output that fails to decode (parse failure
//!   `malformed_json`, `unclosed_tag` or `truncated`) counts as containing no call; for call
//!   items such an output scores 0.
//!
//! awpo's choices where the checker would raise (its data never triggers these): a function
//! missing from the toolset, or a parameter with no or an unknown `type`, is checked "untyped" —
//! the expected type is that of the first non-`""` possible answer, else the value's own; a
//! possible answer that is neither a list nor `""` where a list or dict is compared never matches.
use super::truth::{AcceptableCall, GroundTruth};
use super::value::py_eq;
use crate::toolcall::{FailureClass, ParseResult, ToolCall, map_get, map_has};
use crate::{Error, Result};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;

/// The Python type of a `json.loads` value, as BFCL's `type(value)` sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyType {
    /// `None`.
    None,
    /// `bool`.
    Bool,
    /// `int`.
    Int,
    /// `float`.
    Float,
    /// `str`.
    Str,
    /// `list`.
    List,
    /// `dict`.
    Dict,
}

impl PyType {
    /// `type(v)` of the value `json.loads` would return.
    pub fn of(v: &Value) -> PyType {
        match v {
            Value::Null => PyType::None,
            Value::Bool(_) => PyType::Bool,
            Value::Number(n) if n.is_f64() => PyType::Float,
            Value::Number(_) => PyType::Int,
            Value::String(_) => PyType::Str,
            Value::Array(_) => PyType::List,
            Value::Object(_) => PyType::Dict,
        }
    }

    /// BFCL's `PYTHON_TYPE_MAPPING`, plus the OpenAI names `number` and `object`.
    pub fn from_schema(name: &str) -> Option<PyType> {
        match name {
            "string" | "any" => Some(PyType::Str),
            "integer" => Some(PyType::Int),
            "float" | "number" => Some(PyType::Float),
            "boolean" => Some(PyType::Bool),
            "array" | "tuple" => Some(PyType::List),
            "dict" | "object" => Some(PyType::Dict),
            _ => None,
        }
    }
}

/// The declared type of one parameter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamSpec {
    /// The declared type; `None` when absent or not one BFCL knows (checked untyped).
    pub ty: Option<PyType>,
    /// For `array`/`tuple`: the declared `items.type`.
    pub items: Option<PyType>,
}

/// What the checker needs of one function schema (its fields through [`SigData`]). Cloning is
/// cheap (one shared, immutable allocation), so one signature can sit in the tool lists of many
/// tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionSig(Arc<SigData>);

/// The fields of a [`FunctionSig`].
#[derive(Debug, PartialEq)]
pub struct SigData {
    /// Function name.
    pub name: String,
    /// `properties`, in order.
    pub params: Vec<(String, ParamSpec)>,
    /// `required`.
    pub required: Vec<String>,
}

impl std::ops::Deref for FunctionSig {
    type Target = SigData;

    fn deref(&self) -> &SigData {
        &self.0
    }
}

impl SigData {
    fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, s)| s)
    }
}

fn bad(field: &str, what: &str) -> Error {
    Error::InvalidSpec(format!("{field}: {what}"))
}

fn declared_type(v: Option<&Value>) -> Option<PyType> {
    v.and_then(Value::as_str).and_then(PyType::from_schema)
}

/// Reads an OpenAI tool list (`[{"type": "function", "function": {...}}]`, or bare
/// `{"name", "parameters"}` objects as BFCL writes them). Errors name the field (`tools[i]…`).
pub fn signatures_from_json(tools: &Value) -> Result<Vec<FunctionSig>> {
    let items = tools
        .as_array()
        .ok_or_else(|| bad("tools", "expected an array of function schemas"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| signature_from_json(item, i))
        .collect()
}

/// Reads item `i` of an OpenAI tool list (errors name the field as `tools[i]…`).
pub fn signature_from_json(item: &Value, i: usize) -> Result<FunctionSig> {
    let (func, field) = match item.get("function") {
        Some(f) => (f, format!("tools[{i}].function")),
        None => (item, format!("tools[{i}]")),
    };
    let obj = func
        .as_object()
        .ok_or_else(|| bad(&field, "expected an object"))?;
    let name = match obj.get("name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(bad(&format!("{field}.name"), "expected a non-empty string")),
    };
    let mut params = Vec::new();
    let mut required = Vec::new();
    match obj.get("parameters") {
        None | Some(Value::Null) => {}
        Some(Value::Object(p)) => read_parameters(
            p,
            &format!("{field}.parameters"),
            &mut params,
            &mut required,
        )?,
        Some(_) => return Err(bad(&format!("{field}.parameters"), "expected an object")),
    }
    Ok(FunctionSig(Arc::new(SigData {
        name,
        params,
        required,
    })))
}

fn read_parameters(
    p: &Map<String, Value>,
    field: &str,
    params: &mut Vec<(String, ParamSpec)>,
    required: &mut Vec<String>,
) -> Result<()> {
    match p.get("properties") {
        None | Some(Value::Null) => {}
        Some(Value::Object(props)) => {
            for (k, spec) in props {
                let spec = spec
                    .as_object()
                    .ok_or_else(|| bad(&format!("{field}.properties.{k}"), "expected an object"))?;
                let ty = declared_type(spec.get("type"));
                let items = match ty {
                    Some(PyType::List) => {
                        declared_type(spec.get("items").and_then(|i| i.get("type")))
                    }
                    _ => None,
                };
                params.push((k.clone(), ParamSpec { ty, items }));
            }
        }
        Some(_) => return Err(bad(&format!("{field}.properties"), "expected an object")),
    }
    match p.get("required") {
        None | Some(Value::Null) => {}
        Some(Value::Array(r)) => {
            for (j, name) in r.iter().enumerate() {
                let name = name
                    .as_str()
                    .ok_or_else(|| bad(&format!("{field}.required[{j}]"), "expected a string"))?;
                required.push(name.to_owned());
            }
        }
        Some(_) => {
            return Err(bad(
                &format!("{field}.required"),
                "expected an array of names",
            ));
        }
    }
    Ok(())
}

/// BFCL's `standardize_string`: drop ` ,./-_*^`, lowercase, then `'` → `"`.
pub fn standardize(s: &str) -> String {
    if s.is_ascii() {
        // The same steps byte by byte (Unicode lowercasing of ASCII is ASCII lowercasing).
        return ascii_standardized(s).map(char::from).collect();
    }
    let kept: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | ',' | '.' | '/' | '-' | '_' | '*' | '^'))
        .collect();
    kept.to_lowercase().replace('\'', "\"")
}

/// [`standardize`] of an ASCII string, as bytes.
fn ascii_standardized(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes()
        .filter(|c| !matches!(c, b' ' | b',' | b'.' | b'/' | b'-' | b'_' | b'*' | b'^'))
        .map(|c| {
            if c == b'\'' {
                b'"'
            } else {
                c.to_ascii_lowercase()
            }
        })
}

/// `standardize(a) == standardize(b)`, without allocating when both are ASCII. (A non-ASCII
/// string may standardize to ASCII, e.g. the Kelvin sign lowercases to `k`: then both are
/// standardized in full.)
fn standardized_eq(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        ascii_standardized(a).eq(ascii_standardized(b))
    } else {
        standardize(a) == standardize(b)
    }
}

fn is_empty_marker(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.is_empty())
}

/// `standardize` applied to a string value; other values unchanged.
fn standardized(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(standardize(s)),
        other => other.clone(),
    }
}

/// Python's iteration of a possible answer compared as a list: a list element-wise, a string
/// char by char (`""` thus acts as the empty list); anything else has no list form here.
fn as_list(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Array(items) => Some(items.iter().map(standardized).collect()),
        Value::String(s) => Some(
            s.chars()
                .map(|c| Value::String(standardize(c.encode_utf8(&mut [0; 4]))))
                .collect(),
        ),
        _ => None,
    }
}

/// Python's `"" in values` for a possible-answer value list.
fn allows_omission(values: &Value) -> bool {
    match values {
        Value::Array(items) => items.iter().any(is_empty_marker),
        Value::String(_) => true, // `"" in "text"` is true in Python
        _ => false,
    }
}

/// The type of the first possible answer that is not `""` (BFCL's `get_possible_answer_type`).
fn answer_type(acceptable: &[Value]) -> Option<PyType> {
    acceptable
        .iter()
        .find(|a| !is_empty_marker(a))
        .map(PyType::of)
}

/// BFCL's `type_checker`: `Some(is_variable)` when the value's type is acceptable.
fn type_check(
    value: &Value,
    acceptable: &[Value],
    expected: PyType,
    items: Option<PyType>,
) -> Option<bool> {
    let answer_ty = answer_type(acceptable);
    let is_variable = answer_ty.is_some_and(|t| t != expected);
    let value_ty = PyType::of(value);
    if value_ty == expected {
        let Some(inner) = items else {
            return Some(is_variable);
        };
        let elements = value.as_array().map_or(&[][..], Vec::as_slice);
        for candidate in acceptable {
            let ok = match candidate {
                Value::Array(cands) => elements
                    .iter()
                    .all(|e| type_check(e, cands, inner, None).is_some()),
                _ => true,
            };
            if ok {
                return Some(is_variable);
            }
        }
        return None; // nested type check failed
    }
    (answer_ty == Some(value_ty)).then_some(true)
}

fn string_ok(value: &str, acceptable: &[Value]) -> bool {
    acceptable
        .iter()
        .any(|a| a.as_str().is_some_and(|s| standardized_eq(s, value)))
}

fn list_ok(value: &[Value], acceptable: &[Value]) -> bool {
    let v: Vec<Value> = value.iter().map(standardized).collect();
    acceptable
        .iter()
        .filter_map(as_list)
        .any(|cand| cand.len() == v.len() && cand.iter().zip(&v).all(|(a, b)| py_eq(a, b)))
}

/// BFCL's `dict_checker`: some possible dict accepts every key/value and has every missing
/// key optional.
fn dict_ok(value: &Map<String, Value>, acceptable: &[Value]) -> bool {
    acceptable.iter().any(|cand| {
        if is_empty_marker(cand) {
            return false;
        }
        let Some(cand) = cand.as_object() else {
            return false;
        };
        let values_ok = value.iter().all(|(k, v)| {
            let Some(allowed) = map_get(cand, k) else {
                return false;
            };
            let v = standardized(v);
            as_list(allowed).is_some_and(|allowed| allowed.iter().any(|a| py_eq(&v, a)))
        });
        values_ok
            && cand
                .iter()
                .all(|(k, allowed)| map_has(value, k) || allows_omission(allowed))
    })
}

/// BFCL's `list_dict_checker`: some possible list of dicts has the same length and accepts the
/// dicts position by position.
fn list_dict_ok(value: &[Value], acceptable: &[Value]) -> bool {
    acceptable.iter().any(|cand| {
        let cands: &[Value] = match cand {
            Value::Array(c) => c,
            Value::String(s) if s.is_empty() => &[],
            _ => return false,
        };
        cands.len() == value.len()
            && value.iter().zip(cands).all(|(v, c)| {
                v.as_object()
                    .is_some_and(|m| dict_ok(m, std::slice::from_ref(c)))
            })
    })
}

/// One parameter value against its acceptable values (BFCL's per-parameter rules, Python).
pub fn value_ok(value: &Value, acceptable: &[Value], spec: Option<&ParamSpec>) -> bool {
    let (expected, items) = match spec.and_then(|s| s.ty) {
        Some(ty) => (ty, spec.and_then(|s| s.items)),
        None => (
            answer_type(acceptable).unwrap_or_else(|| PyType::of(value)),
            None,
        ),
    };
    // An int is accepted where a float is expected (Python's auto conversion).
    let converted;
    let value = match value {
        Value::Number(n) if expected == PyType::Float && !n.is_f64() => {
            converted = n.as_f64().map_or(Value::Null, Value::from);
            &converted
        }
        _ => value,
    };
    let Some(is_variable) = type_check(value, acceptable, expected, items) else {
        return false;
    };
    if !is_variable {
        match (expected, value) {
            (PyType::Dict, Value::Object(m)) => return dict_ok(m, acceptable),
            (PyType::List, Value::Array(v)) if items == Some(PyType::Dict) => {
                return list_dict_ok(v, acceptable);
            }
            (PyType::Str, Value::String(s)) => return string_ok(s, acceptable),
            (PyType::List, Value::Array(v)) => return list_ok(v, acceptable),
            _ => {}
        }
    }
    acceptable.iter().any(|a| py_eq(value, a))
}

/// BFCL's `simple_function_checker` for one predicted call and one possible answer.
pub fn call_ok(call: &ToolCall, answer: &AcceptableCall, sig: Option<&FunctionSig>) -> bool {
    if call.name != answer.name {
        return false;
    }
    if let Some(sig) = sig {
        if !sig.required.iter().all(|r| map_has(&call.arguments, r)) {
            return false;
        }
    }
    let params_ok = call.arguments.iter().all(|(param, value)| {
        let spec = match sig {
            Some(sig) => match sig.param(param) {
                Some(spec) => Some(spec),
                None => return false, // unexpected parameter
            },
            None => None,
        };
        answer
            .values(param)
            .is_some_and(|acceptable| value_ok(value, acceptable, spec))
    });
    params_ok
        && answer.params.iter().all(|(p, acceptable)| {
            map_has(&call.arguments, p) || acceptable.iter().any(is_empty_marker)
        })
}

/// The possible answer that accepts exactly the ground-truth `value` under BFCL's rules: `[v]`,
/// except that a dict (and each dict of a list of dicts) maps every key to `[its value]`, since
/// BFCL's dict rule reads a possible dict as `{key: [acceptable values]}`.
fn derived_values(value: &Value, spec: Option<&ParamSpec>) -> Vec<Value> {
    let wrap = |m: &Map<String, Value>| -> Value {
        Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::Array(vec![v.clone()])))
                .collect(),
        )
    };
    let expected = spec.and_then(|s| s.ty).unwrap_or_else(|| PyType::of(value));
    let items = spec.and_then(|s| s.items);
    let derived = match (expected, value) {
        (PyType::Dict, Value::Object(m)) => wrap(m),
        (PyType::List, Value::Array(xs)) if items == Some(PyType::Dict) => Value::Array(
            xs.iter()
                .map(|x| x.as_object().map_or_else(|| x.clone(), wrap))
                .collect(),
        ),
        _ => value.clone(),
    };
    vec![derived]
}

/// The possible answer derived from a ground-truth call (when `acceptable` is absent).
pub fn derived_answer(call: &ToolCall, sig: Option<&FunctionSig>) -> AcceptableCall {
    AcceptableCall {
        name: call.name.clone(),
        params: call
            .arguments
            .iter()
            .map(|(k, v)| (k.clone(), derived_values(v, sig.and_then(|s| s.param(k)))))
            .collect(),
    }
}

/// The failure classes after which BFCL's decoder would have failed on the output.
fn decodes(failure: FailureClass) -> bool {
    !matches!(
        failure,
        FailureClass::MalformedJson | FailureClass::UnclosedTag | FailureClass::Truncated
    )
}

/// The possible answers of a task: `acceptable` as given, else derived from the ground-truth
/// calls and the task's signatures. It depends on the task only, so a batch computes it once per
/// task and scores each rollout with [`score_with`].
pub fn possible_answers<'a>(
    truth: &'a GroundTruth,
    sigs: &[FunctionSig],
) -> Cow<'a, [AcceptableCall]> {
    match &truth.acceptable {
        Some(a) => Cow::Borrowed(a),
        None => Cow::Owned(
            truth
                .tool_calls
                .iter()
                .map(|c| derived_answer(c, sig_of(sigs, &c.name)))
                .collect(),
        ),
    }
}

fn sig_of<'a>(sigs: &'a [FunctionSig], name: &str) -> Option<&'a FunctionSig> {
    sigs.iter().find(|s| s.name == name)
}

/// 1 iff BFCL's AST checker accepts the parsed output; see the module doc.
pub fn score(parsed: &ParseResult, truth: &GroundTruth, sigs: &[FunctionSig]) -> f64 {
    score_with(parsed, truth, &possible_answers(truth, sigs), sigs)
}

/// [`score`] with the task's [`possible_answers`] already computed.
pub fn score_with(
    parsed: &ParseResult,
    truth: &GroundTruth,
    answers: &[AcceptableCall],
    sigs: &[FunctionSig],
) -> f64 {
    let ok = if truth.no_call || answers.is_empty() {
        !decodes(parsed.failure) || parsed.calls.is_empty()
    } else if !decodes(parsed.failure) || parsed.calls.len() != answers.len() {
        false
    } else {
        let mut used = vec![false; parsed.calls.len()];
        answers.iter().all(|answer| {
            let sig = sig_of(sigs, &answer.name);
            let hit = (0..parsed.calls.len())
                .find(|&i| !used[i] && call_ok(&parsed.calls[i], answer, sig));
            hit.map(|i| used[i] = true).is_some()
        })
    };
    f64::from(u8::from(ok))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// BFCL's `standardize_string` step by step, on chars (the definition).
    fn by_definition(s: &str) -> String {
        let kept: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | ',' | '.' | '/' | '-' | '_' | '*' | '^'))
            .collect();
        kept.to_lowercase().replace('\'', "\"")
    }

    #[test]
    fn standardize_examples() {
        assert_eq!(standardize("New York, NY"), "newyorkny");
        assert_eq!(standardize("it's_A-b/c.d*e^f"), "it\"sabcdef");
        // Unicode lowercasing of the whole kept string: a final sigma is `ς`.
        assert_eq!(standardize("ΟΔΟΣ."), "οδος");
        assert_eq!(standardize("ΣΑΣ x"), "σασx");
        // The Kelvin sign lowercases to ASCII `k`: equal to an ASCII string once standardized.
        assert!(standardized_eq("\u{212A}m", "KM"));
        assert!(!standardized_eq("km", "kn"));
    }

    proptest! {
        #[test]
        fn standardize_follows_the_definition(
            a in "[ -~]{0,12}|[ a-zA-Z',._\u{212A}\u{130}Σß]{0,8}",
            b in "[ -~]{0,12}|[ a-zA-Z',._\u{212A}\u{130}Σß]{0,8}",
        ) {
            prop_assert_eq!(standardize(&a), by_definition(&a));
            prop_assert_eq!(standardized_eq(&a, &b), by_definition(&a) == by_definition(&b));
            prop_assert!(standardized_eq(&a, &a.to_uppercase()) == (by_definition(&a) == by_definition(&a.to_uppercase())));
        }
    }
}
