//! Property tests of the outcome rewards: on random texts, parses, answers and schemas no reward
//! panics and every total and component lies within its range.
use awpo_core::reward::{self, AcceptableCall, GroundTruth, RewardKind, bfcl};
use awpo_core::toolcall::{FailureClass, ParseResult, ToolCall};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const NAMES: [&str; 4] = ["f", "g", "weather", "a.b"];
const KEYS: [&str; 4] = ["a", "b", "city", "n"];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..4).prop_map(Value::from),
        prop_oneof![Just(1.0), Just(-0.0), Just(2.5), Just(1e300)].prop_map(Value::from),
        prop_oneof![
            Just(""),
            Just("x"),
            Just("New York, NY"),
            Just("X"),
            Just("1")
        ]
        .prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(&KEYS[..]), inner), 0..4).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn args() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(&KEYS[..]), value()), 0..4)
        .prop_map(|kv| kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn tool_call() -> impl Strategy<Value = ToolCall> {
    (prop::sample::select(&NAMES[..]), args()).prop_map(|(name, arguments)| ToolCall {
        name: name.to_owned(),
        arguments,
    })
}

fn acceptable() -> impl Strategy<Value = AcceptableCall> {
    let values = prop::collection::vec(prop_oneof![Just(json!("")), value()], 0..4);
    (
        prop::sample::select(&NAMES[..]),
        prop::collection::vec((prop::sample::select(&KEYS[..]), values), 0..4),
    )
        .prop_map(|(name, params)| AcceptableCall {
            name: name.to_owned(),
            params: params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        })
}

fn truth() -> impl Strategy<Value = GroundTruth> {
    (
        prop::collection::vec(tool_call(), 0..4),
        prop::option::of(Just("done".to_owned())),
        any::<bool>(),
        prop::option::of(prop::collection::vec(acceptable(), 0..3)),
    )
        .prop_map(|(tool_calls, response, no_call, acceptable)| {
            let no_call =
                no_call && tool_calls.is_empty() && acceptable.as_ref().is_none_or(Vec::is_empty);
            GroundTruth {
                tool_calls,
                response,
                no_call,
                acceptable,
            }
        })
}

fn failure() -> impl Strategy<Value = FailureClass> {
    prop::sample::select(&FailureClass::ALL[..])
}

fn parsed() -> impl Strategy<Value = ParseResult> {
    (
        prop::collection::vec(tool_call(), 0..4),
        prop::option::of(".*"),
        failure(),
    )
        .prop_map(|(calls, reasoning, failure)| ParseResult {
            calls,
            reasoning,
            answer: None,
            failure,
            issues: vec![],
            format: None,
        })
}

/// Texts built from the tags and call lines the rewards look for, plus random noise.
fn text() -> impl Strategy<Value = String> {
    let call_line = (tool_call(), any::<bool>()).prop_map(|(c, alias)| {
        let key = if alias { "arguments" } else { "parameters" };
        json!({"name": c.name, key: c.arguments}).to_string()
    });
    let piece = prop_oneof![
        Just("<think>".to_owned()),
        Just("</think>".to_owned()),
        Just("<tool_call>".to_owned()),
        Just("</tool_call>".to_owned()),
        Just("<response>".to_owned()),
        Just("</response>".to_owned()),
        Just("\n".to_owned()),
        call_line,
        "\\PC{0,8}",
        "[{}\\[\\]\":, ]{0,6}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

fn sigs() -> impl Strategy<Value = Vec<reward::FunctionSig>> {
    let ty = prop::sample::select(
        &[
            "string", "integer", "number", "float", "boolean", "array", "dict", "any", "zzz",
        ][..],
    );
    let prop_spec =
        (ty.clone(), ty).prop_map(|(t, items)| json!({"type": t, "items": {"type": items}}));
    let tool = (
        prop::sample::select(&NAMES[..]),
        prop::collection::vec((prop::sample::select(&KEYS[..]), prop_spec), 0..4),
        prop::collection::vec(prop::sample::select(&KEYS[..]), 0..2),
    )
        .prop_map(|(name, props, required)| {
            let props: Map<String, Value> = props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            json!({"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": props, "required": required}}})
        });
    prop::collection::vec(tool, 0..3)
        .prop_map(|tools| bfcl::signatures_from_json(&Value::Array(tools)).unwrap_or_default())
}

fn within(v: f64, (lo, hi): (f64, f64)) -> bool {
    v.is_finite() && lo <= v && v <= hi
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_reward_lies_within_its_range(text in text(), parsed in parsed(), truth in truth(), sigs in sigs()) {
        for kind in RewardKind::ALL {
            let out = reward::score(kind, &text, &parsed, &truth, &sigs);
            prop_assert!(within(out.total, kind.range()), "{kind}: {} outside {:?}", out.total, kind.range());
            for ((_, v), range) in out.components().zip(kind.component_ranges()) {
                prop_assert!(within(v, *range));
            }
        }
    }

    #[test]
    fn toolrl_total_is_format_plus_correctness(text in text(), truth in truth()) {
        let (format, correctness) = reward::toolrl::score(&text, &truth);
        prop_assert!(format == 0.0 || format == 1.0);
        if truth.tool_calls.is_empty() {
            prop_assert_eq!(correctness, 0.0);
        }
    }

    #[test]
    fn toolrl_reproducing_the_truth_scores_the_maximum(truth in truth(), alias in any::<bool>()) {
        prop_assume!(!truth.tool_calls.is_empty());
        let key = if alias { "arguments" } else { "parameters" };
        let lines: Vec<String> = truth
            .tool_calls
            .iter()
            .map(|c| json!({"name": c.name, key: c.arguments}).to_string())
            .collect();
        let mut text = format!("<think>ok</think>\n<tool_call>\n{}\n</tool_call>", lines.join("\n"));
        if let Some(r) = &truth.response {
            text.push_str(&format!("\n<response>{r}</response>"));
        }
        prop_assert_eq!(reward::toolrl::score(&text, &truth), (1.0, 3.0));
    }

    #[test]
    fn exact_and_bfcl_accept_the_truth_itself(truth in truth(), sigs in sigs()) {
        let parsed = ParseResult {
            calls: truth.tool_calls.clone(),
            reasoning: Some(String::new()),
            answer: None,
            failure: if truth.tool_calls.is_empty() { FailureClass::NoCall } else { FailureClass::Ok },
            issues: vec![],
            format: None,
        };
        prop_assert_eq!(reward::score(RewardKind::Exact, "", &parsed, &truth, &sigs).total, 1.0);
        // bfcl derives its possible answers from tool_calls when `acceptable` is absent; without
        // schemas every value is checked against [itself], which always passes.
        let derived = GroundTruth { acceptable: None, ..truth };
        prop_assert_eq!(reward::score(RewardKind::Bfcl, "", &parsed, &derived, &[]).total, 1.0);
    }

    #[test]
    fn ground_truth_round_trips_or_errors_cleanly(v in value()) {
        // Arbitrary JSON is either a valid answer or an InvalidSpec, never a panic.
        let _ = GroundTruth::from_json(&v);
        let _ = GroundTruth::from_json(&json!({"tool_calls": [v.clone()], "acceptable": v}));
        let _ = bfcl::signatures_from_json(&json!([{"name": "f", "parameters": v}]));
    }
}
