"""`awpo eval` end to end on a tiny real model: tables, JSON report, official re-scoring, errors.

Multi-turn categories are left to the scripted tests: their prompts (all API docs) are long, and a
tiny byte-level vocabulary makes them very long.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_model import make_tiny_model

from awpo.cli import main
from awpo.eval.bfcl import Bfcl


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


def test_eval_end_to_end(tiny: Path, tmp_path: Path, bfcl: Bfcl, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    code = main([
        "eval", str(tiny), "--categories", "simple_python,irrelevance", "--limit", "2",
        "--builtin", "heldout", "--max-new-tokens", "4", "--decoder", "bfcl-hermes", "--output", str(out),
        "--official", "--results-dir", str(tmp_path / "bfcl"),
    ])  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
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


def test_eval_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["eval", str(tmp_path), "--categories", "simple_klingon"]) == 2
    assert "unknown BFCL category 'simple_klingon'" in capsys.readouterr().err
    assert main(["eval", str(tmp_path), "--limit", "0"]) == 2
