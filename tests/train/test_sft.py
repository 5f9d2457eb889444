"""The warm-up tokenises demonstrations in the rollout layout and actually fits them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from awpo.config import WarmupConfig
from awpo.data.generator import GeneratorConfig, demonstration, generate
from awpo.rollout.render import Renderer
from awpo.train.sft import SftProgress, build_examples, demonstration_example, make_sft_optimizer, run_sft


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
    losses: list[float] = []
    progress = run_sft(
        model,
        examples,
        WarmupConfig(enabled=True, steps=20, batch_size=2, lr=1e-2),
        pad_id=0,
        seed=0,
        autocast=False,
        micro_batch_size=1,
        on_step=lambda step, values: losses.append(values["sft/loss"]),
    )
    assert progress.step == len(losses) == 20
    assert losses[-1] < 0.5 * losses[0]


def test_a_stopped_warmup_continues_exactly(tiny_model_dir: Path, renderer: Renderer, tasks: list) -> None:  # type: ignore[type-arg]
    examples = build_examples(tasks[:3], renderer, max_length=2048)
    cfg = WarmupConfig(enabled=True, steps=6, batch_size=2, lr=1e-3)
    common: dict[str, Any] = {"pad_id": 0, "seed": 3, "autocast": False, "micro_batch_size": 1}

    straight = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    run_sft(straight, examples, cfg, **common)

    stopped = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    optimizer = make_sft_optimizer(stopped, cfg)
    done: list[int] = []
    progress = run_sft(
        stopped,
        examples,
        cfg,
        optimizer=optimizer,
        on_step=lambda step, values: done.append(step),
        should_stop=lambda: len(done) >= 2,
        **common,
    )
    assert progress.step == 2 and done == [1, 2]
    # what a checkpoint holds: the weights, the optimizer state and the JSON progress
    saved = json.loads(json.dumps(progress.to_json()))
    resumed = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    resumed.load_state_dict(stopped.state_dict())
    resumed_optimizer = make_sft_optimizer(resumed, cfg)
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    final = run_sft(
        resumed, examples, cfg, optimizer=resumed_optimizer, progress=SftProgress.from_json(saved), **common
    )
    assert final.step == 6
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), name


def test_too_long_demonstrations_are_refused_clearly(renderer: Renderer, tasks: list) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=r"warmup\.max_length"):
        build_examples(tasks[:2], renderer, max_length=16)
