"""Helpers shared by the rollout tests (importable: `tests/` is on pytest's pythonpath).

Kept out of `conftest.py` because several test folders have one and `from conftest import` would
pick whichever was imported first.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from awpo.rollout.engine import SamplingParams
from awpo.rollout.vllm_engine import vllm_available

VLLM_OK, VLLM_WHY = vllm_available()
requires_vllm = pytest.mark.skipif(
    not VLLM_OK, reason=f"vllm is not importable ({VLLM_WHY}); install it with scripts/install_vllm_cpu.sh"
)

GREEDY = SamplingParams(temperature=0.0, max_new_tokens=16)


def forward_logprobs(model: Any, prompt: list[int], generated: list[int]) -> list[float]:
    """log-softmax of one unpadded, uncached forward pass at each generated token (fp32)."""
    ids = torch.tensor([prompt + generated])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits.float(), dim=-1)[0]  # (T, V)
    start = len(prompt) - 1
    return [float(logp[start + i, tok]) for i, tok in enumerate(generated)]
