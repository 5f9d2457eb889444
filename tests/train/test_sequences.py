"""Packing trajectories into tensors: targets, masks and log-probs line up token by token."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from awpo.train import sequences
from awpo.train.sequences import micro_batches, pack, shared_prefix_length, token_logprobs, update_mode


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


def _group_batch(prompt_len: int, completion_lens: list[int], *, seed: int = 1) -> sequences.SequenceBatch:
    """G samples of one prompt (a rollout group): a shared prompt, then completions of their own."""
    gen = torch.Generator().manual_seed(seed)
    prompt = torch.randint(1, 50, (prompt_len,), generator=gen).tolist()
    completions = [torch.randint(1, 50, (n,), generator=gen).tolist() for n in completion_lens]
    masks = [[1] * n for n in completion_lens]
    masks[1][0] = 0  # a tool observation token inside a completion: not a target, still context
    return pack([prompt] * len(completions), completions, masks, [[0.0] * n for n in completion_lens], pad_id=0)


def _tiny_llama(layers: int = 2) -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=layers, num_attention_heads=2
    )
    return LlamaForCausalLM(config).eval()


def test_shared_prefix_length_is_the_longest_common_prefix_of_real_tokens() -> None:
    batch = pack(
        [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 9]],
        [[5], [5, 6], [7]],
        [[1], [1, 1], [1]],
        [[0.0], [0.0] * 2, [0.0]],
        pad_id=0,
    )
    assert shared_prefix_length(batch) == 2
    same = pack([[1, 2, 3]] * 2, [[4], [4, 5]], [[1], [1, 1]], [[0.0], [0.0] * 2], pad_id=0)
    assert shared_prefix_length(same) == 3  # the shorter row keeps its last token to itself
    assert shared_prefix_length(same.rows([0])) == 0  # one row: nothing to share


@pytest.mark.parametrize("prompt_len", [20, 40])
def test_shared_prefix_logprobs_and_gradients_equal_the_plain_forward(
    prompt_len: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The prompt runs once and its cache is repeated for every row: the log-probs and the parameter
    # gradients must be those of the plain batched forward.
    batch = _group_batch(prompt_len, [7, 12, 3, 9])
    assert shared_prefix_length(batch) >= prompt_len
    model = _tiny_llama()
    shared = token_logprobs(model, batch)
    (shared * batch.mask).sum().backward()
    shared_grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    monkeypatch.setattr(sequences, "_MIN_SHARED_PREFIX", 10**9)  # force the plain path
    plain = token_logprobs(model, batch)
    (plain * batch.mask).sum().backward()
    assert torch.allclose(shared[batch.mask], plain[batch.mask], atol=1e-5)
    assert len(shared_grads) == len(list(model.parameters()))
    for name, param in model.named_parameters():
        assert param.grad is not None
        assert torch.allclose(shared_grads[name], param.grad, atol=1e-5, rtol=1e-4), name


def test_shared_prefix_path_is_taken_for_a_group(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = sequences._shared_prefix_logits

    def spy(*args: object, **kwargs: object) -> torch.Tensor | None:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sequences, "_shared_prefix_logits", spy)
    model = _tiny_llama(layers=1)
    token_logprobs(model, _group_batch(20, [4, 5]))
    assert calls == [1]
    token_logprobs(model, _group_batch(4, [4, 5]))  # too short a prefix to be worth a second call
    assert calls == [1]


def test_micro_batches_chunk_in_order() -> None:
    assert list(micro_batches([5, 6, 7, 8, 9], 2)) == [[5, 6], [7, 8], [9]]


def test_update_mode_keeps_gradient_checkpointing_working_without_dropout(monkeypatch: pytest.MonkeyPatch) -> None:
    # transformers checkpoints a layer only in training mode; a plain model.eval() silently turned it off.
    model = _tiny_llama()
    model.gradient_checkpointing_enable()
    model.train()
    update_mode(model)
    layers = list(model.model.layers)
    assert all(layer.training for layer in layers)
    assert not any(layer.self_attn.training or layer.mlp.training for layer in layers)  # no dropout
    assert not model.training
    checkpointed: list[int] = []
    for layer in layers:
        real = layer._gradient_checkpointing_func

        def spy(*args: object, _real: object = real, **kwargs: object) -> object:
            checkpointed.append(1)
            return _real(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(layer, "_gradient_checkpointing_func", spy)
    batch = _group_batch(20, [5, 6])
    logp = token_logprobs(model, batch)  # the shared-prefix path is skipped: checkpointed layers drop the cache
    (logp * batch.mask).sum().backward()
    assert len(checkpointed) == len(layers)
    expected = token_logprobs(_tiny_llama(), batch)
    assert torch.allclose(logp.detach(), expected.detach(), atol=1e-5)
