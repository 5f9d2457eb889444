"""Judge throughput (items/s): the `hf` backend by batch size, the `openai` backend against the local judge
server by concurrency, and the cache-hit path.

    pytest benches/test_judge.py --benchmark-only --benchmark-group-by=group \
        --benchmark-columns=mean,min,max,rounds

Baselines: `hf` batch 1 (one prompt per forward pass) for the batched `hf` judge; concurrency 1 (one
request at a time) for the `openai` judge; a full `hf` judge call for the cache-hit path. Each bench first
checks that its scores equal the baseline's. The judge model is SmolLM2-135M-Instruct in HF format
(the embedded default model, `awpo.model.resolve_model_dir()`; `AWPO_BENCH_JUDGE_MODEL` names another
directory), the built-in rubric, fp32, CPU.

Torch runs with `AWPO_BENCH_TORCH_THREADS` intra-op threads (default 1): on the shared 2-core machine the
figures were measured on (load average ~10 from other jobs), two threads made a forward pass in the main
thread ~7x slower than one (threads descheduled at every barrier), while the server's worker thread ran
single-threaded anyway; one thread everywhere keeps the comparison fair.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from awpo.model import resolve_model_dir
from awpo.rewards.judge import Judge, JudgeConfig, JudgeItem, cache_key
from awpo.rewards.judge.hf import HFJudgeBackend
from awpo.rewards.judge.prompt import RUBRIC_VERSION
from awpo.rewards.judge.remote import OpenAIJudgeBackend
from awpo.rewards.judge.serve import JudgeServer

N_ITEMS = 16

CITIES = ["Paris", "Rome", "Oslo", "Lima", "Cairo", "Seoul", "Quito", "Perth"]
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather of a city",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
    {"type": "function", "function": {"name": "get_time", "description": "Local time in a city",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
]  # fmt: skip


def make_items(n: int) -> list[JudgeItem]:
    """`n` distinct weather/time trajectories, half of them grounded, half not."""
    items = []
    for i in range(n):
        city, other = CITIES[i % len(CITIES)], CITIES[(i + 3) % len(CITIES)]
        tool = "get_weather" if i % 2 == 0 else "get_time"
        what = "weather" if tool == "get_weather" else "time"
        grounded = (i // 2) % 2 == 0
        reasoning = (
            f"The user asks for the {what} in {city}. {tool} takes a city, so I call it with {city}."
            if grounded
            else f"I think the user wants something about {other}; I will call {tool} for {other}. (#{i})"
        )
        items.append(
            JudgeItem(
                messages=[{"role": "user", "content": f"What is the {what} in {city} right now? (request {i})"}],
                tools=TOOLS,
                reasoning=reasoning,
                calls=[{"name": tool, "arguments": {"city": city if grounded else other}}],
            )
        )
    return items


@pytest.fixture(scope="module", autouse=True)
def torch_threads() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get("AWPO_BENCH_TORCH_THREADS", "1")))
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def backend() -> HFJudgeBackend:
    model_dir = resolve_model_dir(os.environ.get("AWPO_BENCH_JUDGE_MODEL") or None)  # fetched once into the cache
    return HFJudgeBackend.from_pretrained(model_dir, batch_size=1)


@pytest.fixture(scope="module")
def items() -> list[JudgeItem]:
    return make_items(N_ITEMS)


@pytest.fixture(scope="module")
def baseline_scores(backend: HFJudgeBackend, items: list[JudgeItem]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The baseline: the hf judge, one prompt per forward pass."""
    return Judge(backend).score(items).scores


def _record(benchmark: Any, n: int) -> None:
    benchmark.extra_info["items"] = n
    benchmark.extra_info["items_per_s"] = round(n / benchmark.stats["mean"], 3)


@pytest.mark.parametrize("batch_size", [1, 4, 8])
def test_hf_items_per_s(
    benchmark: Any, backend: HFJudgeBackend, items: list[JudgeItem], baseline_scores: np.ndarray[Any, Any],
    batch_size: int,
) -> None:  # fmt: skip
    benchmark.group = "judge-hf"
    judge = Judge(HFJudgeBackend(backend.model, backend.tokenizer, batch_size=batch_size))
    np.testing.assert_allclose(judge.score(items[:batch_size]).scores, baseline_scores[:batch_size], atol=1e-5)
    result = benchmark.pedantic(judge.score, args=(items,), rounds=2, iterations=1)
    np.testing.assert_allclose(result.scores, baseline_scores, atol=1e-5)
    _record(benchmark, len(items))


@pytest.fixture(scope="module")
def server(backend: HFJudgeBackend) -> Iterator[JudgeServer]:
    srv = JudgeServer(("127.0.0.1", 0), HFJudgeBackend(backend.model, backend.tokenizer, batch_size=8), max_batch=8)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def openai_baseline(server: JudgeServer, items: list[JudgeItem]) -> np.ndarray[Any, Any]:
    with Judge(OpenAIJudgeBackend(server.base_url, "judge", concurrency=1, timeout_s=600)) as judge:
        result = judge.score(items)
    assert result.failures == 0
    return result.scores


@pytest.mark.parametrize("concurrency", [1, 4, 8])
def test_openai_items_per_s(
    benchmark: Any, server: JudgeServer, items: list[JudgeItem], openai_baseline: np.ndarray[Any, Any],
    concurrency: int,
) -> None:  # fmt: skip
    benchmark.group = "judge-openai"
    with Judge(OpenAIJudgeBackend(server.base_url, "judge", concurrency=concurrency, timeout_s=600)) as judge:
        result = benchmark.pedantic(judge.score, args=(items,), rounds=2, iterations=1)
    assert result.failures == 0
    np.testing.assert_allclose(result.scores, openai_baseline, atol=1e-5)
    _record(benchmark, len(items))


@pytest.mark.parametrize("n", [16, 1024])
def test_cache_hit_items_per_s(benchmark: Any, backend: HFJudgeBackend, tmp_path: Path, n: int) -> None:
    benchmark.group = "judge-cache"
    items = make_items(n)
    judge = Judge(backend, JudgeConfig(cache_dir=str(tmp_path)))
    # Fill the cache with known scores (no model call), then every lookup must hit and return them.
    known = {
        cache_key(backend="hf", model=backend.model_id, rubric_version=RUBRIC_VERSION, messages=judge.prompt(item)):
        (i / n, True)
        for i, item in enumerate(items)
    }  # fmt: skip
    assert judge.cache is not None
    judge.cache.put_many(known)
    result = benchmark.pedantic(judge.score, args=(items,), rounds=20, iterations=1, warmup_rounds=1)
    assert result.cache_hits == n and judge.totals["judged"] == 0
    np.testing.assert_allclose(result.scores, np.arange(n) / n)
    _record(benchmark, n)
