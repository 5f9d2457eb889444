"""Metric buffering (mean over non-NaN, cleared at log) and the JSONL record."""

from __future__ import annotations

import math
from pathlib import Path

from awpo.train.tracking import MetricsBuffer, MetricsTracker, read_metrics


def test_buffer_means_skip_nan_and_clear() -> None:
    buffer = MetricsBuffer()
    buffer.update({"a/x": 1.0, "a/y": math.nan})
    buffer.add("a/x", 3.0)
    out = buffer.flush(prefix="eval/")
    assert out["eval/a/x"] == 2.0
    assert math.isnan(out["eval/a/y"])
    assert buffer.flush() == {}


def test_tracker_writes_jsonl_and_truncates_on_resume(tmp_path: Path) -> None:
    tracker = MetricsTracker(tmp_path, tensorboard=True)
    for step in (1, 2, 3):
        tracker.log(step, {"reward/outcome/mean": float(step), "judge/failures": math.nan})
    tracker.close()
    records = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in records] == [1, 2, 3]
    assert records[0]["judge/failures"] is None
    assert any((tmp_path / "tensorboard").iterdir())
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 4, "torn')  # a run killed mid-write
    resumed = MetricsTracker(tmp_path, tensorboard=False, resume_step=2)
    resumed.log(3, {"reward/outcome/mean": 30.0})
    resumed.close()
    assert [(r["step"], r["reward/outcome/mean"]) for r in read_metrics(tmp_path / "metrics.jsonl")] == [
        (1, 1.0),
        (2, 2.0),
        (3, 30.0),
    ]
