//! Golden tests of the `rubric` judge (every value computed by hand from the criteria in
//! `awpo_core::judge::rubric`), and properties: the score is in `[0, 1]` and never panics.
use awpo_core::judge::rubric::{RubricCall, RubricItem, RubricScore, score_batch, score_item};
use proptest::prelude::*;
use serde_json::{Value, json};

fn call(name: &str, arguments: Value) -> RubricCall {
    RubricCall {
        name: name.into(),
        arguments,
    }
}

fn item(request: &str, tools: &[&str], reasoning: &str, calls: Vec<RubricCall>) -> RubricItem {
    RubricItem {
        request: request.into(),
        context: request.into(),
        tools: tools.iter().map(|t| t.to_string()).collect(),
        reasoning: reasoning.into(),
        calls,
    }
}

fn convert_call(amount: Value) -> RubricCall {
    call(
        "convert_currency",
        json!({"amount": amount, "from": "USD", "to": "EUR"}),
    )
}

const TOOLS: &[&str] = &["convert_currency", "get_rate"];

fn assert_close(got: RubricScore, want: [f64; 6]) {
    let got6 = [
        got.score,
        got.intent,
        got.tool_choice,
        got.grounding,
        got.consistency,
        got.originality,
    ];
    for (g, w) in got6.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "got {got6:?}, want {want:?}");
    }
}

#[test]
fn right_reasoning_scores_one() {
    // intent: U = {convert, 20, usd, eur}, all in the reasoning -> 1; tools named = called -> 1;
    // each leaf grounded and named -> 1; no abstention -> 1; original -> 1; score 1
    let it = item(
        "Convert 20 USD to EUR please.",
        TOOLS,
        "The user wants 20 USD in EUR. convert_currency does this with amount 20, from USD to EUR.",
        vec![convert_call(json!(20))],
    );
    assert_close(score_item(&it, true), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
}

#[test]
fn invented_value_costs_grounding() {
    // leaf 25 is not grounded: min grounded 0; every leaf named: grounding (0 + 1) / 2 = 0.5;
    // mean = 4.5 / 5 = 0.9, min 0.5, score = (0.9 + 0.5) / 2 = 0.7
    let it = item(
        "Convert 20 USD to EUR please.",
        TOOLS,
        "The user wants 25 USD in EUR. convert_currency does this.",
        vec![convert_call(json!(25))],
    );
    assert_close(score_item(&it, true), [0.7, 1.0, 1.0, 0.5, 1.0, 1.0]);
}

#[test]
fn argued_abstention() {
    // U = {book, flight}; the reasoning has "flight" only ("booked" is another token) -> 0.5;
    // abstention argued ("did not give", "must not", "will ask") -> tool_choice 1, consistency 1;
    // mean = 4.5 / 5 = 0.9, min 0.5 -> 0.7
    let it = item(
        "Book me a flight.",
        &["book_flight"],
        "The user wants a flight booked but did not give the date or cities; I must not guess, so I will ask.",
        vec![],
    );
    assert_close(score_item(&it, true), [0.7, 0.5, 1.0, 1.0, 1.0, 1.0]);
}

#[test]
fn planned_call_not_made() {
    // names convert_currency, argues no abstention, makes no call: tool_choice 0, consistency 0;
    // mean 3 / 5, min 0 -> 0.3
    let it = item(
        "Convert 20 USD to EUR.",
        TOOLS,
        "convert_currency with 20 USD to EUR.",
        vec![],
    );
    assert_close(score_item(&it, true), [0.3, 1.0, 0.0, 1.0, 0.0, 1.0]);
}

#[test]
fn abstention_argued_but_call_made() {
    // tool_choice: no offered tool named -> 1; "will not call" -> consistency 0; leaves grounded
    // (min 1) but not named (mean 0) -> grounding 0.5; intent: U = {convert, 20, usd, eur}, reasoning
    // tokens {no, tool, does, this, so, i, will, not, call, convert} -> 1 hit -> 0.5;
    // mean = (0.5 + 1 + 0.5 + 0 + 1) / 5 = 0.6, min 0 -> 0.3
    let it = item(
        "Convert 20 USD to EUR.",
        TOOLS,
        "No tool does this, so I will not call; convert.",
        vec![convert_call(json!(20))],
    );
    assert_close(score_item(&it, true), [0.3, 0.5, 1.0, 0.5, 0.0, 1.0]);
}

#[test]
fn contradicted_tool_choice() {
    // named {get_rate}, called {convert_currency}: |N ∩ C| / |N| = 0; rest 1 -> mean 0.8, min 0 -> 0.4
    let it = item(
        "Convert 20 USD to EUR.",
        TOOLS,
        "20 USD to EUR: get_rate fits.",
        vec![convert_call(json!(20))],
    );
    assert_close(score_item(&it, true), [0.4, 1.0, 0.0, 1.0, 1.0, 1.0]);
}

#[test]
fn unnamed_called_tool_is_no_contradiction() {
    // N = {get_location} (get_weather unnamed), C = {get_location, get_weather}: 1 / 1 = 1;
    // N = {get_location, get_weather}, C = {get_location}: 1 / 2 -> mean 4.5 / 5, min 0.5 -> 0.7
    let mut it = item(
        "Where am I?",
        &["get_location", "get_weather"],
        "Where: get_location first.",
        vec![
            call("get_location", json!({})),
            call("get_weather", json!({})),
        ],
    );
    assert_close(score_item(&it, true), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
    it.reasoning = "Where: get_location, then get_weather.".into();
    it.calls.pop();
    assert_close(score_item(&it, true), [0.7, 1.0, 0.5, 1.0, 1.0, 1.0]);
}

#[test]
fn grounded_in_a_tool_result() {
    // U = {weather}; "Oslo" is grounded by the tool result in the context
    let mut it = item(
        "What is the weather where I am?",
        &["get_location", "get_weather"],
        "get_location returned Oslo; now get_weather for Oslo.",
        vec![
            call("get_location", json!({})),
            call("get_weather", json!({"city": "Oslo"})),
        ],
    );
    it.context = format!("{}\n{{\"city\": \"Oslo\"}}", it.request);
    assert_close(score_item(&it, true), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
    // without the tool result, "Oslo" is invented: grounding 0.5; mean 0.9, min 0.5 -> 0.7
    it.context = it.request.clone();
    assert_close(score_item(&it, true), [0.7, 1.0, 1.0, 0.5, 1.0, 1.0]);
}

#[test]
fn boilerplate_copied_across_requests() {
    // the same text for two requests: originality 0 for both. First item: intent 0 (no request
    // token), tool_choice 1 (no tool named), grounding 0.5 (grounded, not named), consistency 1;
    // mean (0 + 1 + 0.5 + 1 + 0) / 5 = 0.5, min 0 -> 0.25
    let text = "I will use the right tool with the values given.";
    let items = [
        item(
            "Convert 20 USD to EUR.",
            TOOLS,
            text,
            vec![convert_call(json!(20))],
        ),
        item(
            "What is the rate of GBP?",
            TOOLS,
            text,
            vec![call("get_rate", json!({"currency": "GBP"}))],
        ),
    ];
    let scores = score_batch(&items);
    assert_close(scores[0], [0.25, 0.0, 1.0, 0.5, 1.0, 0.0]);
    assert_eq!(scores[1].originality, 0.0);
    // alone in its batch, the same text is original
    assert_eq!(score_batch(&items[..1])[0].originality, 1.0);
}

#[test]
fn blank_reasoning_scores_zero() {
    let it = item(
        "Convert 20 USD to EUR.",
        TOOLS,
        " \n\t",
        vec![convert_call(json!(20))],
    );
    assert_eq!(score_item(&it, true), RubricScore::ZERO);
}

#[test]
fn batch_equals_items_serial_or_parallel() {
    let items: Vec<RubricItem> = (0..200)
        .map(|i| {
            item(
                &format!("Convert {i} USD to EUR."),
                TOOLS,
                &format!("{i} USD in EUR via convert_currency."),
                vec![convert_call(json!(i))],
            )
        })
        .collect();
    let batch = score_batch(&items);
    for (it, s) in items.iter().zip(&batch) {
        assert_eq!(*s, score_item(it, true));
        assert_eq!(s.score, 1.0);
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|v| json!(v)),
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(|v| json!(v)),
        ".{0,12}".prop_map(Value::String),
        Just(Value::Null),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_item() -> impl Strategy<Value = RubricItem> {
    (
        ".{0,40}",
        ".{0,60}",
        prop::collection::vec("[a-z_]{0,8}", 0..4),
        prop_oneof![".{0,80}", "[a-z_ \"\\.0-9]{0,80}"],
        prop::collection::vec(("[a-z_]{0,8}", arb_json()), 0..3),
    )
        .prop_map(|(request, context, tools, reasoning, calls)| RubricItem {
            request,
            context,
            tools,
            reasoning,
            calls: calls
                .into_iter()
                .map(|(name, arguments)| RubricCall { name, arguments })
                .collect(),
        })
}

proptest! {
    #[test]
    fn score_is_in_unit_interval(items in prop::collection::vec(arb_item(), 0..8)) {
        for s in score_batch(&items) {
            prop_assert!((0.0..=1.0).contains(&s.score), "{s:?}");
            for c in s.criteria() {
                prop_assert!((0.0..=1.0).contains(&c), "{s:?}");
            }
            let min = s.criteria().into_iter().fold(1.0f64, f64::min);
            prop_assert!(s.score >= min - 1e-12 || s.score == 0.0);
        }
    }
}
