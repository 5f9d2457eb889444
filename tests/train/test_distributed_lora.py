"""LoRA (PEFT) under torchrun: the PEFT-wrapped policy sharded with FSDP2 (2 ranks, gloo, the tiny model)
against 1 rank at the same global batch. The adapters after an update, each rank's engine after the
merged-weight sync, the adapter checkpoint written by rank 0, and a resume from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_distributed import WORKER, _torchrun_train, _worker_overrides

from awpo.train.checkpoint import load_checkpoint

pytest.importorskip("peft")

AGGREGATION = "token-mean"


def _lora_overrides(model_dir: Path) -> list[str]:
    return [
        *_worker_overrides(model_dir),
        "model.lora.enabled=true",
        "model.lora.r=4",
        f"algo.loss.aggregation={AGGREGATION}",
    ]


@pytest.fixture(scope="module")
def lora_runs(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The worker's LoRA update with 1 rank (a plain process) and 2 ranks (torchrun, gloo)."""
    root = tmp_path_factory.mktemp("dist-lora")
    one, two = root / "one", root / "two"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    overrides = _lora_overrides(tiny_model_dir)
    for cmd in (
        [sys.executable, str(WORKER), str(one), *overrides],
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", str(WORKER), str(two), *overrides],
    ):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-4000:]
    return one, two


def test_two_ranks_update_the_adapters_as_one_rank(lora_runs: tuple[Path, Path], tiny_model_dir: Path) -> None:
    from safetensors.torch import load_file

    one, two = lora_runs
    want = torch.load(one / f"params-{AGGREGATION}.pt")
    got = torch.load(two / f"params-{AGGREGATION}.pt")
    assert sorted(want) == sorted(got)
    adapters = [name for name in want if "lora_" in name]
    assert adapters, "no adapter parameters"
    for name, tensor in want.items():
        assert torch.allclose(tensor, got[name], atol=1e-5, rtol=0), name
    want_metrics = json.loads((one / f"metrics-{AGGREGATION}.json").read_text())
    got_metrics = json.loads((two / f"metrics-{AGGREGATION}.json").read_text())
    assert want_metrics["train/grad_norm"] == pytest.approx(got_metrics["train/grad_norm"], rel=1e-5)
    # the adapters learnt (B starts at zero) and the frozen base did not move
    assert any(float(got[name].abs().max()) > 0 for name in adapters if "lora_B" in name)
    base = load_file(str(tiny_model_dir / "model.safetensors"))
    for name, tensor in got.items():
        if "lora_" not in name:
            original = name.removeprefix("base_model.model.").replace("base_layer.", "")
            assert torch.equal(tensor, base[original]), name


def test_every_rank_engine_gets_the_merged_weights(lora_runs: tuple[Path, Path]) -> None:
    # 1 rank samples from the PEFT model itself (adapters unmerged); under torchrun each rank's engine
    # holds the merged weights gathered from the shards: both must give the same tokens and logits
    one, two = lora_runs
    want = json.loads((one / f"greedy-{AGGREGATION}-rank0.json").read_text())
    for rank in (0, 1):
        got = json.loads((two / f"greedy-{AGGREGATION}-rank{rank}.json").read_text())
        assert got["tokens"] == want["tokens"], rank
        assert torch.allclose(torch.tensor(got["logits"]), torch.tensor(want["logits"]), atol=1e-5), rank


def test_rank_zero_writes_the_adapter_and_a_torchrun_job_resumes_from_it(
    lora_runs: tuple[Path, Path], tiny_model_dir: Path, tmp_path: Path
) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    _, two = lora_runs
    path = two / f"run-{AGGREGATION}" / "checkpoints" / "step-000001"
    checkpoint = load_checkpoint(path)
    assert checkpoint.world_size == 2 and checkpoint.sharded
    assert (path / "adapter_model.safetensors").exists() and not (path / "model.safetensors").exists()
    loaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), path).state_dict()
    gathered = torch.load(two / f"params-{AGGREGATION}.pt")
    for name, tensor in gathered.items():
        assert torch.equal(loaded[name], tensor), name

    run = tmp_path / "resumed"
    done = subprocess.run(
        _torchrun_train(
            "--resume", str(path), *_lora_overrides(tiny_model_dir), f"output.dir={run}", "trainer.steps=2"
        ),
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    resumed = run / "checkpoints" / "step-000002"
    assert load_checkpoint(resumed).world_size == 2
    assert (resumed / "adapter_model.safetensors").exists()
