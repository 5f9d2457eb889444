"""Sandbox benchmark (issue 5 §5): latency p50/p99 and calls/s of a trivial tool.

Compared, one run each:
- in-process: calling the Python function directly (no isolation; the floor);
- warm pool: `Sandbox.call` on pre-started, fully isolated workers (network namespace, Landlock,
  pids cgroup, rlimits, seccomp, no capabilities);
- warm pool, batch: `Sandbox.call_batch` of 1000 calls on 2 workers (throughput);
- fresh subprocess: `subprocess.run([python, "-c", ...])` per call, no isolation (what a naive
  "run each tool call in a process" does);
- fresh isolated process: the Rust one-shot supervisor starting an isolated interpreter per call.

Targets with isolation on (2-core machine): p50 <= 1 ms and >= 1000 calls/s.

Run: pytest benches/test_sandbox.py --benchmark-only
"""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_bench_tools import add

from awpo import _native
from awpo.tools import Sandbox, SandboxConfig

ARGS = {"a": 20, "b": 22}
EXPECTED = 42  # 20 + 22
BATCH = 1000
CODE = "import sys; a, b = 20, 22; sys.stdout.write(str(a + b))"

_results: dict[str, dict[str, float]] = {}


def _record(name: str, seconds: list[float], calls_per_round: int = 1) -> None:
    per_call = sorted(s / calls_per_round for s in seconds)
    p99_index = min(len(per_call) - 1, round(0.99 * (len(per_call) - 1)))
    _results[name] = {
        "p50_ms": statistics.median(per_call) * 1e3,
        "p99_ms": per_call[p99_index] * 1e3,
        "calls_per_s": calls_per_round * len(seconds) / sum(seconds),
    }


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not _results:
        return
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        _print_report()


def _print_report() -> None:
    write = print
    base = _results.get("in-process", {}).get("p50_ms")
    sub = _results.get("fresh subprocess", {}).get("p50_ms")
    write("")
    write("sandbox benchmark: trivial tool add(20, 22); batch rows are per call, amortized over a round")
    write(f"{'variant':<26}{'p50 ms':>10}{'p99 ms':>10}{'calls/s':>11}{'p50 vs subprocess':>19}")
    for name, r in _results.items():
        speedup = f"{sub / r['p50_ms']:.1f}x faster" if sub else "-"
        write(f"{name:<26}{r['p50_ms']:>10.3f}{r['p99_ms']:>10.3f}{r['calls_per_s']:>11.0f}{speedup:>19}")
    if base:
        warm = _results.get("warm pool", {}).get("p50_ms")
        if warm:
            write(f"warm pool p50 overhead over in-process: {warm - base:.3f} ms")
    write(json.dumps(_results))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox([add], config=SandboxConfig(pool_size=2))
    yield sb
    sb.close()


def _timed_rounds(benchmark: Any, fn: Any, rounds: int) -> list[float]:
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=min(20, rounds // 10))
    data: list[float] = list(benchmark.stats.stats.data)
    return data


@pytest.mark.benchmark(group="sandbox-latency")
def test_in_process(benchmark: Any) -> None:
    assert add(**ARGS) == EXPECTED
    _record("in-process", _timed_rounds(benchmark, lambda: add(**ARGS), rounds=5000))


@pytest.mark.benchmark(group="sandbox-latency")
def test_warm_pool(benchmark: Any, sandbox: Sandbox) -> None:
    r = sandbox.call("add", ARGS)
    assert r.ok and r.value == add(**ARGS)
    benchmark.extra_info["isolation"] = sandbox.isolation
    _record("warm pool", _timed_rounds(benchmark, lambda: sandbox.call("add", ARGS), rounds=3000))


@pytest.mark.benchmark(group="sandbox-latency")
def test_warm_pool_batch(benchmark: Any, sandbox: Sandbox) -> None:
    calls = [("add", ARGS)] * BATCH
    results = sandbox.call_batch(calls)
    assert [r.value for r in results] == [add(**ARGS)] * BATCH

    def run() -> None:
        sandbox.call_batch(calls)

    _record(f"warm pool, batch of {BATCH}", _timed_rounds(benchmark, run, rounds=10), calls_per_round=BATCH)


@pytest.mark.benchmark(group="sandbox-latency")
def test_fresh_subprocess(benchmark: Any) -> None:
    def run() -> str:
        return subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout

    assert int(run()) == add(**ARGS)
    _record("fresh subprocess", _timed_rounds(benchmark, run, rounds=60))


@pytest.mark.benchmark(group="sandbox-latency")
def test_fresh_isolated_process(benchmark: Any, sandbox: Sandbox) -> None:
    read_only = sorted({sys.prefix, sys.base_prefix, *[p for p in sys.path if p.startswith("/")]})
    sup = _native.SandboxSupervisor(json.dumps({"isolation": {"read_only": read_only}}))

    def run() -> str:
        return sup.run([sys.executable, "-I", "-S", "-c", CODE]).stdout

    assert int(run()) == add(**ARGS)
    _record("fresh isolated process", _timed_rounds(benchmark, run, rounds=60))
