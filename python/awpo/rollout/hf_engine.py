"""The `hf` engine: transformers forward passes with a KV cache, batched by left padding.

The decoding loop is awpo's own (not `model.generate`) so each row has its own seeded sampler,
temperature, top-p, stop conditions and budget, and so the logprob of every sampled token is the
raw log-softmax the trainer computes. Finished rows leave the batch (their KV cache rows are
dropped), so a batch costs what its live rows cost.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from awpo.rollout.engine import FinishReason, Generation, NamedTensors, SamplingParams, check_prompts, per_row_params

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

logger = logging.getLogger(__name__)


def eos_token_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase | None) -> frozenset[int]:
    """The model's end-of-sequence ids: its generation config's, else the tokenizer's."""
    ids: set[int] = set()
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None:
        eos = getattr(model.config, "eos_token_id", None)
    if isinstance(eos, int):
        ids.add(eos)
    elif isinstance(eos, (list, tuple)):
        ids.update(int(e) for e in eos)
    if not ids and tokenizer is not None and tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    return frozenset(ids)


class HFEngine:
    """Rollouts with a transformers causal LM (any dtype/device the model is on).

    `model` may be the trainer's own policy: `update_weights` then finds the same tensors and
    copies nothing. `tokenizer` is needed only for stop strings.
    """

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase | None = None) -> None:
        self.model: Any = model  # typed loosely: transformers' stubs leave eval()/to() untyped
        self.tokenizer = tokenizer
        self.eos_ids = eos_token_ids(model, tokenizer)
        pad = getattr(model.config, "pad_token_id", None)
        if pad is None and tokenizer is not None:
            pad = tokenizer.pad_token_id
        self.pad_id: int = int(pad) if pad is not None else min(self.eos_ids, default=0)
        self.vocab_size: int = int(model.config.vocab_size)

    @property
    def name(self) -> str:
        return "hf"

    @property
    def device(self) -> torch.device:
        device: torch.device = next(self.model.parameters()).device
        return device

    @torch.inference_mode()
    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams | Sequence[SamplingParams]
    ) -> list[Generation]:
        rows = check_prompts(prompts, self.vocab_size)
        settings = per_row_params(params, len(rows))
        if not rows:
            return []
        if any(p.stop for p in settings) and self.tokenizer is None:
            raise ValueError("stop strings need the engine's tokenizer: HFEngine(model, tokenizer)")
        was_training = self.model.training
        self.model.eval()
        try:
            return self._generate(rows, settings)
        finally:
            self.model.train(was_training)

    def _generate(self, prompts: list[list[int]], settings: list[SamplingParams]) -> list[Generation]:
        from transformers import DynamicCache

        device = self.device
        b = len(prompts)
        width = max(len(p) for p in prompts)
        input_ids = torch.full((b, width), self.pad_id, dtype=torch.long)  # (B, L)
        attention = torch.zeros((b, width), dtype=torch.long)  # (B, L)
        for i, p in enumerate(prompts):
            input_ids[i, width - len(p) :] = torch.tensor(p)
            attention[i, width - len(p) :] = 1
        input_ids, attention = input_ids.to(device), attention.to(device)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)  # (B, L): 0-based within each prompt
        next_pos = positions[:, -1:] + 1  # (B, 1)

        generators = [_generator(p.seed, device) for p in settings]
        stop_ids = [set(p.stop_token_ids) | (set() if p.ignore_eos else set(self.eos_ids)) for p in settings]
        stop_window = [4 * max((len(s) for s in p.stop), default=0) + 4 for p in settings]
        tokens: list[list[int]] = [[] for _ in range(b)]
        logprobs: list[list[float]] = [[] for _ in range(b)]
        reasons: list[FinishReason] = ["length"] * b
        live = list(range(b))  # original row of each batch row still generating

        cache = DynamicCache(config=self.model.config)
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention,
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        while live:
            logits = out.logits[:, -1, :].float()  # (B_live, V)
            logp = torch.log_softmax(logits, dim=-1)  # (B_live, V): raw logprobs, what the trainer computes
            picked = [self._sample(logits[j], settings[r], generators[r]) for j, r in enumerate(live)]
            keep: list[int] = []
            for j, r in enumerate(live):
                token = picked[j]
                tokens[r].append(token)
                logprobs[r].append(float(logp[j, token]))
                if self._stopped(token, tokens[r], stop_ids[r], settings[r], stop_window[r]):
                    reasons[r] = "stop"
                elif len(tokens[r]) < settings[r].max_new_tokens:
                    keep.append(j)
            if not keep:
                break
            if len(keep) < len(live):
                index = torch.tensor(keep, device=device)
                cache.batch_select_indices(index)
                attention, next_pos = attention[index], next_pos[index]
                live = [live[j] for j in keep]
            step = torch.tensor([[tokens[r][-1]] for r in live], device=device)  # (B_live, 1)
            attention = torch.cat([attention, attention.new_ones((len(live), 1))], dim=-1)  # (B_live, L+t)
            out = self.model(
                input_ids=step,
                attention_mask=attention,
                position_ids=next_pos,
                past_key_values=cache,
                use_cache=True,
            )
            next_pos = next_pos + 1
        return [Generation(tokens[r], logprobs[r], reasons[r]) for r in range(b)]

    @staticmethod
    def _sample(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator) -> int:
        """Draw one token from `softmax(logits / T)` restricted to the top-p nucleus (argmax if T = 0)."""
        if params.greedy:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits / params.temperature, dim=-1)  # (V,)
        if params.top_p < 1.0:
            sorted_probs, order = torch.sort(probs, descending=True)
            before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs  # mass strictly above each token
            sorted_probs[before >= params.top_p] = 0.0  # keep the smallest prefix reaching top_p
            probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
        # Exponential race: argmax p_i / E_i with E_i ~ Exp(1) draws i with probability p_i / sum(p).
        race = torch.empty_like(probs).exponential_(1.0, generator=generator)
        return int(torch.argmax(probs / race))

    def _stopped(
        self, token: int, generated: list[int], stop_ids: set[int], params: SamplingParams, window: int
    ) -> bool:
        if token in stop_ids:
            return True
        if params.stop and self.tokenizer is not None:
            tail = self.tokenizer.decode(generated[-window:], skip_special_tokens=False)
            return any(s in tail for s in params.stop)
        return False

    @torch.no_grad()
    def update_weights(self, named_tensors: NamedTensors) -> None:
        """Copy new weights in by parameter/buffer name (a no-op for tensors the model already shares)."""
        own: dict[str, Any] = dict(self.model.state_dict(keep_vars=True))
        unknown: list[str] = []
        for name, tensor in named_tensors:
            target = own.get(name)
            if target is None:
                unknown.append(name)
                continue
            if target.data_ptr() == tensor.data_ptr():
                continue
            if target.shape != tensor.shape:
                raise ValueError(f"weight {name}: shape {tuple(tensor.shape)} != the model's {tuple(target.shape)}")
            target.data.copy_(tensor.detach().to(device=target.device, dtype=target.dtype))
        if unknown:
            raise ValueError(f"update_weights: {len(unknown)} unknown weight names, e.g. {unknown[:3]}")

    def sleep(self) -> None:
        """A no-op: the model is shared with (or as cheap as) the trainer's, nothing to release."""

    def wake(self) -> None:
        """A no-op (see `sleep`)."""

    def close(self) -> None:
        """Drop the reference to the model."""
        self.model = None


def _generator(seed: int | None, device: torch.device) -> torch.Generator:
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator
