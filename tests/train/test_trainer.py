"""`awpo train` end to end on a tiny model: every stage runs, every §7 metric is logged, checkpoints
reload, and a run killed with SIGKILL mid-step resumes to exactly the uninterrupted run's next step."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file
from tiny_model import tiny_overrides

from awpo import metric_names as m
from awpo.config import load_config
from awpo.train.tracking import read_metrics
from awpo.train.trainer import Trainer


def _step_records(run: Path) -> dict[int, dict[str, object]]:
    return {int(r["step"]): r for r in read_metrics(run / "metrics.jsonl") if "reward/outcome/mean" in r}


def test_train_end_to_end(tiny_model_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    cfg = load_config(None, [*tiny_overrides(tiny_model_dir, run), "trainer.steps=2", "output.save_every=1"])
    before = {k: v.clone() for k, v in load_file(str(tiny_model_dir / "model.safetensors")).items()}
    evals = Trainer(cfg).train()

    assert set(evals) == {"start", "after warm-up", "after AWPO"}
    steps = _step_records(run)
    assert sorted(steps) == [1, 2]
    logged = set(steps[1])
    for item, names in m.SECTION_7:
        assert any(n in logged for n in names), f"ALGORITHM.md §7 item not logged: {item}"
    for stage in m.TIME_STAGES:
        assert f"time/{stage}_s" in logged
    stages = sum(float(steps[1][f"time/{s}_s"]) for s in m.TIME_STAGES if s != "tools")
    assert float(steps[1][m.TIME_STEP]) >= stages
    assert any(str(k).startswith("sft/") for r in read_metrics(run / "metrics.jsonl") for k in r)
    assert (run / "training_curves.png").stat().st_size > 0
    summary = json.loads((run / "summary.json").read_text())
    assert set(summary["time_per_step_s"]) == {*m.TIME_STAGES, "other", "step"}

    checkpoints = sorted((run / "checkpoints").iterdir())
    assert [p.name for p in checkpoints] == ["step-000001", "step-000002"]
    after = load_file(str(checkpoints[-1] / "model.safetensors"))
    assert any(not torch.equal(before[k], after[k]) for k in before), "training changed no weight"


def _train_cmd(model_dir: Path, run: Path, *extra: str) -> list[str]:
    overrides = [
        *tiny_overrides(model_dir, run),
        "trainer.steps=3",
        "output.save_every=1",
        "warmup.enabled=false",
        "eval.at_start=false",
        *extra,
    ]
    return [sys.executable, "-m", "awpo", "train", *overrides]


def test_sigkill_mid_step_then_resume_reproduces_the_next_step(tiny_model_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    subprocess.run(_train_cmd(tiny_model_dir, reference), check=True, env=env, capture_output=True)

    # stderr goes to a file: a pipe nobody drains could fill and stall the child before step 2.
    log_path = tmp_path / "killed.stderr"
    with (
        log_path.open("wb") as log,
        subprocess.Popen(_train_cmd(tiny_model_dir, killed), env=env, stdout=subprocess.DEVNULL, stderr=log) as proc,
    ):
        deadline = time.monotonic() + 300
        while not (killed / "checkpoints" / "step-000002").exists():
            assert proc.poll() is None, f"the run ended before step 2: {log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "step 2 never finished"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # in step 3, after step 2's checkpoint: no chance to clean up
        proc.wait()
    assert not (killed / "checkpoints" / "step-000003").exists(), "the kill came too late to be mid-step"

    resumed = subprocess.run(
        [sys.executable, "-m", "awpo", "train", "--resume", str(killed)], env=env, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    want, got = _step_records(reference), _step_records(killed)
    assert sorted(got) == [1, 2, 3]  # no duplicate or torn records from the killed attempt
    for key in (
        m.REWARD_OUTCOME_MEAN,
        m.REWARD_REASONING_MEAN,
        m.POLICY_LOSS,
        m.AWPO_ADVANTAGE_STD,
        "train/grad_norm",
    ):
        a, b = want[3].get(key), got[3].get(key)
        if isinstance(a, float) and isinstance(b, float):
            assert math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6), key
        else:
            assert a == b, key
    final_a = load_file(str(reference / "checkpoints" / "step-000003" / "model.safetensors"))
    final_b = load_file(str(killed / "checkpoints" / "step-000003" / "model.safetensors"))
    for name, tensor in final_a.items():
        assert torch.allclose(tensor, final_b[name], atol=1e-6), name


def test_a_run_stopped_during_the_warmup_resumes_it_exactly(tiny_model_dir: Path, tmp_path: Path) -> None:
    def overrides(run: Path) -> list[str]:
        return [
            *tiny_overrides(tiny_model_dir, run),
            "trainer.steps=0",
            "warmup.enabled=true",
            "warmup.steps=4",
            "warmup.lr=1e-3",
            "eval.at_start=false",
        ]

    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    Trainer(load_config(None, overrides(straight))).train()

    trainer = Trainer(load_config(None, overrides(stopped)))
    assert trainer.warmup(should_stop=lambda: True) is False  # as after SIGINT/SIGTERM: stop after step 1
    trainer.close()
    saved = sorted((stopped / "checkpoints").iterdir())
    assert [p.name for p in saved] == ["step-000000"]

    Trainer(load_config(None, overrides(stopped)), resume=stopped).train()
    warm_records = [r for r in read_metrics(stopped / "metrics.jsonl") if "sft/loss" in r]
    assert sorted(int(r["step"]) for r in warm_records) == [-3, -2, -1, 0]  # each warm-up step once
    final_a = load_file(str(sorted((straight / "checkpoints").iterdir())[-1] / "model.safetensors"))
    final_b = load_file(str(sorted((stopped / "checkpoints").iterdir())[-1] / "model.safetensors"))
    for name, tensor in final_a.items():
        assert torch.allclose(tensor, final_b[name], atol=1e-6), name


class _TwoPassTrainer(Trainer):
    """The trainer with the separate old-log-prob pass forced on (the reference for the single update)."""

    @property
    def single_update(self) -> bool:
        return False


def test_single_update_reads_old_logprobs_off_its_own_forward(tiny_model_dir: Path, tmp_path: Path) -> None:
    # batch = 2 prompts x 2 = 4 = minibatch: one optimizer update, no separate old-log-prob pass. It must
    # give what the separate pass gives (same rollouts: same seed and weights), and a ratio of exactly 1.
    def overrides(run: str) -> list[str]:
        base = [*tiny_overrides(tiny_model_dir, tmp_path / run), "trainer.minibatch_size=4"]
        # room for the tiny tokenizer's long prompts, so that every trajectory has loss tokens
        return [*base, "rollout.loop.max_total_tokens=4000", "trainer.steps=1", "warmup.enabled=false"]

    one = Trainer(load_config(None, [*overrides("one"), "eval.at_start=false"]))
    two = _TwoPassTrainer(load_config(None, [*overrides("two"), "eval.at_start=false"]))
    try:
        assert one.single_update and not two.single_update
        got, want = one.train_step(1), two.train_step(1)
        assert got[m.POLICY_RATIO_MEAN] == 1.0 and got[m.POLICY_RATIO_CLIP_FRAC] == 0.0
        for key in (m.POLICY_LOSS, "train/grad_norm", "rollout/logprob_mismatch/abs_mean", m.POLICY_RATIO_MEAN):
            assert math.isclose(got[key], want[key], rel_tol=1e-4, abs_tol=1e-5), key
        for (name, a), (_, b) in zip(one.model.named_parameters(), two.model.named_parameters(), strict=True):
            assert torch.allclose(a, b, atol=1e-6), name
    finally:
        one.close()
        two.close()
