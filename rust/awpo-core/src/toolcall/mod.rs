//! Tool-call parsing: model text → calls, reasoning, answer, and one failure class
//! (DESIGN.md "Model output format" and "Parse result").
mod types;

pub use types::{FailureClass, ParseResult, ToolCall};
