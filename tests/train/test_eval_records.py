"""Per-task records of a held-out evaluation: file round trip, accuracies by kind and their intervals."""

from __future__ import annotations

import math
from pathlib import Path

from awpo import metric_names as m
from awpo.train.eval_records import EvalRecord, accuracy_metrics, label_file, read_records, with_ci, write_records


def _record(i: int, kind: str, correct: bool, *, calls: bool = True) -> EvalRecord:
    return EvalRecord(
        id=f"t{i}",
        kind=kind,
        family="f",
        expects_calls=calls,
        correct=correct,
        outcome=1.0 if correct else -1.0,
        reasoning=math.nan,
        well_formed=1.0 if calls else math.nan,
    )


def test_records_round_trip_through_the_run_dir(tmp_path: Path) -> None:
    records = [_record(0, "parallel", True), _record(1, "irrelevance", False, calls=False)]
    path = write_records(tmp_path, "after warm-up", records)
    assert path == tmp_path / "evals" / "after_warm-up.jsonl"
    back = read_records(tmp_path, "after warm-up")
    assert [r.id for r in back] == ["t0", "t1"]
    assert math.isnan(back[0].reasoning) and math.isnan(back[1].well_formed)
    assert back[0].correct and not back[1].expects_calls
    assert label_file("after AWPO") == "after_awpo.jsonl"


def test_accuracy_by_kind_with_intervals() -> None:
    # 4 tasks, 1 right: accuracy 1/4; the hand-checked bootstrap of [0, 0, 0, 1] (tests/test_stats.py)
    # with this module's 2000 replicates ends at 0 and 3/4.
    records = [_record(0, "single", True), _record(1, "single", False), _record(2, "multi-step", False)]
    records.append(_record(3, "irrelevance", False, calls=False))
    values = accuracy_metrics(records)
    assert values[m.EVAL_EXACT_CALL_ACC] == 0.25
    assert (values[m.EVAL_EXACT_CALL_ACC_CI_LOW], values[m.EVAL_EXACT_CALL_ACC_CI_HIGH]) == (0.0, 0.75)
    assert values[m.EVAL_EXACT_CALL_ACC_CALL_TASKS] == 1 / 3
    assert values[m.eval_exact_call_acc_kind("single")] == 0.5
    assert values[m.eval_exact_call_acc_kind("multi_step")] == 0.0  # `-` is not a metric-name character
    assert with_ci(values, m.EVAL_EXACT_CALL_ACC) == "0.250 [0.000, 0.750]"
    assert with_ci(values, m.EVAL_REWARD_OUTCOME_MEAN) == "–"
    assert with_ci({m.EVAL_REWARD_OUTCOME_MEAN: 0.5}, m.EVAL_REWARD_OUTCOME_MEAN) == "0.500"
