//! Parser throughput (MB/s, one thread) on typical outputs of each format.
//!
//! `cargo bench -p awpo-core --bench parser` (figures in docs/BENCHMARKS.md "Parser").
//! Each group parses a fixed set of 64 outputs; "hermes" is the target case: a think block and
//! one or two `<tool_call>` JSON blocks, 300-600 bytes, checked against the task's schemas.
//! Groups `parse/…` are timed by the wall clock, groups `parse-cpu/…` by the thread's CPU time,
//! which stays meaningful on a machine shared with other jobs.
use awpo_core::toolcall::{FailureClass, ParseOptions, ToolSchema, parse, parse_toolset};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;

const CITIES: [&str; 8] = [
    "Paris", "Rome", "Berlin", "Tokyo", "Lima", "Oslo", "Cairo", "Quito",
];

fn tools() -> Vec<ToolSchema> {
    parse_toolset(&json!([
        {"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}, "days": {"type": "integer"}}, "required": ["city"]}}},
        {"type": "function", "function": {"name": "search_flights", "description": "Flights between two cities",
            "parameters": {"type": "object", "properties": {"origin": {"type": "string"}, "destination": {"type": "string"}, "date": {"type": "string"}, "max_price": {"type": "number"}}, "required": ["origin", "destination"]}}}
    ]))
    .unwrap_or_default()
}

fn reasoning(i: usize) -> String {
    let c = CITIES[i % 8];
    let extra = " I should double-check the units the user prefers before answering.".repeat(i % 4);
    format!(
        "The user asks about the weather in {c} and wants to plan a trip there from {}. I need the \
         current conditions first, then the flight options for the dates they mentioned.{extra}",
        CITIES[(i + 3) % 8]
    )
}

fn hermes(i: usize) -> String {
    let c = CITIES[i % 8];
    let mut s = format!(
        "<think>\n{}\n</think>\n<tool_call>\n{{\"name\": \"get_weather\", \"arguments\": {{\"city\": \"{c}\", \"unit\": \"celsius\", \"days\": {}}}}}\n</tool_call>",
        reasoning(i),
        1 + i % 5
    );
    if i % 2 == 0 {
        s.push_str(&format!(
            "\n<tool_call>\n{{\"name\": \"search_flights\", \"arguments\": {{\"origin\": \"{}\", \"destination\": \"{c}\", \"date\": \"2026-12-0{}\", \"max_price\": {}.5}}}}\n</tool_call>",
            CITIES[(i + 3) % 8],
            1 + i % 9,
            200 + i
        ));
    }
    s
}

fn pythonic(i: usize) -> String {
    let c = CITIES[i % 8];
    format!(
        "[get_weather(city='{c}', unit=\"celsius\", days={}), search_flights(origin='{}', destination='{c}', date='2026-12-0{}', max_price={}.5)]",
        1 + i % 5,
        CITIES[(i + 3) % 8],
        1 + i % 9,
        200 + i
    )
}

fn bare_json(i: usize) -> String {
    let c = CITIES[i % 8];
    format!(
        "<think>\n{}\n</think>\n[{{\"name\": \"get_weather\", \"arguments\": {{\"city\": \"{c}\", \"unit\": \"celsius\"}}}}, {{\"name\": \"search_flights\", \"arguments\": {{\"origin\": \"{}\", \"destination\": \"{c}\"}}}}]",
        reasoning(i),
        CITIES[(i + 3) % 8]
    )
}

fn xml(i: usize) -> String {
    let c = CITIES[i % 8];
    format!(
        "<tool_call>\n<function=get_weather>\n<parameter=city>\n{c}\n</parameter>\n<parameter=unit>\ncelsius\n</parameter>\n<parameter=days>\n{}\n</parameter>\n</function>\n</tool_call>\n<tool_call>\n<function=search_flights>\n<parameter=origin>\n{}\n</parameter>\n<parameter=destination>\n{c}\n</parameter>\n<parameter=max_price>\n{}.5\n</parameter>\n</function>\n</tool_call>",
        1 + i % 5,
        CITIES[(i + 3) % 8],
        200 + i
    )
}

fn answer(i: usize) -> String {
    format!(
        "<think>\n{}\n</think>\n<response>It is sunny in {} today, 21 degrees.</response>",
        reasoning(i),
        CITIES[i % 8]
    )
}

/// CPU time of the calling thread, in nanoseconds (criterion runs the routine on that thread).
struct ThreadCpuTime(WallTime);

#[allow(unsafe_code)] // one libc call; see SAFETY
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, exclusively borrowed timespec for the call to write into, and
    // CLOCK_THREAD_CPUTIME_ID is a clock Linux always provides.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) };
    if rc != 0 {
        return 0;
    }
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, i: u64) -> u64 {
        thread_cpu_ns().saturating_sub(i)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    #[allow(clippy::cast_precision_loss)] // nanoseconds, far below 2^52
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Values are nanoseconds, as for the wall clock: reuse its formatter.
        self.0.formatter()
    }
}

fn bench_group<M: Measurement>(
    c: &mut Criterion<M>,
    name: &str,
    make: fn(usize) -> String,
    tools: &[ToolSchema],
) {
    let texts: Vec<String> = (0..64).map(make).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    // The inputs must parse cleanly, or the bench measures an error path.
    for t in &texts {
        let r = parse(t, tools, &ParseOptions::default());
        assert!(
            matches!(r.failure, FailureClass::Ok | FailureClass::NoCall),
            "{name}: {:?} for {t}",
            r.issues
        );
    }
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function(format!("{} B avg", bytes / texts.len()), |b| {
        b.iter(|| {
            for t in &texts {
                black_box(parse(black_box(t), tools, &ParseOptions::default()));
            }
        });
    });
    g.finish();
}

fn all<M: Measurement>(c: &mut Criterion<M>, prefix: &str) {
    let t = tools();
    bench_group(c, &format!("{prefix}/hermes+schema"), hermes, &t);
    bench_group(c, &format!("{prefix}/hermes"), hermes, &[]);
    bench_group(c, &format!("{prefix}/pythonic+schema"), pythonic, &t);
    bench_group(c, &format!("{prefix}/bare_json+schema"), bare_json, &t);
    bench_group(c, &format!("{prefix}/xml+schema"), xml, &t);
    bench_group(c, &format!("{prefix}/answer_only"), answer, &t);
}

fn wall(c: &mut Criterion) {
    all(c, "parse");
}

fn cpu(c: &mut Criterion<ThreadCpuTime>) {
    all(c, "parse-cpu");
}

criterion_group!(wall_clock, wall);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ThreadCpuTime(WallTime));
    targets = cpu
}
criterion_main!(wall_clock, cpu_time);
