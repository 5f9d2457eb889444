"""The `hf` engine on the real default model: logprobs, padding, seeds, stop conditions, weight updates."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from rollout_support import GREEDY, forward_logprobs

from awpo.rollout.engine import Engine, SamplingParams
from awpo.rollout.hf_engine import HFEngine

SAMPLED = SamplingParams(temperature=1.0, top_p=0.95, max_new_tokens=12, seed=7)


@pytest.fixture(scope="module")
def sampled(hf_engine: HFEngine, chat_prompts: list[list[int]]) -> list[Any]:
    return hf_engine.generate(chat_prompts, SAMPLED)


@pytest.fixture(scope="module")
def greedy_batch(hf_engine: HFEngine, chat_prompts: list[list[int]]) -> list[Any]:
    return hf_engine.generate(chat_prompts, GREEDY)


def test_engine_satisfies_the_protocol(hf_engine: HFEngine) -> None:
    assert isinstance(hf_engine, Engine)
    assert hf_engine.name == "hf"


def test_sampled_logprobs_equal_a_direct_forward_pass(model: Any, chat_prompts: list[list[int]], sampled: Any) -> None:
    # The batch is left-padded and decoded with a KV cache; the reference is one unpadded forward pass.
    for prompt, out in zip(chat_prompts, sampled, strict=True):
        assert 0 < len(out.token_ids) <= SAMPLED.max_new_tokens
        reference = forward_logprobs(model, prompt, out.token_ids)
        assert out.logprobs == pytest.approx(reference, abs=2e-4)
        assert all(lp <= 0.0 and math.isfinite(lp) for lp in out.logprobs)


def test_left_padded_batch_equals_single_prompts(
    hf_engine: HFEngine, chat_prompts: list[list[int]], greedy_batch: Any
) -> None:
    for prompt, batched in zip(chat_prompts, greedy_batch, strict=True):
        (single,) = hf_engine.generate([prompt], GREEDY)
        assert single.token_ids == batched.token_ids
        assert single.logprobs == pytest.approx(batched.logprobs, abs=2e-4)
        assert single.finish_reason == batched.finish_reason


def test_same_seed_same_samples_other_seed_other_samples(
    hf_engine: HFEngine, chat_prompts: list[list[int]], sampled: Any
) -> None:
    again = hf_engine.generate(chat_prompts, SAMPLED)
    assert [o.token_ids for o in again] == [o.token_ids for o in sampled]
    other = hf_engine.generate(chat_prompts, SamplingParams(temperature=1.0, top_p=0.95, max_new_tokens=12, seed=8))
    assert [o.token_ids for o in other] != [o.token_ids for o in sampled]


def test_broadcast_seed_is_offset_per_row(hf_engine: HFEngine, chat_prompts: list[list[int]], sampled: Any) -> None:
    # Row i of a broadcast SamplingParams(seed=s) is the single prompt sampled with seed s + i.
    i = 2
    single = hf_engine.generate(
        [chat_prompts[i]], SamplingParams(temperature=1.0, top_p=0.95, max_new_tokens=12, seed=7 + i)
    )[0]
    assert single.token_ids == sampled[i].token_ids


def test_tiny_top_p_is_greedy(hf_engine: HFEngine, chat_prompts: list[list[int]], greedy_batch: Any) -> None:
    nucleus_of_one = SamplingParams(temperature=1.0, top_p=1e-9, max_new_tokens=16, seed=3)
    out = hf_engine.generate(chat_prompts[:1], nucleus_of_one)
    assert out[0].token_ids == greedy_batch[0].token_ids


def test_length_finish_reason(hf_engine: HFEngine, chat_prompts: list[list[int]]) -> None:
    (out,) = hf_engine.generate(chat_prompts[:1], SamplingParams(temperature=0.0, max_new_tokens=3, ignore_eos=True))
    assert len(out.token_ids) == 3
    assert out.finish_reason == "length"


def test_stop_token_id_ends_and_is_kept(hf_engine: HFEngine, chat_prompts: list[list[int]], greedy_batch: Any) -> None:
    greedy = greedy_batch[0].token_ids
    stop_at = greedy[3]
    first = greedy.index(stop_at)
    (out,) = hf_engine.generate(
        chat_prompts[:1], SamplingParams(temperature=0.0, max_new_tokens=16, stop_token_ids=(stop_at,))
    )
    assert out.token_ids == greedy[: first + 1]
    assert out.finish_reason == "stop"


def test_stop_string_ends_at_the_completing_token(
    hf_engine: HFEngine, tokenizer: Any, chat_prompts: list[list[int]], greedy_batch: Any
) -> None:
    greedy = greedy_batch[0].token_ids
    stop = tokenizer.decode(greedy[4:6]).strip()
    assert stop
    (out,) = hf_engine.generate(chat_prompts[:1], SamplingParams(temperature=0.0, max_new_tokens=16, stop=(stop,)))
    assert out.finish_reason == "stop"
    assert out.token_ids == greedy[: len(out.token_ids)]
    assert stop in tokenizer.decode(out.token_ids)
    assert stop not in tokenizer.decode(out.token_ids[:-1])


def test_eos_stops_and_is_kept(hf_engine: HFEngine, chat_prompts: list[list[int]]) -> None:
    (out,) = hf_engine.generate(chat_prompts[:1], SamplingParams(temperature=0.0, max_new_tokens=64))
    # SmolLM2 answers "The capital of France is Paris." and closes its turn with <|im_end|> (id 2).
    assert out.finish_reason == "stop"
    assert out.token_ids[-1] in hf_engine.eos_ids


def test_update_weights_changes_and_restores_output(
    hf_engine: HFEngine, model: Any, chat_prompts: list[list[int]], greedy_batch: Any
) -> None:
    original = {k: v.detach().clone() for k, v in model.state_dict().items()}
    gen = torch.Generator().manual_seed(0)
    perturbed = {k: v * (1 + 0.3 * torch.randn(v.shape, generator=gen)) for k, v in original.items()}
    try:
        hf_engine.update_weights(perturbed.items())
        changed = hf_engine.generate(chat_prompts[:1], GREEDY)[0]
        assert changed.token_ids != greedy_batch[0].token_ids
    finally:
        hf_engine.update_weights(original.items())
    restored = hf_engine.generate(chat_prompts[:1], GREEDY)[0]
    assert restored.token_ids == greedy_batch[0].token_ids


def test_update_weights_rejects_unknown_names(hf_engine: HFEngine) -> None:
    with pytest.raises(ValueError, match="unknown weight names"):
        hf_engine.update_weights([("not.a.weight", torch.zeros(1))])


def test_bad_prompts_are_rejected(hf_engine: HFEngine) -> None:
    with pytest.raises(ValueError, match="empty"):
        hf_engine.generate([[]], GREEDY)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        hf_engine.generate([[10**9]], GREEDY)
    with pytest.raises(ValueError, match="sampling params"):
        hf_engine.generate([[1], [2]], [GREEDY])


def test_exponential_race_samples_the_softmax() -> None:
    # The sampler without a model: 20k draws from softmax([0, 1, 2, 3] / 1) match the probabilities.
    logits = torch.tensor([0.0, 1.0, 2.0, 3.0])
    probs = torch.softmax(logits, dim=-1)  # [0.032, 0.087, 0.237, 0.644]
    gen = torch.Generator().manual_seed(0)
    params = SamplingParams(temperature=1.0)
    counts = torch.zeros(4)
    n = 20_000
    for _ in range(n):
        counts[HFEngine._sample(logits, params, gen)] += 1
    # 4 standard errors of a binomial proportion at n = 20k is at most 4 * sqrt(0.25 / 20k) = 0.014.
    assert torch.allclose(counts / n, probs, atol=0.014)


def test_top_p_keeps_the_smallest_nucleus() -> None:
    # probs [0.644, 0.237, 0.087, 0.032]: top_p = 0.8 keeps {3, 2} (0.644 < 0.8 <= 0.881), so 0 and 1 never appear.
    logits = torch.tensor([0.0, 1.0, 2.0, 3.0])
    gen = torch.Generator().manual_seed(1)
    params = SamplingParams(temperature=1.0, top_p=0.8)
    seen = {HFEngine._sample(logits, params, gen) for _ in range(2000)}
    assert seen == {2, 3}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": -1.0}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"stop": ("",)}, "non-empty"),
    ],
)
def test_sampling_params_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SamplingParams(**kwargs)
