//! Hand-written cases of the tool-call parser: each format, each failure class, the peers'
//! known failure cases (ENVIRONMENT.md "How peers parse tool calls"), and adversarial inputs.
use awpo_core::toolcall::{
    CallFormat, FailureClass, ParseOptions, ParseResult, ToolCall, ToolSchema, parse, parse_batch,
    parse_batch_truncated, parse_toolset,
};
use serde_json::{Value, json};
use std::time::Instant;

const CUT: ParseOptions = ParseOptions { truncated: true };

fn p(text: &str) -> ParseResult {
    parse(text, &[], &ParseOptions::default())
}

fn tools() -> Vec<ToolSchema> {
    parse_toolset(&json!([
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}, "days": {"type": "integer"}},
            "required": ["city"]}}},
        {"name": "search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}, "k": {"type": "integer"}}}}
    ]))
    .unwrap()
}

fn call(name: &str, args: Value) -> ToolCall {
    let Value::Object(arguments) = args else {
        panic!("arguments must be an object")
    };
    ToolCall {
        name: name.into(),
        arguments,
    }
}

fn assert_consistent(r: &ParseResult) {
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
    assert_eq!(r.failure, want, "{r:?}");
    for i in &r.issues {
        assert!(!matches!(i.kind, FailureClass::Ok | FailureClass::NoCall));
        assert!(i.call.is_none_or(|c| c < r.calls.len()));
    }
}

// ---------------------------------------------------------------- hermes

#[test]
fn hermes_think_then_call() {
    let r = p(
        "<think>\nI need the weather.\n</think>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
    );
    assert_eq!(r.failure, FailureClass::Ok);
    assert_eq!(r.calls, [call("get_weather", json!({"city": "Paris"}))]);
    assert_eq!(r.reasoning.as_deref(), Some("I need the weather."));
    assert_eq!(r.answer, None);
    assert_eq!(r.format, Some(CallFormat::Hermes));
    assert!(r.issues.is_empty());
}

#[test]
fn toolrl_two_objects_on_separate_lines_in_one_block() {
    // vLLM's hermes parser and BFCL's Qwen decoder find no call here; agent-tool-parser keeps one.
    let r = p(
        "<think>two cities</think>\n<tool_call>\n{\"name\": \"w\", \"parameters\": {\"city\": \"Paris\"}}\n{\"name\": \"w\", \"parameters\": {\"city\": \"Rome\"}}\n</tool_call>",
    );
    assert_eq!(r.failure, FailureClass::Ok);
    assert_eq!(
        r.calls,
        [
            call("w", json!({"city": "Paris"})),
            call("w", json!({"city": "Rome"}))
        ]
    );
}

#[test]
fn missing_newline_after_tool_call_tag() {
    // BFCL's Qwen decoder requires the newline; awpo does not.
    let r = p("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>");
    assert_eq!(r.failure, FailureClass::Ok);
    assert_eq!(r.calls, [call("f", json!({}))]);
}

#[test]
fn several_blocks_arrays_and_argument_strings() {
    let r = p(
        "<tool_call>[{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\"}]</tool_call>\n\
               <tool_call>\n{\"name\": \"c\", \"arguments\": \"{\\\"y\\\": [1, 2]}\"}\n</tool_call>",
    );
    assert_eq!(r.failure, FailureClass::Ok);
    assert_eq!(
        r.calls,
        [
            call("a", json!({"x": 1})),
            call("b", json!({})),
            call("c", json!({"y": [1, 2]}))
        ]
    );
}

#[test]
fn tool_call_inside_think_is_reasoning() {
    let r = p(
        "<think>I could emit <tool_call>{\"name\": \"x\"}</tool_call> but no.</think>The answer is 4.",
    );
    assert_eq!(r.failure, FailureClass::NoCall);
    assert!(r.calls.is_empty());
    assert_eq!(r.answer.as_deref(), Some("The answer is 4."));
    assert!(r.reasoning.unwrap().contains("<tool_call>"));
}

#[test]
fn template_opened_think_block() {
    // Qwen3's template puts `<think>` in the prompt: the output starts inside the block.
    let r = p("reasoning here\n</think>\n\n<tool_call>\n{\"name\": \"f\"}\n</tool_call>");
    assert_eq!(r.reasoning.as_deref(), Some("reasoning here"));
    assert_eq!(r.failure, FailureClass::Ok);
}

// ---------------------------------------------------------------- truncation and unclosed tags

#[test]
fn truncated_generation_is_never_repaired() {
    // agent-tool-parser closes the braces and returns a call; awpo returns none.
    let text = "<think>ok</think>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par";
    let r = parse(text, &[], &CUT);
    assert_eq!(r.failure, FailureClass::Truncated);
    assert!(r.calls.is_empty());
    let r = p(text);
    assert_eq!(r.failure, FailureClass::UnclosedTag);
    assert!(r.calls.is_empty());
    // Even a complete JSON object in an unclosed block is not a call.
    let r = parse(
        "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}",
        &[],
        &CUT,
    );
    assert_eq!((r.failure, r.calls.len()), (FailureClass::Truncated, 0));
    // A bare call cut off.
    let r = parse("{\"name\": \"f\", \"arguments\": {\"a\": [1, 2", &[], &CUT);
    assert_eq!((r.failure, r.calls.len()), (FailureClass::Truncated, 0));
    let r = p("{\"name\": \"f\", \"arguments\": {\"a\": [1, 2");
    assert_eq!((r.failure, r.calls.len()), (FailureClass::MalformedJson, 0));
    let r = parse("[f(a=1), g(b='tex", &[], &CUT);
    assert_eq!(r.failure, FailureClass::Truncated);
    assert_eq!(r.calls, [call("f", json!({"a": 1}))]);
}

#[test]
fn complete_calls_before_the_cut_are_kept() {
    let r = parse(
        "<tool_call>{\"name\": \"a\"}</tool_call>\n<tool_call>{\"name\": \"b\", \"argu",
        &[],
        &CUT,
    );
    assert_eq!(r.failure, FailureClass::Truncated);
    assert_eq!(r.calls, [call("a", json!({}))]);
    // A clean end under the length budget is not a failure.
    let r = parse("<tool_call>{\"name\": \"a\"}</tool_call>", &[], &CUT);
    assert_eq!(r.failure, FailureClass::Ok);
}

#[test]
fn unclosed_think() {
    let r = p("<think>still thinking");
    assert_eq!(
        (r.failure, r.reasoning.as_deref()),
        (FailureClass::UnclosedTag, Some("still thinking"))
    );
    let r = parse("<think>still thinking", &[], &CUT);
    assert_eq!(r.failure, FailureClass::Truncated);
}

#[test]
fn unclosed_block_followed_by_another_block() {
    let r = p("<tool_call>{\"name\": \"a\"}\n<tool_call>{\"name\": \"b\"}</tool_call>");
    assert_eq!(r.failure, FailureClass::UnclosedTag);
    assert_eq!(r.calls, [call("b", json!({}))]);
    // Not at the end of the text, so not explained by the length budget.
    assert_eq!(
        parse(
            "<tool_call>{\"name\": \"a\"}\n<tool_call>{\"name\": \"b\"}</tool_call>",
            &[],
            &CUT
        )
        .failure,
        FailureClass::UnclosedTag
    );
}

#[test]
fn unclosed_response() {
    let r = p("<think>t</think><response>partial");
    assert_eq!(
        (r.failure, r.answer.as_deref()),
        (FailureClass::UnclosedTag, Some("partial"))
    );
}

// ---------------------------------------------------------------- malformed

#[test]
fn malformed_json_keeps_earlier_calls() {
    let r = p(
        "<tool_call>\n{\"name\": \"a\"}\n{\"name\": \"b\", \"arguments\": {\"x\": }}\n</tool_call>",
    );
    assert_eq!(r.failure, FailureClass::MalformedJson);
    assert_eq!(r.calls, [call("a", json!({}))]);
    for bad in [
        "<tool_call></tool_call>",
        "<tool_call>\n\n</tool_call>",
        "<tool_call>{\"arguments\": {}}</tool_call>",
        "<tool_call>\"f\"</tool_call>",
        "<tool_call>{\"name\": \"f\", \"arguments\": \"{bad\"}</tool_call>",
        "<tool_call>{'name': 'f'}</tool_call>",
        "{not json}",
        "[f(1)]",
    ] {
        let r = p(bad);
        assert_eq!(r.failure, FailureClass::MalformedJson, "{bad}");
        assert!(r.calls.is_empty(), "{bad}");
    }
}

#[test]
fn a_non_call_value_is_dropped_alone() {
    let r = p("<tool_call>[{\"name\": \"a\"}, 3, {\"name\": \"b\"}]</tool_call>");
    assert_eq!(r.failure, FailureClass::MalformedJson);
    assert_eq!(r.calls.len(), 2);
    assert_eq!(r.issues.len(), 1);
}

// ---------------------------------------------------------------- pythonic

#[test]
fn pythonic_list() {
    let r = p("[get_weather(city='Paris', days=3), math.sqrt(x=2.0e0), now()]");
    assert_eq!(r.failure, FailureClass::Ok);
    assert_eq!(r.format, Some(CallFormat::Pythonic));
    assert_eq!(
        r.calls,
        [
            call("get_weather", json!({"city": "Paris", "days": 3})),
            call("math.sqrt", json!({"x": 2.0})),
            call("now", json!({}))
        ]
    );
    let r = p("<think>t</think>\n<tool_call>[f(a=(1, 2), b={'k': None})]</tool_call>");
    assert_eq!(r.calls, [call("f", json!({"a": [1, 2], "b": {"k": null}}))]);
    assert_eq!(r.format, Some(CallFormat::Pythonic));
}

#[test]
fn pythonic_positional_argument_is_malformed() {
    let r = p("[f('Paris'), g(a=1)]");
    assert_eq!(r.failure, FailureClass::MalformedJson);
    assert_eq!(r.calls, [call("g", json!({"a": 1}))]);
}

// ---------------------------------------------------------------- bare JSON

#[test]
fn bare_json() {
    let r = p("{\"name\": \"f\", \"arguments\": {\"a\": 1}}");
    assert_eq!(
        (r.failure, r.format),
        (FailureClass::Ok, Some(CallFormat::Json))
    );
    let r = p("<think>t</think>\n[{\"name\": \"f\"}, {\"name\": \"g\"}]");
    assert_eq!(r.calls.len(), 2);
    assert_eq!(r.failure, FailureClass::Ok);
    let r = p("{\"name\": \"f\"}\n{\"name\": \"g\"}");
    assert_eq!(r.calls.len(), 2);
    // Text after the bare call.
    let r = p("{\"name\": \"f\"}\nI called f.");
    assert_eq!(r.failure, FailureClass::ExtraText);
    assert_eq!(r.answer.as_deref(), Some("I called f."));
    // Text that does not start with a call is an answer.
    let r = p("Use f with {\"a\": 1}.");
    assert_eq!((r.failure, r.calls.len()), (FailureClass::NoCall, 0));
    let r = p("[1, 2, 3] are the numbers");
    assert_eq!(r.failure, FailureClass::NoCall);
    let r = p("[]");
    assert_eq!(
        (r.failure, r.answer.as_deref()),
        (FailureClass::NoCall, Some("[]"))
    );
}

// ---------------------------------------------------------------- XML

#[test]
fn qwen3_coder_xml() {
    let text = "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>";
    let r = parse(text, &tools(), &ParseOptions::default());
    assert_eq!(r.failure, FailureClass::Ok, "{r:?}");
    assert_eq!(r.format, Some(CallFormat::Xml));
    assert_eq!(
        r.calls,
        [call("get_weather", json!({"city": "Paris", "days": 3}))]
    );
    // Without `<tool_call>`, two elements.
    let r = p("<function=a><parameter=x>[1, 2]</parameter></function>\n<function=b></function>");
    assert_eq!(
        r.calls,
        [call("a", json!({"x": [1, 2]})), call("b", json!({}))]
    );
    assert_eq!(r.failure, FailureClass::Ok);
    // Schema type string keeps digits as text.
    let r = parse(
        "<function=get_weather><parameter=city>1984</parameter></function>",
        &tools(),
        &ParseOptions::default(),
    );
    assert_eq!(r.calls, [call("get_weather", json!({"city": "1984"}))]);
    let r = parse(
        "<function=get_weather><parameter=city>x</parameter>",
        &[],
        &CUT,
    );
    assert_eq!((r.failure, r.calls.len()), (FailureClass::Truncated, 0));
}

// ---------------------------------------------------------------- schema

#[test]
fn schema_checks() {
    let t = tools();
    let o = ParseOptions::default();
    let r = parse(
        "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2.0}}</tool_call>",
        &t,
        &o,
    );
    assert_eq!(r.failure, FailureClass::Ok);
    let r = parse(
        "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"unit\": \"k\", \"days\": \"2\", \"zip\": 1}}</tool_call>",
        &t,
        &o,
    );
    assert_eq!(r.failure, FailureClass::SchemaViolation);
    assert_eq!(r.calls.len(), 1, "the call is kept");
    let paths: Vec<&str> = r.issues.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["city", "unit", "days", "zip"]);
    assert!(r.issues.iter().all(|i| i.call == Some(0)));
    let r = parse("<tool_call>{\"name\": \"nope\"}</tool_call>", &t, &o);
    assert_eq!(r.failure, FailureClass::UnknownTool);
    // Without tools nothing is checked.
    assert_eq!(
        p("<tool_call>{\"name\": \"nope\"}</tool_call>").failure,
        FailureClass::Ok
    );
}

#[test]
fn precedence() {
    let t = tools();
    let o = ParseOptions::default();
    // malformed_json > unknown_tool > schema_violation > extra_text
    let r = parse(
        "<tool_call>{\"name\": \"nope\"}</tool_call><tool_call>{bad}</tool_call>",
        &t,
        &o,
    );
    assert_eq!(r.failure, FailureClass::MalformedJson);
    let r = parse(
        "<tool_call>{\"name\": \"nope\"}</tool_call><tool_call>{\"name\": \"search\", \"arguments\": {\"k\": \"x\"}}</tool_call>",
        &t,
        &o,
    );
    assert_eq!(r.failure, FailureClass::UnknownTool);
    let r = parse(
        "<tool_call>{\"name\": \"search\", \"arguments\": {\"k\": \"x\"}}</tool_call> trailing",
        &t,
        &o,
    );
    assert_eq!(r.failure, FailureClass::SchemaViolation);
    // truncated > unclosed_tag
    let r = parse(
        "<tool_call>{\"name\": \"a\"}\n<tool_call>{\"name\": \"b\"}",
        &[],
        &CUT,
    );
    assert_eq!(r.failure, FailureClass::Truncated);
    assert_eq!(r.issues.len(), 2);
    assert_consistent(&r);
}

// ---------------------------------------------------------------- extra text and answers

#[test]
fn extra_text_and_answers() {
    let r = p("<think>t</think>\nLet me check.\n<tool_call>{\"name\": \"f\"}</tool_call>");
    assert_eq!(
        r.failure,
        FailureClass::Ok,
        "text before the first call is allowed"
    );
    assert_eq!(r.answer.as_deref(), Some("Let me check."));
    let r = p(
        "<tool_call>{\"name\": \"f\"}</tool_call>\nand\n<tool_call>{\"name\": \"g\"}</tool_call>",
    );
    assert_eq!(r.failure, FailureClass::ExtraText);
    let r =
        p("<think>t</think>\n<tool_call>{\"name\": \"f\"}</tool_call>\n<response>Done.</response>");
    assert_eq!(
        (r.failure, r.answer.as_deref()),
        (FailureClass::Ok, Some("Done."))
    );
    let r = p("<think>t</think>\n<response> It is 4. </response>");
    assert_eq!(
        (r.failure, r.answer.as_deref()),
        (FailureClass::NoCall, Some("It is 4."))
    );
    let r = p("<think> t </think>\n\n  It is 4.  ");
    assert_eq!(
        (r.failure, r.answer.as_deref(), r.reasoning.as_deref()),
        (FailureClass::NoCall, Some("It is 4."), Some("t"))
    );
    let r = p("");
    assert_eq!(
        (r.failure, r.answer, r.reasoning, r.format),
        (FailureClass::NoCall, None, None, None)
    );
    let r = p("<think></think>");
    assert_eq!(r.reasoning.as_deref(), Some(""));
}

#[test]
fn batch_matches_single_and_checks_lengths() {
    let texts: Vec<String> = (0..200)
        .map(|i| format!("<tool_call>{{\"name\": \"f{i}\"}}</tool_call>"))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let b = parse_batch(&refs, &[], &ParseOptions::default());
    for (t, r) in refs.iter().zip(&b) {
        assert_eq!(*r, p(t));
    }
    let flags = vec![true; refs.len()];
    assert_eq!(parse_batch_truncated(&refs, &[], &flags).unwrap(), b);
    assert!(parse_batch_truncated(&refs, &[], &flags[1..]).is_err());
}

// ---------------------------------------------------------------- linear time

fn timed(name: &str, text: &str) -> ParseResult {
    let t0 = Instant::now();
    let r = parse(text, &[], &CUT);
    let s = t0.elapsed().as_secs_f64();
    eprintln!(
        "{name}: {} bytes in {:.3} ms ({:.0} MB/s)",
        text.len(),
        s * 1e3,
        text.len() as f64 / s / 1e6
    );
    assert_consistent(&r);
    r
}

#[test]
fn adversarial_inputs_finish() {
    // Run with `--nocapture` to see throughputs (debug builds are ~20x slower than release).
    let openers = "<tool_call>".repeat(100_000);
    let r = timed("1e5 <tool_call> openers", &openers);
    assert_eq!(r.issues.len(), 100_000);
    timed("1e5 <function= openers", &"<function=f>".repeat(100_000));
    timed("1e5 <think> openers", &"<think>".repeat(100_000));
    timed(
        "1e5 closers",
        &"</tool_call></think></function>".repeat(50_000),
    );
    timed(
        "1e5 blocks of deep JSON",
        &"<tool_call>[[[[[[[[[[</tool_call>".repeat(30_000),
    );
    timed("deep JSON brackets", &"[".repeat(1_000_000));
    timed(
        "deep JSON objects",
        &format!("<tool_call>{}</tool_call>", "{\"a\":".repeat(200_000)),
    );
    timed(
        "deep pythonic",
        &format!("[f(a={})]", "(".repeat(1_000_000)),
    );
    timed(
        "pythonic many calls",
        &format!("[{}]", "f(a=1),".repeat(140_000)),
    );
    timed(
        "long string",
        &format!(
            "<tool_call>{{\"name\": \"f\", \"arguments\": {{\"s\": \"{}\"}}}}</tool_call>",
            "x".repeat(1_000_000)
        ),
    );
    timed(
        "long unterminated string",
        &format!("[f(a='{}", "y".repeat(1_000_000)),
    );
    timed("many '<'", &"<".repeat(1_000_000));
    timed(
        "xml many params",
        &format!(
            "<function=f>{}</function>",
            "<parameter=a>1</parameter>".repeat(40_000)
        ),
    );
    timed(
        "xml unclosed params",
        &format!("<function=f>{}</function>", "<parameter=a>".repeat(80_000)),
    );
    timed(
        "xml params no close",
        &"<function=f><parameter=a>".repeat(40_000),
    );
}
