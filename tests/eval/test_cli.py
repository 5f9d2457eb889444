"""`awpo eval` end to end on a tiny real model (the `hf` engine): tables, JSON report, official re-scoring,
awpo checkpoints as models, errors.

Multi-turn categories are left to the scripted tests: their prompts (all API docs) are long, and a
tiny byte-level vocabulary makes them very long.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awpo.cli import main
from awpo.eval.bfcl import Bfcl
from awpo.model import load_model
from awpo.train.checkpoint import CheckpointManager, TrainerState


def test_eval_end_to_end(tiny: Path, tmp_path: Path, bfcl: Bfcl, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    code = main([
        "eval", "--model", str(tiny), "--engine", "hf", "--categories", "simple_python,irrelevance", "--limit", "2",
        "--builtin", "heldout", "--max-new-tokens", "4", "--decoder", "bfcl-hermes", "--output", str(out),
        "--official", "--results-dir", str(tmp_path / "bfcl"),
    ])  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    assert report["engine"] == "hf" and report["tool_mode"] == "system"
    assert report["model"] == {"source": str(tiny), "path": str(tiny), "kind": "hf"}
    cats = {c["category"]: c for c in report["bfcl"]["categories"]}
    assert set(cats) == {"simple_python", "irrelevance"}
    assert all(c["total"] == 2 for c in cats.values())
    assert report["bfcl"]["official_disagreements"] == []
    assert len(report["bfcl"]["entries"]) == 4 and len(report["builtin"]["tasks"]) == 2
    assert (
        tmp_path / "bfcl" / "result" / "Qwen_Qwen3-0.6B-FC" / "non_live" / "BFCL_v4_simple_python_result.json"
    ).exists()
    printed = capsys.readouterr().out
    assert "BFCL v4 (official checkers)" in printed and "simple_python" in printed and "built-in heldout" in printed
    assert set(report["builtin"]["rewards"]) == {"toolrl", "exact", "bfcl"}
    assert -3.0 <= report["builtin"]["rewards"]["toolrl"] <= 4.0
    assert report["generation"]["generations"] >= 6 and report["generation"]["generated_tokens"] > 0


def test_eval_a_run_directory_uses_its_latest_checkpoint(tiny: Path, tmp_path: Path) -> None:
    model, tokenizer = load_model(str(tiny))
    manager = CheckpointManager(tmp_path / "run" / "checkpoints")
    for step in (6, 12):
        manager.save(step, model=model, tokenizer=tokenizer, state=TrainerState())
    for source, step in ((tmp_path / "run", 12), (tmp_path / "run" / "checkpoints" / "step-000006", 6)):
        out = tmp_path / f"report-{step}.json"
        code = main([
            "eval", "--model", str(source), "--engine", "hf", "--categories", "none", "--builtin", "validation",
            "--limit", "2", "--max-new-tokens", "3", "--output", str(out),
        ])  # fmt: skip
        assert code == 0
        report = json.loads(out.read_text())
        assert report["model"]["kind"] == "checkpoint" and report["model"]["step"] == step
        assert len(report["builtin"]["tasks"]) == 2


def test_eval_errors(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "missing"), "--categories", "none"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["eval", str(tmp_path), "--categories", "simple_klingon"]) == 2
    assert "unknown BFCL category 'simple_klingon'" in capsys.readouterr().err
    assert main(["eval", str(tmp_path), "--limit", "0"]) == 2
    assert main(["eval", str(tiny), "--model", str(tmp_path)]) == 2
    assert "two models given" in capsys.readouterr().err
    damaged = tmp_path / "run" / "checkpoints" / "step-000001"
    damaged.mkdir(parents=True)
    (damaged / "trainer_state.json").write_text("{")
    assert main(["eval", "--model", str(damaged), "--categories", "none"]) == 1
    assert "step-000001 is damaged" in capsys.readouterr().err
