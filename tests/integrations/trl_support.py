"""Helpers of the TRL integration tests (also imported by the torchrun script `trl_ddp_run.py`)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

with warnings.catch_warnings():  # TRL warns at import (vLLM 0.32 > its tested 0.31; torch.jit deprecations)
    warnings.simplefilter("ignore")
    import trl
    from trl.trainer.grpo_trainer import GRPOTrainer  # noqa: F401


TOOL_ANSWER = {"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}
TOOL_CALL_TEXT = '<think>sum</think>\n<tool_call>\n{"name": "add", "arguments": {"a": 2, "b": 3}}\n</tool_call>'


def qwen_template() -> str:
    """TRL's Qwen2.5 chat template: ChatML with tools, whose tool-call parser TRL knows."""
    return (Path(trl.__file__).parent / "chat_templates" / "qwen2_5.jinja").read_text()


def _tokenizer(corpus: Sequence[str]) -> Any:
    """A byte-level BPE tokenizer trained on `corpus` (so the long tool prompt is a few dozen tokens)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=3000, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(list(corpus) * 20, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = qwen_template()
    return fast


def tool_calling_model(
    path: Path, prompts: Sequence[list[dict[str, str]]], tools: Sequence[Any] | None = None, steps: int = 150
) -> Path:
    """A tiny Llama with TRL's Qwen2.5 chat template, taught (seconds of supervised steps) to answer every
    prompt, rendered with `tools` as TRL renders it, with `TOOL_CALL_TEXT`; saved to `path`."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    probe = _tokenizer(["x"])
    rendered = [probe.apply_chat_template(m, tools=tools, add_generation_prompt=True, tokenize=False) for m in prompts]
    tok = _tokenizer([*rendered, TOOL_CALL_TEXT, "<tool_response>\n5\n</tool_response>"])
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.eos_token_id,
    )
    model = LlamaForCausalLM(config)
    target = tok(TOOL_CALL_TEXT + tok.eos_token, add_special_tokens=False)["input_ids"]
    rows = []
    for messages in prompts:
        prompt = tok.apply_chat_template(
            messages, tools=tools, add_generation_prompt=True, tokenize=True, return_dict=False
        )
        rows.append((list(prompt), list(target)))
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
