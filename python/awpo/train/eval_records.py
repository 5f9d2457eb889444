"""Per-task results of a held-out evaluation: what the metrics summarise, kept so intervals can be computed.

Each evaluation of a run writes `<run dir>/evals/<label>.jsonl`, one `EvalRecord` per task in the fixed
order of the held-out set (`start.jsonl`, `after_warm-up.jsonl`, `after_awpo.jsonl`, `step-000010.jsonl`).
`awpo ablate` reads them back to bootstrap over tasks and seeds (`awpo.stats`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from awpo import metric_names as m
from awpo.stats import bootstrap_ci

EVALS_DIR = "evals"
CI_RESAMPLES = 2000


@dataclass(frozen=True)
class EvalRecord:
    """One held-out task's greedy result."""

    id: str
    kind: str  # `meta.kind` (calls, parallel, multi-step, irrelevance...), "task" when absent
    family: str
    expects_calls: bool
    correct: bool  # exact-call rule (REWARDS.md "`exact`")
    outcome: float  # outcome reward of `reward.kind`
    reasoning: float  # judge score in [0, 1]; NaN when missing
    well_formed: float  # 1/0: the first turn parsed cleanly; NaN for tasks that expect no call

    def to_json(self) -> dict[str, object]:
        """JSON form (NaN written as null)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, row: dict[str, object]) -> EvalRecord:
        def num(key: str) -> float:
            value = row.get(key)
            return float(value) if isinstance(value, (int, float)) else math.nan

        return cls(
            id=str(row["id"]),
            kind=str(row.get("kind", "task")),
            family=str(row.get("family", "")),
            expects_calls=bool(row.get("expects_calls", True)),
            correct=bool(row["correct"]),
            outcome=num("outcome"),
            reasoning=num("reasoning"),
            well_formed=num("well_formed"),
        )


def label_file(label: str) -> str:
    """File name of an evaluation's records: `after warm-up` -> `after_warm-up.jsonl`."""
    return re.sub(r"[^a-z0-9_-]+", "_", label.lower()).strip("_") + ".jsonl"


def write_records(run_dir: str | Path, label: str, records: Sequence[EvalRecord]) -> Path:
    """Write the records of the evaluation `label` (atomically: temp file then rename)."""
    path = Path(run_dir) / EVALS_DIR / label_file(label)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r.to_json()) + "\n" for r in records), encoding="utf-8")
    tmp.replace(path)
    return path


def read_records(run_dir: str | Path, label: str) -> list[EvalRecord]:
    """The records of the evaluation `label`; FileNotFoundError when it did not run."""
    path = Path(run_dir) / EVALS_DIR / label_file(label)
    lines = path.read_text(encoding="utf-8").splitlines()
    return [EvalRecord.from_json(json.loads(line)) for line in lines if line.strip()]


def kind_key(kind: str) -> str:
    """A task kind as one metric-name segment (lowercase letters, digits, underscores)."""
    return re.sub(r"[^a-z0-9_]+", "_", kind.lower()).strip("_") or "task"


def accuracy_metrics(records: Sequence[EvalRecord], *, ci_seed: int = 0) -> dict[str, float]:
    """Exact-call accuracy (all tasks, tasks that expect calls, each kind) and the 95% bootstrap interval
    over tasks of the first two (`awpo.stats`)."""
    values: dict[str, float] = {}
    overall = [float(r.correct) for r in records]
    on_calls = [float(r.correct) for r in records if r.expects_calls]
    for name, data, low, high in (
        (m.EVAL_EXACT_CALL_ACC, overall, m.EVAL_EXACT_CALL_ACC_CI_LOW, m.EVAL_EXACT_CALL_ACC_CI_HIGH),
        (
            m.EVAL_EXACT_CALL_ACC_CALL_TASKS,
            on_calls,
            m.EVAL_EXACT_CALL_ACC_CALL_TASKS_CI_LOW,
            m.EVAL_EXACT_CALL_ACC_CALL_TASKS_CI_HIGH,
        ),
    ):
        values[name] = sum(data) / len(data) if data else math.nan
        values[low], values[high] = bootstrap_ci([data], resamples=CI_RESAMPLES, seed=ci_seed)
    for kind in sorted({kind_key(r.kind) for r in records}):
        mine = [r.correct for r in records if kind_key(r.kind) == kind]
        values[m.eval_exact_call_acc_kind(kind)] = sum(mine) / len(mine)
    return values


def with_ci(values: dict[str, float], name: str, digits: int = 3) -> str:
    """`0.438 [0.188, 0.688]` when `values` has the interval of `name`, else the value alone."""
    value = values.get(name, math.nan)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    low, high = values.get(name + m.CI_LOW_SUFFIX), values.get(name + m.CI_HIGH_SUFFIX)
    if isinstance(low, (int, float)) and isinstance(high, (int, float)) and math.isfinite(low + high):
        return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
    return f"{value:.{digits}f}"
