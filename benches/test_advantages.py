"""Benchmark of AWPO advantages (issue 4 §6): 1M rollouts in groups of 8, native vs the NumPy reference
vs a torch (CPU) reference, default AWPO options.

    pytest benches/test_advantages.py --benchmark-only -s

Each benchmark first checks its output against the native one, then times it in the group
`advantages-1M-g8`. Besides wall time (pytest-benchmark's table) each prints its CPU time per call
(`getrusage`), which a busy shared machine distorts far less, and the native benchmarks print their
speed-up over NumPy.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "algo"))

from reference_advantages import reference_advantages

from awpo import _native
from awpo.algo import AdvantageBatch, advantages, uniform_offsets

N_ROWS = 1_000_000
GROUP = 8
RANGE = (0.0, 1.0)


@pytest.fixture(scope="module")
def batch() -> dict[str, Any]:
    rng = np.random.default_rng(2026)
    outcome = (rng.random(N_ROWS) < 0.4).astype(np.float64)  # binary outcome, 40% success
    reasoning = rng.random(N_ROWS)
    reasoning[rng.random(N_ROWS) < 0.05] = np.nan  # 5% judge failures
    offsets = uniform_offsets(N_ROWS, GROUP)
    native = advantages(outcome, reasoning, offsets, outcome_range=RANGE)
    return {"outcome": outcome, "reasoning": reasoning, "offsets": offsets, "native": native}


@pytest.fixture(scope="module")
def results() -> dict[str, float]:
    """Best wall time (s) per benchmark, shared across this module's benchmarks."""
    return {}


@pytest.fixture
def parallelism() -> Iterator[Callable[[bool], None]]:
    before = _native.is_parallel()
    yield _native.set_parallelism
    _native.set_parallelism(before)


def cpu_ms(fn: Callable[[], object], reps: int, who: int = resource.RUSAGE_SELF) -> float:
    """CPU time (user + system) per call in ms, of this process or thread."""
    fn()
    before = resource.getrusage(who)
    for _ in range(reps):
        fn()
    after = resource.getrusage(who)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / reps * 1e3


def assert_same(out: AdvantageBatch, adv: np.ndarray, share: np.ndarray) -> None:
    np.testing.assert_allclose(adv, out.advantage, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(share, out.reasoning_share, rtol=1e-9, atol=1e-9)


def report(benchmark: Any, results: dict[str, float], name: str, cpu: float) -> None:
    best = benchmark.stats.stats.min
    results[name] = best
    benchmark.extra_info["cpu_ms_per_call"] = round(cpu, 2)
    line = f"\n{name}: best wall {best * 1e3:.1f} ms, CPU {cpu:.1f} ms/call"
    if "numpy" in results and name != "numpy":
        ratio = results["numpy"] / best
        benchmark.extra_info["speedup_vs_numpy"] = round(ratio, 1)
        line += f", {ratio:.1f}x NumPy (wall)"
    print(line)


@pytest.mark.benchmark(group="advantages-1M-g8")
def test_numpy_reference(benchmark: Any, batch: dict[str, Any], results: dict[str, float]) -> None:
    args = (batch["outcome"], batch["reasoning"], batch["offsets"])
    ref = reference_advantages(*args)
    assert_same(batch["native"], ref["advantage"], ref["reasoning_share"])
    benchmark.pedantic(reference_advantages, args=args, rounds=5, iterations=1, warmup_rounds=1)
    report(benchmark, results, "numpy", cpu_ms(lambda: reference_advantages(*args), 2, resource.RUSAGE_THREAD))


@pytest.mark.benchmark(group="advantages-1M-g8")
def test_torch_reference(benchmark: Any, batch: dict[str, Any], results: dict[str, float]) -> None:
    torch = pytest.importorskip("torch")
    from reference_advantages_torch import torch_reference_awpo

    args = tuple(torch.from_numpy(batch[k]) for k in ("outcome", "reasoning", "offsets"))
    adv, share = torch_reference_awpo(*args)
    assert_same(batch["native"], adv.numpy(), share.numpy())
    benchmark.pedantic(torch_reference_awpo, args=args, rounds=3, iterations=1, warmup_rounds=1)
    report(
        benchmark,
        results,
        f"torch ({torch.get_num_threads()} threads)",
        cpu_ms(lambda: torch_reference_awpo(*args), 2),
    )


@pytest.mark.benchmark(group="advantages-1M-g8")
def test_native_single_thread(
    benchmark: Any, batch: dict[str, Any], results: dict[str, float], parallelism: Callable[[bool], None]
) -> None:
    parallelism(False)
    args = (batch["outcome"], batch["reasoning"], batch["offsets"])
    out = advantages(*args, outcome_range=RANGE)
    assert_same(batch["native"], out.advantage, out.reasoning_share)

    def run() -> AdvantageBatch:
        return advantages(*args, outcome_range=RANGE)

    benchmark.pedantic(run, rounds=20, iterations=1, warmup_rounds=2)
    report(benchmark, results, "native, 1 thread", cpu_ms(run, 10, resource.RUSAGE_THREAD))


@pytest.mark.benchmark(group="advantages-1M-g8")
def test_native_multi_thread(
    benchmark: Any, batch: dict[str, Any], results: dict[str, float], parallelism: Callable[[bool], None]
) -> None:
    parallelism(True)
    args = (batch["outcome"], batch["reasoning"], batch["offsets"])
    out = advantages(*args, outcome_range=RANGE)
    assert_same(batch["native"], out.advantage, out.reasoning_share)

    def run() -> AdvantageBatch:
        return advantages(*args, outcome_range=RANGE)

    benchmark.pedantic(run, rounds=20, iterations=1, warmup_rounds=2)
    report(benchmark, results, "native, rayon pool", cpu_ms(run, 10))
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").is_file() else ["?"]
    print(f"  (machine load average at the end: {' '.join(load)})")
