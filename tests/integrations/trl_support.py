"""Helpers of the TRL integration tests (also imported by the torchrun script `trl_ddp_run.py`)."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: tiny_model

with warnings.catch_warnings():  # TRL warns at import (vLLM 0.32 > its tested 0.31; torch.jit deprecations)
    warnings.simplefilter("ignore")
    import trl  # noqa: F401
    from trl.trainer.grpo_trainer import GRPOTrainer  # noqa: F401

from tiny_model import make_tiny_model  # noqa: E402

TOOL_ANSWER = {"tool_calls": [{"name": "calculate", "arguments": {"expression": "2+3"}}]}
TOOL_CALL_TEXT = (
    '<think>add two and three</think>\n<tool_call>\n{"name": "calculate", "arguments": {"expression": "2+3"}}\n'
    "</tool_call>"
)


def qwen_template() -> str:
    """TRL's Qwen2.5 chat template: ChatML with tools, whose tool-call parser TRL knows."""
    return (Path(trl.__file__).parent / "chat_templates" / "qwen2_5.jinja").read_text()


def tool_calling_model(path: Path, prompts: Sequence[list[dict[str, str]]], steps: int = 150) -> Path:
    """The tiny test model, taught (a few seconds of supervised steps) to answer every prompt with
    `TOOL_CALL_TEXT`, with TRL's Qwen2.5 chat template; saved to `path`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    make_tiny_model(path)
    tok = AutoTokenizer.from_pretrained(path)
    tok.chat_template = qwen_template()
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    target = tok(TOOL_CALL_TEXT + tok.eos_token, add_special_tokens=False)["input_ids"]
    rows = []
    for messages in prompts:
        prompt = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=False)
        rows.append((list(prompt), list(target)))
    torch.manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        loss = torch.zeros(())
        for prompt, completion in rows:
            ids = torch.tensor([prompt + completion])
            labels = torch.tensor([[-100] * len(prompt) + completion])
            loss = loss + model(input_ids=ids, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


class ScriptedReward:
    """A reward function with TRL's signature that returns given values, call after call (the "same
    rewards" for two trainers whose completions differ); records what it was given."""

    def __init__(self, name: str, calls: Sequence[Sequence[float | None]], reward_range: tuple[float, float]) -> None:
        self.__name__ = name
        self.calls = [list(c) for c in calls]
        self.reward_range = reward_range
        self.seen: list[dict[str, Any]] = []

    def __call__(self, prompts: Any, completions: Any, completion_ids: Any, **kwargs: Any) -> list[float | None]:
        k = len(self.seen)
        self.seen.append({"completions": completions, "n": len(completions)})
        values = self.calls[k % len(self.calls)]
        if len(values) != len(completions):
            raise AssertionError(f"{self.__name__}: {len(completions)} completions, scripted {len(values)}")
        return list(values)


def dump(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload), encoding="utf-8")
