//! `awpo-bench`: throughput of awpo's reward pipeline from Rust alone.
//!
//! Reads a JSONL of rollouts, one object per line — `{"group", "text", "answer", "tools"}` plus an
//! optional `"truncated": bool` (`benches/make_rollouts.py` writes such files) — and times three
//! stages over the whole batch: **parse** (tool calls, reasoning, failure class, schema checks),
//! **reward** (the outcome reward from the parses), and **advantage** (group-relative GRPO
//! advantages with `awpo_core::advantage`, groups by `group`). Each stage runs `--repeat` times and
//! the fastest run is reported, as rollouts/s and MB/s of model text, per stage and in total.
//! Lines that are not valid rollouts are skipped, counted and reported (the first few with their
//! reason) on stderr.
//!
//! ```text
//! awpo-bench ROLLOUTS.jsonl [--kind toolrl|exact|bfcl] [--threads N | --serial] [--repeat R]
//! ```
use awpo_core::advantage::{self, AdvantageConfig, Estimator};
use awpo_core::reward::batch::{parse_rollouts, score_rollouts};
use awpo_core::reward::{GroundTruth, RewardKind, Rollouts, Toolset};
use awpo_core::toolcall::FailureClass;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: awpo-bench ROLLOUTS.jsonl [--kind toolrl|exact|bfcl] [--threads N | --serial] [--repeat R]";

/// Bad lines reported one by one before only counting.
const SHOWN_BAD_LINES: usize = 5;

#[derive(Debug)]
struct Args {
    path: String,
    kind: RewardKind,
    threads: Option<usize>,
    serial: bool,
    repeat: usize,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        path: String::new(),
        kind: RewardKind::ToolRl,
        threads: None,
        serial: false,
        repeat: 3,
    };
    let number = |flag: &str, v: Option<String>| -> Result<usize, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
        match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{flag} must be a positive integer, got {v:?}")),
        }
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kind" => {
                let v = it.next().ok_or("--kind needs a value")?;
                args.kind = v.parse().map_err(|e: awpo_core::Error| e.to_string())?;
            }
            "--threads" => args.threads = Some(number("--threads", it.next())?),
            "--serial" => args.serial = true,
            "--repeat" => args.repeat = number("--repeat", it.next())?,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            path if args.path.is_empty() => args.path = path.to_owned(),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    if args.path.is_empty() {
        return Err("missing the rollouts file".into());
    }
    if args.serial && args.threads.is_some() {
        return Err("--serial and --threads exclude each other".into());
    }
    Ok(args)
}

/// The batch as the stages need it, rollouts ordered by group.
#[derive(Default)]
struct Batch {
    texts: Vec<String>,
    truths: Vec<GroundTruth>,
    truth_index: Vec<usize>,
    toolsets: Vec<Toolset>,
    toolset_index: Vec<usize>,
    truncated: Vec<bool>,
    /// Group `k` is rollouts `offsets[k]..offsets[k+1]`.
    offsets: Vec<usize>,
    text_bytes: usize,
    lines: usize,
    bad: usize,
}

/// One valid line, before grouping.
struct Row {
    group: usize,
    text: String,
    truth: usize,
    toolset: usize,
    truncated: bool,
}

#[derive(Default)]
struct Interner {
    groups: HashMap<String, usize>,
    truths: HashMap<String, usize>,
    toolsets: HashMap<String, usize>,
}

fn read_row(line: &str, batch: &mut Batch, seen: &mut Interner) -> Result<Row, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(mut obj) = v else {
        return Err("not a JSON object".into());
    };
    let group = obj.remove("group").ok_or("no `group`")?;
    let text = match obj.remove("text") {
        Some(Value::String(s)) => s,
        _ => return Err("`text` is missing or not a string".into()),
    };
    let truncated = match obj.remove("truncated") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err("`truncated` is not a boolean".into()),
    };
    let answer = obj.remove("answer").ok_or("no `answer`")?;
    let tools = obj.remove("tools").unwrap_or(Value::Array(Vec::new()));
    // Rollouts of a group share answer and tools: compile each distinct one once.
    let key = answer.to_string();
    let truth = match seen.truths.get(&key) {
        Some(&i) => i,
        None => {
            let t = GroundTruth::from_json(&answer).map_err(|e| e.to_string())?;
            batch.truths.push(t);
            seen.truths.insert(key, batch.truths.len() - 1);
            batch.truths.len() - 1
        }
    };
    let key = tools.to_string();
    let toolset = match seen.toolsets.get(&key) {
        Some(&i) => i,
        None => {
            let t = Toolset::from_json(&tools).map_err(|e| format!("tools: {e}"))?;
            batch.toolsets.push(t);
            seen.toolsets.insert(key, batch.toolsets.len() - 1);
            batch.toolsets.len() - 1
        }
    };
    let n_groups = seen.groups.len();
    let group = *seen.groups.entry(group.to_string()).or_insert(n_groups);
    Ok(Row {
        group,
        text,
        truth,
        toolset,
        truncated,
    })
}

fn load(path: &str) -> std::io::Result<Batch> {
    let file = std::fs::File::open(path)?;
    let mut batch = Batch::default();
    let mut seen = Interner::default();
    let mut rows = Vec::new();
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line?;
        batch.lines += 1;
        let result = match std::str::from_utf8(&line) {
            Ok(s) if s.trim().is_empty() => continue,
            Ok(s) => read_row(s, &mut batch, &mut seen),
            Err(_) => Err("not UTF-8".into()),
        };
        match result {
            Ok(row) => rows.push(row),
            Err(why) => {
                batch.bad += 1;
                if batch.bad <= SHOWN_BAD_LINES {
                    eprintln!("awpo-bench: skipping line {}: {why}", i + 1);
                }
            }
        }
    }
    // Group rollouts together (stable: order within a group is kept).
    rows.sort_by_key(|r| r.group);
    batch.offsets.push(0);
    for (i, r) in rows.iter().enumerate() {
        if i > 0 && rows[i - 1].group != r.group {
            batch.offsets.push(i);
        }
    }
    if !rows.is_empty() {
        batch.offsets.push(rows.len());
    }
    for r in rows {
        batch.text_bytes += r.text.len();
        batch.texts.push(r.text);
        batch.truth_index.push(r.truth);
        batch.toolset_index.push(r.toolset);
        batch.truncated.push(r.truncated);
    }
    Ok(batch)
}

/// Fastest of the runs.
fn best(times: &[Duration]) -> f64 {
    times.iter().min().map_or(f64::NAN, Duration::as_secs_f64)
}

fn run(args: &Args) -> Result<(), String> {
    if args.serial {
        awpo_core::par::set_parallelism(false);
    } else if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| format!("cannot start {n} threads: {e}"))?;
    }
    let threads = if awpo_core::par::is_parallel() {
        rayon::current_num_threads()
    } else {
        1
    };
    let t0 = Instant::now();
    let batch = load(&args.path).map_err(|e| format!("{}: {e}", args.path))?;
    let load_s = t0.elapsed().as_secs_f64();
    let n = batch.texts.len();
    if n == 0 {
        return Err(format!(
            "{}: no valid rollouts ({} lines, {} bad)",
            args.path, batch.lines, batch.bad
        ));
    }
    let texts: Vec<&str> = batch.texts.iter().map(String::as_str).collect();
    let rollouts = Rollouts {
        texts: &texts,
        truths: &batch.truths,
        truth_index: &batch.truth_index,
        toolsets: &batch.toolsets,
        toolset_index: &batch.toolset_index,
        truncated: &batch.truncated,
    };
    let (lo, hi) = args.kind.range();
    let cfg = AdvantageConfig::default()
        .with_estimator(Estimator::Grpo)
        .with_outcome_range(lo, hi);
    let no_judge = vec![f64::NAN; n];
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut last = None;
    for _ in 0..args.repeat {
        let t = Instant::now();
        let parsed = parse_rollouts(&rollouts).map_err(|e| e.to_string())?;
        times[0].push(t.elapsed());
        let t = Instant::now();
        let rewards = score_rollouts(args.kind, &rollouts, &parsed).map_err(|e| e.to_string())?;
        times[1].push(t.elapsed());
        let t = Instant::now();
        let adv = advantage::compute(&rewards.total, &no_judge, &batch.offsets, &cfg)
            .map_err(|e| e.to_string())?;
        times[2].push(t.elapsed());
        last = Some((rewards, adv));
    }
    let Some((rewards, adv)) = last else {
        return Err("no run".into());
    };

    let mb = batch.text_bytes as f64 / 1e6;
    let mut out = std::io::stdout().lock();
    let mut report = || -> std::io::Result<()> {
        writeln!(
            out,
            "awpo-bench: {n} rollouts in {} groups, {mb:.1} MB of text, reward {}, {threads} thread(s), best of {}",
            batch.offsets.len() - 1,
            args.kind,
            args.repeat
        )?;
        writeln!(
            out,
            "input: {} lines, {} bad (skipped), loaded in {load_s:.2} s; {} distinct answers, {} distinct tool sets",
            batch.lines,
            batch.bad,
            batch.truths.len(),
            batch.toolsets.len()
        )?;
        writeln!(
            out,
            "{:<10} {:>10} {:>14} {:>10}",
            "stage", "seconds", "rollouts/s", "MB/s"
        )?;
        let stages = [
            ("parse", best(&times[0])),
            ("reward", best(&times[1])),
            ("advantage", best(&times[2])),
        ];
        let total: f64 = stages.iter().map(|(_, s)| s).sum();
        for (name, s) in stages.into_iter().chain([("total", total)]) {
            writeln!(
                out,
                "{name:<10} {s:>10.4} {:>14.0} {:>10.1}",
                n as f64 / s,
                mb / s
            )?;
        }
        let mean = rewards.total.iter().sum::<f64>() / n as f64;
        let mean_abs_adv = adv.advantage.iter().map(|a| a.abs()).sum::<f64>() / n as f64;
        let tied = adv.tied.iter().filter(|&&t| t).count();
        writeln!(
            out,
            "reward mean {mean:.3} in [{lo}, {hi}]; mean |advantage| {mean_abs_adv:.3}; {tied} of {} groups tied",
            adv.tied.len()
        )?;
        let mut classes: Vec<String> = FailureClass::ALL
            .iter()
            .map(|c| {
                let k = rewards.failure.iter().filter(|&&f| f == *c).count();
                format!("{} {:.1}%", c.as_str(), 100.0 * k as f64 / n as f64)
            })
            .collect();
        classes.retain(|s| !s.ends_with(" 0.0%"));
        writeln!(out, "parse failures: {}", classes.join(", "))
    };
    report().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("awpo-bench: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("awpo-bench: {msg}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<Args, String> {
        parse_args(v.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn reads_options() {
        let a = args(&[
            "f.jsonl",
            "--kind",
            "bfcl",
            "--threads",
            "2",
            "--repeat",
            "5",
        ])
        .unwrap();
        assert_eq!(
            (a.path.as_str(), a.kind, a.threads, a.serial, a.repeat),
            ("f.jsonl", RewardKind::Bfcl, Some(2), false, 5)
        );
        assert!(args(&["f", "--serial"]).unwrap().serial);
        assert!(args(&[]).is_err());
        assert!(
            args(&["f", "--kind", "grpo"])
                .unwrap_err()
                .contains("toolrl, exact, bfcl")
        );
        assert!(args(&["f", "--threads", "0"]).is_err());
        assert!(args(&["f", "--serial", "--threads", "2"]).is_err());
        assert!(args(&["f", "g"]).is_err());
    }

    #[test]
    fn loads_groups_and_counts_bad_lines() {
        let dir = std::env::temp_dir().join(format!("awpo-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.jsonl");
        let good = |g: &str, text: &str| {
            serde_json::json!({"group": g, "text": text, "answer": {"tool_calls": [{"name": "f"}]}, "tools": []}).to_string()
        };
        let lines = [
            good("b", "1"),
            good("a", "2"),
            "{not json".to_owned(),
            good("b", "3"),
            r#"{"group": 1, "text": "x", "answer": {"tool_calls": 3}}"#.to_owned(),
            String::new(),
            r#"{"group": 1, "answer": {}}"#.to_owned(),
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let batch = load(path.to_str().unwrap()).unwrap();
        // Group b (first seen) holds rollouts 1 and 3, group a rollout 2.
        assert_eq!(batch.texts, vec!["1", "3", "2"]);
        assert_eq!(batch.offsets, vec![0, 2, 3]);
        assert_eq!((batch.lines, batch.bad), (7, 3));
        assert_eq!(batch.truths.len(), 1);
        assert_eq!(batch.toolsets.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
