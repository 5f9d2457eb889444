"""Benchmark (not a test): `awpo.rewards.outcome` vs the plain-Python reference, per reward.

    maturin develop --release   # or: pip install -e .  (a release build)
    pytest benches/test_rewards.py --benchmark-only

Data: 4000 rollouts in groups of 8 from `benches/make_rollouts.py` (seed 0): varied formats, ~10%
malformed. Each group first asserts that native and reference agree on every rollout (total,
components, failure class), then times, on the same batch:

- `native`: `awpo.rewards.outcome` on all cores (parse + score, the Python → Rust conversion
  included: each task's answer converted once per call, each distinct function schema converted
  and compiled once per call however many tasks list it);
- `native-1-thread`: the same with `set_parallelism(False)`;
- `reference`: `tests/reference/rewards.py` per rollout (parse with `tests/reference/toolcall.py`,
  then score), the way a Python reward function is written.

Each `reference` benchmark then prints `reference / native-1-thread` (the per-core ratio) and
`reference / native` for its reward.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from reference import rewards as ref

from awpo import _native
from awpo.rewards import REWARD_KINDS, outcome

sys.path.insert(0, str(Path(__file__).parent))
from make_rollouts import generate

N_ROLLOUTS = 4000
ROWS = list(generate(N_ROLLOUTS, group_size=8, seed=0))
TEXTS = [r["text"] for r in ROWS]
ANSWERS = [r["answer"] for r in ROWS]
TOOLS = [r["tools"] for r in ROWS]
TRUNCATED = [r["truncated"] for r in ROWS]
MIN_SECONDS: dict[tuple[str, str], float] = {}


def _run_native(kind: str) -> Any:
    return outcome(TEXTS, ANSWERS, TOOLS, kind=kind, truncated=TRUNCATED)  # type: ignore[arg-type]


def _reference(kind: str) -> list[tuple[float, dict[str, float], str]]:
    return [ref.outcome(kind, *row, truncated=t) for *row, t in zip(TEXTS, ANSWERS, TOOLS, TRUNCATED, strict=True)]


@pytest.fixture
def serial() -> Iterator[None]:
    before = _native.is_parallel()
    _native.set_parallelism(False)
    try:
        yield
    finally:
        _native.set_parallelism(before)


def _time(benchmark: Any, kind: str, name: str, fn: Callable[[], object], rounds: int) -> None:
    benchmark.group = f"outcome-{kind} ({N_ROLLOUTS} rollouts)"
    benchmark.name = name
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1 if rounds > 2 else 0)
    MIN_SECONDS[kind, name] = benchmark.stats.stats.min


def _assert_native_equals_reference(kind: str) -> None:
    native = _run_native(kind)
    for i, (total, components, failure) in enumerate(_reference(kind)):
        assert native.failure[i] == failure, i
        assert native.total[i] == total, i
        assert all(native.components[c][i] == v for c, v in components.items()), i
    assert np.all((native.total >= native.reward_min) & (native.total <= native.reward_max))


@pytest.mark.parametrize("kind", REWARD_KINDS)
def test_bench_native(benchmark: Any, kind: str) -> None:
    _assert_native_equals_reference(kind)
    _time(benchmark, kind, "native", lambda: _run_native(kind), rounds=20)


@pytest.mark.parametrize("kind", REWARD_KINDS)
def test_bench_native_one_thread(benchmark: Any, kind: str, serial: None) -> None:
    _time(benchmark, kind, "native-1-thread", lambda: _run_native(kind), rounds=20)


@pytest.mark.parametrize("kind", REWARD_KINDS)
def test_bench_reference(benchmark: Any, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    _time(benchmark, kind, "reference", lambda: _reference(kind), rounds=3)
    t = {name: MIN_SECONDS.get((kind, name)) for name in ("native", "native-1-thread", "reference")}
    if None in t.values():
        return
    us = {k: v * 1e6 / N_ROLLOUTS for k, v in t.items() if v is not None}
    with capsys.disabled():
        print(
            f"\n{kind}: native {us['native']:.2f} us/rollout, 1 thread {us['native-1-thread']:.2f}, "
            f"reference {us['reference']:.1f}: {us['reference'] / us['native-1-thread']:.1f}x per core, "
            f"{us['reference'] / us['native']:.1f}x on all cores"
        )
