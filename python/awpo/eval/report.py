"""Report tables (rich) and the JSON file of an `awpo eval` run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from awpo.data.convert import JsonDict
from awpo.stats import bootstrap_ci


def accuracy_table(title: str, rows: Sequence[JsonDict], *, overall: float | None = None) -> Table:
    """A table of `rows` with keys category, correct, total, accuracy, generation_s, checking_s and,
    when present, `rewards` (mean outcome reward by kind)."""
    reward_kinds = sorted({k for row in rows for k in row.get("rewards", {})})
    table = Table(title=title)
    table.add_column("category", no_wrap=True)
    table.add_column("accuracy", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("correct / total", justify="right")
    for kind in reward_kinds:
        table.add_column(f"{kind} reward", justify="right")
    table.add_column("generation s", justify="right")
    table.add_column("checking s", justify="right")
    for row in rows:
        rewards = row.get("rewards", {})
        table.add_row(
            str(row["category"]),
            f"{100 * row['accuracy']:.1f}%",
            accuracy_ci(int(row["correct"]), int(row["total"])),
            f"{row['correct']} / {row['total']}",
            *[f"{rewards[k]:.3f}" if k in rewards else "–" for k in reward_kinds],
            f"{row.get('generation_s', 0.0):.1f}",
            f"{row.get('checking_s', 0.0):.2f}",
        )
    if overall is not None:
        table.add_section()
        table.add_row("overall (mean of categories)", f"{100 * overall:.1f}%", *[""] * (len(reward_kinds) + 4))
    return table


def accuracy_ci(correct: int, total: int) -> str:
    """The 95% bootstrap interval over tasks of `correct / total` right answers (`awpo.stats`), in percent."""
    if total <= 0:
        return "–"
    low, high = bootstrap_ci([[1.0] * correct + [0.0] * (total - correct)])
    return f"[{100 * low:.1f}, {100 * high:.1f}]"


def print_tables(report: JsonDict, console: Console | None = None) -> None:
    """Print the BFCL and built-in tables of a report dict (as `write_json` writes it)."""
    console = console or Console()
    if "bfcl" in report:
        bfcl = report["bfcl"]
        console.print(
            accuracy_table("BFCL v4 (official checkers)", bfcl["categories"], overall=bfcl["overall_accuracy"])
        )
    if "builtin" in report:
        builtin = report["builtin"]
        split = builtin.get("split", "heldout")
        console.print(
            accuracy_table(f"built-in {split} tasks (call accuracy, awpo outcome rewards)", builtin["categories"])
        )


def write_json(path: str | Path, report: JsonDict) -> Path:
    """Write the report as indented JSON (atomically: temp file then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=_default) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def _default(value: Any) -> Any:
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
