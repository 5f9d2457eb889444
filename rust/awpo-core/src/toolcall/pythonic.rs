//! Pythonic call lists `[f(a=1, b="x"), mod.g()]` and Python literals, by recursive descent.
//!
//! Grammar (whitespace `ws` = space, tab, `\n`, `\r`, allowed between all tokens):
//! ```text
//! list    := '[' call (',' call)* ','? ']'        (at least one call)
//! call    := name '(' (arg (',' arg)* ','?)? ')'
//! name    := ident ('.' ident)*                    ident = [A-Za-z_][A-Za-z0-9_]*
//! arg     := ident '=' literal | literal           (a positional literal drops the call)
//! literal := string | number | True | False | None
//!          | '[' items ']' | '(' items ')' | '{' (string ':' literal),* '}'
//! ```
//! - Strings use `'` or `"` (no prefixes, no triple quotes) with Python's escapes: `\\ \' \" \a
//!   \b \f \n \r \t \v`, octal `\ooo`, `\xhh`, `\uXXXX`, `\UXXXXXXXX`, backslash-newline (nothing);
//!   any other escape keeps its backslash, as Python does. A raw newline in a string, `\N{…}` and
//!   a surrogate code point are errors.
//! - Numbers: `-? (digits ('.' digits?)? | '.' digits) ([eE] [+-]? digits)?`; without `.` or
//!   exponent it is an int (leading zeros are an error), kept as i64 or u64 when it fits, else the
//!   nearest f64 (serde_json's rule); otherwise a float, which must be finite.
//! - Tuples become JSON arrays; `(x)` is `x`. Dict keys must be strings. A repeated keyword or a
//!   positional argument makes that call malformed; the other calls are kept.
//! - At most [`MAX_DEPTH`] nested containers (deeper input is an error, never a stack overflow).
use super::types::ToolCall;
use serde_json::{Map, Number, Value};

/// Nesting limit of containers in a literal.
pub(super) const MAX_DEPTH: usize = 64;

/// A pythonic call list, parsed as far as it goes.
pub(super) struct CallList {
    /// One entry per call written: the call, or why it is malformed.
    pub calls: Vec<Result<ToolCall, String>>,
    /// Byte offset just past the closing `]` (meaningful when `error` is `None`).
    pub end: usize,
    /// The syntax error that stopped parsing, if any.
    pub error: Option<String>,
}

struct P<'a> {
    src: &'a str,
    s: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, String>;

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `s` (starting at a non-whitespace byte) opens a pythonic call list: `[`, then
/// optional whitespace, then an identifier start.
pub(super) fn starts_call_list(s: &[u8]) -> bool {
    if s.first() != Some(&b'[') {
        return false;
    }
    s[1..]
        .iter()
        .find(|b| !is_ws(**b))
        .is_some_and(|b| is_ident_start(*b))
}

impl<'a> P<'a> {
    fn new(src: &'a str) -> Self {
        P {
            src,
            s: src.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
    }

    fn err<T>(&self, what: &str) -> R<T> {
        match self.peek() {
            None => Err(format!("{what} at end of input")),
            Some(_) => Err(format!("{what} at byte {}", self.pos)),
        }
    }

    fn expect(&mut self, b: u8) -> R<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(&format!("expected `{}`", b as char))
        }
    }

    fn ident(&mut self) -> R<&'a str> {
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return self.err("expected a name");
        }
        while self.peek().is_some_and(is_ident) {
            self.pos += 1;
        }
        Ok(&self.src[start..self.pos])
    }

    fn call_list(&mut self) -> CallList {
        let mut calls = Vec::new();
        let error = self.call_list_inner(&mut calls).err();
        CallList {
            calls,
            end: self.pos,
            error,
        }
    }

    fn call_list_inner(&mut self, calls: &mut Vec<Result<ToolCall, String>>) -> R<()> {
        self.expect(b'[')?;
        self.ws();
        loop {
            let c = self.call()?;
            calls.push(c);
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return self.err("expected `,` or `]` after a call"),
            }
        }
    }

    /// One call. Outer `Err` = syntax error; inner `Err` = a well-formed but unusable call.
    fn call(&mut self) -> R<Result<ToolCall, String>> {
        let start = self.pos;
        self.ident()?;
        while self.peek() == Some(b'.') {
            self.pos += 1;
            self.ident()?;
        }
        let name = &self.src[start..self.pos];
        self.ws();
        self.expect(b'(')?;
        self.ws();
        let mut args = Map::new();
        let mut bad: Option<String> = None;
        if self.peek() == Some(b')') {
            self.pos += 1;
        } else {
            loop {
                // A keyword argument is `ident ws '=' (not '==')`; otherwise a positional literal.
                let save = self.pos;
                let mut key = None;
                if self.peek().is_some_and(is_ident_start) {
                    let k = self.ident()?;
                    self.ws();
                    if self.peek() == Some(b'=') && self.s.get(self.pos + 1) != Some(&b'=') {
                        self.pos += 1;
                        key = Some(k);
                    } else {
                        self.pos = save;
                    }
                }
                self.ws();
                let v = self.literal(0)?;
                match key {
                    Some(k) => {
                        if args.contains_key(k) && bad.is_none() {
                            bad = Some(format!("`{name}`: keyword argument `{k}` repeated"));
                        }
                        args.insert(k.to_owned(), v);
                    }
                    None => {
                        if bad.is_none() {
                            bad = Some(format!(
                                "`{name}`: positional argument (pythonic calls must name their arguments)"
                            ));
                        }
                    }
                }
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.ws();
                        if self.peek() == Some(b')') {
                            self.pos += 1;
                            break;
                        }
                    }
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return self.err("expected `,` or `)` in a call"),
                }
            }
        }
        Ok(match bad {
            Some(msg) => Err(msg),
            None => Ok(ToolCall {
                name: name.to_owned(),
                arguments: args,
            }),
        })
    }

    fn literal(&mut self, depth: usize) -> R<Value> {
        match self.peek() {
            Some(b'"' | b'\'') => self.string().map(Value::String),
            Some(b'-' | b'.' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.enter(depth)?;
                self.pos += 1;
                self.items(b']', depth).map(Value::Array)
            }
            Some(b'(') => {
                self.enter(depth)?;
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b')') {
                    self.pos += 1;
                    return Ok(Value::Array(Vec::new()));
                }
                let first = self.literal(depth + 1)?;
                self.ws();
                match self.peek() {
                    Some(b')') => {
                        self.pos += 1;
                        Ok(first)
                    }
                    Some(b',') => {
                        self.pos += 1;
                        let mut rest = self.items(b')', depth)?;
                        rest.insert(0, first);
                        Ok(Value::Array(rest))
                    }
                    _ => self.err("expected `,` or `)` in a tuple"),
                }
            }
            Some(b'{') => {
                self.enter(depth)?;
                self.pos += 1;
                self.dict(depth).map(Value::Object)
            }
            Some(b) if is_ident_start(b) => {
                let save = self.pos;
                match self.ident()? {
                    "True" => Ok(Value::Bool(true)),
                    "False" => Ok(Value::Bool(false)),
                    "None" => Ok(Value::Null),
                    other => {
                        self.pos = save;
                        self.err(&format!("`{other}` is not a literal"))
                    }
                }
            }
            _ => self.err("expected a literal"),
        }
    }

    fn enter(&self, depth: usize) -> R<()> {
        if depth >= MAX_DEPTH {
            self.err("literal nested too deeply")
        } else {
            Ok(())
        }
    }

    /// Items of a list or the tail of a tuple, after the opener (or the first `,`), through `close`.
    fn items(&mut self, close: u8, depth: usize) -> R<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(out);
            }
            out.push(self.literal(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return self.err(&format!("expected `,` or `{}`", close as char)),
            }
        }
    }

    fn dict(&mut self, depth: usize) -> R<Map<String, Value>> {
        let mut out = Map::new();
        loop {
            self.ws();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(out);
            }
            let key = match self.peek() {
                Some(b'"' | b'\'') => self.string()?,
                _ => return self.err("dict keys must be strings"),
            };
            self.ws();
            self.expect(b':')?;
            self.ws();
            let v = self.literal(depth + 1)?;
            out.insert(key, v);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return self.err("expected `,` or `}` in a dict"),
            }
        }
    }

    fn hex(&mut self, n: usize) -> R<u32> {
        let mut v: u32 = 0;
        for _ in 0..n {
            match self.peek().and_then(|b| (b as char).to_digit(16)) {
                Some(d) => {
                    v = v * 16 + d;
                    self.pos += 1;
                }
                None => return self.err("truncated hex escape"),
            }
        }
        Ok(v)
    }

    fn push_cp(&self, out: &mut String, cp: u32) -> R<()> {
        match char::from_u32(cp) {
            Some(c) => {
                out.push(c);
                Ok(())
            }
            None => self.err("escape is not a valid code point"),
        }
    }

    fn string(&mut self) -> R<String> {
        let Some(q) = self.peek() else {
            return self.err("expected a string");
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or newline (all ASCII: char boundaries).
            let run = self.s[self.pos..]
                .iter()
                .position(|&b| b == q || b == b'\\' || b == b'\n' || b == b'\r');
            let Some(off) = run else {
                self.pos = self.s.len();
                return self.err("unterminated string");
            };
            out.push_str(&self.src[self.pos..self.pos + off]);
            self.pos += off;
            let b = self.s[self.pos];
            if b == q {
                self.pos += 1;
                return Ok(out);
            }
            if b != b'\\' {
                return self.err("newline in a string");
            }
            self.pos += 1;
            let Some(e) = self.peek() else {
                return self.err("unterminated string");
            };
            self.pos += 1;
            match e {
                b'\n' => {}
                b'\\' => out.push('\\'),
                b'\'' => out.push('\''),
                b'"' => out.push('"'),
                b'a' => out.push('\x07'),
                b'b' => out.push('\x08'),
                b'f' => out.push('\x0c'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'v' => out.push('\x0b'),
                b'0'..=b'7' => {
                    let mut v = u32::from(e - b'0');
                    for _ in 0..2 {
                        match self.peek() {
                            Some(d @ b'0'..=b'7') => {
                                v = v * 8 + u32::from(d - b'0');
                                self.pos += 1;
                            }
                            _ => break,
                        }
                    }
                    self.push_cp(&mut out, v)?;
                }
                b'x' => {
                    let v = self.hex(2)?;
                    self.push_cp(&mut out, v)?;
                }
                b'u' => {
                    let v = self.hex(4)?;
                    self.push_cp(&mut out, v)?;
                }
                b'U' => {
                    let v = self.hex(8)?;
                    self.push_cp(&mut out, v)?;
                }
                b'N' => return self.err("`\\N{…}` escapes are not supported"),
                _ => {
                    // Unknown escape: Python keeps the backslash; the character is read next.
                    out.push('\\');
                    self.pos -= 1;
                }
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> R<Value> {
        let start = self.pos;
        let neg = self.peek() == Some(b'-');
        if neg {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n_int = self.digits();
        let int_part = &self.src[int_start..self.pos];
        let mut frac_part = "";
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            is_float = true;
            self.pos += 1;
            let f0 = self.pos;
            self.digits();
            frac_part = &self.src[f0..self.pos];
        }
        if n_int == 0 && frac_part.is_empty() {
            return self.err("expected a number");
        }
        let mut exp_part = "";
        if matches!(self.peek(), Some(b'e' | b'E')) {
            is_float = true;
            self.pos += 1;
            let e0 = self.pos;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.err("expected exponent digits");
            }
            exp_part = &self.src[e0..self.pos];
        }
        if !is_float {
            if n_int > 1 && int_part.starts_with('0') {
                return self.err("leading zeros in an integer");
            }
            let text = &self.src[start..self.pos];
            if let Ok(v) = text.parse::<i64>() {
                return Ok(Value::Number(v.into()));
            }
            if let Ok(v) = text.parse::<u64>() {
                return Ok(Value::Number(v.into()));
            }
            return match text.parse::<f64>().ok().and_then(Number::from_f64) {
                Some(n) => Ok(Value::Number(n)),
                None => self.err("integer out of range"),
            };
        }
        let norm = format!(
            "{}{}.{}e{}",
            if neg { "-" } else { "" },
            if int_part.is_empty() { "0" } else { int_part },
            if frac_part.is_empty() { "0" } else { frac_part },
            if exp_part.is_empty() { "0" } else { exp_part },
        );
        match norm
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(Number::from_f64)
        {
            Some(n) => Ok(Value::Number(n)),
            None => self.err("float out of range"),
        }
    }
}

/// Parses a call list at the start of `s` (which must begin with `[`).
pub(super) fn parse_call_list(s: &str) -> CallList {
    P::new(s).call_list()
}

/// Parses `s` as exactly one Python literal (surrounding whitespace allowed).
pub(super) fn parse_literal(s: &str) -> Option<Value> {
    let mut p = P::new(s);
    p.ws();
    let v = p.literal(0).ok()?;
    p.ws();
    (p.pos == p.s.len()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn calls(s: &str) -> Vec<Result<ToolCall, String>> {
        let r = parse_call_list(s);
        assert!(r.error.is_none(), "{s}: {:?}", r.error);
        assert_eq!(r.end, s.len());
        r.calls
    }

    fn lit(s: &str) -> Option<Value> {
        parse_literal(s)
    }

    #[test]
    fn calls_with_keyword_arguments_and_dotted_names() {
        let c = calls(r#"[f(a=1, b="x"), mod.sub.g(), h( x = [1, 2.5, -3e2] , )]"#);
        assert_eq!(c.len(), 3);
        let f = c[0].as_ref().unwrap();
        assert_eq!(f.name, "f");
        assert_eq!(
            Value::Object(f.arguments.clone()),
            json!({"a": 1, "b": "x"})
        );
        assert_eq!(c[1].as_ref().unwrap().name, "mod.sub.g");
        assert_eq!(
            Value::Object(c[2].as_ref().unwrap().arguments.clone()),
            json!({"x": [1, 2.5, -300.0]})
        );
    }

    #[test]
    fn python_literals() {
        assert_eq!(lit("True"), Some(json!(true)));
        assert_eq!(lit("None"), Some(json!(null)));
        assert_eq!(lit("(1, 'a')"), Some(json!([1, "a"])));
        assert_eq!(lit("(1,)"), Some(json!([1])));
        assert_eq!(lit("(1)"), Some(json!(1)));
        assert_eq!(lit("()"), Some(json!([])));
        assert_eq!(
            lit("{'a': [None, False], \"b\": {}}"),
            Some(json!({"a": [null, false], "b": {}}))
        );
        assert_eq!(lit("1."), Some(json!(1.0)));
        assert_eq!(lit(".5"), Some(json!(0.5)));
        assert_eq!(lit("-0"), Some(json!(0)));
        assert_eq!(lit("1E3"), Some(json!(1000.0)));
        assert_eq!(
            lit("18446744073709551615"),
            Some(json!(18446744073709551615u64))
        );
        assert_eq!(lit("-9223372036854775808"), Some(json!(i64::MIN)));
        assert_eq!(lit("100000000000000000000"), Some(json!(1e20)));
        assert_eq!(lit("007"), None);
        assert_eq!(lit("1e999"), None);
        assert_eq!(lit("x"), None);
        assert_eq!(lit("{1: 2}"), None);
        assert_eq!(lit("[1, 2"), None);
    }

    #[test]
    fn string_escapes_follow_python() {
        assert_eq!(lit(r#"'it\'s'"#), Some(json!("it's")));
        assert_eq!(
            lit(r#""a\tb\n\\ \x41\u00e9\U0001F600\101\0""#),
            Some(json!("a\tb\n\\ Aé😀A\u{0}"))
        );
        assert_eq!(lit(r#""\d""#), Some(json!("\\d")));
        assert_eq!(lit("\"a\\\nb\""), Some(json!("ab")));
        assert_eq!(lit("'日本'"), Some(json!("日本")));
        assert_eq!(lit("\"a\nb\""), None);
        assert_eq!(lit(r#""\ud800""#), None);
        assert_eq!(lit(r#""\x4""#), None);
        assert_eq!(lit(r#""\N{DASH}""#), None);
    }

    #[test]
    fn positional_and_repeated_arguments_drop_only_that_call() {
        let c = calls("[f(1), g(a=1, a=2), h(b=2)]");
        assert!(c[0].as_ref().unwrap_err().contains("positional"));
        assert!(c[1].as_ref().unwrap_err().contains("repeated"));
        assert_eq!(c[2].as_ref().unwrap().name, "h");
    }

    #[test]
    fn syntax_errors_keep_earlier_calls() {
        let r = parse_call_list("[f(a=1), g(a=)]");
        assert_eq!(r.calls.len(), 1);
        assert!(r.error.is_some());
        let r = parse_call_list("[f(a=1), g(b='x");
        assert_eq!(r.calls.len(), 1);
        assert!(r.error.unwrap().contains("end of input"));
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(lit(&ok).is_some());
        let deep = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(lit(&deep).is_none());
        let huge = "(".repeat(1_000_000);
        assert!(lit(&huge).is_none());
    }

    #[test]
    fn call_list_start_detection() {
        assert!(starts_call_list(b"[f()]"));
        assert!(starts_call_list(b"[ \n _g()]"));
        assert!(!starts_call_list(b"[{\"name\": 1}]"));
        assert!(!starts_call_list(b"[]"));
        assert!(!starts_call_list(b"[1]"));
    }
}
