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
    /// At least one call was read, and nothing went wrong.
    Ok,
    /// The output holds no tool call and no failed attempt at one (it may hold an answer).
    NoCall,
    /// A call block was found but its payload is not valid JSON / Python literal syntax.
    MalformedJson,
    /// A `<tool_call>`, `<think>`, `<response>`, `<function=…>` or `<parameter=…>` tag was opened
    /// and never closed.
    UnclosedTag,
    /// A call names a function that is not among the task's tools.
    UnknownTool,
    /// A call breaks its function's schema (missing required, unknown parameter, wrong type, enum).
    SchemaViolation,
    /// Calls were read, but non-whitespace text sits where the format allows none.
    ExtraText,
    /// The generation was cut by the length budget (`ParseOptions::truncated`) inside an open tag
    /// or an unfinished bare call.
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

impl FailureClass {
    /// Rank in the precedence order of [`crate::toolcall::parse`]: `truncated > unclosed_tag >
    /// malformed_json > unknown_tool > schema_violation > extra_text > no_call > ok`.
    pub fn precedence(self) -> u8 {
        match self {
            FailureClass::Ok => 0,
            FailureClass::NoCall => 1,
            FailureClass::ExtraText => 2,
            FailureClass::SchemaViolation => 3,
            FailureClass::UnknownTool => 4,
            FailureClass::MalformedJson => 5,
            FailureClass::UnclosedTag => 6,
            FailureClass::Truncated => 7,
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
    /// The single failure class of this output: the highest-precedence class among `issues`,
    /// else `NoCall` when `calls` is empty, else `Ok`.
    pub failure: FailureClass,
    /// Every problem found, in order: syntax problems in text order, then schema problems by call,
    /// then `ExtraText`. Empty iff `failure` is `Ok` or `NoCall`.
    #[serde(default)]
    pub issues: Vec<Issue>,
    /// The format of the first call region (`<tool_call>` block, bare call, `<function=…>`), if any.
    #[serde(default)]
    pub format: Option<CallFormat>,
}

impl ParseResult {
    /// Whether the parse found calls and no problem at all.
    pub fn is_ok(&self) -> bool {
        self.failure == FailureClass::Ok
    }
}

/// One problem found while parsing or checking a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The failure class this problem belongs to (never `Ok` or `NoCall`).
    pub kind: FailureClass,
    /// Index into `ParseResult::calls` for a schema problem (`UnknownTool`, `SchemaViolation`).
    pub call: Option<usize>,
    /// Where in the call's arguments (`city`, `filter.limit`, `items[2]`); empty when not about one.
    pub path: String,
    /// What is wrong, for people.
    pub message: String,
}

/// How calls were written in a model output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallFormat {
    /// JSON inside `<tool_call>…</tool_call>` (Hermes / Qwen / ToolRL).
    Hermes,
    /// A Python list of calls `[f(a=1), mod.g()]`, bare or inside `<tool_call>`.
    Pythonic,
    /// A bare JSON call object or array of them.
    Json,
    /// Qwen3-coder XML `<function=f><parameter=a>…</parameter></function>`.
    Xml,
}

impl CallFormat {
    /// The snake_case name used in Python and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            CallFormat::Hermes => "hermes",
            CallFormat::Pythonic => "pythonic",
            CallFormat::Json => "json",
            CallFormat::Xml => "xml",
        }
    }
}
