//! Fuzz target of the tool-call parser: random and mutated inputs, checked for panics and for the
//! invariants of a parse. CI runs `fuzz_smoke` (20 000 inputs); the full run is
//!
//! ```text
//! AWPO_FUZZ_CASES=1000000 cargo test --release -p awpo-core --test toolcall_fuzz -- --ignored --nocapture
//! ```
//! (docs/TESTING.md "Parser fuzzing"). `AWPO_FUZZ_SEED` picks the seed (default 1).
mod common;

use awpo_core::toolcall::{ParseOptions, ToolCall, ToolSchema, parse, parse_toolset};
use common::{FORMATS, FRAGMENTS, check_invariants, mutate, render};
use serde_json::{Map, Number, Value, json};
use std::time::Instant;

/// SplitMix64: small, fast, good enough to drive a fuzzer.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const NAMES: [&str; 5] = ["get_weather", "search", "f", "math.add", "unknown"];
const KEYS: [&str; 6] = ["city", "q", "k", "unit", "x", "days"];
const CHARS: [char; 24] = [
    'a', 'Z', '0', '9', ' ', '\n', '"', '\'', '\\', '<', '>', '{', '}', '[', ']', '(', ')', ',',
    ':', '=', '.', 'é', '😀', '\u{0}',
];

fn value(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth >= 3 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.next() & 1 == 1),
        2 => Value::Number((rng.next() as i64 >> rng.below(60)).into()),
        3 => Number::from_f64(f64::from_bits(rng.next())).map_or(Value::Null, Value::Number),
        4 | 5 => Value::String(
            (0..rng.below(10))
                .map(|_| CHARS[rng.below(CHARS.len())])
                .filter(|c| *c != '<')
                .collect(),
        ),
        6 => Value::Array((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
        _ => Value::Object(
            (0..rng.below(4))
                .map(|_| {
                    (
                        KEYS[rng.below(KEYS.len())].to_owned(),
                        value(rng, depth + 1),
                    )
                })
                .collect(),
        ),
    }
}

fn calls(rng: &mut Rng) -> Vec<ToolCall> {
    (0..1 + rng.below(3))
        .map(|_| ToolCall {
            name: NAMES[rng.below(NAMES.len())].to_owned(),
            arguments: (0..rng.below(4))
                .map(|_| (KEYS[rng.below(KEYS.len())].to_owned(), value(rng, 0)))
                .collect::<Map<_, _>>(),
        })
        .collect()
}

fn input(rng: &mut Rng) -> (String, bool) {
    match rng.below(4) {
        // Random characters, tag-heavy.
        0 => (
            (0..rng.below(200))
                .map(|_| CHARS[rng.below(CHARS.len())])
                .collect(),
            rng.next() & 1 == 1,
        ),
        // Fragment soup.
        1 => (
            (0..rng.below(40))
                .map(|_| FRAGMENTS[rng.below(FRAGMENTS.len())])
                .collect(),
            rng.next() & 1 == 1,
        ),
        // Valid outputs, mutated 1-6 times.
        _ => {
            let c = calls(rng);
            let think = (rng.next() & 1 == 1).then_some("I should call a tool.");
            let resp = (rng.below(4) == 0).then_some("Done.");
            let mut s = render(&c, FORMATS[rng.below(FORMATS.len())], think, resp);
            let mut cut = false;
            for _ in 0..1 + rng.below(6) {
                let (op, a, b, cc) = (
                    rng.next() as u8,
                    rng.below(1 << 16),
                    rng.below(1 << 16),
                    rng.below(1 << 16),
                );
                cut |= mutate(&mut s, op, a, b, cc);
            }
            (s, cut)
        }
    }
}

fn tools() -> Vec<ToolSchema> {
    parse_toolset(&json!([
        {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}, "days": {"type": "integer"}}, "required": ["city"]}},
        {"name": "search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}, "k": {"type": "integer"}, "x": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "number"}}}}}}},
        {"name": "math.add", "parameters": {"type": "object", "properties": {"x": {"type": "number"}, "k": {"type": "boolean"}}}}
    ]))
    .unwrap_or_default()
}

fn run(cases: u64) {
    let seed = std::env::var("AWPO_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut rng = Rng(seed);
    let tools = tools();
    let t0 = Instant::now();
    let mut bytes = 0usize;
    for i in 0..cases {
        let (s, cut) = input(&mut rng);
        bytes += s.len();
        // Half the inputs are checked against schemas, half without.
        let ts: &[ToolSchema] = if i % 2 == 0 { &tools } else { &[] };
        let r = parse(&s, ts, &ParseOptions { truncated: cut });
        check_invariants(&r);
    }
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "fuzz: {cases} inputs ({:.1} MB) in {secs:.1} s, seed {seed}",
        bytes as f64 / 1e6
    );
}

#[test]
fn fuzz_smoke() {
    run(20_000);
}

#[test]
#[ignore = "10^6 inputs: run with --release --ignored (docs/TESTING.md)"]
fn fuzz_million() {
    let cases = std::env::var("AWPO_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    run(cases);
}
