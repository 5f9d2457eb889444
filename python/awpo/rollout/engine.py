"""The rollout engine contract: token ids in, sampled token ids and sampler logprobs out.

Engines never see text: prompts are token ids and outputs are the exact token ids the sampler drew
(token-in/token-out, DESIGN.md "Trajectory"), so the trained sequence is the sampled one.

Logprobs are the model's log-softmax over the *raw* logits (temperature 1, before top-p) at each
sampled token: what the trainer's own forward pass computes for the same sequence, and vLLM's
default `raw_logprobs` mode. Sampling itself uses the temperature and top-p of `SamplingParams`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch

FinishReason = Literal["stop", "length"]
"""`stop`: an end-of-sequence token, a stop token id or a stop string ended the output;
`length`: `max_new_tokens` did."""


@dataclass(frozen=True)
class SamplingParams:
    """How an engine samples one output.

    Parameters:
        temperature (`float`, defaults to `1.0`): softmax temperature; `0` is greedy decoding.
        top_p (`float`, defaults to `1.0`): nucleus sampling mass in (0, 1]; `1.0` is off.
        max_new_tokens (`int`, defaults to `256`): most tokens generated (>= 1).
        stop (`tuple[str, ...]`, defaults to `()`): the output ends at the token that completes one of
            these strings; that token is kept (the returned ids are exactly the sampled ones).
        stop_token_ids (`tuple[int, ...]`, defaults to `()`): extra end tokens, kept in the output.
        ignore_eos (`bool`, defaults to `False`): do not stop at the model's end-of-sequence tokens.
        seed (`int | None`, defaults to `None`): seeds this output's sampler; `None` is nondeterministic.
            When one `SamplingParams` is broadcast over a batch, row `i` uses `seed + i`.
    """

    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()
    stop_token_ids: tuple[int, ...] = ()
    ignore_eos: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature >= 0.0):
            raise ValueError(f"temperature must be a finite number >= 0 (0 = greedy), got {self.temperature}")
        if not (0.0 < self.top_p <= 1.0):
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if any(not s for s in self.stop):
            raise ValueError("stop strings must be non-empty")
        if isinstance(self.stop, str) or isinstance(self.stop_token_ids, int):
            raise TypeError("stop and stop_token_ids are tuples, e.g. stop=('</tool_call>',)")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


@dataclass(frozen=True)
class Generation:
    """One engine output: the sampled ids, the logprob of each, and why it ended."""

    token_ids: list[int]
    logprobs: list[float]  # log p(token_t | prefix) under the raw logits, one per token
    finish_reason: FinishReason

    def __post_init__(self) -> None:
        if len(self.token_ids) != len(self.logprobs):
            raise ValueError(f"{len(self.token_ids)} token ids but {len(self.logprobs)} logprobs")


NamedTensors = Iterable[tuple[str, "torch.Tensor"]]


@runtime_checkable
class Engine(Protocol):
    """Batched token-id generation for rollouts (`hf` or `vllm`)."""

    @property
    def name(self) -> str:
        """`hf` or `vllm`."""
        ...

    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams | Sequence[SamplingParams]
    ) -> list[Generation]:
        """Sample one output per prompt, batched; `params` is one for all rows or one per row."""
        ...

    def update_weights(self, named_tensors: NamedTensors) -> None:
        """Load new policy weights (Hugging Face parameter names, e.g. a `state_dict()`'s items)."""
        ...

    def sleep(self) -> None:
        """Release what memory the platform allows (KV cache, weights) between rollout phases."""
        ...

    def wake(self) -> None:
        """Undo `sleep`; a no-op when awake."""
        ...

    def close(self) -> None:
        """Free the engine; it cannot be used afterwards."""
        ...


def per_row_params(params: SamplingParams | Sequence[SamplingParams], n: int) -> list[SamplingParams]:
    """One `SamplingParams` per row: a broadcast one gets `seed + i` in row `i` so rows differ."""
    if isinstance(params, SamplingParams):
        if params.seed is None:
            return [params] * n
        return [replace(params, seed=params.seed + i) for i in range(n)]
    rows = list(params)
    if len(rows) != n:
        raise ValueError(f"{n} prompts but {len(rows)} sampling params")
    return rows


def check_prompts(prompts: Sequence[Sequence[int]], vocab_size: int) -> list[list[int]]:
    """Validate prompts as non-empty lists of in-vocabulary token ids."""
    out: list[list[int]] = []
    for i, prompt in enumerate(prompts):
        ids = [int(t) for t in prompt]
        if not ids:
            raise ValueError(f"prompt {i} is empty")
        bad = [t for t in ids if not 0 <= t < vocab_size]
        if bad:
            raise ValueError(f"prompt {i} has token ids outside the vocabulary [0, {vocab_size}): {bad[:5]}")
        out.append(ids)
    return out
