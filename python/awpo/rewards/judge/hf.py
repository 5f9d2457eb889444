"""The `hf` judge backend: a local transformers model scores a prompt with one forward pass.

The prompt ends where the assistant's reply starts, and the rubric asks for the integer score alone, so
the next token is the score's first token. With `p_t = P(t | prompt)` over the whole vocabulary:

- if the tokenizer writes each of `0`..`10` as one token: `P(k) = p_k / sum_j p_j`, `k = 0..10`;
- if it writes `10` as `1`,`0` (SmolLM2, Qwen): the token `1` is appended to the prompt, and the same
  forward pass gives `q0 = P("0" | prompt, "1")` at that extra position (causal attention: the logits at
  the prompt's last position do not see the appended token). Then `P(10) = p_1 * q0`,
  `P(1) = p_1 * (1 - q0)` (11..19 are not scores and count as 1), `P(k) = p_k` otherwise, all divided by
  `sum_{d=0..9} p_d`.

The reward is `E[k] / 10 = sum_k k * P(k) / 10` in [0, 1]. Nothing is generated, so nothing is mis-parsed.
Prompts go in batches, left-padded, with `position_ids` counted over the real tokens only.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from awpo.errors import ModelLoadError
from awpo.model import resolve_model_dir
from awpo.rewards.judge.base import ERROR, TOO_LONG, BackendResult
from awpo.rewards.judge.prompt import Message

if TYPE_CHECKING:
    import torch

logger = logging.getLogger("awpo.judge")

_PROBE: list[Message] = [{"role": "system", "content": "Rubric."}, {"role": "user", "content": "Grade this."}]
_DTYPES = ("float32", "bfloat16", "float16")


def resolve_judge_model(source: str | None) -> str:
    """A model directory for `source`, resolved like the policy's (`awpo.model.resolve_model_dir`): `None`
    or `"default"` is the embedded default model (SmolLM2-135M-Instruct), a `.gguf` file is converted once."""
    return str(resolve_model_dir(source))


@dataclass(frozen=True)
class ScoreDistribution:
    """The judge model's distribution over the scores of one prompt.

    Attributes:
        probs: `P(k)` for `k = 0..10`, normalised over the score tokens (sums to 1).
        first_probs: the first reply token's probabilities over the score tokens `"0".."9"` (and `"10"`
            when that is one token), normalised to sum to 1, keyed by token text.
        q0: split-ten tokenizers only: `P("0" | prompt, "1")` over the whole vocabulary; else `None`.
        mass: the score tokens' total probability at the first reply position (how "on format" the model is).
    """

    probs: tuple[float, ...]
    first_probs: dict[str, float]
    q0: float | None
    mass: float

    @property
    def expected(self) -> float:
        """`E[k] = sum_k k * P(k)`, in [0, 10]."""
        return sum(k * p for k, p in enumerate(self.probs))


class HFJudgeBackend:
    """The `hf` judge: a causal LM (any `transformers` model with a tokenizer) scoring prompts in batches.

    Pass an already loaded `model` and `tokenizer` to share them (e.g. the policy's copy; the model's
    train/eval mode and weights are left as they are), or use `from_pretrained`.
    """

    name = "hf"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        model_id: str | None = None,
        batch_size: int = 8,
        max_prompt_tokens: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model = model
        self.tokenizer = tokenizer
        config = getattr(model, "config", None)
        self.model_id = model_id or str(getattr(config, "_name_or_path", "") or type(model).__name__)
        self.batch_size = batch_size
        self.max_prompt_tokens = max_prompt_tokens or getattr(config, "max_position_embeddings", None)
        # One call at a time (server batcher, submit thread, caller): the model and the fast tokenizer are
        # not safe to share between concurrent calls.
        self._lock = threading.RLock()
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self._pad_id = int(pad) if pad is not None else 0
        self._find_score_tokens()

    @classmethod
    def from_pretrained(
        cls, path: str | os.PathLike[str], *, dtype: str = "float32", batch_size: int = 8
    ) -> HFJudgeBackend:
        """Loads a Hugging Face model directory (fp32 by default) on the CPU, in eval mode."""
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {_DTYPES}, got {dtype!r}")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
        except (OSError, ValueError) as e:
            raise ModelLoadError(f"cannot load the judge model from {os.fspath(path)!r}: {e}") from e
        model.train(False)  # eval mode
        return cls(model, tokenizer, model_id=os.path.abspath(path), batch_size=batch_size)

    # --- prompt rendering ---

    def render_text(self, messages: Sequence[Message]) -> str:
        """The prompt text: the chat template with the assistant-turn header, or a plain layout without one."""
        if getattr(self.tokenizer, "chat_template", None):
            # `enable_thinking=False`: templates with a thinking switch (Qwen3) put the reply right after the
            # header instead of a `<think>` block; templates without one ignore the variable.
            text = self.tokenizer.apply_chat_template(
                list(messages), tokenize=False, add_generation_prompt=True, enable_thinking=False
            )
            return str(text)
        return "".join(f"### {m['role']}\n{m['content']}\n\n" for m in messages) + "### assistant\n"

    def render(self, messages: Sequence[Message]) -> list[int]:
        """The prompt's token ids (the score token comes next)."""
        return list(self.tokenizer(self.render_text(messages), add_special_tokens=False)["input_ids"])

    def _find_score_tokens(self) -> None:
        """Finds the token ids of `0`..`9` (and `10`) as they follow the assistant-turn header."""
        probe = self.render_text(_PROBE)
        base = list(self.tokenizer(probe, add_special_tokens=False)["input_ids"])

        def extra(text: str) -> list[int]:
            ids = list(self.tokenizer(probe + text, add_special_tokens=False)["input_ids"])
            if ids[: len(base)] != base:
                raise ModelLoadError(f"the judge tokenizer merges the score {text!r} into the prompt's last token")
            return ids[len(base) :]

        digits = []
        for d in range(10):
            ids = extra(str(d))
            if len(ids) != 1:
                raise ModelLoadError(f"the judge tokenizer writes the score {d} as {len(ids)} tokens, not one")
            digits.append(ids[0])
        ten = extra("10")
        self.digit_ids: list[int] = digits
        self.ten_id: int | None = ten[0] if len(ten) == 1 else None
        if self.ten_id is None and ten != [digits[1], digits[0]]:
            raise ModelLoadError(f"the judge tokenizer writes the score 10 as {ten}, neither one token nor '1','0'")
        self.split_ten = self.ten_id is None

    # --- scoring ---

    def distributions(self, prompts: Sequence[Sequence[Message]]) -> list[ScoreDistribution | BackendResult]:
        """The score distribution of each prompt, or a failure `BackendResult` for a prompt that cannot run."""
        with self._lock:
            return self._distributions(prompts)

    def _distributions(self, prompts: Sequence[Sequence[Message]]) -> list[ScoreDistribution | BackendResult]:
        ids = [self.render(p) for p in prompts]
        out: list[ScoreDistribution | BackendResult] = [BackendResult.failure(ERROR)] * len(ids)
        runnable = []
        for i, row in enumerate(ids):
            if self.max_prompt_tokens is not None and len(row) + 1 > self.max_prompt_tokens:
                out[i] = BackendResult.failure(TOO_LONG, f"{len(row)} prompt tokens > {self.max_prompt_tokens}")
            else:
                runnable.append(i)
        runnable.sort(key=lambda i: len(ids[i]))  # similar lengths together: less padding
        for start in range(0, len(runnable), self.batch_size):
            chunk = runnable[start : start + self.batch_size]
            try:
                for i, dist in zip(chunk, self._forward([ids[i] for i in chunk]), strict=True):
                    out[i] = dist
            except Exception as e:  # a judge failure must never stop a run
                logger.exception("judge forward pass failed on %d prompt(s)", len(chunk))
                for i in chunk:
                    out[i] = BackendResult.failure(ERROR, f"{type(e).__name__}: {e}")
        return out

    def score_prompts(self, prompts: Sequence[list[Message]]) -> list[BackendResult]:
        """`E[k] / 10` for each prompt (NaN with an error class for one that failed)."""
        t0 = time.perf_counter()
        dists = self.distributions(prompts)
        # Each item waited for the whole call (forward passes run one after another).
        latency = time.perf_counter() - t0
        return [
            BackendResult(score=d.expected / 10.0, weighted=True, latency_s=latency, score_token_mass=d.mass)
            if isinstance(d, ScoreDistribution)
            else BackendResult(score=d.score, error=d.error, latency_s=latency, detail=d.detail)
            for d in dists
        ]

    def _forward(self, rows: list[list[int]]) -> list[ScoreDistribution]:
        import torch

        if self.split_ten:
            rows = [[*row, self.digit_ids[1]] for row in rows]  # the "1" whose next token tells 1 from 10
        keep = 2 if self.split_ten else 1
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), self._pad_id, dtype=torch.long)  # (B, L)
        mask = torch.zeros((len(rows), width), dtype=torch.long)  # (B, L)
        for r, row in enumerate(rows):  # left padding: the score position is the same column for all
            input_ids[r, width - len(row) :] = torch.tensor(row, dtype=torch.long)
            mask[r, width - len(row) :] = 1
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)  # (B, L): positions of the real tokens only
        device = self._device()
        with self._lock, torch.inference_mode():
            out = self.model(
                input_ids=input_ids.to(device),
                attention_mask=mask.to(device),
                position_ids=position_ids.to(device),
                use_cache=False,
                logits_to_keep=keep,
            )
        logits = out.logits[:, -keep:, :].to(torch.float64).cpu()  # (B, keep, V)
        return self._distributions_from_logits(logits)

    def _device(self) -> torch.device:
        import torch

        try:
            return next(iter(self.model.parameters())).device  # type: ignore[no-any-return]
        except (StopIteration, AttributeError):
            return torch.device("cpu")

    def _distributions_from_logits(self, logits: torch.Tensor) -> list[ScoreDistribution]:
        """`logits` (B, keep, V) float64: position 0 is the score's first token, 1 the one after a `1`."""
        import torch

        first = logits[:, 0, :]  # (B, V)
        score_ids = self.digit_ids + ([self.ten_id] if self.ten_id is not None else [])
        selected = first[:, score_ids]  # (B, 10 or 11)
        p_first = torch.softmax(selected, dim=-1)  # (B, 10 or 11): normalised over the score tokens
        mass = torch.exp(torch.logsumexp(selected, -1) - torch.logsumexp(first, -1))  # (B,)
        if self.split_ten:
            q0 = torch.softmax(logits[:, 1, :], dim=-1)[:, self.digit_ids[0]]  # (B,)
            p_one = p_first[:, 1]  # (B,)
            probs = torch.cat(
                [p_first[:, :1], (p_one * (1 - q0))[:, None], p_first[:, 2:], (p_one * q0)[:, None]], dim=-1
            )  # (B, 11)
        else:
            q0 = None
            probs = p_first  # (B, 11)
        names = [str(d) for d in range(10)] + ([] if self.split_ten else ["10"])
        return [
            ScoreDistribution(
                probs=tuple(float(x) for x in probs[b]),
                first_probs={n: float(p) for n, p in zip(names, p_first[b], strict=True)},
                q0=None if q0 is None else float(q0[b]),
                mass=float(mass[b]),
            )
            for b in range(logits.shape[0])
        ]

    def close(self) -> None:
        """Nothing to release (the model stays with its owner)."""
