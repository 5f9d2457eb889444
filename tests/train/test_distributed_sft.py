"""The supervised warm-up under torchrun (2 ranks, gloo, the tiny model) against 1 rank at the same global
batch: `awpo sft` run both ways must give the same parameters, the same logged metrics (written once, by
rank 0) and the same held-out evaluation, and the 2-rank checkpoint must load with `from_pretrained`.
A signal to one rank stops the 2-rank warm-up at a step boundary, and `--resume` finishes it exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny_model import tiny_overrides

from awpo import metric_names as m
from awpo.train.checkpoint import load_checkpoint

WARMUP_STEPS = 2


def _torchrun_awpo(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "-m", "awpo", *args]


def _overrides(model_dir: Path, run: Path) -> list[str]:
    return [
        *tiny_overrides(model_dir, run),
        f"warmup.steps={WARMUP_STEPS}",
        "warmup.batch_size=3",  # uneven across 2 ranks: 2 rows on rank 0, 1 on rank 1
        "warmup.lr=1e-3",
        "trainer.micro_batch_size=1",
        "rollout.loop.max_total_tokens=1400",  # the held-out prompts fit: the evaluation generates
        "eval.at_start=true",
        "algo.loss.beta=0.05",  # a KL reference: the warm-up's result is gathered into it and written once
    ]


@pytest.fixture(scope="module")
def sft_runs(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`awpo sft` as a plain process (1 rank) and under torchrun (2 ranks)."""
    root = tmp_path_factory.mktemp("dist-sft")
    one, two = root / "one", root / "two"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for cmd in (
        [sys.executable, "-m", "awpo", "sft", *_overrides(tiny_model_dir, one)],
        _torchrun_awpo("sft", *_overrides(tiny_model_dir, two)),
    ):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-4000:]
    return one, two


def _final_weights(run: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(run / "checkpoints" / "step-000000" / "model.safetensors"))


def _sft_records(run: Path) -> list[dict[str, Any]]:
    from awpo.train.tracking import read_metrics

    return [r for r in read_metrics(run / "metrics.jsonl") if m.SFT_LOSS in r]


def test_two_rank_warmup_updates_the_parameters_as_one_rank(sft_runs: tuple[Path, Path], tiny_model_dir: Path) -> None:
    one, two = sft_runs
    want, got = _final_weights(one), _final_weights(two)
    assert sorted(want) == sorted(got)
    for name, tensor in want.items():
        assert torch.allclose(tensor, got[name], atol=1e-5, rtol=0), name
    from safetensors.torch import load_file

    initial = load_file(str(tiny_model_dir / "model.safetensors"))
    assert any(not torch.allclose(initial[k], got[k], atol=1e-5) for k in initial), "the warm-up changed nothing"


def test_warmup_metrics_are_the_global_ones_and_written_once(sft_runs: tuple[Path, Path]) -> None:
    one, two = sft_runs
    want, got = _sft_records(one), _sft_records(two)
    # rank 0 alone writes: one record per warm-up step, at the same (negative) steps as 1 rank
    assert [r["step"] for r in got] == [r["step"] for r in want] == list(range(1 - WARMUP_STEPS, 1))
    for a, b in zip(want, got, strict=True):
        # each rank's loss is its share of the batch's token mean; the sum over ranks is the 1-rank loss.
        # The gradient norm (below the clip) checks that the FSDP reduction adds up to the 1-rank gradient.
        for key in (m.SFT_LOSS, m.SFT_GRAD_NORM, m.SFT_TOKENS):
            assert a[key] == pytest.approx(b[key], rel=1e-5), key


def test_evaluation_after_the_two_rank_warmup_matches_one_rank(sft_runs: tuple[Path, Path]) -> None:
    one, two = sft_runs
    want = json.loads((one / "summary.json").read_text())["evals"]
    got = json.loads((two / "summary.json").read_text())["evals"]
    assert sorted(got) == sorted(want) == ["after warm-up", "start"]
    for stage, values in want.items():
        for key, value in values.items():
            if key.startswith("eval/"):
                assert got[stage][key] == pytest.approx(value, nan_ok=True), (stage, key)


def test_the_two_rank_warmup_checkpoint_loads(sft_runs: tuple[Path, Path]) -> None:
    from transformers import AutoModelForCausalLM

    _, two = sft_runs
    path = two / "checkpoints" / "step-000000"
    checkpoint = load_checkpoint(path)
    assert checkpoint.world_size == 2 and checkpoint.sharded
    assert checkpoint.state.data_position.get("warmup_done") is True
    loaded = AutoModelForCausalLM.from_pretrained(path).state_dict()
    for name, tensor in _final_weights(two).items():
        assert torch.equal(loaded[name], tensor), name


def test_the_two_rank_warmup_anchors_the_kl_reference_as_one_rank(sft_runs: tuple[Path, Path]) -> None:
    from safetensors.torch import load_file

    from awpo.train.run_dir import REFERENCE_POLICY_FILE

    one, two = sft_runs
    want, got = load_file(str(one / REFERENCE_POLICY_FILE)), load_file(str(two / REFERENCE_POLICY_FILE))
    assert sorted(want) == sorted(got)
    final = _final_weights(two)
    for name, tensor in got.items():
        assert torch.allclose(tensor, want[name], atol=1e-5, rtol=0), name
        assert torch.equal(tensor, final[name]), name  # the gathered policy after the warm-up


def test_a_signal_to_one_rank_stops_the_warmup_and_resume_continues_it_exactly(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    import signal
    import time

    from safetensors.torch import load_file

    steps = 12
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def sft(run: Path) -> list[str]:
        overrides = [*_overrides(tiny_model_dir, run), f"warmup.steps={steps}", "eval.at_start=false"]
        return [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            "2",
            "-m",
            "awpo",
            "sft",
            *overrides,
        ]

    reference, stopped = tmp_path / "reference", tmp_path / "stopped"
    done = subprocess.run(sft(reference), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    log_path = tmp_path / "stopped.stderr"
    with log_path.open("wb") as log, subprocess.Popen(sft(stopped), env=env, stdout=log, stderr=log) as launcher:
        deadline = time.monotonic() + 300
        while not ((stopped / "metrics.jsonl").exists() and _sft_records(stopped)):
            assert launcher.poll() is None, f"the run ended before its first step: {log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "the warm-up never started"
            time.sleep(0.01)
        children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text().split()
        os.kill(int(children[-1]), signal.SIGTERM)  # one rank only: the other must stop with it
        assert launcher.wait(timeout=300) == 0, log_path.read_text()[-3000:]
    checkpoint = load_checkpoint(stopped / "checkpoints" / "step-000000")
    progress = checkpoint.state.data_position.get("warmup_progress")
    assert progress is not None and 0 < progress["step"] < steps, "the stop came too late to be mid-warm-up"

    resumed = subprocess.run(
        _torchrun_awpo("train", "--resume", str(stopped)),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    # the warm-up's optimizer shards, data order and RNG came back: the same weights as without the stop
    want = load_file(str(reference / "checkpoints" / "step-000000" / "model.safetensors"))
    got = load_file(str(stopped / "checkpoints" / "step-000000" / "model.safetensors"))
    for name, tensor in want.items():
        assert torch.allclose(tensor, got[name], atol=1e-6, rtol=0), name
    assert [r[m.SFT_LOSS] for r in _sft_records(stopped)] == pytest.approx(
        [r[m.SFT_LOSS] for r in _sft_records(reference)], rel=1e-6
    )
