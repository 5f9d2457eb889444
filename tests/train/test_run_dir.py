"""A fresh run never mixes with a previous run's files: `awpo train`/`awpo sft` refuse a directory holding a
run (naming `--resume` and `--overwrite`), `--overwrite` deletes exactly the run's files, `--resume` continues."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tiny_model import tiny_overrides

from awpo.train.run_dir import RUN_FILES, RunDirError, prepare_run_dir, run_files
from awpo.train.tracking import read_metrics


def _fill_run(run: Path) -> None:
    """Every file a run writes, with something in each directory."""
    run.mkdir(parents=True, exist_ok=True)
    (run / "metrics.jsonl").write_text('{"step": 1}\n')
    (run / "summary.json").write_text("{}")
    (run / "training_curves.png").write_bytes(b"png")
    (run / "tensorboard").mkdir()
    (run / "tensorboard" / "events.out.tfevents.1").write_bytes(b"tb")
    (run / "checkpoints" / "step-000001").mkdir(parents=True)
    (run / "checkpoints" / "step-000001" / "trainer_state.json").write_text("{}")
    (run / "evals").mkdir()
    (run / "evals" / "start.jsonl").write_text("{}\n")
    (run / "reference_policy.safetensors").write_bytes(b"weights")


def test_a_fresh_run_refuses_a_directory_holding_a_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _fill_run(run)
    with pytest.raises(RunDirError) as err:
        prepare_run_dir(run, command="awpo train")
    message = str(err.value)
    assert f"--resume {run}" in message and "--overwrite" in message and "output.dir" in message
    assert all((run / name).exists() for name in RUN_FILES)  # nothing touched


@pytest.mark.parametrize("name", RUN_FILES)
def test_each_run_file_alone_is_enough_to_refuse(tmp_path: Path, name: str) -> None:
    _fill_run(tmp_path / "full")
    run = tmp_path / "run"
    run.mkdir()
    (tmp_path / "full" / name).rename(run / name)
    with pytest.raises(RunDirError, match="already holds a run"):
        prepare_run_dir(run, command="awpo sft")


def test_directories_without_run_files_start_at_once(tmp_path: Path) -> None:
    prepare_run_dir(tmp_path / "missing", command="awpo train")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    (tmp_path / "other" / "checkpoints").mkdir()  # empty: nothing to mix with
    prepare_run_dir(tmp_path / "other", command="awpo train")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_overwrite_deletes_only_the_run_files_and_never_follows_a_link(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _fill_run(run)
    (run / "notes.txt").write_text("mine")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (run / "tensorboard" / "events.out.tfevents.1").unlink()
    (run / "tensorboard").rmdir()
    (run / "tensorboard").symlink_to(outside, target_is_directory=True)

    prepare_run_dir(run, overwrite=True, command="awpo train")

    assert run_files(run) == []
    assert not any((run / name).exists() or (run / name).is_symlink() for name in RUN_FILES)
    assert (run / "notes.txt").read_text() == "mine"
    assert (outside / "keep.txt").read_text() == "keep"


def test_resume_checks_nothing_and_contradictions_are_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _fill_run(run)
    prepare_run_dir(run, resume=True, command="awpo train")
    assert (run / "metrics.jsonl").exists()
    with pytest.raises(RunDirError, match="contradict"):
        prepare_run_dir(run, resume=True, overwrite=True, command="awpo train")
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunDirError, match="is a file"):
        prepare_run_dir(tmp_path / "file", command="awpo train")


# ---------------------------------------------------------------------------- the commands, end to end


def _awpo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "awpo", *args], capture_output=True, text=True, timeout=600)


def _steps(run: Path) -> list[int]:
    return [int(r["step"]) for r in read_metrics(run / "metrics.jsonl") if "reward/outcome/mean" in r]


def test_train_refuses_then_overwrites_then_resumes(tiny_model_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    base = [*tiny_overrides(tiny_model_dir, run), "warmup.enabled=false", "eval.at_start=false", "output.save_every=1"]

    first = _awpo("train", *base, "trainer.steps=2")
    assert first.returncode == 0, first.stderr[-3000:]
    assert _steps(run) == [1, 2]
    before = (run / "metrics.jsonl").read_bytes()

    for command in ("train", "sft"):
        again = _awpo(command, *base, "trainer.steps=1")
        assert again.returncode == 2, again.stderr[-3000:]
        assert "already holds a run" in again.stderr and "--resume" in again.stderr and "--overwrite" in again.stderr
        assert (run / "metrics.jsonl").read_bytes() == before  # refused before writing anything

    fresh = _awpo("train", *base, "trainer.steps=1", "--overwrite")
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert _steps(run) == [1]  # the first run's two steps are gone, not appended to
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step-000001"]

    resumed = _awpo("train", *base, "trainer.steps=2", "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert _steps(run) == [1, 2]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step-000001", "step-000002"]
