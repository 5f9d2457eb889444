"""Packing trajectories into tensors: targets, masks and log-probs line up token by token."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from awpo.train.sequences import micro_batches, pack, token_logprobs


def test_pack_aligns_targets_masks_and_sampler_logprobs() -> None:
    batch = pack(
        [[1, 2], [3]],
        [[4, 5, 6], [7]],
        [[1, 0, 1], [1]],
        [[-0.1, math.nan, -0.3], [-0.7]],
        pad_id=0,
    )
    assert batch.input_ids.tolist() == [[1, 2, 4, 5, 6], [3, 7, 0, 0, 0]]
    assert batch.attention_mask.tolist() == [[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]
    # target t+1: row 0 targets are 2,4,5,6 -> completion 4 (mask 1), 5 (observation), 6 (mask 1)
    assert batch.mask.tolist() == [[False, True, False, True], [True, False, False, False]]
    assert batch.sampler_logprobs[0].tolist() == pytest.approx([0.0, -0.1, 0.0, -0.3])
    assert batch.sampler_logprobs[1, 0].item() == pytest.approx(-0.7)
    assert batch.n_tokens == 3
    sub = batch.rows([1])
    assert sub.input_ids.tolist() == [[3, 7]] and sub.mask.tolist() == [[True]]


def test_pack_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        pack([[1]], [[2, 3]], [[1]], [[0.0, 0.0]], pad_id=0)
    with pytest.raises(ValueError, match="empty prompt"):
        pack([[]], [[2]], [[1]], [[0.0]], pad_id=0)


def test_token_logprobs_equal_a_direct_log_softmax() -> None:
    torch.manual_seed(0)
    model = LlamaForCausalLM(
        LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2)
    ).eval()
    batch = pack([[1, 2, 3], [4]], [[5, 6], [7, 8, 9]], [[1, 1], [1, 1, 1]], [[0.0] * 2, [0.0] * 3], pad_id=0)
    logp = token_logprobs(model, batch)
    for row in range(2):
        n = int(batch.attention_mask[row].sum())
        ids = batch.input_ids[row : row + 1, :n]
        with torch.no_grad():
            direct = torch.log_softmax(model(input_ids=ids).logits[0, :-1], dim=-1)
        expected = direct.gather(-1, ids[0, 1:, None]).squeeze(-1)
        assert torch.allclose(logp[row, : n - 1], expected, atol=1e-5)


def test_token_logprobs_skip_the_logits_of_the_prompt() -> None:
    # Targets before the first loss-masked one get no logits (0); masked ones equal the full forward.
    torch.manual_seed(0)
    model = LlamaForCausalLM(
        LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2)
    ).eval()
    batch = pack(
        [[1, 2, 3, 4, 5], [6, 7, 8]], [[9, 10], [11, 12, 13]], [[1, 1], [0, 1, 1]], [[0.0] * 2, [0.0] * 3], pad_id=0
    )
    # row 0's first target is index 4, row 1's masked ones are 3 and 4: logits kept from index 3
    logp = token_logprobs(model, batch)
    assert logp.shape == batch.mask.shape == (2, 6)
    assert torch.equal(logp[:, :3], torch.zeros(2, 3))
    for row in range(2):
        n = int(batch.attention_mask[row].sum())
        ids = batch.input_ids[row : row + 1, :n]
        with torch.no_grad():
            direct = torch.log_softmax(model(input_ids=ids).logits[0, :-1], dim=-1).gather(-1, ids[0, 1:, None])
        masked = batch.mask[row, : n - 1]
        assert torch.allclose(logp[row, : n - 1][masked], direct.squeeze(-1)[masked], atol=1e-5)


def test_micro_batches_chunk_in_order() -> None:
    assert list(micro_batches([5, 6, 7, 8, 9], 2)) == [[5, 6], [7, 8], [9]]
