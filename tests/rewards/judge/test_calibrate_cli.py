"""`awpo judge calibrate` end to end with the rubric judge (seconds): table, JSON and exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awpo.cli import main
from awpo.config import load_config
from awpo.rewards.judge.calibration import CORRUPTIONS, TARGET_AUC
from awpo.train.judge_cli import EXIT_WEAK


def test_default_config_judge_is_calibrated() -> None:
    assert load_config().judge.backend == "rubric"


def test_calibrate_writes_json_and_flags_the_blind_spot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cal.json"
    code = main(
        ["judge", "calibrate", "data.builtin.per_family=12", "--pairs", "12", "--seed", "1", "--json", str(out)]
    )
    report = json.loads(out.read_text())
    assert report["backend"] == "rubric" and report["seed"] == 1
    assert [k["kind"] for k in report["kinds"]] == list(CORRUPTIONS)
    # the rubric judge is blind to unwarranted calls (REWARDS.md): the exit status says the judge is weak
    assert code == EXIT_WEAK and report["min_auc"] < TARGET_AUC
    assert min(k["auc"] for k in report["kinds"] if k["kind"] != "unwarranted_call") >= TARGET_AUC
    assert "judge calibration" in capsys.readouterr().out
