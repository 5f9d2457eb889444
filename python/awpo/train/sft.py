"""Supervised warm-up on built-in demonstrations (`awpo sft`, and the `warmup` stage of `awpo train`).

A raw small model almost never emits the `<think>`/`<tool_call>` format, so every AWPO group ties
and there is nothing to learn from. A short SFT stage on the generator's demonstrations fixes that.
Demonstrations are tokenised the way rollouts are: the prompt as the renderer renders it, each
assistant turn followed by the end-of-turn token, tool results as the renderer's observation ids
(not trained on), so SFT and RL see the same token layout.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from awpo.config import WarmupConfig
from awpo.data.generator import demonstration
from awpo.data.schema import Task
from awpo.rollout.render import Renderer, ToolObservation
from awpo.train.sequences import SequenceBatch, micro_batches, pack, token_logprobs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SftExample:
    """Token ids of prompt + demonstration, and which of them are trained on."""

    task_id: str
    ids: list[int]
    mask: list[int]  # 1 on assistant tokens (incl. each turn's end-of-turn token)


def demonstration_example(task: Task, renderer: Renderer, *, max_tool_response_tokens: int = 256) -> SftExample:
    """Tokenise `task`'s demonstration in the rollout layout."""
    tokenizer = renderer.tokenizer
    ids = list(renderer.prompt_ids(task.messages, task.tools))
    mask = [0] * len(ids)
    pending: list[ToolObservation] = []
    for message in demonstration(task):
        if message["role"] == "tool":
            content = renderer.truncate(str(message["content"]), max_tool_response_tokens)
            pending.append(ToolObservation(str(message.get("name", "")), content))
            continue
        if pending:
            observation = renderer.observation_ids(pending, turn_closed=True)
            ids += observation
            mask += [0] * len(observation)
            pending = []
        turn = [*tokenizer.encode(str(message["content"]), add_special_tokens=False), renderer.end_of_turn_id]
        ids += turn
        mask += [1] * len(turn)
    return SftExample(task.id, ids, mask)


def build_examples(
    tasks: Sequence[Task], renderer: Renderer, *, max_length: int, max_tool_response_tokens: int = 256
) -> list[SftExample]:
    """Examples of every task that fits `max_length` tokens; longer ones are skipped and counted."""
    examples = [demonstration_example(t, renderer, max_tool_response_tokens=max_tool_response_tokens) for t in tasks]
    kept = [e for e in examples if len(e.ids) <= max_length]
    if len(kept) < len(examples):
        logger.warning(
            "warm-up: skipped %d of %d demonstrations longer than %d tokens",
            len(examples) - len(kept),
            len(examples),
            max_length,
        )
    if not kept:
        raise ValueError(f"no demonstration fits warmup.max_length={max_length}; raise it")
    return kept


def sft_batch(examples: Sequence[SftExample], pad_id: int) -> SequenceBatch:
    return pack(
        [e.ids[:1] for e in examples],
        [e.ids[1:] for e in examples],
        [e.mask[1:] for e in examples],
        [[0.0] * (len(e.ids) - 1) for e in examples],
        pad_id=pad_id,
    )


def run_sft(
    model: torch.nn.Module,
    examples: Sequence[SftExample],
    cfg: WarmupConfig,
    *,
    pad_id: int,
    seed: int,
    autocast: bool,
    micro_batch_size: int = 4,
    max_grad_norm: float = 1.0,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> list[float]:
    """`cfg.steps` AdamW steps of token-mean cross-entropy on the assistant tokens; returns the losses."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    rng = random.Random(seed)
    order: list[int] = []
    losses: list[float] = []
    for step in range(1, cfg.steps + 1):
        start = time.perf_counter()
        batch_examples = []
        for _ in range(cfg.batch_size):
            if not order:
                order = list(range(len(examples)))
                rng.shuffle(order)
            batch_examples.append(examples[order.pop()])
        total_tokens = sum(sum(e.mask[1:]) for e in batch_examples)
        optimizer.zero_grad(set_to_none=True)
        step_loss = 0.0
        for rows in micro_batches(range(len(batch_examples)), micro_batch_size):
            batch = sft_batch([batch_examples[i] for i in rows], pad_id)
            logp = token_logprobs(model, batch, autocast=autocast)  # (b, T-1)
            mask = batch.mask.to(logp.device)
            loss = -(logp * mask).sum() / max(total_tokens, 1)  # token mean over the whole batch
            loss.backward()
            step_loss += float(loss.detach())
        grad_norm = torch.nn.utils.clip_grad_norm_(params, max_grad_norm) if max_grad_norm > 0 else torch.tensor(0.0)
        optimizer.step()
        losses.append(step_loss)
        if on_step is not None:
            on_step(
                step,
                {
                    "sft/loss": step_loss,
                    "sft/grad_norm": float(grad_norm),
                    "sft/tokens": float(total_tokens),
                    "time/sft_step_s": time.perf_counter() - start,
                },
            )
        if not math.isfinite(step_loss):
            raise FloatingPointError(f"warm-up step {step}: the loss is {step_loss}; lower warmup.lr")
    optimizer.zero_grad(set_to_none=True)
    return losses
