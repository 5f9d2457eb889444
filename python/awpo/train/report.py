"""End-of-run report: a summary table (rich) and a PNG plot of the training curves."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from awpo import metric_names as m
from awpo.metric_names import TIME_STAGES, TIME_STEP, time_stage
from awpo.train.eval_records import with_ci

# Panels of the plot: (title, metric names). Missing metrics are skipped, so a GRPO run (no gate)
# still gets its reward panels.
PLOT_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("outcome reward", (m.REWARD_OUTCOME_MEAN, m.EVAL_REWARD_OUTCOME_MEAN)),
    ("reward components", (m.reward_outcome_component("format"), m.reward_outcome_component("correctness"))),
    ("reasoning reward (judge)", (m.REWARD_REASONING_MEAN,)),
    ("AWPO gate and weight", (m.AWPO_GATE_MEAN, m.AWPO_WEIGHT_MEAN)),
    ("clipping", (m.AWPO_CLIP_BOUND_HIT_FRAC, m.POLICY_RATIO_CLIP_FRAC)),
    ("held-out exact-call accuracy", (m.EVAL_EXACT_CALL_ACC,)),
)


def series(records: Sequence[dict[str, Any]], name: str) -> tuple[list[int], list[float]]:
    """(steps, values) of one metric, skipping records without a finite value."""
    steps, values = [], []
    for r in records:
        v = r.get(name)
        if isinstance(v, (int, float)) and math.isfinite(v):
            steps.append(int(r["step"]))
            values.append(float(v))
    return steps, values


def plot_curves(records: Sequence[dict[str, Any]], path: str | Path) -> Path | None:
    """Write the training-curve PNG; returns None (and writes nothing) when matplotlib is absent."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    panels = [(t, [n for n in names if series(records, n)[0]]) for t, names in PLOT_PANELS]
    panels = [(t, names) for t, names in panels if names]
    if not panels:
        return None
    cols = 2
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.2 * rows), squeeze=False)
    for ax, (title, names) in zip(axes.flat, panels, strict=False):
        for name in names:
            steps, values = series(records, name)
            ax.plot(steps, values, marker="o" if len(steps) < 30 else None, markersize=3, label=name)
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def summary_table(rows: Sequence[tuple[str, dict[str, float]]], columns: Sequence[str], title: str) -> Table:
    """A table with one row per stage (e.g. start / after warm-up / after AWPO) and one column per metric;
    a metric logged with its interval (`<name>/ci_low`, `<name>/ci_high`: the accuracies) shows it as
    `value [low, high]`."""
    table = Table(title=title)
    table.add_column("stage")
    for column in columns:
        # "eval/reward/outcome/mean" -> "reward/outcome/mean", folded rather than cut on a narrow terminal
        table.add_column(column.split("/", 1)[-1], justify="right", overflow="fold")
    for stage, values in rows:
        table.add_row(stage, *(with_ci(values, c) for c in columns))
    return table


# Rows of the time-split table: (label, stage). `tools` runs inside `rollout`, so it is not added to the sum.
TIME_ROWS: tuple[tuple[str, str], ...] = (
    ("rollout", "rollout"),
    ("  of which tools", "tools"),
    ("judge (wait)", "judge_wait"),
    ("rewards", "rewards"),
    ("old log-probs", "old_logprobs"),
    ("advantages", "advantages"),
    ("update", "update"),
    ("sync", "sync"),
)


def time_split(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Mean seconds per step of each stage over the records that carry a step time (the AWPO steps), plus
    `other` (the step's wall time not in any stage: packing, metrics, logging) and `step`. Empty when no
    step was logged."""
    steps = [r for r in records if isinstance(r.get(TIME_STEP), (int, float))]
    if not steps:
        return {}

    def mean(name: str) -> float:
        values = [float(r[name]) for r in steps if isinstance(r.get(name), (int, float))]
        return sum(values) / len(values) if values else 0.0

    out = {stage: mean(time_stage(stage)) for stage in TIME_STAGES}
    out["step"] = mean(TIME_STEP)
    out["other"] = max(0.0, out["step"] - sum(v for k, v in out.items() if k not in ("tools", "step")))
    return out


def time_split_table(split: dict[str, float], *, steps: int) -> Table:
    """Mean seconds per step and share of the step for each stage (from `time_split`)."""
    table = Table(title=f"time per step (mean of {steps} steps)")
    table.add_column("stage")
    table.add_column("s/step", justify="right")
    table.add_column("share", justify="right")
    total = split.get("step", 0.0)
    for label, stage in (*TIME_ROWS, ("other", "other"), ("step", "step")):
        seconds = split.get(stage, 0.0)
        share = f"{100 * seconds / total:.1f}%" if total > 0 else "–"
        table.add_row(label, f"{seconds:.3f}", share)
    return table


def print_table(table: Table, console: Console | None = None) -> None:
    (console or Console()).print(table)
