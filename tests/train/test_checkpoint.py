"""Atomic checkpoints, pruning, corruption fallback and exact RNG round-trips."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, models
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from awpo.train.checkpoint import (
    STATE_FILE,
    CheckpointError,
    CheckpointManager,
    TrainerState,
    capture_rng,
    load_checkpoint,
    restore_rng,
)


@pytest.fixture(scope="module")
def tiny_model() -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2
    )
    return LlamaForCausalLM(config)


@pytest.fixture(scope="module")
def tiny_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {f"t{i}": i for i in range(32)}
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="t0")))


def _save(manager: CheckpointManager, step: int, model: LlamaForCausalLM, tok: PreTrainedTokenizerFast) -> Path:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    state = TrainerState(data_position={"epoch": 0, "index": step}, config={"seed": 1}, rng=capture_rng())
    return manager.save(step, model=model, tokenizer=tok, state=state, optimizer=optimizer)


def test_save_load_round_trip(
    tmp_path: Path, tiny_model: LlamaForCausalLM, tiny_tokenizer: PreTrainedTokenizerFast
) -> None:
    manager = CheckpointManager(tmp_path, keep_last=2)
    path = _save(manager, 3, tiny_model, tiny_tokenizer)
    assert path.name == "step-000003"
    assert (path / "model.safetensors").exists()
    reloaded = LlamaForCausalLM.from_pretrained(path)
    for (name, a), (_, b) in zip(tiny_model.state_dict().items(), reloaded.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    checkpoint = load_checkpoint(path)
    assert checkpoint.step == 3 and checkpoint.state.data_position == {"epoch": 0, "index": 3}
    assert set(checkpoint.load_training_tensors()) == {"optimizer", "scheduler"}


def test_keeps_last_k_and_leaves_no_temporaries(
    tmp_path: Path, tiny_model: LlamaForCausalLM, tiny_tokenizer: PreTrainedTokenizerFast
) -> None:
    manager = CheckpointManager(tmp_path, keep_last=2)
    for step in (1, 2, 3):
        _save(manager, step, tiny_model, tiny_tokenizer)
    assert [p.name for p in manager.list()] == ["step-000002", "step-000003"]
    assert not list(tmp_path.glob(".tmp-*"))


def test_corrupt_latest_falls_back_to_previous(
    tmp_path: Path,
    tiny_model: LlamaForCausalLM,
    tiny_tokenizer: PreTrainedTokenizerFast,
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = CheckpointManager(tmp_path, keep_last=3)
    _save(manager, 1, tiny_model, tiny_tokenizer)
    newest = _save(manager, 2, tiny_model, tiny_tokenizer)
    weights = newest / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # a torn write
    with pytest.raises(CheckpointError, match="expected"):
        load_checkpoint(newest)
    latest = manager.latest()
    assert latest is not None and latest.step == 1
    assert "skipping corrupt checkpoint" in caplog.text


def test_unreadable_state_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "step-000001").mkdir()
    with pytest.raises(CheckpointError, match="not an awpo checkpoint"):
        load_checkpoint(tmp_path / "step-000001")
    (tmp_path / "step-000001" / STATE_FILE).write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable"):
        load_checkpoint(tmp_path / "step-000001")
    (tmp_path / "step-000001" / STATE_FILE).write_text(json.dumps({"format_version": 99}))
    with pytest.raises(CheckpointError, match="unknown format"):
        load_checkpoint(tmp_path / "step-000001")


def test_rng_round_trip_reproduces_draws() -> None:
    state = json.loads(json.dumps(capture_rng()))  # it must survive JSON
    first = (random.random(), np.random.rand(), torch.rand(3).tolist())
    restore_rng(state)
    assert (random.random(), np.random.rand(), torch.rand(3).tolist()) == first
