//! Renders calls in every format the parser reads, mutates texts, and checks parse invariants;
//! shared by the property tests and the fuzz target.
#![allow(dead_code)] // each test crate uses part of this module

use awpo_core::toolcall::{FailureClass, ParseResult, ToolCall};
use serde_json::Value;

/// Every way a list of calls can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fmt {
    /// One `<tool_call>` block per call.
    HermesBlocks,
    /// One block, one call per line (ToolRL), `parameters` key.
    HermesLines,
    /// One block holding a JSON array.
    HermesArray,
    /// One block per call, OpenAI wrapper with arguments as a JSON string.
    HermesOpenAi,
    /// A bare JSON array.
    BareArray,
    /// Bare JSON objects, one per line.
    BareObjects,
    /// A bare pythonic list.
    Pythonic,
    /// A pythonic list inside `<tool_call>`.
    PythonicBlock,
    /// Qwen3-coder XML elements.
    Xml,
    /// Qwen3-coder XML inside `<tool_call>`.
    XmlBlock,
}

pub const FORMATS: [Fmt; 10] = [
    Fmt::HermesBlocks,
    Fmt::HermesLines,
    Fmt::HermesArray,
    Fmt::HermesOpenAi,
    Fmt::BareArray,
    Fmt::BareObjects,
    Fmt::Pythonic,
    Fmt::PythonicBlock,
    Fmt::Xml,
    Fmt::XmlBlock,
];

fn json_call(c: &ToolCall, key: &str) -> String {
    let args = serde_json::to_string(&c.arguments).unwrap_or_default();
    format!(
        "{{\"name\": {}, \"{key}\": {args}}}",
        Value::String(c.name.clone())
    )
}

/// A Python string literal for `s`.
pub fn py_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Python literal for `v`.
pub fn py_literal(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => format!("{f:?}"),
            _ => "None".into(),
        },
        Value::String(s) => py_str(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", py_str(k), py_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn py_call(c: &ToolCall) -> String {
    let args: Vec<String> = c
        .arguments
        .iter()
        .map(|(k, v)| format!("{k}={}", py_literal(v)))
        .collect();
    format!("{}({})", c.name, args.join(", "))
}

fn xml_call(c: &ToolCall) -> String {
    let mut s = format!("<function={}>\n", c.name);
    for (k, v) in &c.arguments {
        // Without a schema a value is read as JSON, so strings are written JSON-quoted.
        s.push_str(&format!(
            "<parameter={k}>\n{}\n</parameter>\n",
            serde_json::to_string(v).unwrap_or_default()
        ));
    }
    s.push_str("</function>");
    s
}

/// The calls written in `fmt` (non-empty `calls` for the pythonic formats).
pub fn render_calls(calls: &[ToolCall], fmt: Fmt) -> String {
    match fmt {
        Fmt::HermesBlocks => calls
            .iter()
            .map(|c| format!("<tool_call>\n{}\n</tool_call>", json_call(c, "arguments")))
            .collect::<Vec<_>>()
            .join("\n"),
        Fmt::HermesLines => format!(
            "<tool_call>\n{}\n</tool_call>",
            calls.iter().map(|c| json_call(c, "parameters")).collect::<Vec<_>>().join("\n")
        ),
        Fmt::HermesArray => format!(
            "<tool_call>[{}]</tool_call>",
            calls.iter().map(|c| json_call(c, "arguments")).collect::<Vec<_>>().join(", ")
        ),
        Fmt::HermesOpenAi => calls
            .iter()
            .map(|c| {
                let args = serde_json::to_string(&c.arguments).unwrap_or_default();
                format!(
                    "<tool_call>{{\"type\": \"function\", \"function\": {{\"name\": {}, \"arguments\": {}}}}}</tool_call>",
                    Value::String(c.name.clone()),
                    Value::String(args)
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Fmt::BareArray => {
            format!("[{}]", calls.iter().map(|c| json_call(c, "arguments")).collect::<Vec<_>>().join(", "))
        }
        Fmt::BareObjects => calls.iter().map(|c| json_call(c, "arguments")).collect::<Vec<_>>().join("\n"),
        Fmt::Pythonic => format!("[{}]", calls.iter().map(py_call).collect::<Vec<_>>().join(", ")),
        Fmt::PythonicBlock => {
            format!("<tool_call>\n[{}]\n</tool_call>", calls.iter().map(py_call).collect::<Vec<_>>().join(", "))
        }
        Fmt::Xml => calls.iter().map(xml_call).collect::<Vec<_>>().join("\n"),
        Fmt::XmlBlock => calls.iter().map(|c| format!("<tool_call>\n{}\n</tool_call>", xml_call(c))).collect::<Vec<_>>().join("\n"),
    }
}

/// A whole output: optional think block, the calls, optional response.
pub fn render(calls: &[ToolCall], fmt: Fmt, think: Option<&str>, response: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(t) = think {
        s.push_str(&format!("<think>\n{t}\n</think>\n"));
    }
    s.push_str(&render_calls(calls, fmt));
    if let Some(r) = response {
        s.push_str(&format!("\n<response>{r}</response>"));
    }
    s
}

/// Fragments that mutations insert: tags, brackets, quotes, separators, escapes.
pub const FRAGMENTS: [&str; 40] = [
    "<tool_call>",
    "</tool_call>",
    "<think>",
    "</think>",
    "<response>",
    "</response>",
    "<function=f>",
    "</function>",
    "<parameter=a>",
    "</parameter>",
    "<function=",
    "<parameter=",
    "<tool_",
    "</tool",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "'",
    ":",
    ",",
    "=",
    "\\",
    "\\u",
    "\\x4",
    "\n",
    " ",
    "name",
    "\"name\": \"f\"",
    "arguments",
    "f(a=1)",
    "True",
    "None",
    "1e999",
    "-",
    "é",
    "😀",
];

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One mutation: `op % 4` = insert fragment `a`, delete `[b, b+c)`, duplicate `[b, b+c)`, cut at `b`.
/// Returns whether the text was cut (then it is parsed with `truncated`).
pub fn mutate(s: &mut String, op: u8, a: usize, b: usize, c: usize) -> bool {
    let n = s.len().max(1);
    let at = floor_boundary(s, b % n);
    let to = floor_boundary(s, at + c % 64);
    match op % 4 {
        0 => s.insert_str(at, FRAGMENTS[a % FRAGMENTS.len()]),
        1 => s.replace_range(at..to, ""),
        2 => {
            let dup = s[at..to].to_owned();
            s.insert_str(to, &dup);
        }
        _ => {
            s.truncate(at);
            return true;
        }
    }
    false
}

/// Invariants every parse satisfies.
pub fn check_invariants(r: &ParseResult) {
    let top = r
        .issues
        .iter()
        .map(|i| i.kind)
        .max_by_key(|k| k.precedence());
    let want = top.unwrap_or(if r.calls.is_empty() {
        FailureClass::NoCall
    } else {
        FailureClass::Ok
    });
    assert_eq!(r.failure, want, "failure is not the top issue: {r:?}");
    for i in &r.issues {
        assert!(
            !matches!(i.kind, FailureClass::Ok | FailureClass::NoCall),
            "{r:?}"
        );
        assert!(i.call.is_none_or(|c| c < r.calls.len()), "{r:?}");
    }
    if r.format.is_none() {
        assert!(r.calls.is_empty(), "calls without a format: {r:?}");
    }
    for c in &r.calls {
        assert!(!c.name.is_empty());
    }
}
