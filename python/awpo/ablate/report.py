"""The ablation's results: per-task held-out records of every run, summarised over tasks and seeds.

Rows: the base model (`start`), the warm-up every arm starts from (the reference), then each arm after its
AWPO steps. Columns: held-out exact-call accuracy (all tasks, tasks that expect calls), outcome reward,
reasoning score (the judge's) and well-formed-call rate, each as mean ± std over seeds [95% bootstrap
interval over seeds and tasks] (`awpo.stats`); then exact-call accuracy by task kind; then paired
differences on the same tasks (each arm minus the warm-up, and minus the baseline arm). Written as
`results.json` and `results.md`; `curves.png` plots each arm's training curves (mean over seeds).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from awpo import metric_names as m
from awpo.ablate.runner import FINAL_LABEL, START_LABEL, WARMUP, WARMUP_LABEL, Ablation, RunOutcome, is_finished
from awpo.stats import Summary, paired_differences, summarize
from awpo.train.eval_records import EvalRecord, kind_key, read_records
from awpo.train.report import series
from awpo.train.tracking import METRICS_FILE, read_metrics

RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"
CURVES_PNG = "curves.png"
CI_SEED = 0

# (column title, value of one task's record; NaN = not counted)
Metric = tuple[str, Callable[[EvalRecord], float]]
METRICS: tuple[Metric, ...] = (
    ("exact-call acc", lambda r: float(r.correct)),
    ("exact-call acc (call tasks)", lambda r: float(r.correct) if r.expects_calls else math.nan),
    ("outcome reward", lambda r: r.outcome),
    ("reasoning score", lambda r: r.reasoning),
    ("well-formed calls", lambda r: r.well_formed),
)
DIFF_METRICS = METRICS[:1] + METRICS[2:3]  # exact-call accuracy and outcome reward
# curves per arm: (panel title, metric)
CURVES: tuple[tuple[str, str], ...] = (
    ("training outcome reward", m.REWARD_OUTCOME_MEAN),
    ("training reasoning reward", m.REWARD_REASONING_MEAN),
    ("AWPO gate mean", m.AWPO_GATE_MEAN),
    ("advantage std", m.AWPO_ADVANTAGE_STD),
    ("tool calls per rollout", m.ROLLOUT_TOOL_CALLS_MEAN),
    ("generated tokens per rollout", m.ROLLOUT_GENERATED_TOKENS_MEAN),
)


@dataclass(frozen=True)
class Row:
    """One row of the results: a stage or an arm, with its records per seed (seeds in the same order)."""

    name: str
    seeds: list[int]
    records: list[list[EvalRecord]]


def collect_rows(ablation: Ablation) -> list[Row]:
    """The base model, the warm-up and each arm, over the seeds where they finished."""
    sources: list[tuple[str, str, str]] = [
        ("start (base model)", WARMUP, START_LABEL),
        ("warm-up (reference)", WARMUP, WARMUP_LABEL),
    ]
    sources += [(estimator, estimator, FINAL_LABEL) for estimator in ablation.estimators]
    rows = []
    for name, run, label in sources:
        seeds, records = [], []
        for seed in ablation.seeds:
            try:
                found = read_records(ablation.seed_dir(seed) / run, label)
            except (FileNotFoundError, ValueError, KeyError):
                continue
            if run != WARMUP and not is_finished(ablation.seed_dir(seed) / run, FINAL_LABEL):
                continue
            seeds.append(seed)
            records.append(found)
        rows.append(Row(name, seeds, records))
    return rows


def _values(row: Row, metric: Callable[[EvalRecord], float]) -> list[list[float]]:
    return [[metric(r) for r in records] for records in row.records]


def summarize_rows(rows: Sequence[Row]) -> dict[str, Any]:
    """results.json's content: per row, per metric and per kind, a `Summary`; paired differences."""
    kinds = sorted({kind_key(r.kind) for row in rows for records in row.records for r in records})
    out: dict[str, Any] = {"rows": [], "kinds": kinds, "differences": []}
    for row in rows:
        metrics = {title: summarize(_values(row, f), seed=CI_SEED).to_json() for title, f in METRICS}
        by_kind = {kind: summarize(_values(row, _kind_correct(kind)), seed=CI_SEED).to_json() for kind in kinds}
        tasks = len(row.records[0]) if row.records else 0
        out["rows"].append(
            {"name": row.name, "seeds": row.seeds, "tasks": tasks, "metrics": metrics, "by_kind": by_kind}
        )
    reference = next((r for r in rows if r.name.startswith("warm-up")), None)
    arms = [r for r in rows if not r.name.startswith(("warm-up", "start"))]
    baseline = next((r for r in arms if r.name == "grpo"), None)
    for arm in arms:
        for other in (reference, baseline):
            if other is None or other is arm:
                continue
            diff = _paired(arm, other)
            if diff is not None:
                out["differences"].append({"name": f"{arm.name} - {other.name.split(' ')[0]}", **diff})
    return out


def _kind_correct(kind: str) -> Callable[[EvalRecord], float]:
    return lambda r: float(r.correct) if kind_key(r.kind) == kind else math.nan


def _paired(a: Row, b: Row) -> dict[str, Any] | None:
    """Per-task differences `a - b` over the seeds both have, summarised; None when they share no seed."""
    shared = [s for s in a.seeds if s in b.seeds]
    if not shared:
        return None
    recs_a = [a.records[a.seeds.index(s)] for s in shared]
    recs_b = [b.records[b.seeds.index(s)] for s in shared]
    for ra, rb in zip(recs_a, recs_b, strict=True):
        if [r.id for r in ra] != [r.id for r in rb]:
            raise ValueError(f"{a.name} and {b.name} were evaluated on different tasks; compare like with like")
    metrics = {}
    for title, f in DIFF_METRICS:
        values_a = [[f(r) for r in recs] for recs in recs_a]
        values_b = [[f(r) for r in recs] for recs in recs_b]
        metrics[title] = summarize(paired_differences(values_a, values_b), seed=CI_SEED).to_json()
    return {"seeds": shared, "metrics": metrics}


def markdown(results: dict[str, Any], *, command: str, outcomes: Sequence[RunOutcome]) -> str:
    """results.md: the tables, the command and what happened to each run."""
    lines = [
        "# Ablation results",
        "",
        f"Command: `{command}`",
        "",
        "Each cell: mean ± std over seeds [95% bootstrap CI over seeds, then tasks within seed] "
        "(`awpo.stats`; no ± with one seed). Held-out tasks: greedy, stratified over task kinds.",
        "",
    ]
    titles = [title for title, _ in METRICS]
    lines += _table(
        ["run", "seeds", "tasks", *titles],
        [
            [row["name"], str(len(row["seeds"])), str(row["tasks"]), *(_cell(row["metrics"][t]) for t in titles)]
            for row in results["rows"]
        ],
    )
    kinds = results["kinds"]
    if kinds:
        lines += ["", "Exact-call accuracy by task kind (tasks per kind in the header):", ""]
        counts = _kind_counts(results)
        lines += _table(
            ["run", *(f"{k} ({counts.get(k, 0)})" for k in kinds)],
            [[row["name"], *(_cell(row["by_kind"][k]) for k in kinds)] for row in results["rows"]],
        )
    if results["differences"]:
        diff_titles = [title for title, _ in DIFF_METRICS]
        lines += ["", "Paired differences on the same tasks and seeds (positive: the first is better):", ""]
        lines += _table(
            ["difference", "seeds", *diff_titles],
            [
                [d["name"], str(len(d["seeds"])), *(_cell(d["metrics"][t]) for t in diff_titles)]
                for d in results["differences"]
            ],
        )
    if outcomes:
        lines += ["", "Runs of this invocation:", ""]
        lines += _table(
            ["seed", "run", "status", "attempt", "seconds"],
            [[str(o.seed), o.name, o.status, o.attempt or "–", f"{o.seconds:.0f}"] for o in outcomes],
        )
        for o in outcomes:
            if o.status in ("failed", "stopped"):
                lines += ["", f"seed {o.seed} {o.name} {o.status}: see `{o.log}`"]
    return "\n".join(lines) + "\n"


def _kind_counts(results: dict[str, Any]) -> dict[str, int]:
    for row in results["rows"]:
        if row["seeds"]:
            return {k: int(v["n"] // max(1, len(row["seeds"]))) for k, v in row["by_kind"].items()}
    return {}


def _cell(summary: dict[str, Any]) -> str:
    def num(key: str) -> float:
        value = summary.get(key)
        return float(value) if isinstance(value, (int, float)) else math.nan

    return Summary(num("mean"), num("std"), num("ci_low"), num("ci_high"), seeds=0, n=0).format()


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def plot_arms(ablation: Ablation, path: Path, results: dict[str, Any] | None = None) -> Path | None:
    """Each arm's training curves, mean over its seeds at each step, and (from `results`) each row's held-out
    exact-call accuracy with its 95% interval; None without matplotlib or data."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    curves: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
    for estimator in ablation.estimators:
        records = []
        for seed in ablation.seeds:
            metrics_path = ablation.seed_dir(seed) / estimator / METRICS_FILE
            if metrics_path.is_file():
                records.append(read_metrics(metrics_path))
        if records:
            curves[estimator] = {name: _mean_curve(records, name) for _, name in CURVES}
    panels = [(title, name) for title, name in CURVES if any(c[name][0] for c in curves.values())]
    accuracy = _accuracy_points(results)
    if not panels and not accuracy:
        return None
    cols = 2
    rows = math.ceil((len(panels) + bool(accuracy)) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.2 * rows), squeeze=False)
    for ax, (title, name) in zip(axes.flat, panels, strict=False):
        for estimator, by_name in curves.items():
            steps, values = by_name[name]
            if steps:
                ax.plot(steps, values, marker="o" if len(steps) < 30 else None, markersize=3, label=estimator)
        ax.set_title(title)
        ax.set_xlabel("AWPO step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if accuracy:
        ax = axes.flat[len(panels)]
        names = [name for name, _, _, _ in accuracy]
        means = [mean for _, mean, _, _ in accuracy]
        below = [mean - low for _, mean, low, _ in accuracy]
        above = [high - mean for _, mean, _, high in accuracy]
        ax.errorbar(range(len(names)), means, yerr=[below, above], fmt="o", capsize=4)
        ax.set_xticks(range(len(names)), names, fontsize=7, rotation=15)
        ax.set_title("held-out exact-call accuracy (95% CI)")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels) + bool(accuracy) :]:
        ax.axis("off")
    seeds = ", ".join(str(s) for s in ablation.seeds)
    fig.suptitle(f"arms of the ablation (mean over seeds {seeds})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _accuracy_points(results: dict[str, Any] | None) -> list[tuple[str, float, float, float]]:
    """(row, mean, ci_low, ci_high) of exact-call accuracy for the rows that have one."""
    points = []
    for row in (results or {}).get("rows", []):
        acc = row["metrics"][METRICS[0][0]]
        if all(isinstance(acc.get(k), (int, float)) for k in ("mean", "ci_low", "ci_high")):
            points.append((str(row["name"]), float(acc["mean"]), float(acc["ci_low"]), float(acc["ci_high"])))
    return points


def _mean_curve(runs: Sequence[Sequence[dict[str, Any]]], name: str) -> tuple[list[int], list[float]]:
    """At each AWPO step (> 0), the mean of `name` over the runs that logged it."""
    by_step: dict[int, list[float]] = {}
    for records in runs:
        steps, values = series([r for r in records if int(r.get("step", 0)) > 0], name)
        for step, value in zip(steps, values, strict=True):
            by_step.setdefault(step, []).append(value)
    ordered = sorted(by_step)
    return ordered, [sum(by_step[s]) / len(by_step[s]) for s in ordered]


def write_results(ablation: Ablation, *, command: str, outcomes: Sequence[RunOutcome]) -> dict[str, Any]:
    """results.json, results.md and curves.png in the ablation directory; returns results.json's content."""
    results = summarize_rows(collect_rows(ablation))
    results["command"] = command
    results["estimators"] = ablation.estimators
    results["seeds"] = ablation.seeds
    results["runs"] = [o.to_json() for o in outcomes]
    plot = plot_arms(ablation, ablation.out / CURVES_PNG, results)
    results["plot"] = str(plot) if plot is not None else None
    (ablation.out / RESULTS_JSON).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    (ablation.out / RESULTS_MD).write_text(markdown(results, command=command, outcomes=outcomes), encoding="utf-8")
    return results
