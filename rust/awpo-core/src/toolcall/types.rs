//! The data contract of a parse (DESIGN.md "Parse result"), shared by the parser and the rewards.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One tool call: a function name and its arguments, always a JSON object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Function name as the model wrote it (dotted names kept, e.g. `math.add`).
    pub name: String,
    /// Arguments by parameter name.
    pub arguments: Map<String, Value>,
}

/// The closed set of parse outcomes (DESIGN.md). A parse reports exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Calls (or a final answer) were read and every call fits its schema.
    Ok,
    /// The output holds no tool call.
    NoCall,
    /// A call block was found but its payload is not valid JSON / Python literal syntax.
    MalformedJson,
    /// A `<tool_call>`, `<think>` or `<function=…>` tag was opened and never closed.
    UnclosedTag,
    /// A call names a function that is not among the task's tools.
    UnknownTool,
    /// A call breaks its function's schema (missing required, unknown parameter, wrong type, enum).
    SchemaViolation,
    /// Calls were read, but non-whitespace text sits where the format allows none.
    ExtraText,
    /// The generation was cut by the length budget in the middle of a call.
    Truncated,
}

impl FailureClass {
    /// Every class, in a stable order (the order of DESIGN.md).
    pub const ALL: [FailureClass; 8] = [
        FailureClass::Ok,
        FailureClass::NoCall,
        FailureClass::MalformedJson,
        FailureClass::UnclosedTag,
        FailureClass::UnknownTool,
        FailureClass::SchemaViolation,
        FailureClass::ExtraText,
        FailureClass::Truncated,
    ];

    /// The snake_case name used in Python, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Ok => "ok",
            FailureClass::NoCall => "no_call",
            FailureClass::MalformedJson => "malformed_json",
            FailureClass::UnclosedTag => "unclosed_tag",
            FailureClass::UnknownTool => "unknown_tool",
            FailureClass::SchemaViolation => "schema_violation",
            FailureClass::ExtraText => "extra_text",
            FailureClass::Truncated => "truncated",
        }
    }
}

impl std::fmt::Display for FailureClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a parse of one model output yields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParseResult {
    /// Every call that could be recovered, in order of appearance, even when `failure` is not `Ok`.
    pub calls: Vec<ToolCall>,
    /// Text inside the `<think>…</think>` block, if any.
    pub reasoning: Option<String>,
    /// The final answer: `<response>…</response>` text, or free text outside calls and reasoning.
    pub answer: Option<String>,
    /// The single failure class of this output.
    pub failure: FailureClass,
}
