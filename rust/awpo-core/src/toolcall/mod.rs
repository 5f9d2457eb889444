//! Tool-call parsing: model text → calls, reasoning, answer, and one failure class
//! (DESIGN.md "Model output format" and "Parse result").
//!
//! [`parse`] reads every format in DESIGN.md: Hermes `<tool_call>` JSON (several blocks, several
//! objects per block, arrays, `arguments` or `parameters`, OpenAI argument strings), pythonic
//! lists, bare JSON, and Qwen3-coder XML; plus `<think>` reasoning and the answer. It runs in
//! time linear in the text, never panics, and never turns a broken or cut-off call into a valid
//! one. `tests/reference/toolcall.py` is a plain-Python parser with the same semantics.
mod json;
mod pythonic;
mod schema;
mod types;
mod xml;

pub(crate) use json::{map_get, map_has};
pub use schema::{ToolSchema, TypeKind, find_tool, json_eq, parse_toolset};
pub(crate) use schema::{at_item, push_unique};
pub use types::{CallFormat, FailureClass, Issue, ParseResult, ToolCall};

use memchr::memmem::Finder;
use std::sync::LazyLock;

/// How a text is to be read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// The generation stopped on the length budget (not on an end-of-sequence token): an open
    /// construct that runs to the end of the text is then `Truncated`, not a syntax failure.
    pub truncated: bool,
}

const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";
const CALL_OPEN: &str = "<tool_call>";
const CALL_CLOSE: &str = "</tool_call>";
const FUNCTION_OPEN: &str = "<function=";
const FUNCTION_CLOSE: &str = "</function>";
const RESPONSE_OPEN: &str = "<response>";
const RESPONSE_CLOSE: &str = "</response>";

static F_THINK_CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(THINK_CLOSE));
static F_CALL_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(CALL_OPEN));
static F_CALL_CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(CALL_CLOSE));
static F_FUNCTION_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(FUNCTION_OPEN));
static F_FUNCTION_CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(FUNCTION_CLOSE));
static F_RESPONSE_CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(RESPONSE_CLOSE));

/// A substring search that remembers its last answer, so searching again from a later position
/// costs nothing until that answer is passed: with positions that never decrease, all searches
/// of one needle together scan the text once (this keeps 10^5 unclosed openers linear).
struct Cached {
    finder: &'static Finder<'static>,
    /// `None`: not searched yet; `Some(None)`: no occurrence after the last start.
    last: Option<Option<usize>>,
}

impl Cached {
    fn new(finder: &'static Finder<'static>) -> Self {
        Cached { finder, last: None }
    }

    fn find_from(&mut self, hay: &[u8], from: usize) -> Option<usize> {
        match self.last {
            Some(Some(c)) if c >= from => return Some(c),
            Some(None) => return None,
            _ => {}
        }
        let r = hay
            .get(from..)
            .and_then(|h| self.finder.find(h))
            .map(|o| o + from);
        self.last = Some(r);
        r
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Think,
    ToolCall,
    Function,
    Response,
}

/// A span of the text. For tags, `start..end` is the content (a `Function` span is the whole
/// element, tags included); `closed` says whether the closing tag was found.
#[derive(Clone, Copy, Debug)]
struct Seg {
    kind: Kind,
    start: usize,
    end: usize,
    closed: bool,
}

/// Splits the text into spans, left to right, in one pass (see [`parse`] for the rules).
fn scan(text: &str) -> Vec<Seg> {
    let b = text.as_bytes();
    let n = b.len();
    let mut segs = Vec::new();
    let mut think_close = Cached::new(&F_THINK_CLOSE);
    let mut call_open = Cached::new(&F_CALL_OPEN);
    let mut call_close = Cached::new(&F_CALL_CLOSE);
    let mut fn_open = Cached::new(&F_FUNCTION_OPEN);
    let mut fn_close = Cached::new(&F_FUNCTION_CLOSE);
    let mut resp_close = Cached::new(&F_RESPONSE_CLOSE);
    let mut text_start = 0;
    let mut p = 0;
    let mut saw_tag = false;
    let push_text = |segs: &mut Vec<Seg>, s: usize, e: usize| {
        if e > s {
            segs.push(Seg {
                kind: Kind::Text,
                start: s,
                end: e,
                closed: true,
            });
        }
    };
    while let Some(i) = memchr::memchr(b'<', &b[p..]).map(|o| o + p) {
        let rest = &b[i..];
        if rest.starts_with(THINK_OPEN.as_bytes()) {
            push_text(&mut segs, text_start, i);
            let c0 = i + THINK_OPEN.len();
            saw_tag = true;
            let close = think_close.find_from(b, c0);
            p = block(
                &mut segs,
                Kind::Think,
                c0,
                close,
                None,
                THINK_CLOSE.len(),
                n,
            );
        } else if rest.starts_with(THINK_CLOSE.as_bytes()) && !saw_tag {
            // `</think>` with no tag before it: the chat template opened the think block in the
            // prompt (Qwen3, DeepSeek-R1), so everything before it is reasoning.
            saw_tag = true;
            segs.push(Seg {
                kind: Kind::Think,
                start: 0,
                end: i,
                closed: true,
            });
            p = i + THINK_CLOSE.len();
        } else if rest.starts_with(CALL_OPEN.as_bytes()) {
            push_text(&mut segs, text_start, i);
            saw_tag = true;
            let c0 = i + CALL_OPEN.len();
            let close = call_close.find_from(b, c0);
            let next = call_open.find_from(b, c0);
            p = block(
                &mut segs,
                Kind::ToolCall,
                c0,
                close,
                next,
                CALL_CLOSE.len(),
                n,
            );
        } else if rest.starts_with(FUNCTION_OPEN.as_bytes()) {
            push_text(&mut segs, text_start, i);
            saw_tag = true;
            let close = fn_close.find_from(b, i + FUNCTION_OPEN.len());
            let next = fn_open.find_from(b, i + FUNCTION_OPEN.len());
            p = block(
                &mut segs,
                Kind::Function,
                i,
                close,
                next,
                FUNCTION_CLOSE.len(),
                n,
            );
            if let Some(last) = segs.last_mut()
                && last.closed
            {
                last.end = p; // the element, closing tag included
            }
        } else if rest.starts_with(RESPONSE_OPEN.as_bytes()) {
            push_text(&mut segs, text_start, i);
            saw_tag = true;
            let c0 = i + RESPONSE_OPEN.len();
            let close = resp_close.find_from(b, c0);
            p = block(
                &mut segs,
                Kind::Response,
                c0,
                close,
                None,
                RESPONSE_CLOSE.len(),
                n,
            );
        } else {
            p = i + 1;
            continue;
        }
        text_start = p;
    }
    push_text(&mut segs, text_start, n);
    segs
}

/// Records a span opened at content offset `c0`: closed at `close` unless the same opener
/// comes first (`next`, `None` for spans that do not nest this way), which ends it unclosed; with
/// neither it runs unclosed to the end `n`. Returns where scanning resumes.
fn block(
    segs: &mut Vec<Seg>,
    kind: Kind,
    c0: usize,
    close: Option<usize>,
    next: Option<usize>,
    close_len: usize,
    n: usize,
) -> usize {
    let (end, closed, resume) = match (close, next) {
        (Some(j), o) if o.is_none_or(|o| j < o) => (j, true, j + close_len),
        (_, Some(o)) => (o, false, o),
        _ => (n, false, n),
    };
    segs.push(Seg {
        kind,
        start: c0,
        end,
        closed,
    });
    resume
}

/// Whitespace, everywhere in the parser: space, tab, `\n`, `\r` (JSON's set).
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `s` without leading and trailing whitespace.
fn trim_ws(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

fn first_non_ws(s: &str) -> Option<usize> {
    s.bytes().position(|b| !is_ws(b))
}

/// Whether a text (at its first non-whitespace byte) starts a bare call: `{`, or `[` followed
/// by `{` or by a pythonic call.
fn bare_start(s: &[u8]) -> Option<CallFormat> {
    match s.first() {
        Some(b'{') => Some(CallFormat::Json),
        Some(b'[') => match s[1..].iter().find(|b| !is_ws(**b)) {
            Some(b'{') => Some(CallFormat::Json),
            _ if pythonic::starts_call_list(s) => Some(CallFormat::Pythonic),
            _ => None,
        },
        _ => None,
    }
}

/// Accumulates one parse.
struct Acc<'a> {
    tools: &'a [ToolSchema],
    calls: Vec<ToolCall>,
    issues: Vec<Issue>,
}

impl Acc<'_> {
    fn issue(&mut self, kind: FailureClass, message: String) {
        self.issues.push(Issue {
            kind,
            call: None,
            path: String::new(),
            message,
        });
    }

    fn take(&mut self, r: Result<ToolCall, String>) {
        match r {
            Ok(c) => self.calls.push(c),
            Err(m) => self.issue(FailureClass::MalformedJson, m),
        }
    }

    /// The content of a closed `<tool_call>` block.
    fn block(&mut self, content: &str) -> CallFormat {
        let Some(off) = first_non_ws(content) else {
            self.issue(
                FailureClass::MalformedJson,
                "empty `<tool_call>` block".into(),
            );
            return CallFormat::Hermes;
        };
        let body = &content[off..];
        if body.starts_with(FUNCTION_OPEN) {
            self.xml(body);
            return CallFormat::Xml;
        }
        if pythonic::starts_call_list(body.as_bytes()) {
            let list = pythonic::parse_call_list(body);
            list.calls.into_iter().for_each(|c| self.take(c));
            match list.error {
                Some(e) => self.issue(
                    FailureClass::MalformedJson,
                    format!("pythonic call list: {e}"),
                ),
                None if first_non_ws(&body[list.end..]).is_some() => {
                    self.issue(
                        FailureClass::MalformedJson,
                        "text after the pythonic call list".into(),
                    );
                }
                None => {}
            }
            return CallFormat::Pythonic;
        }
        // A stream of JSON values, one or more per block (ToolRL puts one object per line).
        let mut pos = 0;
        let mut found = Vec::new();
        while first_non_ws(&body[pos..]).is_some() {
            match json::calls_at(&body[pos..]) {
                Ok((calls, end)) => {
                    found.extend(calls);
                    pos += end;
                }
                Err(e) => {
                    found.into_iter().for_each(|c| self.take(c));
                    self.issue(
                        FailureClass::MalformedJson,
                        format!("invalid JSON in `<tool_call>`: {e}"),
                    );
                    return CallFormat::Hermes;
                }
            }
        }
        found.into_iter().for_each(|c| self.take(c));
        CallFormat::Hermes
    }

    fn xml(&mut self, src: &str) {
        let mut found = Vec::new();
        xml::parse_functions(src, self.tools, &mut found);
        for r in found {
            match r {
                Ok(c) => self.calls.push(c),
                Err((kind, m)) => self.issue(kind, m),
            }
        }
    }

    /// A bare call at the start of `s`; returns how many bytes it used. A syntax error uses the
    /// rest of `s`; it is `Truncated` when `cut` (the text was cut and `s` runs to its end).
    fn bare(&mut self, s: &str, fmt: CallFormat, cut: bool) -> usize {
        let fail = if cut {
            FailureClass::Truncated
        } else {
            FailureClass::MalformedJson
        };
        if fmt == CallFormat::Pythonic {
            let list = pythonic::parse_call_list(s);
            list.calls.into_iter().for_each(|c| self.take(c));
            return match list.error {
                Some(e) => {
                    self.issue(fail, format!("pythonic call list: {e}"));
                    s.len()
                }
                None => list.end,
            };
        }
        let mut pos = 0;
        loop {
            match json::calls_at(&s[pos..]) {
                Ok((found, end)) => {
                    found.into_iter().for_each(|c| self.take(c));
                    pos += end;
                }
                Err(e) => {
                    self.issue(fail, format!("invalid JSON call: {e}"));
                    return s.len();
                }
            }
            // Another value follows only if the next non-whitespace byte opens one.
            match first_non_ws(&s[pos..]).map(|o| s.as_bytes()[pos + o]) {
                Some(b'{' | b'[') => {}
                _ => return pos,
            }
        }
    }

    /// Checks every call against `tools`: an unknown name, else the schema's issues.
    fn check_schemas(&mut self) {
        for (ci, call) in self.calls.iter().enumerate() {
            match find_tool(self.tools, &call.name) {
                None => self.issues.push(Issue {
                    kind: FailureClass::UnknownTool,
                    call: Some(ci),
                    path: String::new(),
                    message: format!("unknown tool `{}`", call.name),
                }),
                Some(t) => self
                    .issues
                    .extend(t.validate(&call.arguments).into_iter().map(|mut is| {
                        is.call = Some(ci);
                        is
                    })),
            }
        }
    }

    /// The issue class of highest precedence, else `NoCall` without calls, else `Ok`.
    fn failure(&self) -> FailureClass {
        self.issues
            .iter()
            .map(|i| i.kind)
            .max_by_key(|k| k.precedence())
            .unwrap_or(if self.calls.is_empty() {
                FailureClass::NoCall
            } else {
                FailureClass::Ok
            })
    }

    fn unclosed(&mut self, tag: &str, seg: &Seg, n: usize, opts: &ParseOptions) {
        if opts.truncated && seg.end == n {
            self.issue(
                FailureClass::Truncated,
                format!("generation cut inside `{tag}`"),
            );
        } else {
            self.issue(
                FailureClass::UnclosedTag,
                format!("`{tag}` is never closed"),
            );
        }
    }
}

/// Parses one model output.
///
/// **Spans.** The text is read left to right. At each `<`: `<think>` opens reasoning up to the
/// next `</think>`; `<tool_call>` opens a call block up to the next `</tool_call>`, unless another
/// `<tool_call>` comes first (then this block is unclosed and ends there); `<function=` opens an
/// XML call element up to `</function>` (same rule); `<response>` opens the answer up to the
/// next `</response>`. A tag never closed makes its span run to the end. Tags inside a span
/// are its content (a `<tool_call>` inside `<think>` is reasoning). A `</think>` before any
/// tag closes a think block opened by the chat template: all text before it is reasoning. Other
/// text is *free text*. Whitespace means space, tab, `\n`, `\r`.
///
/// **Calls.** A closed `<tool_call>` block holds, after whitespace: XML elements if it starts
/// with `<function=`; a pythonic list if it starts with `[` and a name; else JSON values (objects
/// or arrays of objects, any number, whitespace-separated). A closed `<function=…>` element
/// outside blocks is one XML call. If no block or element exists, the first free-text span
/// with non-whitespace content is a *bare call* when it starts with `{` or `[{` (JSON values,
/// read while the next value opens with `{` or `[`) or with `[name` (a pythonic list); what
/// follows the bare call is free text. Formats: `json.rs`, `pythonic.rs`, `xml.rs`. An unclosed
/// span yields no call: a cut-off call is never repaired. A syntax error ends its block (calls
/// before it are kept); a value that is not a call is dropped alone.
///
/// **Schema.** With `tools` non-empty, each call is checked (`schema.rs`): a name not in
/// `tools` is `UnknownTool`; missing required, unknown parameter, wrong type, enum, nested
/// items/properties are `SchemaViolation`. With `tools` empty nothing is checked.
///
/// **Reasoning / answer.** `reasoning` is the content of all think spans, each trimmed of
/// whitespace, joined by `\n` (`None` without a think span). `answer` is the first response
/// span's trimmed content, else the trimmed non-empty free-text pieces joined by `\n`, else
/// `None`.
///
/// **Failure.** Every problem is an [`Issue`]; `failure` is the issue class highest in
/// `truncated > unclosed_tag > malformed_json > unknown_tool > schema_violation > extra_text`,
/// else `no_call` without calls, else `ok`. `truncated` replaces `unclosed_tag` (or a bare
/// call's syntax error) when `opts.truncated` and the span runs to the end of the text.
/// `extra_text`: calls were read, and free text with non-whitespace sits after the start of
/// the first call region (text before the first call and `<response>` spans are allowed).
/// Calls that could be read are in `calls` whatever the failure.
pub fn parse(text: &str, tools: &[ToolSchema], opts: &ParseOptions) -> ParseResult {
    parse_with(text, tools, opts, true)
}

/// [`parse`] for scoring, which reads the calls, the failure class and whether reasoning exists:
/// those (and the issues) are [`parse`]'s, but the text is not copied out: `reasoning` is
/// `Some("")` when [`parse`]'s is `Some`, and `answer` is `None`.
pub(crate) fn parse_for_scoring(
    text: &str,
    tools: &[ToolSchema],
    opts: &ParseOptions,
) -> ParseResult {
    parse_with(text, tools, opts, false)
}

fn parse_with(text: &str, tools: &[ToolSchema], opts: &ParseOptions, texts: bool) -> ParseResult {
    let segs = scan(text);
    let mut acc = Acc {
        tools,
        calls: Vec::new(),
        issues: Vec::new(),
    };
    let spans = read_spans(text, &segs, &mut acc, opts, texts);
    if !tools.is_empty() {
        acc.check_schemas();
    }
    if spans.text_after_calls() && !acc.calls.is_empty() {
        acc.issue(FailureClass::ExtraText, "text after the tool calls".into());
    }
    let answer = if texts { spans.answer() } else { None };
    let failure = acc.failure();
    ParseResult {
        calls: acc.calls,
        reasoning: spans.reasoning,
        answer,
        failure,
        issues: acc.issues,
        format: spans.format,
    }
}

/// What the spans of one text hold besides calls (which go to [`Acc`]).
struct Spans<'t> {
    /// The think spans' trimmed contents joined by `\n` (`Some("")` for each when not `texts`).
    reasoning: Option<String>,
    /// The first `<response>` span's trimmed content.
    response: Option<&'t str>,
    /// Free-text pieces with their offsets (a bare call's text excluded).
    free: Vec<(usize, &'t str)>,
    /// Where the first call region (block, element or bare call) starts.
    first_region: Option<usize>,
    /// The format of the first call region.
    format: Option<CallFormat>,
}

impl<'t> Spans<'t> {
    /// Non-whitespace free text after the start of the first call region.
    fn text_after_calls(&self) -> bool {
        self.first_region.is_some_and(|r| {
            self.free
                .iter()
                .any(|(at, s)| *at > r && first_non_ws(s).is_some())
        })
    }

    /// The first response span, else the trimmed non-empty free-text pieces joined by `\n`.
    fn answer(&self) -> Option<String> {
        if let Some(r) = self.response {
            return Some(r.to_owned());
        }
        let parts: Vec<&str> = self
            .free
            .iter()
            .map(|(_, s)| trim_ws(s))
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n"))
    }

    /// Appends one think span's content (only its presence unless `texts`).
    fn add_reasoning(&mut self, content: &str, texts: bool) {
        match self.reasoning.as_mut() {
            Some(r) if texts => {
                r.push('\n');
                r.push_str(trim_ws(content));
            }
            Some(_) => {}
            None if texts => self.reasoning = Some(trim_ws(content).to_owned()),
            None => self.reasoning = Some(String::new()),
        }
    }

    /// Marks a call region starting at `at` in `format` (only the first one counts).
    fn call_region(&mut self, at: usize, format: CallFormat) {
        self.first_region.get_or_insert(at);
        self.format.get_or_insert(format);
    }
}

/// Where a bare call stands when the text has no call block or element: the index of the
/// first free-text span with non-whitespace content, the offset of that content, and the format
/// it starts (`None` when it starts none).
fn find_bare(text: &str, segs: &[Seg]) -> Option<(usize, usize, CallFormat)> {
    if segs
        .iter()
        .any(|s| matches!(s.kind, Kind::ToolCall | Kind::Function))
    {
        return None;
    }
    segs.iter()
        .enumerate()
        .filter(|(_, s)| s.kind == Kind::Text)
        .find_map(|(i, s)| first_non_ws(&text[s.start..s.end]).map(|o| (i, s.start + o)))
        .and_then(|(i, at)| bare_start(&text.as_bytes()[at..]).map(|f| (i, at, f)))
}

/// Reads every span in order: calls and issues into `acc`, the rest into [`Spans`].
fn read_spans<'t>(
    text: &'t str,
    segs: &[Seg],
    acc: &mut Acc<'_>,
    opts: &ParseOptions,
    texts: bool,
) -> Spans<'t> {
    let n = text.len();
    let bare = find_bare(text, segs);
    let mut spans = Spans {
        reasoning: None,
        response: None,
        free: Vec::new(),
        first_region: None,
        format: None,
    };
    for (i, seg) in segs.iter().enumerate() {
        let content = &text[seg.start..seg.end];
        let unclosed_tag = match seg.kind {
            Kind::Text => {
                match bare {
                    Some((bi, at, fmt)) if bi == i => {
                        spans.call_region(at, fmt);
                        let cut = opts.truncated && seg.end == n;
                        let used = acc.bare(&text[at..seg.end], fmt, cut);
                        spans.free.push((at + used, &text[at + used..seg.end]));
                    }
                    _ => spans.free.push((seg.start, content)),
                }
                None
            }
            Kind::Think => {
                spans.add_reasoning(content, texts);
                Some(THINK_OPEN)
            }
            Kind::ToolCall if seg.closed => {
                let format = acc.block(content);
                spans.call_region(seg.start, format);
                None
            }
            Kind::ToolCall => {
                spans.call_region(seg.start, CallFormat::Hermes);
                Some(CALL_OPEN)
            }
            Kind::Function => {
                spans.call_region(seg.start, CallFormat::Xml);
                if seg.closed {
                    acc.xml(content);
                }
                Some(FUNCTION_OPEN)
            }
            Kind::Response => {
                spans.response.get_or_insert(trim_ws(content));
                Some(RESPONSE_OPEN)
            }
        };
        if let Some(tag) = unclosed_tag
            && !seg.closed
        {
            acc.unclosed(tag, seg, n, opts);
        }
    }
    spans
}

/// [`parse`] over many texts, in parallel through [`crate::par`].
pub fn parse_batch(texts: &[&str], tools: &[ToolSchema], opts: &ParseOptions) -> Vec<ParseResult> {
    crate::par::map_collect(texts, |t| parse(t, tools, opts))
}

/// [`parse`] over many texts with one `truncated` flag per text, in parallel.
/// Lengths must match ([`crate::Error::InvalidInput`] otherwise).
pub fn parse_batch_truncated(
    texts: &[&str],
    tools: &[ToolSchema],
    truncated: &[bool],
) -> crate::Result<Vec<ParseResult>> {
    if texts.len() != truncated.len() {
        return Err(crate::Error::InvalidInput(format!(
            "truncated has {} flags for {} texts",
            truncated.len(),
            texts.len()
        )));
    }
    Ok(crate::par::map_range(texts.len(), |i| {
        parse(
            texts[i],
            tools,
            &ParseOptions {
                truncated: truncated[i],
            },
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn soup() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "<think>",
            "</think>",
            "<tool_call>",
            "</tool_call>",
            "<response>",
            "</response>",
            "<function=f>",
            "<parameter=a>",
            "</parameter>",
            "</function>",
            "{\"name\": \"f\", \"arguments\": {\"a\": 1}}",
            "[f(a=1)]",
            "{",
            "\n",
            " why ",
            "done",
        ]);
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn parse_for_scoring_is_parse_without_the_text(text in soup(), cut: bool) {
            let opts = ParseOptions { truncated: cut };
            let full = parse(&text, &[], &opts);
            let lean = parse_for_scoring(&text, &[], &opts);
            prop_assert_eq!(&lean.calls, &full.calls);
            prop_assert_eq!(lean.failure, full.failure);
            prop_assert_eq!(&lean.issues, &full.issues);
            prop_assert_eq!(lean.format, full.format);
            prop_assert_eq!(lean.reasoning.is_some(), full.reasoning.is_some());
            prop_assert_eq!(lean.reasoning.as_deref().unwrap_or(""), "");
            prop_assert_eq!(lean.answer, None);
        }
    }
}
