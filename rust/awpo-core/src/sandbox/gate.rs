//! The gate every tool call passes before it runs, in the sandbox pool and in the in-process
//! runner (`awpo.rollout.LocalTools`): the tool exists, its arguments are a JSON object, and they
//! fit the tool's schema. The schema check is [`ToolSchema::validate`], the validator that decides
//! the reward's `schema_violation`, so a call the reward counts as fitting its schema runs, and one
//! it counts as a violation does not.
use super::result::{CallErrorKind, CallResult};
use crate::toolcall::ToolSchema;
use crate::{Error, Result};
use serde_json::Value;

/// Schema problems listed in a rejection (the rest are counted).
const MAX_LISTED: usize = 5;

/// Why a call may not run: the failed result's kind and message.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    /// `unknown_tool` or `invalid_arguments`.
    pub kind: CallErrorKind,
    /// What is wrong, for the model (it reads the message as the call's observation).
    pub message: String,
}

impl Rejection {
    /// The failed call result carrying this rejection.
    pub fn into_result(self) -> CallResult {
        CallResult::failed(self.kind, self.message)
    }
}

/// The tools a runner serves, each with its compiled schema (`None`: arguments are only
/// required to be an object).
#[derive(Clone, Debug, Default)]
pub struct CallGate {
    tools: Vec<(String, Option<ToolSchema>)>,
}

impl CallGate {
    /// A gate for tools that all have a schema.
    pub fn from_schemas(schemas: &[ToolSchema]) -> CallGate {
        CallGate {
            tools: schemas
                .iter()
                .map(|s| (s.name().to_owned(), Some(s.clone())))
                .collect(),
        }
    }

    /// A gate for the tools `names`, with the schemas of some of them. A schema whose tool is not
    /// among `names` is [`Error::InvalidInput`].
    pub fn new(
        names: impl IntoIterator<Item = String>,
        schemas: &[ToolSchema],
    ) -> Result<CallGate> {
        let tools: Vec<(String, Option<ToolSchema>)> = names
            .into_iter()
            .map(|n| {
                let schema = schemas.iter().find(|s| s.name() == n).cloned();
                (n, schema)
            })
            .collect();
        if let Some(s) = schemas
            .iter()
            .find(|s| !tools.iter().any(|(n, _)| n == s.name()))
        {
            return Err(Error::InvalidInput(format!(
                "schema of {:?}, which is not among the tools ({})",
                s.name(),
                Self::list(&tools)
            )));
        }
        Ok(CallGate { tools })
    }

    fn list(tools: &[(String, Option<ToolSchema>)]) -> String {
        tools
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `Ok` when the call may run; else why not.
    pub fn check(&self, name: &str, args: &Value) -> std::result::Result<(), Rejection> {
        let Some((_, schema)) = self.tools.iter().find(|(n, _)| n == name) else {
            return Err(Rejection {
                kind: CallErrorKind::UnknownTool,
                message: format!(
                    "unknown tool {name:?}; available: {}",
                    Self::list(&self.tools)
                ),
            });
        };
        let Value::Object(arguments) = args else {
            return Err(invalid(format!(
                "arguments must be a JSON object, got {}",
                json_kind(args)
            )));
        };
        let Some(schema) = schema else { return Ok(()) };
        let issues = schema.validate(arguments);
        if issues.is_empty() {
            return Ok(());
        }
        let mut listed: Vec<String> = issues
            .iter()
            .take(MAX_LISTED)
            .map(|i| {
                let at = if i.path.is_empty() { "" } else { "." };
                format!("arguments{at}{}: {}", i.path, i.message)
            })
            .collect();
        if issues.len() > MAX_LISTED {
            listed.push(format!("{} more", issues.len() - MAX_LISTED));
        }
        Err(invalid(format!(
            "arguments do not match the schema of {name}: {}",
            listed.join("; ")
        )))
    }
}

fn invalid(message: String) -> Rejection {
    Rejection {
        kind: CallErrorKind::InvalidArguments,
        message,
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toolcall::parse_toolset;
    use serde_json::json;

    fn gate() -> CallGate {
        let tools = parse_toolset(&json!([
            {"name": "book", "parameters": {"type": "object", "properties": {
                "city": {"type": "string", "minLength": 2},
                "nights": {"type": "integer", "minimum": 1}
            }, "required": ["city"]}}
        ]))
        .unwrap();
        CallGate::new(["book".to_owned(), "free".to_owned()], &tools).unwrap()
    }

    #[test]
    fn a_fitting_call_passes() {
        let g = gate();
        assert_eq!(
            g.check("book", &json!({"city": "Oslo", "nights": 2.0})),
            Ok(())
        );
        assert_eq!(g.check("free", &json!({"anything": [1]})), Ok(())); // no schema
    }

    #[test]
    fn unknown_tools_and_non_objects_are_rejected() {
        let g = gate();
        let r = g.check("fly", &json!({})).unwrap_err();
        assert_eq!(r.kind, CallErrorKind::UnknownTool);
        assert_eq!(r.message, "unknown tool \"fly\"; available: book, free");
        let r = g.check("free", &json!([1])).unwrap_err();
        assert_eq!(r.kind, CallErrorKind::InvalidArguments);
        assert_eq!(r.message, "arguments must be a JSON object, got array");
        assert!(!r.into_result().ok);
    }

    #[test]
    fn schema_problems_are_listed_with_their_paths() {
        let r = gate()
            .check("book", &json!({"city": "O", "nights": 0, "x": 1}))
            .unwrap_err();
        assert_eq!(r.kind, CallErrorKind::InvalidArguments);
        assert_eq!(
            r.message,
            "arguments do not match the schema of book: arguments.city: shorter than 2 characters; \
             arguments.nights: 0 is below the minimum 1; arguments.x: unknown parameter `x`"
        );
        let r = gate().check("book", &json!({})).unwrap_err();
        assert!(
            r.message
                .ends_with("arguments.city: missing required parameter `city`")
        );
    }

    #[test]
    fn a_schema_for_a_tool_not_served_is_an_error() {
        let tools = parse_toolset(&json!([{"name": "other"}])).unwrap();
        assert!(CallGate::new(["book".to_owned()], &tools).is_err());
    }
}
