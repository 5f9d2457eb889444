"""`Judge`: scores a batch of trajectories' reasoning in [0, 1], with a cache, metrics and a non-blocking API.

`score(items)` blocks; `submit(items)` returns a `Future` at once and scores on a background thread, so
the judge of batch `t` runs while batch `t+1` is rolled out. Batches submitted one after another finish
in order. A failed item is NaN: counted, logged in one warning per batch, and never an exception.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from awpo.rewards.judge import metrics as m
from awpo.rewards.judge.base import ERROR, BackendResult, ItemJudgeBackend, JudgeBackend
from awpo.rewards.judge.cache import JudgeCache, cache_key
from awpo.rewards.judge.config import JudgeConfig
from awpo.rewards.judge.prompt import RUBRIC_VERSION, JudgeItem, Message, build_messages

logger = logging.getLogger("awpo.judge")


@dataclass(frozen=True)
class JudgeResult:
    """The judge's answer for one batch.

    Attributes:
        scores: (N,) float64 reasoning rewards in [0, 1]; NaN = missing (the item failed).
        errors: per item, `None` or its failure class.
        weighted: per item, whether the score is a probability-weighted expectation.
        cache_hits: items answered by the cache.
        metrics: the batch's metrics, named as in `awpo.rewards.judge.metrics`.
    """

    scores: npt.NDArray[np.float64]
    errors: list[str | None]
    weighted: list[bool]
    cache_hits: int
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        """Items whose score is missing."""
        return sum(e is not None for e in self.errors)


class Judge:
    """The reasoning judge: prompt building, cache, backend calls, metrics.

    Args:
        backend: a `JudgeBackend` (`HFJudgeBackend` or `OpenAIJudgeBackend`), or an `ItemJudgeBackend`
            (`RubricJudgeBackend`) that grades items directly.
        config: the prompt and cache settings (`rubric`, `max_reasoning_chars`, `max_context_chars`,
            `cache_dir`); the backend settings in it are not read here.
    """

    def __init__(self, backend: JudgeBackend | ItemJudgeBackend, config: JudgeConfig | None = None) -> None:
        self.backend = backend
        self.config = config or JudgeConfig()
        self.cache = JudgeCache(self.config.cache_dir) if self.config.cache_dir is not None else None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="awpo-judge")
        self._totals_lock = threading.Lock()
        self.totals: Counter[str] = Counter()
        """Running counts since creation: `items`, `failures`, `cache_hits`, `judged` (distinct prompts sent)."""

    @classmethod
    def from_config(cls, config: JudgeConfig, *, model: Any = None, tokenizer: Any = None) -> Judge:
        """The judge `config` describes.

        For `backend="hf"`, a `model` and `tokenizer` passed here are used as they are (e.g. the policy's
        copy); otherwise `config.model` is loaded (`None`: the embedded default model, resolved as the
        policy's is, by `awpo.model`).
        """
        backend: JudgeBackend | ItemJudgeBackend
        if config.backend == "rubric":
            from awpo.rewards.judge.rubric import RubricJudgeBackend

            backend = RubricJudgeBackend()
        elif config.backend == "openai":
            from awpo.rewards.judge.remote import OpenAIJudgeBackend

            backend = OpenAIJudgeBackend.from_config(config)
        else:
            from awpo.rewards.judge.hf import HFJudgeBackend

            if (model is None) != (tokenizer is None):
                raise ValueError("pass both model and tokenizer to share a loaded judge model, or neither")
            if model is not None:
                backend = HFJudgeBackend(model, tokenizer, model_id=config.model, batch_size=config.batch_size)
            else:
                from awpo.rewards.judge.hf import resolve_judge_model

                path = resolve_judge_model(config.model)
                backend = HFJudgeBackend.from_pretrained(path, dtype=config.dtype, batch_size=config.batch_size)
        return cls(backend, config)

    def prompt(self, item: JudgeItem) -> list[Message]:
        """The chat prompt the backend sees for `item`."""
        c = self.config
        return build_messages(
            item, rubric=c.rubric, max_reasoning_chars=c.max_reasoning_chars, max_context_chars=c.max_context_chars
        )

    def score(self, items: Sequence[JudgeItem]) -> JudgeResult:
        """Scores `items` (blocking). Never raises for an item's failure: its score is NaN."""
        if isinstance(self.backend, ItemJudgeBackend):
            return self._score_items(self.backend, items)
        t0 = time.perf_counter()
        n = len(items)
        scores = np.full(n, np.nan, dtype=np.float64)
        errors: list[str | None] = [None] * n
        weighted = [False] * n
        latencies: list[float] = []
        masses: list[float] = []
        details: list[str] = []
        # Blank reasoning: nothing to grade, reward 0 (a real zero, not a missing score).
        todo = [i for i, item in enumerate(items) if item.has_reasoning]
        for i in set(range(n)) - set(todo):
            scores[i] = 0.0
        prompts = {i: self.prompt(items[i]) for i in todo}
        keys = {
            i: cache_key(
                backend=self.backend.name, model=self.backend.model_id, rubric_version=RUBRIC_VERSION, messages=p
            )
            for i, p in prompts.items()
        }
        hits = 0
        misses: dict[str, list[int]] = {}  # key -> items (identical prompts are judged once)
        if self.cache is not None:
            self.cache.refresh()
        for i in todo:
            cached = self.cache.get(keys[i]) if self.cache is not None else None
            if cached is not None:
                scores[i], weighted[i] = cached
                hits += 1
            else:
                misses.setdefault(keys[i], []).append(i)
        if misses:
            unique = [group[0] for group in misses.values()]
            results = self._call_backend([prompts[i] for i in unique])
            fresh: dict[str, tuple[float, bool]] = {}
            for i, result in zip(unique, results, strict=True):
                latencies.append(result.latency_s)
                if math.isfinite(result.score_token_mass):
                    masses.append(result.score_token_mass)
                if result.error is not None:
                    details.append(result.detail)
                for j in misses[keys[i]]:
                    scores[j], errors[j], weighted[j] = result.score, result.error, result.weighted
                if result.error is None and math.isfinite(result.score):
                    fresh[keys[i]] = (result.score, result.weighted)
            if self.cache is not None and fresh:
                try:
                    self.cache.put_many(fresh)
                except OSError as e:  # a full disk must not stop a run either
                    logger.warning("judge cache %s: cannot append (%s)", self.cache.path, e)
        wall_s = time.perf_counter() - t0
        out = self._finish(scores, errors, weighted, hits, len(todo), latencies, wall_s, details[:1], len(misses))
        out.metrics[m.SCORE_TOKEN_MASS_MEAN] = float(np.mean(masses)) if masses else float("nan")
        return out

    def _score_items(self, backend: ItemJudgeBackend, items: Sequence[JudgeItem]) -> JudgeResult:
        """Scores with a backend that reads items directly (no prompt, no cache); blank reasoning is 0."""
        t0 = time.perf_counter()
        n = len(items)
        scores = np.zeros(n, dtype=np.float64)
        errors: list[str | None] = [None] * n
        todo = [i for i, item in enumerate(items) if item.has_reasoning]
        latencies: list[float] = []
        details: list[str] = []
        if todo:
            try:
                results = backend.score_items([items[i] for i in todo])
                if len(results) != len(todo):
                    raise RuntimeError(f"backend returned {len(results)} results for {len(todo)} items")
            except Exception as e:  # the last guard of the run, as for prompt backends
                logger.exception("judge backend %s failed on a batch of %d", backend.name, len(todo))
                results = [BackendResult.failure(ERROR, f"{type(e).__name__}: {e}") for _ in todo]
            for i, result in zip(todo, results, strict=True):
                scores[i], errors[i] = result.score, result.error
                latencies.append(result.latency_s)
                if result.error is not None:
                    details.append(result.detail)
        wall_s = time.perf_counter() - t0
        out = self._finish(scores, errors, [False] * n, 0, len(todo), latencies, wall_s, details[:1], len(todo))
        out.metrics[m.CACHE_HIT_FRAC] = float("nan")  # no cache: nothing was looked up
        out.metrics[m.SCORE_TOKEN_MASS_MEAN] = float("nan")
        return out

    def submit(self, items: Sequence[JudgeItem]) -> Future[JudgeResult]:
        """Scores `items` on the judge's background thread; batches finish in submission order."""
        return self._worker.submit(self.score, list(items))

    def _call_backend(self, prompts: list[list[Message]]) -> list[BackendResult]:
        try:
            if isinstance(self.backend, ItemJudgeBackend):
                raise TypeError(f"the {self.backend.name} judge scores items, not rendered prompts")
            results = self.backend.score_prompts(prompts)
            if len(results) != len(prompts):
                raise RuntimeError(f"backend returned {len(results)} results for {len(prompts)} prompts")
            return results
        except Exception as e:  # backends do not raise per item; this is the last guard of the run
            logger.exception("judge backend %s failed on a batch of %d", self.backend.name, len(prompts))
            return [BackendResult.failure(ERROR, f"{type(e).__name__}: {e}") for _ in prompts]

    def _finish(
        self,
        scores: npt.NDArray[np.float64],
        errors: list[str | None],
        weighted: list[bool],
        hits: int,
        lookups: int,
        latencies: list[float],
        wall_s: float,
        first_detail: list[str],
        judged: int,
    ) -> JudgeResult:
        n = len(errors)
        failed = [e for e in errors if e is not None]
        scored = [i for i in range(n) if errors[i] is None]
        nan = float("nan")
        metrics = {
            m.FAILURES: float(len(failed)),
            m.FAILURE_FRAC: len(failed) / n if n else nan,
            m.LATENCY_S_MEAN: float(np.mean(latencies)) if latencies else nan,
            m.LATENCY_S_MAX: float(np.max(latencies)) if latencies else nan,
            m.CACHE_HIT_FRAC: hits / lookups if lookups else nan,
            m.ITEMS_PER_S: n / wall_s if wall_s > 0 else nan,
            m.SCORE_MEAN: float(np.nanmean(scores)) if scored else nan,
            m.LOGPROB_WEIGHTED_FRAC: sum(weighted[i] for i in scored) / len(scored) if scored else nan,
            m.EMPTY_REASONING_FRAC: (n - lookups) / n if n else nan,
        }
        logger.debug("judge batch of %d: %s", n, {k: round(v, 4) for k, v in metrics.items()})
        if failed:
            counts = Counter(failed)
            logger.warning(
                "judge: %d of %d item(s) failed and count as missing (%s); first: %s",
                len(failed),
                n,
                ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())),
                first_detail[0] if first_detail else "?",
            )
        with self._totals_lock:
            self.totals.update(items=n, failures=len(failed), cache_hits=hits, judged=judged)
        return JudgeResult(scores=scores, errors=errors, weighted=weighted, cache_hits=hits, metrics=metrics)

    def close(self) -> None:
        """Waits for submitted batches, then releases the backend's threads and connections."""
        self._worker.shutdown(wait=True)
        self.backend.close()

    def __enter__(self) -> Judge:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
