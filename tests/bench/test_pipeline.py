"""`awpo bench`: the generated rollouts are well formed and every stage runs and reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from awpo.bench.pipeline import read_rollouts, run_pipeline
from awpo.bench.rollouts import generate


def test_generated_rollouts_are_grouped_and_deterministic() -> None:
    rows = list(generate(40, group_size=8, seed=1))
    assert rows == list(generate(40, group_size=8, seed=1))
    assert [r["group"] for r in rows] == [g for g in range(5) for _ in range(8)]


def test_pipeline_reports_every_stage() -> None:
    timings = run_pipeline(list(generate(64)), kind="exact", repeat=1)
    assert [t.stage.split(" ")[0] for t in timings] == ["parse", "outcome", "advantages", "total"]
    assert all(t.rollouts == 64 and t.seconds > 0 for t in timings)


def test_bad_rollout_lines_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(next(generate(1))) + "\n{not json\n")
    with pytest.raises(ValueError, match="line 2"):
        read_rollouts(path)


def test_cli_make_then_run(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    make = [sys.executable, "-m", "awpo", "bench", "make-rollouts", "-n", "48", "-o", str(path)]
    subprocess.run(make, check=True)
    assert len(path.read_text().splitlines()) == 48
    cmd = [sys.executable, "-m", "awpo", "bench", "run", "--file", str(path), "--repeat", "1", "--serial"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "48 rollouts" in out.stdout and "advantages" in out.stdout
