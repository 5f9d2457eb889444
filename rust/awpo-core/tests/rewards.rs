//! Golden tests of the outcome rewards (REWARDS.md), each worked out by hand in its comment.
use awpo_core::reward::{self, GroundTruth, RewardKind, bfcl, exact, toolrl};
use awpo_core::toolcall::{FailureClass, ParseResult, ToolCall};
use serde_json::{Value, json};

fn truth(v: Value) -> GroundTruth {
    GroundTruth::from_json(&v).unwrap()
}

/// `<think>r</think>\n<tool_call>\n{line}\n…\n</tool_call>`: the calls-only layout.
fn calls_text(lines: &[Value]) -> String {
    let body: Vec<String> = lines.iter().map(Value::to_string).collect();
    format!(
        "<think>r</think>\n<tool_call>\n{}\n</tool_call>",
        body.join("\n")
    )
}

fn call(name: &str, params: Value) -> Value {
    json!({"name": name, "parameters": params})
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn correctness(text: &str, t: &GroundTruth) -> f64 {
    toolrl::score(text, t).1
}

// ---------------------------------------------------------------- toolrl: correctness

#[test]
fn golden_toolrl_worked_example() {
    // REWARDS.md: gt [w(city="Paris"), w(city="Rome")], pred [w(city="Paris")].
    // names J = 1/(2+1-1) = 0.5; gt call 1 takes the pred: J(keys)=1 + 1 equal value = 2;
    // gt call 2 finds no unused w. score = 2.5; S_max = 1 + (1+1) + (1+1) = 5;
    // correctness = 6*2.5/5 - 3 = 0. Format 1 (calls-only layout) -> total 1.
    let t = truth(json!({"tool_calls": [
        {"name": "w", "arguments": {"city": "Paris"}},
        {"name": "w", "arguments": {"city": "Rome"}}]}));
    let text = calls_text(&[call("w", json!({"city": "Paris"}))]);
    assert_eq!(toolrl::score(&text, &t), (1.0, 0.0));
}

#[test]
fn golden_toolrl_exact_list_is_plus_three() {
    // Rule 3: same list, same order -> +3; `arguments` is accepted for `parameters`, key order
    // inside the object is irrelevant and 2 == 2.0.
    let t = truth(json!({"tool_calls": [
        {"name": "f", "arguments": {"a": 1, "b": "x"}}, {"name": "g", "arguments": {}}]}));
    let plain = calls_text(&[call("f", json!({"a": 1, "b": "x"})), call("g", json!({}))]);
    assert_eq!(correctness(&plain, &t), 3.0);
    let alias = calls_text(&[
        json!({"name": "f", "arguments": {"b": "x", "a": 1.0}}),
        json!({"name": "g", "arguments": {}}),
    ]);
    assert_eq!(correctness(&alias, &t), 3.0);
}

#[test]
fn golden_toolrl_no_ground_truth_calls_is_zero() {
    // Rule 1: whatever the output, correctness 0 when the answer has no calls.
    for answer in [
        json!({}),
        json!({"no_call": true}),
        json!({"response": "hi"}),
    ] {
        let t = truth(answer);
        assert_eq!(correctness("garbage", &t), 0.0);
        assert_eq!(correctness(&calls_text(&[call("f", json!({}))]), &t), 0.0);
    }
}

#[test]
fn golden_toolrl_malformed_blocks_are_minus_three() {
    // Rule 2: no block, or a line that is not an object with name + parameters/arguments -> -3.
    let t = truth(json!({"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}));
    let good = call("f", json!({"a": 1}));
    let cases = [
        "<think>r</think>\nno call at all".to_owned(),
        "<think>r</think>\n<tool_call>\n{\"name\": \"f\", \"parameters\": {\"a\": 1}}".to_owned(), // no close
        "<think>r</think>\n{\"name\": \"f\", \"parameters\": {\"a\": 1}}\n</tool_call>".to_owned(), // no open
        calls_text(&[json!("f")]),            // a string, not an object
        calls_text(&[json!([good.clone()])]), // an array
        calls_text(&[json!({"parameters": {"a": 1}})]), // no name
        calls_text(&[json!({"name": "f"})]),  // no parameters
        calls_text(&[json!({"name": "f", "params": {"a": 1}})]), // wrong key
        calls_text(&[good.clone(), json!({"name": ["f"], "parameters": {}})]), // unhashable name
        calls_text(&[good.clone(), json!({"name": {"x": 1}, "parameters": {}})]),
        calls_text(&[good.clone(), json!({"name": "f", "parameters": [1]})]), // same-name, not an object
        "<think>r</think>\n<tool_call>\n{\"name\": \"f\", \"parameters\": {\"a\": 1}\n</tool_call>"
            .to_owned(),
        // an empty line between two calls is not JSON
        format!("<think>r</think>\n<tool_call>\n{good}\n\n{good}\n</tool_call>"),
        "<think>r</think>\n<tool_call>\n</tool_call>".to_owned(), // empty block
    ];
    for text in &cases {
        assert_eq!(correctness(text, &t), -3.0, "{text}");
    }
}

#[test]
fn golden_toolrl_other_name_with_odd_fields_is_scored() {
    // A line whose name matches no ground-truth call is never looked into by ToolRL, so a
    // non-object `parameters` or a numeric name there does not give -3.
    // gt [f(a=1)], pred [f(a=1), g("x")]: names J = 1/(1+2-1) = 0.5; f pair = 1 + 1 = 2;
    // score 2.5, S_max = 1 + 2 = 3 -> 6*2.5/3 - 3 = 2.
    let t = truth(json!({"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}));
    let text = calls_text(&[
        call("f", json!({"a": 1})),
        json!({"name": "g", "parameters": "x"}),
    ]);
    assert!(close(correctness(&text, &t), 2.0));
    let text = calls_text(&[
        call("f", json!({"a": 1})),
        json!({"name": 7, "parameters": {}}),
    ]);
    assert!(close(correctness(&text, &t), 2.0));
}

#[test]
fn golden_toolrl_multiset_jaccard_of_names() {
    // gt [a(x=1), a(x=2), b()], pred [a(x=1), c()]:
    // names: a appears min(2,1)=1 times in both, b 0 -> |∩| = 1; J = 1/(3+2-1) = 0.25.
    // a(x=1) takes pred a: J(keys)=1 + 1 equal = 2; a(x=2): no unused a; b: none.
    // score = 2.25; S_max = 1 + 2 + 2 + 1 = 6; correctness = 6*2.25/6 - 3 = -0.75.
    let t = truth(json!({"tool_calls": [
        {"name": "a", "arguments": {"x": 1}}, {"name": "a", "arguments": {"x": 2}}, {"name": "b"}]}));
    let text = calls_text(&[call("a", json!({"x": 1})), call("c", json!({}))]);
    assert!(close(correctness(&text, &t), -0.75));
}

#[test]
fn golden_toolrl_duplicate_names_count_with_multiplicity() {
    // gt [f()], pred [f(), f(), f()]: |∩| = min(1,3) = 1, J = 1/(1+3-1) = 1/3 (a set Jaccard
    // would say 1). f() takes the first pred: J([], []) = 1 (identical lists) + 0 = 1.
    // score = 4/3; S_max = 1 + 1 = 2; correctness = 6*(4/3)/2 - 3 = 1.
    let t = truth(json!({"tool_calls": [{"name": "f"}]}));
    let text = calls_text(&[
        call("f", json!({})),
        call("f", json!({})),
        call("f", json!({})),
    ]);
    assert!(close(correctness(&text, &t), 1.0));
}

#[test]
fn golden_toolrl_greedy_takes_the_first_on_ties() {
    // gt [f(a=1), f(a=1,b=2)], pred [f(a=1,b=2), f(a=1,b=3)]; names J = 1 (same list).
    // gt f(a=1): pred 0 -> J({a},{a,b}) = 1/2 + 1 = 1.5, pred 1 -> 1.5 too: a tie, pred 0 wins.
    // gt f(a=1,b=2): only pred 1 left -> J = 1 + 1 equal (a) = 2.
    // score = 1 + 1.5 + 2 = 4.5; S_max = 1 + 2 + 3 = 6; correctness = 6*4.5/6 - 3 = 1.5.
    // (Taking the last on ties would give 1 + 1.5 + 3 = 5.5 -> 2.5.)
    let t = truth(json!({"tool_calls": [
        {"name": "f", "arguments": {"a": 1}}, {"name": "f", "arguments": {"a": 1, "b": 2}}]}));
    let text = calls_text(&[
        call("f", json!({"a": 1, "b": 2})),
        call("f", json!({"a": 1, "b": 3})),
    ]);
    assert!(close(correctness(&text, &t), 1.5));
}

#[test]
fn golden_toolrl_only_positive_pairs_are_used() {
    // gt [f(a=1), f(b=2)], pred [f(b=2)]: names J = 1/(2+1-1) = 0.5.
    // gt f(a=1) vs pred: J({a},{b}) = 0/(1+1-0) = 0, no equal value -> 0, not > 0: pred stays free.
    // gt f(b=2) vs pred: 1 + 1 = 2. score = 2.5; S_max = 1 + 2 + 2 = 5 -> 6*2.5/5 - 3 = 0.
    // (Had the zero pair consumed the pred: score 0.5 -> -2.4.)
    let t = truth(json!({"tool_calls": [
        {"name": "f", "arguments": {"a": 1}}, {"name": "f", "arguments": {"b": 2}}]}));
    let text = calls_text(&[call("f", json!({"b": 2}))]);
    assert!(close(correctness(&text, &t), 0.0));
}

#[test]
fn golden_toolrl_best_pair_wins_over_first() {
    // gt [f(a=1,b=2)], pred [f(c=9), f(a=1), f(a=1)]: names J = 1/(1+3-1) = 1/3.
    // pred 0: J({a,b},{c}) = 0 -> 0; pred 1: J = 1/(2+1-1) = 0.5 + 1 equal = 1.5; pred 2: 1.5 (tie).
    // score = 1/3 + 1.5; S_max = 1 + 3 = 4; correctness = 6*(11/6)/4 - 3 = -0.25.
    let t = truth(json!({"tool_calls": [{"name": "f", "arguments": {"a": 1, "b": 2}}]}));
    let text = calls_text(&[
        call("f", json!({"c": 9})),
        call("f", json!({"a": 1})),
        call("f", json!({"a": 1})),
    ]);
    assert!(close(correctness(&text, &t), -0.25));
}

#[test]
fn golden_toolrl_value_equality_is_json_equality() {
    // gt [f(n=1, s="1", b=true)]. 1 == 1.0; "1" != 1; true != 1 (JSON, awpo's choice: Python
    // would say True == 1).
    // pred f(n=1.0, s=1, b=1): names J = 1; keys J = 1; equal values: n only -> pair = 2.
    // score = 3; S_max = 1 + 4 = 5; correctness = 6*3/5 - 3 = 0.6.
    let t =
        truth(json!({"tool_calls": [{"name": "f", "arguments": {"n": 1, "s": "1", "b": true}}]}));
    let text = calls_text(&[call("f", json!({"n": 1.0, "s": 1, "b": 1}))]);
    assert!(close(correctness(&text, &t), 0.6));
    // Nested values compare deeply and ignore key order: pred equal -> exact list -> +3.
    let t = truth(
        json!({"tool_calls": [{"name": "f", "arguments": {"o": {"x": [1, {"y": 2}], "z": null}}}]}),
    );
    let text = calls_text(&[call("f", json!({"o": {"z": null, "x": [1.0, {"y": 2.0}]}}))]);
    assert_eq!(correctness(&text, &t), 3.0);
}

#[test]
fn golden_toolrl_empty_parameter_lists() {
    // gt [f()], pred [f(x=1)]: names J = 1; keys J([], [x]) = 0 (one list empty), 0 equal -> 0,
    // not counted. score = 1; S_max = 1 + 1 = 2 -> 6*1/2 - 3 = 0.
    let t = truth(json!({"tool_calls": [{"name": "f"}]}));
    assert!(close(
        correctness(&calls_text(&[call("f", json!({"x": 1}))]), &t),
        0.0
    ));
    // Wrong name only: names J = 0, no pair -> score 0 -> -3 (not the malformed case, same value).
    assert!(close(
        correctness(&calls_text(&[call("g", json!({}))]), &t),
        -3.0
    ));
}

#[test]
fn golden_toolrl_block_is_read_as_toolrl_splits_it() {
    let t = truth(json!({"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}));
    let good = call("f", json!({"a": 1}));
    // Only the first block counts: a wrong second block changes nothing.
    let two = format!(
        "<think>r</think>\n<tool_call>\n{good}\n</tool_call>\n<tool_call>\nbad\n</tool_call>"
    );
    assert_eq!(correctness(&two, &t), 3.0);
    // A second <tool_call> before any close cuts the first block there.
    let cut = format!("<tool_call>\n{good}\n<tool_call>\nbad\n</tool_call>");
    assert_eq!(correctness(&cut, &t), 3.0);
    // A close that only precedes the open still satisfies ToolRL's asserts; the block runs to
    // the end of the text.
    let early = format!("</tool_call> <tool_call>\n  {good}  \n");
    assert_eq!(correctness(&early, &t), 3.0);
    // The block is stripped and lines may carry JSON whitespace (incl. \r) around the object.
    let spaced = format!("<tool_call>  \n\t {good}\r\n\n </tool_call>");
    assert_eq!(correctness(&spaced, &t), 3.0);
}

// ---------------------------------------------------------------- toolrl: format

fn format(text: &str, answer: Value) -> f64 {
    toolrl::score(text, &truth(answer)).0
}

#[test]
fn golden_toolrl_format_calls_only() {
    let a = json!({"tool_calls": [{"name": "f"}]});
    let ok = "<think>r</think>\n<tool_call>\n{}\n</tool_call>";
    assert_eq!(format(ok, a.clone()), 1.0);
    // `.` spans newlines; surrounding whitespace is stripped first (ToolRL strips the turn).
    assert_eq!(
        format(
            "<think>a\nb</think>\n<tool_call>\nx\ny\n</tool_call>",
            a.clone()
        ),
        1.0
    );
    assert_eq!(format(&format!("  \n{ok}\n\u{1c}"), a.clone()), 1.0);
    for bad in [
        "<think>r</think><tool_call>\n{}\n</tool_call>", // no \n after </think>
        "<think>r</think>\n<tool_call>{}\n</tool_call>", // no \n after <tool_call>
        "<think>r</think>\n<tool_call>\n{}</tool_call>", // no \n before </tool_call>
        "<think>r</think>\n\n<tool_call>\n{}\n</tool_call>", // extra blank line
        "x<think>r</think>\n<tool_call>\n{}\n</tool_call>", // text before <think>
        "<think>r</think>\n<tool_call>\n{}\n</tool_call>x", // text after the block
        "<think>r</think>\n<tool_call>\n{}\n</tool_call>\n<response>r</response>", // response not expected
        "<think>r</think>\n<tool_call>\n{}\n</tool_call>\n<tool_call>\n{}\n</tool_call>", // two blocks
        "<think>r</think>\n<tool_call>\n</tool_call>", // the two \n cannot share
        "<tool_call>\n{}\n</tool_call>",               // no think
    ] {
        assert_eq!(format(bad, a.clone()), 0.0, "{bad:?}");
    }
    // Only the tool_call tags are counted: a stray </think> inside is allowed by the pattern.
    assert_eq!(
        format(
            "<think>a</think>b</think>\n<tool_call>\n{}\n</tool_call>",
            a
        ),
        1.0
    );
}

#[test]
fn golden_toolrl_format_response_only() {
    let a = json!({"response": "hi"});
    assert_eq!(
        format("<think>r</think>\n<response>hi</response>", a.clone()),
        1.0
    );
    assert_eq!(
        format("<think></think>\n<response></response>", a.clone()),
        1.0
    );
    for bad in [
        "<think>r</think>\n<response>a</response><response>b</response>",
        "<think>r</think> <response>hi</response>",
        "<think>r</think>\n<response>hi",
        "<think>r</think>",
    ] {
        assert_eq!(format(bad, a.clone()), 0.0, "{bad:?}");
    }
    // An empty-string response still makes "response" part of the expected layout.
    assert_eq!(format("<think>r</think>", json!({"response": ""})), 0.0);
}

#[test]
fn golden_toolrl_format_calls_and_response() {
    let a = json!({"tool_calls": [{"name": "f"}], "response": "done"});
    let ok = "<think>r</think>\n<tool_call>\n{}\n</tool_call>\n<response>done</response>";
    assert_eq!(format(ok, a.clone()), 1.0);
    for bad in [
        "<think>r</think>\n<tool_call>\n{}\n</tool_call>",
        "<think>r</think>\n<response>done</response>\n<tool_call>\n{}\n</tool_call>",
        "<think>r</think>\n<tool_call>\n{}\n</tool_call><response>done</response>",
        "<think>r</think>\n<tool_call>\n</tool_call>\n<response>done</response>",
        "<think>r</think>\n<tool_call>\n{}\n</tool_call>\n<response>a</response>\n<response>b</response>",
    ] {
        assert_eq!(format(bad, a.clone()), 0.0, "{bad:?}");
    }
}

#[test]
fn golden_toolrl_format_neither() {
    // No calls, no response (e.g. no_call): only `<think>.*</think>`, no tag counting.
    let a = json!({"no_call": true});
    assert_eq!(
        format("<think>I cannot help with that.</think>", a.clone()),
        1.0
    );
    assert_eq!(format("<think></think>", a.clone()), 1.0);
    assert_eq!(
        format(
            "<think>a</think>\n<tool_call>\n{}\n</tool_call></think>",
            a.clone()
        ),
        1.0
    );
    for bad in [
        "<think>a</think>\n<tool_call>\n{}\n</tool_call>",
        "<think>a",
        "<think>a</think> ok",
        "</think>",
    ] {
        assert_eq!(format(bad, a.clone()), 0.0, "{bad:?}");
    }
    // The prefix and suffix may not overlap.
    assert_eq!(format("<think></think", a), 0.0);
}

#[test]
fn golden_toolrl_total_is_format_plus_correctness() {
    // Perfect: 1 + 3 = 4. Malformed without think: 0 + -3 = -3 (the range's ends).
    let t = truth(json!({"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}));
    let parsed = parsed(vec![], false, FailureClass::NoCall);
    let perfect = calls_text(&[call("f", json!({"a": 1}))]);
    let out = reward::score(RewardKind::ToolRl, &perfect, &parsed, &t, &[]);
    assert_eq!(
        (
            out.total,
            out.component("format"),
            out.component("correctness")
        ),
        (4.0, Some(1.0), Some(3.0))
    );
    let out = reward::score(RewardKind::ToolRl, "nothing", &parsed, &t, &[]);
    assert_eq!(out.total, -3.0);
    assert_eq!(RewardKind::ToolRl.range(), (-3.0, 4.0));
}

// ---------------------------------------------------------------- exact

fn tc(name: &str, args: Value) -> ToolCall {
    ToolCall {
        name: name.into(),
        arguments: args.as_object().cloned().unwrap_or_default(),
    }
}

fn parsed(calls: Vec<ToolCall>, think: bool, failure: FailureClass) -> ParseResult {
    ParseResult {
        calls,
        reasoning: think.then(|| "r".to_owned()),
        answer: None,
        failure,
        issues: vec![],
        format: None,
    }
}

#[test]
fn golden_exact_multiset_of_calls() {
    let t = truth(json!({"tool_calls": [
        {"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": {"b": "x"}}, {"name": "f", "arguments": {"a": 1}}]}));
    let ok = FailureClass::Ok;
    // Order is free, 1 == 1.0, key order is free: multiset {f(a=1) x2, g(b=x)} -> 1.
    let p = parsed(
        vec![
            tc("g", json!({"b": "x"})),
            tc("f", json!({"a": 1.0})),
            tc("f", json!({"a": 1})),
        ],
        true,
        ok,
    );
    assert_eq!(exact::score(&p, &t), (1.0, 1.0));
    // Multiplicity matters: f once, g twice -> 0.
    let p = parsed(
        vec![
            tc("g", json!({"b": "x"})),
            tc("f", json!({"a": 1})),
            tc("g", json!({"b": "x"})),
        ],
        true,
        ok,
    );
    assert_eq!(exact::score(&p, &t).1, 0.0);
    // One call missing -> 0; "x" vs "X" -> 0; true vs 1 -> 0.
    let p = parsed(
        vec![tc("g", json!({"b": "x"})), tc("f", json!({"a": 1}))],
        true,
        ok,
    );
    assert_eq!(exact::score(&p, &t).1, 0.0);
    let t1 = truth(json!({"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}));
    assert_eq!(
        exact::score(&parsed(vec![tc("f", json!({"a": true}))], true, ok), &t1).1,
        0.0
    );
    // Right calls but no think block -> total 0 (think 0, calls 1).
    let p = parsed(vec![tc("f", json!({"a": 1}))], false, ok);
    let out = reward::score(RewardKind::Exact, "", &p, &t1, &[]);
    assert_eq!(
        (out.total, out.component("think"), out.component("calls")),
        (0.0, Some(0.0), Some(1.0))
    );
    // Right calls recovered but the parse reports a failure -> 0 ("every call parsed").
    for failure in [
        FailureClass::MalformedJson,
        FailureClass::ExtraText,
        FailureClass::SchemaViolation,
        FailureClass::Truncated,
    ] {
        assert_eq!(
            exact::score(&parsed(vec![tc("f", json!({"a": 1}))], true, failure), &t1).1,
            0.0
        );
    }
}

#[test]
fn golden_exact_no_call_answers() {
    // no_call (or response only): 1 iff think present and no call made.
    for answer in [json!({"no_call": true}), json!({"response": "hi"})] {
        let t = truth(answer);
        assert_eq!(
            exact::score(&parsed(vec![], true, FailureClass::NoCall), &t),
            (1.0, 1.0)
        );
        assert_eq!(
            exact::score(&parsed(vec![], true, FailureClass::Ok), &t),
            (1.0, 1.0)
        );
        assert_eq!(
            exact::score(&parsed(vec![], false, FailureClass::NoCall), &t),
            (0.0, 1.0)
        );
        assert_eq!(
            exact::score(
                &parsed(vec![tc("f", json!({}))], true, FailureClass::Ok),
                &t
            )
            .1,
            0.0
        );
        // A broken call attempt is a call attempt, not an abstention.
        assert_eq!(
            exact::score(&parsed(vec![], true, FailureClass::MalformedJson), &t).1,
            0.0
        );
    }
}

// ---------------------------------------------------------------- bfcl

fn sigs(tools: Value) -> Vec<reward::FunctionSig> {
    bfcl::signatures_from_json(&tools).unwrap()
}

fn weather_tools() -> Vec<reward::FunctionSig> {
    sigs(
        json!([{"type": "function", "function": {"name": "weather", "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string"}, "days": {"type": "integer"}, "temp": {"type": "number"},
            "metric": {"type": "boolean"}, "tags": {"type": "array", "items": {"type": "string"}},
            "opts": {"type": "object"}, "stops": {"type": "array", "items": {"type": "dict"}}},
        "required": ["city"]}}}]),
    )
}

fn bfcl_one(args: Value, acceptable: Value) -> f64 {
    let t = truth(json!({"acceptable": [{"weather": acceptable}]}));
    let p = parsed(vec![tc("weather", args)], false, FailureClass::Ok);
    bfcl::score(&p, &t, &weather_tools())
}

#[test]
fn golden_bfcl_strings_are_standardised() {
    // BFCL drops " ,./-_*^", lowercases and maps ' to ": "New York, NY" ~ "newyorkny".
    assert_eq!(
        bfcl_one(
            json!({"city": "new-york ny."}),
            json!({"city": ["New York, NY"]})
        ),
        1.0
    );
    assert_eq!(
        bfcl_one(json!({"city": "it's"}), json!({"city": ["IT\"S"]})),
        1.0
    );
    assert_eq!(
        bfcl_one(
            json!({"city": "Boston"}),
            json!({"city": ["New York, NY", "NYC"]})
        ),
        0.0
    );
    // Other punctuation and whitespace kinds are kept: "a:b" != "ab", "a\tb" != "ab".
    assert_eq!(
        bfcl_one(json!({"city": "a:b"}), json!({"city": ["ab"]})),
        0.0
    );
    assert_eq!(
        bfcl_one(json!({"city": "a\tb"}), json!({"city": ["ab"]})),
        0.0
    );
    assert_eq!(bfcl::standardize("Ünï Côde_x"), "ünïcôdex");
}

#[test]
fn golden_bfcl_numbers_and_types() {
    // An int is accepted for a float (number) parameter: 20 -> 20.0 in [20.0].
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "temp": 20}),
            json!({"city": ["x"], "temp": [20.0]})
        ),
        1.0
    );
    // A float is not an int: 3.0 for an integer parameter is a type error.
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "days": 3.0}),
            json!({"city": ["x"], "days": [3]})
        ),
        0.0
    );
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "days": 3}),
            json!({"city": ["x"], "days": [3]})
        ),
        1.0
    );
    // A string where an integer is declared: a type error...
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "days": "3"}),
            json!({"city": ["x"], "days": [3]})
        ),
        0.0
    );
    // ...unless the possible answers are strings (BFCL's "variable" rule): then plain ==.
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "days": "n"}),
            json!({"city": ["x"], "days": ["n"]})
        ),
        1.0
    );
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "days": "N"}),
            json!({"city": ["x"], "days": ["n"]})
        ),
        0.0
    );
    // A boolean is not an int for the type check.
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "days": true}),
            json!({"city": ["x"], "days": [1]})
        ),
        0.0
    );
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "metric": false}),
            json!({"city": ["x"], "metric": [false]})
        ),
        1.0
    );
}

#[test]
fn golden_bfcl_required_optional_and_unknown_params() {
    // Missing required `city` -> 0, even when the possible answer marks it optional.
    assert_eq!(
        bfcl_one(json!({"days": 1}), json!({"city": ["", "x"], "days": [1]})),
        0.0
    );
    // Omitting a parameter is fine iff its list has "".
    assert_eq!(
        bfcl_one(
            json!({"city": "x"}),
            json!({"city": ["x"], "days": ["", 1]})
        ),
        1.0
    );
    assert_eq!(
        bfcl_one(json!({"city": "x"}), json!({"city": ["x"], "days": [1]})),
        0.0
    );
    // A parameter the schema does not know, or the possible answer does not list -> 0.
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "zzz": 1}),
            json!({"city": ["x"], "zzz": [1]})
        ),
        0.0
    );
    assert_eq!(
        bfcl_one(json!({"city": "x", "days": 1}), json!({"city": ["x"]})),
        0.0
    );
}

#[test]
fn golden_bfcl_lists_and_dicts() {
    // Lists: element-wise, top-level strings standardised, order matters.
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "tags": ["A b", "c"]}),
            json!({"city": ["x"], "tags": [["ab", "C"]]})
        ),
        1.0
    );
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "tags": ["c", "ab"]}),
            json!({"city": ["x"], "tags": [["ab", "c"]]})
        ),
        0.0
    );
    // Nested type check: a number inside a list of strings is a type error.
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "tags": [1]}),
            json!({"city": ["x"], "tags": [["a"]]})
        ),
        0.0
    );
    // "" as a possible answer of a list parameter also accepts the empty list (BFCL quirk).
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "tags": []}),
            json!({"city": ["x"], "tags": ["", ["a"]]})
        ),
        1.0
    );
    // Dicts: each key known, its value acceptable (strings standardised), missing keys optional.
    let acc = json!({"city": ["x"], "opts": [{"unit": ["Celsius", "C"], "lang": ["", "en"]}]});
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "opts": {"unit": "celsius"}}),
            acc.clone()
        ),
        1.0
    );
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "opts": {"unit": "C", "lang": "EN"}}),
            acc.clone()
        ),
        1.0
    );
    assert_eq!(
        bfcl_one(json!({"city": "x", "opts": {"unit": "K"}}), acc.clone()),
        0.0
    );
    assert_eq!(
        bfcl_one(json!({"city": "x", "opts": {"lang": "en"}}), acc.clone()),
        0.0
    ); // unit required
    assert_eq!(
        bfcl_one(json!({"city": "x", "opts": {"unit": "C", "x": 1}}), acc),
        0.0
    ); // unknown key
    // List of dicts: same length, position by position.
    let acc = json!({"city": ["x"], "stops": [[{"name": ["A"]}, {"name": ["B"]}]]});
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "stops": [{"name": "a"}, {"name": "b"}]}),
            acc.clone()
        ),
        1.0
    );
    assert_eq!(
        bfcl_one(
            json!({"city": "x", "stops": [{"name": "b"}, {"name": "a"}]}),
            acc.clone()
        ),
        0.0
    );
    assert_eq!(
        bfcl_one(json!({"city": "x", "stops": [{"name": "a"}]}), acc),
        0.0
    );
}

#[test]
fn golden_bfcl_parallel_is_order_insensitive_and_greedy() {
    let tools = sigs(
        json!([{"name": "f", "parameters": {"type": "dict", "properties": {"a": {"type": "integer"}}}}]),
    );
    let t = truth(
        json!({"tool_calls": [{"name": "f", "arguments": {"a": 1}}, {"name": "f", "arguments": {"a": 2}}]}),
    );
    let ok = FailureClass::Ok;
    // Either order -> 1; a duplicate instead of the second -> 0; a third call -> 0 (count).
    assert_eq!(
        bfcl::score(
            &parsed(
                vec![tc("f", json!({"a": 2})), tc("f", json!({"a": 1}))],
                false,
                ok
            ),
            &t,
            &tools
        ),
        1.0
    );
    assert_eq!(
        bfcl::score(
            &parsed(
                vec![tc("f", json!({"a": 1})), tc("f", json!({"a": 1}))],
                false,
                ok
            ),
            &t,
            &tools
        ),
        0.0
    );
    let three = vec![
        tc("f", json!({"a": 1})),
        tc("f", json!({"a": 2})),
        tc("f", json!({"a": 2})),
    ];
    assert_eq!(bfcl::score(&parsed(three, false, ok), &t, &tools), 0.0);
    // BFCL pairs greedily (first valid prediction per possible answer), not by maximum matching:
    // answer 0 accepts a in {1, 2}, answer 1 only a = 1. Predictions [f(a=1), f(a=2)]:
    // answer 0 takes f(a=1), answer 1 finds only f(a=2) -> 0, though a perfect pairing exists.
    let t = truth(json!({"acceptable": [{"f": {"a": [1, 2]}}, {"f": {"a": [1]}}]}));
    assert_eq!(
        bfcl::score(
            &parsed(
                vec![tc("f", json!({"a": 1})), tc("f", json!({"a": 2}))],
                false,
                ok
            ),
            &t,
            &tools
        ),
        0.0
    );
    assert_eq!(
        bfcl::score(
            &parsed(
                vec![tc("f", json!({"a": 2})), tc("f", json!({"a": 1}))],
                false,
                ok
            ),
            &t,
            &tools
        ),
        1.0
    );
}

#[test]
fn golden_bfcl_irrelevance_and_decode_failures() {
    let t = truth(json!({"no_call": true}));
    let tools = weather_tools();
    // No call -> 1; a call -> 0 (even one that fails its schema).
    assert_eq!(
        bfcl::score(&parsed(vec![], false, FailureClass::NoCall), &t, &tools),
        1.0
    );
    assert_eq!(
        bfcl::score(
            &parsed(
                vec![tc("weather", json!({"city": "x"}))],
                false,
                FailureClass::Ok
            ),
            &t,
            &tools
        ),
        0.0
    );
    assert_eq!(
        bfcl::score(
            &parsed(vec![tc("zzz", json!({}))], false, FailureClass::UnknownTool),
            &t,
            &tools
        ),
        0.0
    );
    // An output BFCL cannot decode counts as "no call" (its relevance checker), even with
    // recovered calls.
    for failure in [
        FailureClass::MalformedJson,
        FailureClass::UnclosedTag,
        FailureClass::Truncated,
    ] {
        assert_eq!(
            bfcl::score(
                &parsed(vec![tc("weather", json!({"city": "x"}))], false, failure),
                &t,
                &tools
            ),
            1.0
        );
        // ...and for a call item it is wrong.
        let call_item =
            truth(json!({"tool_calls": [{"name": "weather", "arguments": {"city": "x"}}]}));
        assert_eq!(
            bfcl::score(
                &parsed(vec![tc("weather", json!({"city": "x"}))], false, failure),
                &call_item,
                &tools
            ),
            0.0
        );
    }
}

#[test]
fn golden_bfcl_derives_acceptable_from_tool_calls_and_needs_no_schema() {
    // Without `acceptable` each argument v becomes [v]; without a schema for the function the
    // check is untyped (expected type = that of the possible answer; int still fine for float).
    let t = truth(
        json!({"tool_calls": [{"name": "f", "arguments": {"s": "New York", "x": 2.5, "n": 3.0}}]}),
    );
    let p = parsed(
        vec![tc("f", json!({"s": "new york", "x": 2.5, "n": 3}))],
        false,
        FailureClass::Ok,
    );
    assert_eq!(bfcl::score(&p, &t, &[]), 1.0);
    let p = parsed(
        vec![tc("f", json!({"s": "new york", "x": 2.5}))],
        false,
        FailureClass::Ok,
    );
    assert_eq!(bfcl::score(&p, &t, &[]), 0.0); // n missing, not optional
    let p = parsed(
        vec![tc("g", json!({"s": "new york", "x": 2.5, "n": 3}))],
        false,
        FailureClass::Ok,
    );
    assert_eq!(bfcl::score(&p, &t, &[]), 0.0); // wrong name
    // A dict argument derives BFCL's possible-dict form {key: [value]}: values standardised.
    let t = truth(json!({"tool_calls": [{"name": "weather", "arguments": {
        "city": "x", "opts": {"unit": "Celsius"}, "stops": [{"name": "A b"}]}}]}));
    let p = parsed(
        vec![tc(
            "weather",
            json!({"city": "x", "opts": {"unit": "celsius"}, "stops": [{"name": "ab"}]}),
        )],
        false,
        FailureClass::Ok,
    );
    assert_eq!(bfcl::score(&p, &t, &weather_tools()), 1.0);
    let p = parsed(
        vec![tc(
            "weather",
            json!({"city": "x", "opts": {"unit": "celsius"}, "stops": [{"name": "A b"}]}),
        )],
        false,
        FailureClass::Ok,
    );
    assert_eq!(bfcl::score(&p, &t, &[]), 1.0); // untyped: dict rule for opts, list == for stops
    let p = parsed(
        vec![tc(
            "weather",
            json!({"city": "x", "opts": {"unit": "celsius", "x": 1}, "stops": [{"name": "ab"}]}),
        )],
        false,
        FailureClass::Ok,
    );
    assert_eq!(bfcl::score(&p, &t, &weather_tools()), 0.0);
}

#[test]
fn bfcl_schema_errors_name_the_field() {
    use awpo_core::Error;
    let msg = |v: Value| match bfcl::signatures_from_json(&v) {
        Err(Error::InvalidSpec(m)) => m,
        other => panic!("expected InvalidSpec, got {other:?}"),
    };
    assert!(msg(json!({})).starts_with("tools:"));
    assert!(msg(json!([{"function": {"parameters": {}}}])).starts_with("tools[0].function.name:"));
    assert!(
        msg(json!([{"name": "f"}, {"name": "g", "parameters": []}]))
            .starts_with("tools[1].parameters:")
    );
    assert!(
        msg(json!([{"name": "f", "parameters": {"properties": {"a": 1}}}]))
            .starts_with("tools[0].parameters.properties.a:")
    );
    assert!(
        msg(json!([{"name": "f", "parameters": {"required": [1]}}]))
            .starts_with("tools[0].parameters.required[0]:")
    );
}

// ---------------------------------------------------------------- every reward

#[test]
fn kinds_parse_and_list_their_components() {
    use std::str::FromStr;
    for kind in RewardKind::ALL {
        assert_eq!(RewardKind::from_str(kind.as_str()).unwrap(), kind);
        assert_eq!(kind.component_names().len(), kind.component_ranges().len());
    }
    let err = RewardKind::from_str("ToolRL").unwrap_err().to_string();
    assert!(err.contains("toolrl, exact, bfcl"), "{err}");
}

// ---------------------------------------------------------------- batches

mod batch {
    use super::*;
    use awpo_core::Error;
    use awpo_core::reward::batch::{
        JsonRollouts, outcome_from_json, parse_rollouts, score_rollouts,
    };
    use awpo_core::reward::{Rollouts, Toolset, outcome_batch};

    const TOOLS: &str = r#"[{"name": "w", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]"#;

    fn texts() -> Vec<String> {
        vec![
            calls_text(&[call("w", json!({"city": "Paris"}))]),
            "<think>none fits</think>".to_owned(),
            calls_text(&[call("w", json!({"town": "Paris"}))]),
        ]
    }

    #[test]
    fn json_batch_scores_each_item_against_its_answer() {
        let texts = texts();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let answers = [
            json!({"tool_calls": [{"name": "w", "arguments": {"city": "Paris"}}]}),
            json!({"no_call": true}),
        ];
        let input = JsonRollouts {
            texts: &texts,
            answers: &answers,
            answer_index: &[0, 1, 0],
            tools: &[serde_json::from_str(TOOLS).unwrap()],
            tools_index: &[0, 0, 0],
            truncated: &[],
        };
        let exact = outcome_from_json(RewardKind::Exact, &input).unwrap();
        // item 0: right call -> 1; item 1: abstains with think -> 1; item 2: unknown param.
        assert_eq!(exact.total, vec![1.0, 1.0, 0.0]);
        assert_eq!(
            exact.failure,
            vec![
                FailureClass::Ok,
                FailureClass::NoCall,
                FailureClass::SchemaViolation
            ]
        );
        let toolrl = outcome_from_json(RewardKind::ToolRl, &input).unwrap();
        // item 2: names J = 1, keys J({city},{town}) = 0, no equal value -> not counted;
        // score 1, S_max = 1 + 2 = 3 -> 6/3 - 3 = -1; format 1 -> total 0.
        assert_eq!(toolrl.total, vec![4.0, 1.0, 0.0]);
        assert_eq!(
            toolrl.components,
            vec![vec![1.0, 1.0, 1.0], vec![3.0, 0.0, -1.0]]
        );
    }

    #[test]
    fn parse_then_score_equals_the_fused_pass() {
        let texts = texts();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let truths = [truth(
            json!({"tool_calls": [{"name": "w", "arguments": {"city": "Paris"}}]}),
        )];
        let toolsets = [Toolset::from_json(&serde_json::from_str(TOOLS).unwrap()).unwrap()];
        let rollouts = Rollouts {
            texts: &texts,
            truths: &truths,
            truth_index: &[0, 0, 0],
            toolsets: &toolsets,
            toolset_index: &[0, 0, 0],
            truncated: &[false, true, false],
        };
        let parsed = parse_rollouts(&rollouts).unwrap();
        for kind in RewardKind::ALL {
            assert_eq!(
                score_rollouts(kind, &rollouts, &parsed).unwrap(),
                outcome_batch(kind, &rollouts).unwrap()
            );
        }
        assert!(matches!(
            score_rollouts(RewardKind::Bfcl, &rollouts, &parsed[..2]),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn errors_name_the_item_and_field() {
        let texts = ["a", "b", "c"];
        let err = |answers: &[Value], index: &[usize], tools: &[Value]| {
            let input = JsonRollouts {
                texts: &texts,
                answers,
                answer_index: index,
                tools,
                tools_index: &[0, 0, 0],
                truncated: &[],
            };
            outcome_from_json(RewardKind::Exact, &input)
                .unwrap_err()
                .to_string()
        };
        let m = err(
            &[json!({}), json!({"tool_calls": [{"name": 3}]})],
            &[0, 0, 1],
            &[json!([])],
        );
        assert!(m.starts_with("item 2: answer.tool_calls[0].name:"), "{m}");
        let m = err(&[json!({})], &[0, 0, 0], &[json!([{}])]);
        assert!(m.starts_with("item 0: "), "{m}");
        let m = err(&[json!({})], &[0, 0, 1], &[json!([])]);
        assert_eq!(m, "answer index[2] = 1 is out of range for 1 entries");
        assert_eq!(
            awpo_core::reward::batch::dedupe(&[7, 3, 7, 9, 3]),
            (vec![0, 1, 3], vec![0, 1, 0, 2, 1])
        );
    }
}
