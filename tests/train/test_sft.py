"""The warm-up tokenises demonstrations in the rollout layout and actually fits them."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from awpo.config import WarmupConfig
from awpo.data.generator import GeneratorConfig, demonstration, generate
from awpo.rollout.render import Renderer
from awpo.train.sft import build_examples, demonstration_example, run_sft


@pytest.fixture(scope="module")
def renderer(tiny_model_dir: Path) -> Renderer:
    return Renderer(AutoTokenizer.from_pretrained(tiny_model_dir))


@pytest.fixture(scope="module")
def tasks() -> list:  # type: ignore[type-arg]
    return generate(GeneratorConfig(per_family=3)).train


def test_single_turn_layout(renderer: Renderer, tasks: list) -> None:  # type: ignore[type-arg]
    task = next(t for t in tasks if t.meta["kind"] == "single")
    example = demonstration_example(task, renderer)
    prompt = renderer.prompt_ids(task.messages, task.tools)
    assert example.ids[: len(prompt)] == prompt and not any(example.mask[: len(prompt)])
    trained = [i for i, keep in zip(example.ids, example.mask, strict=True) if keep]
    assert trained[-1] == renderer.end_of_turn_id
    assert renderer.tokenizer.decode(trained[:-1]) == demonstration(task)[0]["content"]


def test_multi_step_observations_are_not_trained(renderer: Renderer, tasks: list) -> None:  # type: ignore[type-arg]
    task = next(t for t in tasks if t.meta["kind"] == "multi_step")
    example = demonstration_example(task, renderer)
    turns = [m for m in demonstration(task) if m["role"] == "assistant"]
    trained_eos = sum(
        1 for i, keep in zip(example.ids, example.mask, strict=True) if keep and i == renderer.end_of_turn_id
    )
    assert trained_eos == len(turns) >= 2
    # some untrained tokens sit between the prompt and the last turn: the tool observations
    prompt_len = len(renderer.prompt_ids(task.messages, task.tools))
    assert 0 in example.mask[prompt_len:]


def test_sft_lowers_the_loss(tiny_model_dir: Path, renderer: Renderer, tasks: list) -> None:  # type: ignore[type-arg]
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    examples = build_examples(tasks[:2], renderer, max_length=2048)
    losses = run_sft(
        model,
        examples,
        WarmupConfig(enabled=True, steps=20, batch_size=2, lr=1e-2),
        pad_id=0,
        seed=0,
        autocast=False,
        micro_batch_size=1,
    )
    assert losses[-1] < 0.5 * losses[0]


def test_too_long_demonstrations_are_refused_clearly(renderer: Renderer, tasks: list) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=r"warmup\.max_length"):
        build_examples(tasks[:2], renderer, max_length=16)
