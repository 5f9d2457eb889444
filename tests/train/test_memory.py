"""The per-rank memory estimate of `awpo check` (awpo/train/memory.py): a hand-computed case, the
presets it must pass or fail, and sharding by world size."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from awpo.config import load_config
from awpo.train.memory import GIB, RUNTIME_BYTES, ModelDims, estimate_memory, fit_message

ROOT = Path(__file__).resolve().parents[2]
QWEN3_4B = SimpleNamespace(
    hidden_size=2560,
    num_attention_heads=32,
    num_key_value_heads=8,
    head_dim=128,
    num_hidden_layers=36,
    intermediate_size=9728,
    vocab_size=151936,
    tie_word_embeddings=True,
)
SMOLLM2_135M = SimpleNamespace(
    hidden_size=576,
    num_attention_heads=9,
    num_key_value_heads=3,
    num_hidden_layers=30,
    intermediate_size=1536,
    vocab_size=49152,
    tie_word_embeddings=True,
)
SMALL = ModelDims(n_params=1000, layers=2, hidden=4, intermediate=8, heads=2, kv_heads=1, head_dim=2, vocab=10)


def test_parameter_counts_of_known_models() -> None:
    assert ModelDims.from_hf_config(QWEN3_4B).n_params == pytest.approx(4.02e9, rel=0.01)
    assert ModelDims.from_hf_config(SMOLLM2_135M).n_params == pytest.approx(134.5e6, rel=0.01)


def test_estimate_by_hand() -> None:
    cfg = load_config(
        None,
        [
            "rollout.engine=hf",
            "judge.backend=openai",
            "judge.model=m",
            "judge.base_url=http://127.0.0.1:1/v1",
            "trainer.micro_batch_size=1",
            "trainer.minibatch_size=1",
            "rollout.loop.max_total_tokens=16",
            "rollout.loop.max_new_tokens=8",
            "model.autocast=off",
        ],
    )
    parts = estimate_memory(cfg, SMALL).parts
    assert parts["runtime"] == RUNTIME_BYTES
    assert parts["policy weights"] == 1000 * 4
    assert parts["gradients"] == 1000 * 4
    assert parts["optimizer (AdamW)"] == 2 * 1000 * 4
    # 16 tokens x (8 x 4 + 4 x 8) values x 4 bytes per layer, 2 layers
    assert parts["activations"] == 2 * 16 * 64 * 4
    assert parts["logits"] == 16 * 10 * 4 * 3
    # hf engine sharing the policy: its KV cache only, 2 x 2 layers x 1 head x 2 x (2 x 4 rows) x 16 tokens x 4 B
    assert parts["rollout engine"] == 2 * 2 * 1 * 2 * 8 * 16 * 4
    assert "judge" not in parts

    checkpointed = estimate_memory(
        cfg.model_copy(update={"model": cfg.model.model_copy(update={"gradient_checkpointing": True})}), SMALL
    )
    # each layer keeps only its input (16 x 4 values), plus one layer's recompute
    assert checkpointed.parts["activations"] == 2 * 16 * 4 * 4 + 16 * 64 * 4


def test_world_size_shards_weights_gradients_and_optimizer() -> None:
    cfg = load_config(None, ["rollout.engine=hf"])
    dims = ModelDims.from_hf_config(SMOLLM2_135M)
    one, two = estimate_memory(cfg, dims).parts, estimate_memory(cfg, dims, world_size=2).parts
    assert two["optimizer (AdamW)"] == one["optimizer (AdamW)"] / 2
    assert two["gradients"] == one["gradients"] / 2
    # half the weights, plus two gathered layers; the engine is a full copy on each rank
    assert two["policy weights"] == one["policy weights"] / 2 + 2 * dims.layer_params * 4
    assert two["rollout engine"] > dims.n_params * 4


def test_default_run_estimate_covers_its_measured_peak() -> None:
    # docs/BENCHMARKS.md: the default run peaks at ~12-13 GB RSS with vLLM, 9.9 GB with the hf engine
    dims = ModelDims.from_hf_config(SMOLLM2_135M)
    assert estimate_memory(load_config(None, []), dims).total >= 13e9
    assert estimate_memory(load_config(None, ["rollout.engine=hf"]), dims).total >= 9.9e9


def test_paper_preset_fits_one_80_gib_gpu_and_full_finetuning_does_not() -> None:
    dims = ModelDims.from_hf_config(QWEN3_4B)
    cfg = load_config(ROOT / "configs" / "paper_gpu.yaml", [])
    fits, line = fit_message(estimate_memory(cfg, dims, device="cuda", device_bytes=80 * GIB), 80 * GIB, "one GPU")
    assert fits, line

    full = load_config(ROOT / "configs" / "paper_gpu.yaml", ["model.lora.enabled=false", "trainer.micro_batch_size=4"])
    estimate = estimate_memory(full, dims, device="cuda", device_bytes=80 * GIB)
    fits, line = fit_message(estimate, 80 * GIB, "one GPU")
    assert not fits
    assert f"{(estimate.total - 80 * GIB) / GIB:.1f} GiB over" in line
    # the same full fine-tuning sharded over 8 GPUs: 60 GiB of states become 7.5 per rank
    sharded = estimate_memory(full, dims, world_size=8, device="cuda", device_bytes=80 * GIB)
    assert sharded.parts["optimizer (AdamW)"] + sharded.parts["gradients"] == pytest.approx(
        (estimate.parts["optimizer (AdamW)"] + estimate.parts["gradients"]) / 8
    )


def test_eight_gpu_preset_fits_each_80_gib_gpu() -> None:
    dims = ModelDims.from_hf_config(QWEN3_4B)
    cfg = load_config(ROOT / "configs" / "paper_8gpu.yaml", [])
    assert cfg.rollout.prompts_per_step % 8 == 0
    estimate = estimate_memory(cfg, dims, world_size=8, device="cuda", device_bytes=80 * GIB)
    fits, line = fit_message(estimate, 80 * GIB, "one GPU")
    assert fits, line
    # unsharded, the same preset would not fit
    assert not fit_message(estimate_memory(cfg, dims, device="cuda", device_bytes=80 * GIB), 80 * GIB, "")[0]
