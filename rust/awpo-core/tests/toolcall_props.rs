//! Property tests of the tool-call parser (proptest; `PROPTEST_CASES=N` sets the case count,
//! 256 by default). The 10^6-input fuzz run is `tests/toolcall_fuzz.rs`.
mod common;

use awpo_core::toolcall::{CallFormat, FailureClass, ParseOptions, ToolCall, parse};
use common::{FORMATS, Fmt, check_invariants, mutate, render};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| Value::Number(i.into())),
        any::<u64>().prop_map(|u| Value::Number(u.into())),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        (-1e6f64..1e6).prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        "[a-zA-Z0-9 _\"'\\\\\n\t\r/{}\\[\\]():,=.é日😀\u{1}\u{7f}-]{0,12}".prop_map(Value::String),
    ]
}

fn key() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,8}"
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn tool_call() -> impl Strategy<Value = ToolCall> {
    (
        "[a-z_][a-z0-9_]{0,8}(\\.[a-z_][a-z0-9_]{0,5})?",
        prop::collection::vec((key(), value()), 0..4),
    )
        .prop_map(|(name, kv)| ToolCall {
            name,
            arguments: kv.into_iter().collect::<Map<_, _>>(),
        })
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,.!?'\"\n]{0,40}"
}

fn format() -> impl Strategy<Value = Fmt> {
    (0..FORMATS.len()).prop_map(|i| FORMATS[i])
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

proptest! {
    /// Rendering calls in any format and parsing gives the calls back, with reasoning and answer.
    #[test]
    fn round_trip(
        calls in prop::collection::vec(tool_call(), 1..4),
        fmt in format(),
        think in prop::option::of(text()),
        response in prop::option::of(text()),
    ) {
        let out = render(&calls, fmt, think.as_deref(), response.as_deref());
        let r = parse(&out, &[], &ParseOptions::default());
        check_invariants(&r);
        prop_assert_eq!(&r.calls, &calls, "{}", out);
        prop_assert_eq!(r.failure, FailureClass::Ok, "{}: {:?}", out, r.issues);
        prop_assert_eq!(r.reasoning.as_deref(), think.as_deref().map(trim));
        prop_assert_eq!(r.answer.as_deref(), response.as_deref().map(trim));
        let want = match fmt {
            Fmt::Pythonic | Fmt::PythonicBlock => CallFormat::Pythonic,
            Fmt::Xml | Fmt::XmlBlock => CallFormat::Xml,
            Fmt::BareArray | Fmt::BareObjects => CallFormat::Json,
            _ => CallFormat::Hermes,
        };
        prop_assert_eq!(r.format, Some(want));
    }

    /// Arbitrary strings never panic and always give a consistent result.
    #[test]
    fn never_panics_on_arbitrary_text(s in any::<String>(), cut in any::<bool>()) {
        check_invariants(&parse(&s, &[], &ParseOptions { truncated: cut }));
    }

    /// Nor on strings made of tag fragments, brackets and quotes.
    #[test]
    fn never_panics_on_fragment_soup(parts in prop::collection::vec(0..common::FRAGMENTS.len(), 0..40), cut in any::<bool>()) {
        let s: String = parts.iter().map(|&i| common::FRAGMENTS[i]).collect();
        check_invariants(&parse(&s, &[], &ParseOptions { truncated: cut }));
    }

    /// Nor on valid outputs with fragments inserted, ranges deleted or duplicated, or cut off.
    #[test]
    fn never_panics_on_mutated_outputs(
        calls in prop::collection::vec(tool_call(), 1..3),
        fmt in format(),
        think in prop::option::of(text()),
        ops in prop::collection::vec((any::<u8>(), any::<usize>(), any::<usize>(), any::<usize>()), 1..6),
    ) {
        let mut s = render(&calls, fmt, think.as_deref(), None);
        let mut cut = false;
        for (op, a, b, c) in ops {
            cut |= mutate(&mut s, op, a, b, c);
        }
        let r = parse(&s, &[], &ParseOptions { truncated: cut });
        check_invariants(&r);
        prop_assert_eq!(&r, &parse(&s, &[], &ParseOptions { truncated: cut }), "deterministic");
    }

    /// A cut-off output never yields more calls than were completely written before the cut.
    #[test]
    fn truncation_never_invents_calls(calls in prop::collection::vec(tool_call(), 1..4), fmt in format(), at in any::<usize>()) {
        let full = render(&calls, fmt, None, None);
        let mut s = full.clone();
        let mut i = at % full.len();
        while !s.is_char_boundary(i) { i -= 1; }
        s.truncate(i);
        let r = parse(&s, &[], &ParseOptions { truncated: true });
        check_invariants(&r);
        prop_assert!(r.calls.len() <= calls.len());
        for (got, want) in r.calls.iter().zip(&calls) {
            prop_assert_eq!(got, want, "a cut call came back changed: {}", s);
        }
        prop_assert!(matches!(r.failure, FailureClass::Truncated | FailureClass::NoCall | FailureClass::Ok | FailureClass::ExtraText), "{:?} for {}", r.failure, s);
    }
}
