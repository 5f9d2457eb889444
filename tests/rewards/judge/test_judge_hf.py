"""The `hf` backend against the real judge model: the expectation is the hand computation from the model's
own logits, batching does not change it, and the `Judge` around it handles empty and oversized items."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from judge_testlib import SHORT_RUBRIC, short_prompt, weather_items

from awpo.errors import ModelLoadError
from awpo.rewards.judge import Judge, JudgeConfig, JudgeItem
from awpo.rewards.judge import metrics as m
from awpo.rewards.judge.base import BackendResult
from awpo.rewards.judge.hf import HFJudgeBackend, ScoreDistribution


@pytest.fixture(scope="module")
def batched(hf_backend: HFJudgeBackend) -> list[ScoreDistribution | BackendResult]:
    """The three weather items' distributions from ONE batched, left-padded call."""
    return hf_backend.distributions([short_prompt(i) for i in weather_items()])


def _hand_expected(backend: HFJudgeBackend, messages: list[dict[str, str]]) -> float:
    """E[score] from two plain, unpadded forward passes of the model (no batching, no logits_to_keep)."""
    tok, model = backend.tokenizer, backend.model
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    digit = [tok.convert_tokens_to_ids(str(d)) for d in range(10)]
    with torch.inference_mode():
        first = torch.softmax(model(torch.tensor([ids])).logits[0, -1].double(), -1)  # P(t | prompt)
        after_one = torch.softmax(model(torch.tensor([[*ids, digit[1]]])).logits[0, -1].double(), -1)
    p = [float(first[i]) for i in digit]
    q0 = float(after_one[digit[0]])  # P("0" | prompt, "1")
    # SmolLM2 writes 10 as "1","0": P(10) = p1*q0, P(1) = p1*(1-q0); then divide by the digits' mass.
    numerator = sum(d * p[d] for d in range(10) if d != 1) + 1 * p[1] * (1 - q0) + 10 * p[1] * q0
    return numerator / sum(p)


def test_score_tokens_of_the_default_model(hf_backend: HFJudgeBackend) -> None:
    tok = hf_backend.tokenizer
    assert hf_backend.split_ten and hf_backend.ten_id is None
    assert [tok.decode([i]) for i in hf_backend.digit_ids] == [str(d) for d in range(10)]


def test_expectation_equals_hand_computation_from_logits(
    hf_backend: HFJudgeBackend, items: list[JudgeItem], batched: list[ScoreDistribution | BackendResult]
) -> None:
    prompts = [short_prompt(i) for i in items]
    lengths = [len(hf_backend.render(p)) for p in prompts]
    shortest = int(np.argmin(lengths))  # the most left-padded row of the batch
    dist = batched[shortest]
    assert isinstance(dist, ScoreDistribution)
    assert dist.expected == pytest.approx(_hand_expected(hf_backend, prompts[shortest]), abs=1e-4)


def test_batch_equals_single_and_scores_in_unit_interval(
    hf_backend: HFJudgeBackend, items: list[JudgeItem], batched: list[ScoreDistribution | BackendResult]
) -> None:
    prompts = [short_prompt(i) for i in items]
    lengths = [len(hf_backend.render(p)) for p in prompts]
    assert len(set(lengths)) == 3  # different lengths: the batch really pads
    middle = int(np.argsort(lengths)[1])  # padded in the batch (the shortest is checked by the hand computation)
    (alone,) = hf_backend.distributions([prompts[middle]])
    together = batched[middle]
    assert isinstance(together, ScoreDistribution) and isinstance(alone, ScoreDistribution)
    np.testing.assert_allclose(together.probs, alone.probs, atol=1e-5)
    assert together.mass == pytest.approx(alone.mass, rel=1e-4)
    for dist in batched:
        assert isinstance(dist, ScoreDistribution)
        assert math.isclose(sum(dist.probs), 1.0, abs_tol=1e-9) and min(dist.probs) >= 0.0
        assert 0.0 <= dist.expected <= 10.0
        assert 0.0 < dist.mass <= 1.0
        assert dist.q0 is not None and 0.0 <= dist.q0 <= 1.0


def test_judge_with_the_default_rubric_and_empty_reasoning(hf_backend: HFJudgeBackend, items: list[JudgeItem]) -> None:
    batch = [items[0], JudgeItem(messages=[{"role": "user", "content": "hi"}], reasoning="  ")]
    judge = Judge(hf_backend)  # the built-in rubric
    result = judge.score(batch)
    assert result.errors == [None, None] and result.weighted == [True, False]
    assert 0.0 <= result.scores[0] <= 1.0
    assert result.scores[1] == 0.0  # blank reasoning: a real zero, without a forward pass
    assert result.metrics[m.EMPTY_REASONING_FRAC] == 0.5 and result.metrics[m.FAILURES] == 0.0
    assert result.metrics[m.LOGPROB_WEIGHTED_FRAC] == 0.5
    assert 0.0 < result.metrics[m.SCORE_TOKEN_MASS_MEAN] <= 1.0
    assert set(m.ALL) == set(result.metrics)
    assert judge.totals["judged"] == 1
    only_empty = judge.score([batch[1]])
    assert only_empty.scores.tolist() == [0.0] and math.isnan(only_empty.metrics[m.LATENCY_S_MEAN])
    assert judge.score([]).scores.shape == (0,)


def test_too_long_prompt_is_a_counted_failure(hf_backend: HFJudgeBackend, items: list[JudgeItem]) -> None:
    lengths = [len(hf_backend.render(short_prompt(i))) for i in items]
    limit = sorted(lengths)[0] + 1  # only the shortest prompt (+ the appended "1") fits
    short = HFJudgeBackend(hf_backend.model, hf_backend.tokenizer, model_id="short", max_prompt_tokens=limit)
    result = Judge(short, JudgeConfig(rubric=SHORT_RUBRIC)).score(items)
    for length, score, error in zip(lengths, result.scores, result.errors, strict=True):
        if length + 1 > limit:
            assert math.isnan(score) and error == "too_long"
        else:
            assert 0.0 <= score <= 1.0 and error is None
    assert result.metrics[m.FAILURES] == 2.0 and result.metrics[m.FAILURE_FRAC] == pytest.approx(2 / 3)


def test_from_config_shares_a_loaded_model(hf_backend: HFJudgeBackend) -> None:
    judge = Judge.from_config(
        JudgeConfig(backend="hf", model="policy"), model=hf_backend.model, tokenizer=hf_backend.tokenizer
    )
    assert isinstance(judge.backend, HFJudgeBackend) and judge.backend.model is hf_backend.model
    assert judge.backend.model_id == "policy"
    with pytest.raises(ValueError, match="both model and tokenizer"):
        Judge.from_config(JudgeConfig(), model=hf_backend.model)
    with pytest.raises(ModelLoadError):
        Judge.from_config(JudgeConfig(model="/nonexistent/judge-model"))
    with pytest.raises(ModelLoadError, match="cannot load"):
        HFJudgeBackend.from_pretrained("/nonexistent/judge-model")


def test_submit_runs_in_the_background_and_keeps_order(
    hf_backend: HFJudgeBackend, items: list[JudgeItem], batched: list[ScoreDistribution | BackendResult]
) -> None:
    with Judge(hf_backend, JudgeConfig(rubric=SHORT_RUBRIC)) as judge:
        first = judge.submit(items[:1])
        second = judge.submit(items[1:])
        # The caller is free meanwhile (e.g. for the next rollout batch); both finish, in order.
        a, b = first.result(timeout=600), second.result(timeout=600)
    expected = [d.expected / 10 for d in batched if isinstance(d, ScoreDistribution)]
    np.testing.assert_allclose(np.concatenate([a.scores, b.scores]), expected, atol=1e-5)
