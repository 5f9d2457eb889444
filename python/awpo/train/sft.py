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
from dataclasses import dataclass, field
from typing import Any

import torch

from awpo import metric_names as m
from awpo.config import WarmupConfig
from awpo.data.generator import demonstration
from awpo.data.schema import Task
from awpo.rollout.render import Renderer, ToolObservation
from awpo.train import distributed as dp
from awpo.train.sequences import SequenceBatch, pack, token_logprobs, update_mode

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


@dataclass
class SftProgress:
    """Where a warm-up stands: enough to continue it exactly after a stop (saved in checkpoints)."""

    step: int = 0
    order: list[int] = field(default_factory=list)  # examples left in the current shuffled pass
    rng: list[Any] | None = None  # `random.Random.getstate()`, JSON-friendly

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "order": list(self.order), "rng": self.rng}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SftProgress:
        return cls(step=int(data["step"]), order=[int(i) for i in data["order"]], rng=data.get("rng"))


def _rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _set_rng_state(rng: random.Random, state: list[Any]) -> None:
    version, internal, gauss = state
    rng.setstate((version, tuple(internal), gauss))


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
    optimizer: torch.optim.Optimizer | None = None,
    progress: SftProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    dist: dp.DistContext | None = None,
) -> SftProgress:
    """AdamW steps of token-mean cross-entropy on the assistant tokens, up to `cfg.steps`.

    Continues from `progress` (with the `optimizer` whose state was saved beside it) when given;
    stops early, at a step boundary, when `should_stop()` turns true. Returns the progress reached.

    Under torchrun (`dist`, the model FSDP2-sharded) every rank draws the same global batch and trains on
    its own slice of it (`_rank_rows`), so N ranks make the same update as 1 rank at the same
    `cfg.batch_size`; `should_stop()` must then give one answer on every rank.
    """
    ctx = dist or dp.DistContext.single()
    params = [p for p in model.parameters() if p.requires_grad]
    update_mode(model)  # no dropout; gradient checkpointing (when enabled) active
    if optimizer is None:
        optimizer = make_sft_optimizer(model, cfg)
    progress = progress or SftProgress()
    rng = random.Random(seed)
    if progress.rng is not None:
        _set_rng_state(rng, progress.rng)
    order = list(progress.order)
    for step in range(progress.step + 1, cfg.steps + 1):
        start = time.perf_counter()
        batch_examples = []
        for _ in range(cfg.batch_size):
            if not order:
                order = list(range(len(examples)))
                rng.shuffle(order)
            batch_examples.append(examples[order.pop()])
        # every rank holds the whole batch's examples, so the global token count needs no collective
        total_tokens = sum(sum(e.mask[1:]) for e in batch_examples)
        optimizer.zero_grad(set_to_none=True)
        step_loss = 0.0
        for rows in _rank_rows(len(batch_examples), micro_batch_size, ctx):
            # an empty micro-batch (this rank's slice is shorter) runs a zero-weight pass: every rank
            # must run the same FSDP forwards and backwards
            batch = sft_batch([batch_examples[i] for i in rows or [0]], pad_id)
            logp = token_logprobs(model, batch, autocast=autocast)  # (b, T-1)
            mask = batch.mask.to(logp.device) * (1.0 if rows else 0.0)
            loss = -(logp * mask).sum() / max(total_tokens, 1)  # token mean over the whole (global) batch
            (loss * ctx.world_size).backward()  # FSDP averages gradients over ranks; this rank's is its share
            step_loss += float(loss.detach())
        (step_loss,) = ctx.all_reduce([step_loss])
        grad_norm = (
            dp.full_tensor(torch.nn.utils.clip_grad_norm_(params, max_grad_norm))
            if max_grad_norm > 0
            else torch.tensor(0.0)
        )
        optimizer.step()
        progress = SftProgress(step=step, order=list(order), rng=_rng_state(rng))
        if on_step is not None:
            on_step(
                step,
                {
                    m.SFT_LOSS: step_loss,
                    m.SFT_GRAD_NORM: float(grad_norm),
                    m.SFT_TOKENS: float(total_tokens),
                    m.TIME_SFT_STEP: time.perf_counter() - start,
                },
            )
        if not math.isfinite(step_loss):
            raise FloatingPointError(f"warm-up step {step}: the loss is {step_loss}; lower warmup.lr")
        if should_stop is not None and should_stop() and step < cfg.steps:
            break
    optimizer.zero_grad(set_to_none=True)
    return progress


def _rank_rows(batch_size: int, micro_batch_size: int, ctx: dp.DistContext) -> list[list[int]]:
    """This rank's rows of a warm-up batch in micro-batches: rank r takes the contiguous slice
    `[r * n, (r + 1) * n)` with `n = ceil(batch_size / world_size)` (the last ranks may get fewer or none);
    every rank gets the same number of micro-batches, the missing ones empty."""
    n_local = math.ceil(batch_size / ctx.world_size)
    plan = dp.local_micro_batches(range(batch_size), n_local=n_local, micro_batch_size=micro_batch_size, ctx=ctx)
    return [[ctx.rank * n_local + i for i in rows] for rows in plan]


def make_sft_optimizer(model: torch.nn.Module, cfg: WarmupConfig) -> torch.optim.Optimizer:
    return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr, weight_decay=0.0)
