"""Benchmark of the §5 policy loss: `awpo.algo.loss.policy_loss` (forward + backward) against a plain
PPO-clip token-mean loss written inline (the usual TRL/verl formula), on CPU in float32, one torch
thread (a loss step is tiny next to the model's forward/backward; one thread keeps the figure stable
on a shared machine).

    pytest benches/test_policy_loss.py --benchmark-only -s

With `reasoning_share = 0` and no TIS/KL the two compute the same loss (checked first), so the ratio is
the overhead of awpo's extras (per-sample clip range, masking before `exp`, metrics).
"""

from __future__ import annotations

import resource
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from awpo.algo.loss import LossNormalizer, policy_loss  # noqa: E402

B, T = 64, 1024


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Any:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def batch() -> dict[str, Any]:
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(T // 4, T + 1, (B,), generator=g)
    mask = (torch.arange(T)[None, :] < lengths[:, None]).float()  # (B, T)
    logp_old = -torch.rand(B, T, generator=g) * 4
    return {
        "logits_shift": 0.2 * torch.randn(B, T, generator=g),
        "logp_old": logp_old,
        "advantages": torch.randn(B, generator=g),
        "mask": mask,
        "norm": LossNormalizer.from_masks(mask),
    }


def plain_ppo(logp: Any, logp_old: Any, adv: Any, mask: Any, eps_low: float = 0.2, eps_high: float = 0.28) -> Any:
    ratio = torch.exp(logp - logp_old)  # (B, T)
    a = adv.unsqueeze(-1)  # (B, 1)
    loss = -torch.min(ratio * a, torch.clamp(ratio, 1 - eps_low, 1 + eps_high) * a)
    return (loss * mask).sum() / mask.sum()


def cpu_ms(fn: Any, reps: int) -> float:
    fn()
    before = resource.getrusage(resource.RUSAGE_THREAD)
    for _ in range(reps):
        fn()
    after = resource.getrusage(resource.RUSAGE_THREAD)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / reps * 1e3


@pytest.fixture(scope="module")
def results() -> dict[str, float]:
    """Best wall time (s) per benchmark, shared across this module's benchmarks."""
    return {}


def run_and_report(benchmark: Any, results: dict[str, float], name: str, fn: Any) -> None:
    benchmark.pedantic(fn, rounds=30, iterations=1, warmup_rounds=3)
    results[name] = benchmark.stats.stats.min
    line = f"\n{name}: best wall {results[name] * 1e3:.2f} ms, CPU {cpu_ms(fn, 20):.2f} ms/call"
    if name != "plain" and "plain" in results:
        line += f", {results[name] / results['plain']:.2f}x the plain loss"
    print(line)


@pytest.mark.benchmark(group="policy-loss-64x1024-fwd-bwd")
def test_plain_ppo_clip(benchmark: Any, batch: dict[str, Any], results: dict[str, float]) -> None:
    logp = (batch["logp_old"] + batch["logits_shift"]).requires_grad_(True)
    ours = policy_loss(logp, batch["logp_old"], batch["advantages"], batch["mask"], batch["norm"])
    base = plain_ppo(logp, batch["logp_old"], batch["advantages"], batch["mask"])
    torch.testing.assert_close(ours.loss, base, rtol=1e-5, atol=1e-6)

    def step() -> None:
        plain_ppo(logp, batch["logp_old"], batch["advantages"], batch["mask"]).backward()

    run_and_report(benchmark, results, "plain", step)


@pytest.mark.benchmark(group="policy-loss-64x1024-fwd-bwd")
def test_awpo_policy_loss(benchmark: Any, batch: dict[str, Any], results: dict[str, float]) -> None:
    logp = (batch["logp_old"] + batch["logits_shift"]).requires_grad_(True)
    share = torch.rand(B)

    def step() -> None:
        out = policy_loss(
            logp, batch["logp_old"], batch["advantages"], batch["mask"], batch["norm"], reasoning_share=share
        )
        out.loss.backward()

    run_and_report(benchmark, results, "awpo", step)
