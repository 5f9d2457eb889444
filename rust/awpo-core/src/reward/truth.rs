//! The ground truth a reward compares against: the Task's `answer` (DESIGN.md "Task"; the
//! pydantic model `awpo.data.Answer` is the same shape).
//!
//! ```json
//! {"tool_calls": [{"name": "f", "arguments": {"a": 1}}], "response": "text", "no_call": false,
//!  "acceptable": [{"f": {"a": [1, 1.0], "b": ["", "x"]}}]}
//! ```
//! Every key is optional. `acceptable` is BFCL's possible-answer form: per call, one function name
//! mapping each parameter to its list of acceptable values, where `""` means "may be omitted".
use crate::toolcall::ToolCall;
use crate::{Error, Result};
use serde_json::{Map, Value};

/// One call in BFCL's possible-answer form: a function name and, per parameter, the acceptable
/// values (`""` among them = the parameter may be omitted).
#[derive(Clone, Debug, PartialEq)]
pub struct AcceptableCall {
    /// The function name the prediction must use.
    pub name: String,
    /// `(parameter, acceptable values)`, in the order given.
    pub params: Vec<(String, Vec<Value>)>,
}

impl AcceptableCall {
    /// The acceptable values of `param`, if the possible answer names it.
    pub fn values(&self, param: &str) -> Option<&[Value]> {
        self.params
            .iter()
            .find(|(k, _)| k == param)
            .map(|(_, v)| v.as_slice())
    }
}

/// The right answer of one task.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroundTruth {
    /// The right calls, in order (`toolrl`, `exact`).
    pub tool_calls: Vec<ToolCall>,
    /// The right final text answer, if the task has one (`toolrl`'s format rule needs to know).
    pub response: Option<String>,
    /// The right answer is to call no tool (irrelevance, abstention).
    pub no_call: bool,
    /// BFCL possible answers (`bfcl`); when absent, derived from `tool_calls`.
    pub acceptable: Option<Vec<AcceptableCall>>,
}

fn spec(field: &str, what: &str) -> Error {
    Error::InvalidSpec(format!("answer.{field}: {what}"))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_call(v: Value, field: &str) -> Result<ToolCall> {
    let obj = match v {
        Value::Object(m) => m,
        other => {
            return Err(spec(
                field,
                &format!("expected an object, got {}", type_name(&other)),
            ));
        }
    };
    let mut name = None;
    let mut arguments = Map::new();
    for (k, val) in obj {
        match k.as_str() {
            "name" => match val {
                Value::String(s) if !s.is_empty() => name = Some(s),
                _ => {
                    return Err(spec(
                        &format!("{field}.name"),
                        &format!("expected a non-empty string, got {}", type_name(&val)),
                    ));
                }
            },
            "arguments" => match val {
                Value::Object(m) => arguments = m,
                _ => {
                    return Err(spec(
                        &format!("{field}.arguments"),
                        &format!("expected an object, got {}", type_name(&val)),
                    ));
                }
            },
            other => {
                return Err(spec(
                    field,
                    &format!("unknown key {other:?} (allowed: name, arguments)"),
                ));
            }
        }
    }
    let name = name.ok_or_else(|| spec(&format!("{field}.name"), "missing"))?;
    Ok(ToolCall { name, arguments })
}

fn parse_acceptable(v: Value) -> Result<Vec<AcceptableCall>> {
    let items = match v {
        Value::Array(items) => items,
        other => {
            return Err(spec(
                "acceptable",
                &format!("expected an array, got {}", type_name(&other)),
            ));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let field = || format!("acceptable[{i}]");
        let obj = match item {
            Value::Object(m) => m,
            other => {
                return Err(spec(
                    &field(),
                    &format!("expected an object, got {}", type_name(&other)),
                ));
            }
        };
        let n = obj.len();
        let mut entries = obj.into_iter();
        let (Some((name, params)), None) = (entries.next(), entries.next()) else {
            return Err(spec(
                &field(),
                &format!("expected exactly one function name as key, got {n}"),
            ));
        };
        if name.is_empty() {
            return Err(spec(&field(), "the function name is empty"));
        }
        let params_obj = match params {
            Value::Object(m) => m,
            other => {
                return Err(spec(
                    &format!("{}.{name}", field()),
                    &format!("expected an object, got {}", type_name(&other)),
                ));
            }
        };
        let mut list = Vec::with_capacity(params_obj.len());
        for (p, values) in params_obj {
            let values = match values {
                Value::Array(values) => values,
                other => {
                    return Err(spec(
                        &format!("{}.{name}.{p}", field()),
                        &format!(
                            "expected a list of acceptable values, got {}",
                            type_name(&other)
                        ),
                    ));
                }
            };
            list.push((p, values));
        }
        out.push(AcceptableCall { name, params: list });
    }
    Ok(out)
}

impl GroundTruth {
    /// Reads a Task `answer` object. Unknown keys, wrong types and `no_call` together with calls
    /// are [`Error::InvalidSpec`] naming the field (as `answer.<field>`).
    pub fn from_json(v: &Value) -> Result<GroundTruth> {
        GroundTruth::from_value(v.clone())
    }

    /// [`GroundTruth::from_json`] taking the value (its strings and argument maps are moved,
    /// not copied).
    pub fn from_value(v: Value) -> Result<GroundTruth> {
        let obj = match v {
            Value::Object(m) => m,
            other => {
                return Err(Error::InvalidSpec(format!(
                    "answer: expected an object, got {}",
                    type_name(&other)
                )));
            }
        };
        let mut truth = GroundTruth::default();
        for (k, val) in obj {
            match k.as_str() {
                "tool_calls" => match val {
                    Value::Null => {}
                    Value::Array(items) => {
                        truth.tool_calls = items
                            .into_iter()
                            .enumerate()
                            .map(|(i, c)| parse_call(c, &format!("tool_calls[{i}]")))
                            .collect::<Result<_>>()?;
                    }
                    _ => {
                        return Err(spec(
                            "tool_calls",
                            &format!("expected an array, got {}", type_name(&val)),
                        ));
                    }
                },
                "response" => match val {
                    Value::Null => {}
                    Value::String(s) => truth.response = Some(s),
                    _ => {
                        return Err(spec(
                            "response",
                            &format!("expected a string or null, got {}", type_name(&val)),
                        ));
                    }
                },
                "no_call" => match val {
                    Value::Bool(b) => truth.no_call = b,
                    _ => {
                        return Err(spec(
                            "no_call",
                            &format!("expected a boolean, got {}", type_name(&val)),
                        ));
                    }
                },
                "acceptable" => {
                    if !val.is_null() {
                        truth.acceptable = Some(parse_acceptable(val)?);
                    }
                }
                other => {
                    return Err(Error::InvalidSpec(format!(
                        "answer: unknown key {other:?} (allowed: tool_calls, response, no_call, acceptable)"
                    )));
                }
            }
        }
        let has_acceptable = truth.acceptable.as_ref().is_some_and(|a| !a.is_empty());
        if truth.no_call && (!truth.tool_calls.is_empty() || has_acceptable) {
            return Err(spec(
                "no_call",
                "is true but tool_calls/acceptable is not empty; keep one",
            ));
        }
        Ok(truth)
    }

    /// Reads a Task `answer` from JSON text.
    pub fn from_json_str(s: &str) -> Result<GroundTruth> {
        let v: Value = serde_json::from_str(s)
            .map_err(|e| Error::InvalidSpec(format!("answer: not valid JSON ({e})")))?;
        GroundTruth::from_value(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        match GroundTruth::from_json(&v) {
            Err(Error::InvalidSpec(m)) => m,
            other => panic!("expected InvalidSpec, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_task_answer_shape() {
        let t = GroundTruth::from_json(&json!({
            "tool_calls": [{"name": "w", "arguments": {"city": "Paris"}}, {"name": "now"}],
            "response": "ok",
            "no_call": false,
            "acceptable": [{"w": {"city": ["Paris", "paris"], "unit": ["", "C"]}}]
        }))
        .unwrap();
        assert_eq!(t.tool_calls.len(), 2);
        assert_eq!(t.tool_calls[0].arguments["city"], json!("Paris"));
        assert!(t.tool_calls[1].arguments.is_empty());
        assert_eq!(t.response.as_deref(), Some("ok"));
        let acc = t.acceptable.as_ref().unwrap();
        assert_eq!(acc[0].name, "w");
        assert_eq!(acc[0].values("unit").unwrap(), &[json!(""), json!("C")]);
        assert!(acc[0].values("other").is_none());
    }

    #[test]
    fn empty_object_and_nulls_are_the_defaults() {
        assert_eq!(
            GroundTruth::from_json(&json!({})).unwrap(),
            GroundTruth::default()
        );
        let t = GroundTruth::from_json(
            &json!({"tool_calls": null, "response": null, "acceptable": null}),
        )
        .unwrap();
        assert_eq!(t, GroundTruth::default());
        assert!(
            GroundTruth::from_json(&json!({"no_call": true}))
                .unwrap()
                .no_call
        );
    }

    #[test]
    fn malformed_answers_name_the_field() {
        assert!(err(json!([])).starts_with("answer: expected an object"));
        assert!(err(json!({"calls": []})).contains("unknown key \"calls\""));
        assert!(err(json!({"tool_calls": {}})).starts_with("answer.tool_calls:"));
        assert!(
            err(json!({"tool_calls": [{"name": ""}]})).starts_with("answer.tool_calls[0].name:")
        );
        assert!(
            err(json!({"tool_calls": [{"arguments": {}}]}))
                .starts_with("answer.tool_calls[0].name: missing")
        );
        assert!(
            err(json!({"tool_calls": [{"name": "f"}, {"name": "g", "arguments": [1]}]}))
                .starts_with("answer.tool_calls[1].arguments:")
        );
        assert!(
            err(json!({"tool_calls": [{"name": "f", "args": {}}]}))
                .contains("unknown key \"args\"")
        );
        assert!(err(json!({"response": 3})).starts_with("answer.response:"));
        assert!(err(json!({"no_call": "yes"})).starts_with("answer.no_call:"));
        assert!(
            err(json!({"no_call": true, "tool_calls": [{"name": "f"}]}))
                .starts_with("answer.no_call:")
        );
        assert!(err(json!({"acceptable": {}})).starts_with("answer.acceptable:"));
        assert!(err(json!({"acceptable": [{}]})).starts_with("answer.acceptable[0]:"));
        assert!(
            err(json!({"acceptable": [{"f": {}, "g": {}}]})).contains("exactly one function name")
        );
        assert!(err(json!({"acceptable": [{"f": []}]})).starts_with("answer.acceptable[0].f:"));
        assert!(
            err(json!({"acceptable": [{"f": {"a": 1}}]})).starts_with("answer.acceptable[0].f.a:")
        );
        assert!(GroundTruth::from_json_str("{").is_err());
    }
}
