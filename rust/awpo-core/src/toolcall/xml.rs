//! Qwen3-coder XML calls: `<function=f><parameter=a>value</parameter>…</function>`.
//!
//! A parameter value loses one leading and one trailing `\n`, then becomes JSON like this
//! (vLLM's `qwen3_coder` parser, except where noted):
//! - the parameter has a declared type in the task's schema ([`ToolSchema::parameter_kind`]):
//!   `null` (any case) → null; string → the raw text; integer → the integer if the trimmed text
//!   is `[+-]?digits` and fits i64/u64; number → that integer, else a finite float if the
//!   trimmed text is `[+-]?(digits[.digits*]|.digits)([eE][+-]?digits)?`, given back as an
//!   integer when integer-valued and within i64 (vLLM's `float → int` rule); boolean → `true` /
//!   `false` (any case; vLLM maps anything else to false, awpo keeps the text so the schema check
//!   reports it); anything else (object, array, null, any) → JSON, else a Python literal, else
//!   the raw text. A value that does not convert stays the raw text (the schema check then
//!   reports the type).
//! - no declared type (no tools, unknown tool or parameter, no `type`): JSON, else the raw text.
use super::schema::{ToolSchema, TypeKind, find_tool};
use super::types::{FailureClass, ToolCall};
use super::{pythonic, trim_ws};
use memchr::memmem::Finder;
use serde_json::{Map, Number, Value};
use std::sync::LazyLock;

static FUNCTION_CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("</function>"));
static PARAMETER_CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("</parameter>"));

const FUNCTION_OPEN: &str = "<function=";
const PARAMETER_OPEN: &str = "<parameter=";

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(s: &[u8], mut p: usize) -> usize {
    while p < s.len() && is_ws(s[p]) {
        p += 1;
    }
    p
}

/// Parses a sequence of `<function=…>…</function>` elements separated by whitespace.
/// Each element gives a call or an error; the first structural error stops the sequence.
pub(super) fn parse_functions(
    src: &str,
    tools: &[ToolSchema],
    out: &mut Vec<Result<ToolCall, (FailureClass, String)>>,
) {
    let s = src.as_bytes();
    let mut p = 0;
    loop {
        p = skip_ws(s, p);
        if p >= s.len() {
            return;
        }
        if !src[p..].starts_with(FUNCTION_OPEN) {
            out.push(Err((
                FailureClass::MalformedJson,
                "expected `<function=…>` in an XML call block".into(),
            )));
            return;
        }
        let name_start = p + FUNCTION_OPEN.len();
        let Some(gt) = memchr::memchr(b'>', &s[name_start..]).map(|o| o + name_start) else {
            out.push(Err((
                FailureClass::MalformedJson,
                "`<function=` tag without `>`".into(),
            )));
            return;
        };
        let name = trim_ws(&src[name_start..gt]);
        let body_start = gt + 1;
        let Some(close) = FUNCTION_CLOSE
            .find(&s[body_start..])
            .map(|o| o + body_start)
        else {
            out.push(Err((
                FailureClass::UnclosedTag,
                format!("`<function={name}>` is never closed"),
            )));
            return;
        };
        if name.is_empty() {
            out.push(Err((
                FailureClass::MalformedJson,
                "`<function=>` without a name".into(),
            )));
        } else {
            let tool = find_tool(tools, name);
            out.push(
                parameters(&src[body_start..close], name, tool).map(|arguments| ToolCall {
                    name: name.to_owned(),
                    arguments,
                }),
            );
        }
        p = close + "</function>".len();
    }
}

fn parameters(
    body: &str,
    fname: &str,
    tool: Option<&ToolSchema>,
) -> Result<Map<String, Value>, (FailureClass, String)> {
    let s = body.as_bytes();
    let mut args = Map::new();
    let mut p = 0;
    loop {
        p = skip_ws(s, p);
        if p >= s.len() {
            return Ok(args);
        }
        if !body[p..].starts_with(PARAMETER_OPEN) {
            return Err((
                FailureClass::MalformedJson,
                format!("unexpected text in `<function={fname}>`"),
            ));
        }
        let name_start = p + PARAMETER_OPEN.len();
        let Some(gt) = memchr::memchr(b'>', &s[name_start..]).map(|o| o + name_start) else {
            return Err((
                FailureClass::MalformedJson,
                "`<parameter=` tag without `>`".into(),
            ));
        };
        let pname = trim_ws(&body[name_start..gt]);
        if pname.is_empty() {
            return Err((
                FailureClass::MalformedJson,
                "`<parameter=>` without a name".into(),
            ));
        }
        let vstart = gt + 1;
        let Some(vend) = PARAMETER_CLOSE.find(&s[vstart..]).map(|o| o + vstart) else {
            return Err((
                FailureClass::UnclosedTag,
                format!("`<parameter={pname}>` is never closed"),
            ));
        };
        let mut raw = &body[vstart..vend];
        raw = raw.strip_prefix('\n').unwrap_or(raw);
        raw = raw.strip_suffix('\n').unwrap_or(raw);
        let kind = tool.and_then(|t| t.parameter_kind(pname));
        args.insert(pname.to_owned(), convert(raw, kind));
        p = vend + "</parameter>".len();
    }
}

/// `[+-]?digits` → an i64 or u64 number.
fn int_text(t: &str) -> Option<Value> {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = t.strip_prefix('+').unwrap_or(t);
    if let Ok(v) = t.parse::<i64>() {
        return Some(Value::Number(v.into()));
    }
    t.parse::<u64>().ok().map(|v| Value::Number(v.into()))
}

/// `[+-]?(digits[.digits*]|.digits)([eE][+-]?digits)?` → a finite f64.
fn float_text(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let d0 = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut nd = i - d0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f0 = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        nd += i - f0;
    }
    if nd == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e0 = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    // Rust's parser takes this grammar except a trailing `.` before the exponent or end.
    let f: f64 = t
        .replace(".e", ".0e")
        .replace(".E", ".0E")
        .trim_end_matches('.')
        .parse()
        .ok()?;
    f.is_finite().then_some(f)
}

/// `-2^63` and `2^63` as f64: the integral floats in `I64_LO..I64_HI` fit an i64.
const I64_LO: f64 = -9_223_372_036_854_775_808.0;
const I64_HI: f64 = 9_223_372_036_854_775_808.0;

/// The JSON value of a raw parameter text (module docs).
fn convert(raw: &str, kind: Option<TypeKind>) -> Value {
    let text = || Value::String(raw.to_owned());
    let Some(kind) = kind else {
        return serde_json::from_str(raw).unwrap_or_else(|_| text());
    };
    if raw.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    match kind {
        TypeKind::String => text(),
        TypeKind::Integer => int_text(trim_ws(raw)).unwrap_or_else(text),
        TypeKind::Number => {
            let t = trim_ws(raw);
            if let Some(v) = int_text(t) {
                return v;
            }
            match float_text(t) {
                // Integer-valued and within i64: an integer, as vLLM returns `int(x)`.
                Some(f) if f.fract() == 0.0 && (I64_LO..I64_HI).contains(&f) => {
                    #[allow(clippy::cast_possible_truncation)]
                    // integral and in range (checked above)
                    Value::Number((f as i64).into())
                }
                Some(f) => Number::from_f64(f).map_or_else(text, Value::Number),
                None => text(),
            }
        }
        TypeKind::Boolean => {
            if raw.eq_ignore_ascii_case("true") {
                Value::Bool(true)
            } else if raw.eq_ignore_ascii_case("false") {
                Value::Bool(false)
            } else {
                text()
            }
        }
        TypeKind::Object | TypeKind::Array | TypeKind::Null | TypeKind::Any => {
            serde_json::from_str(raw)
                .ok()
                .or_else(|| pythonic::parse_literal(raw))
                .unwrap_or_else(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool() -> ToolSchema {
        ToolSchema::from_json(
            &json!({"name": "f", "parameters": {"type": "object", "properties": {
                "s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"},
                "b": {"type": "boolean"}, "o": {"type": "object"}, "a": {"type": "array"}
            }}}),
        )
        .unwrap()
    }

    fn one(src: &str, tools: &[ToolSchema]) -> Result<ToolCall, (FailureClass, String)> {
        let mut out = Vec::new();
        parse_functions(src, tools, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        out.pop().unwrap()
    }

    #[test]
    fn values_without_schema_are_json_else_text() {
        let c = one("<function=g>\n<parameter=x>\n42\n</parameter>\n<parameter=y>\nhello world\n</parameter>\n<parameter=z>\"q\"</parameter>\n</function>", &[]).unwrap();
        assert_eq!(c.name, "g");
        assert_eq!(
            Value::Object(c.arguments),
            json!({"x": 42, "y": "hello world", "z": "q"})
        );
    }

    #[test]
    fn values_are_coerced_by_schema_type() {
        let t = [tool()];
        let c = one(
            "<function=f><parameter=s>42</parameter><parameter=i> 7 </parameter><parameter=n>2.0</parameter>\
             <parameter=b>True</parameter><parameter=o>{'k': (1, 2)}</parameter><parameter=a>[1, \"x\"]</parameter></function>",
            &t,
        )
        .unwrap();
        assert_eq!(
            Value::Object(c.arguments),
            json!({"s": "42", "i": 7, "n": 2, "b": true, "o": {"k": [1, 2]}, "a": [1, "x"]})
        );
        let c = one("<function=f><parameter=i>seven</parameter><parameter=n>1.5e1x</parameter><parameter=b>yes</parameter><parameter=s>NULL</parameter><parameter=n>.5</parameter></function>", &t).unwrap();
        assert_eq!(
            Value::Object(c.arguments),
            json!({"i": "seven", "n": 0.5, "b": "yes", "s": null})
        );
    }

    #[test]
    fn float_text_grammar() {
        assert_eq!(float_text("1."), Some(1.0));
        assert_eq!(float_text("-1.e2"), Some(-100.0));
        assert_eq!(float_text(".5E-1"), Some(0.05));
        assert_eq!(float_text("."), None);
        assert_eq!(float_text("1e"), None);
        assert_eq!(float_text("inf"), None);
        assert_eq!(float_text("1e999"), None);
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            one("<function=f><parameter=a>1</function>", &[])
                .unwrap_err()
                .0,
            FailureClass::UnclosedTag
        );
        assert_eq!(
            one("<function=f>", &[]).unwrap_err().0,
            FailureClass::UnclosedTag
        );
        assert_eq!(
            one("<function=f>junk</function>", &[]).unwrap_err().0,
            FailureClass::MalformedJson
        );
        assert_eq!(
            one("<function=>x</function>", &[]).unwrap_err().0,
            FailureClass::MalformedJson
        );
        assert_eq!(one("junk", &[]).unwrap_err().0, FailureClass::MalformedJson);
    }
}
