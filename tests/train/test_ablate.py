"""`awpo ablate` on the tiny model: 2 arms x 1 seed; the table, the plot, and a killed ablation continued
where it stopped (the warm-up and finished runs skipped, the killed arm resumed from its checkpoint)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny_model import tiny_overrides

from awpo.ablate.runner import Ablation, AblationError, RunPlan
from awpo.cli import main
from awpo.train.tracking import read_metrics


def _overrides(model_dir: Path) -> list[str]:
    # output.dir is set per run by the ablation; the tiny defaults evaluate 2 tasks, here 6 (stratified)
    base = [o for o in tiny_overrides(model_dir, Path("unused")) if not o.startswith(("output.dir", "data.eval_size"))]
    return [*base, "trainer.steps=3", "output.save_every=1"]


def _ablate_cmd(model_dir: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "awpo",
        "ablate",
        *_overrides(model_dir),
        "--estimators",
        "awpo,grpo",
        "--seeds",
        "0",
        "--eval-size",
        "6",
        "--out",
        str(out),
    ]


def _steps(run: Path) -> list[int]:
    return [int(r["step"]) for r in read_metrics(run / "metrics.jsonl") if "reward/outcome/mean" in r]


def test_a_killed_ablation_continues_and_reports(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ablation"
    seed_dir = out / "seed-0"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    # SIGKILL the whole ablation (runner and arm) once the first arm has its first checkpoint
    log_path = tmp_path / "killed.log"
    with (
        log_path.open("wb") as log,
        subprocess.Popen(
            _ablate_cmd(tiny_model_dir, out), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        ) as proc,
    ):
        deadline = time.monotonic() + 300
        while not (seed_dir / "awpo" / "checkpoints" / "step-000001").exists():
            assert proc.poll() is None, f"the ablation ended early: {log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "the first arm never saved a checkpoint"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (seed_dir / "awpo" / "summary.json").exists(), "the kill came too late: the arm had finished"
    assert not (seed_dir / "grpo").exists()
    warm_checkpoint = next((seed_dir / "warmup" / "checkpoints").iterdir())
    warm_mtime = (warm_checkpoint / "model.safetensors").stat().st_mtime_ns
    first_step = next(r for r in read_metrics(seed_dir / "awpo" / "metrics.jsonl") if r["step"] == 1)

    done = subprocess.run(_ablate_cmd(tiny_model_dir, out), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]

    results = json.loads((out / "results.json").read_text())
    runs = {r["arm"]: (r["status"], r["attempt"]) for r in results["runs"]}
    assert runs == {"warmup": ("skipped", ""), "awpo": ("finished", "resume"), "grpo": ("finished", "fresh")}
    assert (warm_checkpoint / "model.safetensors").stat().st_mtime_ns == warm_mtime  # the warm-up was not redone
    assert _steps(seed_dir / "awpo") == [1, 2, 3]  # continued: each step once, step 1 not redone
    assert next(r for r in read_metrics(seed_dir / "awpo" / "metrics.jsonl") if r["step"] == 1) == first_step
    assert _steps(seed_dir / "grpo") == [1, 2, 3]
    assert "resumed from" in (seed_dir / "awpo.log").read_text()
    # every arm started from the seed's warm-up checkpoint, with the same seed and budget
    for arm in ("awpo", "grpo"):
        state = json.loads((seed_dir / arm / "checkpoints" / "step-000003" / "trainer_state.json").read_text())
        assert state["config"]["model"]["name_or_path"] == str(warm_checkpoint)
        assert state["config"]["algo"]["advantage"]["estimator"] == arm
        assert (state["config"]["trainer"]["seed"], state["config"]["trainer"]["steps"]) == (0, 3)

    rows = {row["name"]: row for row in results["rows"]}
    assert list(rows) == ["start (base model)", "warm-up (reference)", "awpo", "grpo"]
    for row in rows.values():
        assert row["seeds"] == [0] and row["tasks"] == 6
        acc = row["metrics"]["exact-call acc"]
        assert acc["ci_low"] <= acc["mean"] <= acc["ci_high"]
        assert set(row["by_kind"]) == set(results["kinds"])
    assert len(results["kinds"]) >= 3  # the 6 tasks spread over the kinds the tiny held-out split has
    assert {d["name"] for d in results["differences"]} == {"awpo - warm-up", "awpo - grpo", "grpo - warm-up"}
    table = (out / "results.md").read_text()
    assert "| awpo | 1 | 6 |" in table and "| grpo | 1 | 6 |" in table and "exact-call acc" in table
    assert "| awpo | 1 | 6 |" in done.stdout
    assert (out / "curves.png").stat().st_size > 0

    again = subprocess.run(_ablate_cmd(tiny_model_dir, out), env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    statuses = {r["status"] for r in json.loads((out / "results.json").read_text())["runs"]}
    assert statuses == {"skipped"}
    assert _steps(seed_dir / "grpo") == [1, 2, 3]

    (out / "results.md").unlink()
    assert main([*_ablate_cmd(tiny_model_dir, out)[3:], "--report-only"]) == 0  # reads, runs nothing
    assert "| grpo | 1 | 6 |" in (out / "results.md").read_text()


def test_a_crashing_arm_is_reported_and_the_others_run(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ablation = Ablation(None, _overrides(tiny_model_dir), ["awpo", "grpo"], [0], tmp_path / "ablation")
    ran: list[str] = []

    def fake_command(self: Ablation, plan: RunPlan) -> tuple[list[str], str]:
        ran.append(plan.name)
        code = "print('boom: a crash in the arm'); raise SystemExit(3)" if plan.name == "awpo" else "pass"
        if plan.is_warmup:  # a finished warm-up: what `is_finished` reads
            code = _fake_finished_run(plan.run_dir, "after warm-up")
        return [sys.executable, "-c", code], "fresh"

    monkeypatch.setattr(Ablation, "_command", fake_command)
    outcomes = {o.name: o for o in ablation.run()}
    assert ran == ["warmup", "awpo", "grpo"]
    assert outcomes["warmup"].status == "finished"
    assert outcomes["awpo"].status == "failed" and outcomes["awpo"].returncode == 3
    assert "boom: a crash in the arm" in outcomes["awpo"].message
    assert outcomes["grpo"].status == "failed" and "ended before its last step" in outcomes["grpo"].message


def _fake_finished_run(run_dir: Path, label: str) -> str:
    """Python code that writes what a finished run leaves: a checkpoint, the evaluation and the summary."""
    return (
        "import json, pathlib\n"
        f"run = pathlib.Path({str(run_dir)!r})\n"
        "ckpt = run / 'checkpoints' / 'step-000000'\n"
        "ckpt.mkdir(parents=True)\n"
        "(ckpt / 'model.safetensors').write_text('x')\n"
        "state = {'step': 0, 'config': {'trainer': {'steps': 0}}, 'data_position': {}, 'metrics_history': [],"
        " 'rng': {}, 'format_version': 1}\n"
        "(ckpt / 'trainer_state.json').write_text(json.dumps(state))\n"
        "(run / 'evals').mkdir()\n"
        f"(run / 'evals' / 'after_warm-up.jsonl').write_text('')\n"
        f"(run / 'summary.json').write_text(json.dumps({{'steps': 0, 'evals': {{{label!r}: {{}}}}}}))\n"
    )


def test_another_config_in_the_same_directory_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ablation"
    Ablation(None, _overrides(tiny_model_dir), ["awpo"], [0], out).check_spec()
    # more seeds or arms of the same config: allowed; another learning rate: refused
    Ablation(None, _overrides(tiny_model_dir), ["awpo", "grpo"], [0, 1], out).check_spec()
    with pytest.raises(AblationError, match="another config"):
        Ablation(None, [*_overrides(tiny_model_dir), "trainer.lr=0.5"], ["awpo"], [0], out).check_spec()
    with pytest.raises(AblationError, match="repeat"):
        Ablation(None, _overrides(tiny_model_dir), ["awpo", "awpo"], [0], out)
    with pytest.raises(AblationError, match="steps"):
        Ablation(None, [*_overrides(tiny_model_dir), "trainer.steps=0"], ["awpo"], [0], out)


def test_overrides_may_follow_the_options() -> None:
    from awpo.cli import build_parser, parse_args

    argv = ["ablate", "configs/default.yaml", "trainer.lr=1e-6", "--seeds", "0,1", "trainer.steps=4", "--out", "d"]
    args = parse_args(build_parser(), argv)
    assert (args.config, args.overrides, args.seeds, args.out) == (
        "configs/default.yaml",
        ["trainer.lr=1e-6", "trainer.steps=4"],
        "0,1",
        "d",
    )
    with pytest.raises(SystemExit):
        parse_args(build_parser(), ["ablate", "--seeds", "0", "--bogus"])
    with pytest.raises(SystemExit):  # other commands keep the strict parse
        parse_args(build_parser(), ["check", "configs/default.yaml", "--world-size", "1", "trainer.lr=1"])
