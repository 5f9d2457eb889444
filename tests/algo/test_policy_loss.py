"""`awpo.algo.loss` (ALGORITHM.md §5): a hand-computed example, gradients against a direct per-token
formula, micro-batch invariance for every aggregation mode, dual clip, TIS and KL."""

from __future__ import annotations

import math
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from awpo import metric_names as m  # noqa: E402
from awpo.algo.config import LossSettings  # noqa: E402
from awpo.algo.loss import LossNormalizer, kl_estimate, policy_loss  # noqa: E402

AGGREGATIONS = ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"]
LN = math.log


def tiny() -> dict[str, Any]:
    """B = 2, T = 2. Sample 0: A = +1, s = 0 -> ratio range [0.8, 1.28]; ratios [1.5, 0.9].
    Sample 1: A = -2, s = 0.4 -> shrink 1 - 0.5 * 0.4 = 0.8, eps_lo = 0.16, eps_hi = 0.224 -> range [0.84, 1.224];
    ratios [0.5, 1.1]."""
    logp_old = torch.tensor([[-1.0, -2.0], [-0.5, -3.0]], dtype=torch.float64)
    ratios = torch.tensor([[1.5, 0.9], [0.5, 1.1]], dtype=torch.float64)
    logp = (logp_old + ratios.log()).clone().requires_grad_(True)
    return {
        "logp": logp,
        "logp_old": logp_old,
        "advantages": torch.tensor([1.0, -2.0], dtype=torch.float64),
        "reasoning_share": torch.tensor([0.0, 0.4], dtype=torch.float64),
    }


def test_golden_5_tiny_example_token_mean() -> None:
    # ALGORITHM.md §5, L_t = -min(r A, clip(r, 1 - eps_lo_i, 1 + eps_hi_i) A):
    # sample 0 (A = 1):  r = 1.5 -> min(1.5, 1.28) = 1.28, L = -1.28 (high clip);  r = 0.9 -> L = -0.9
    # sample 1 (A = -2): r = 0.5 -> min(-1.0, 0.84 * -2 = -1.68) = -1.68, L = 1.68 (low clip);
    #                    r = 1.1 -> min(-2.2, -2.2), L = 2.2
    # token-mean over 4 tokens: (-1.28 - 0.9 + 1.68 + 2.2) / 4 = 1.7 / 4 = 0.425
    t = tiny()
    mask = torch.ones(2, 2)
    out = policy_loss(
        t["logp"],
        t["logp_old"],
        t["advantages"],
        mask,
        LossNormalizer.from_masks(mask),
        reasoning_share=t["reasoning_share"],
    )
    assert out.loss.item() == pytest.approx(0.425, abs=1e-12)
    # dL/dlogp_t = -A r_t / 4 where unclipped, 0 where clipped: [[0, -0.9 / 4], [0, 2.2 / 4]]
    out.loss.backward()
    torch.testing.assert_close(t["logp"].grad, torch.tensor([[0.0, -0.225], [0.0, 0.55]], dtype=torch.float64))
    assert out.metrics[m.POLICY_CLIP_FRAC_LOW] == 0.25
    assert out.metrics[m.POLICY_CLIP_FRAC_HIGH] == 0.25
    assert out.metrics[m.POLICY_RATIO_CLIP_FRAC] == 0.5
    assert out.metrics[m.POLICY_RATIO_MEAN] == pytest.approx((1.5 + 0.9 + 0.5 + 1.1) / 4)
    # approx KL(old || new) = mean((r - 1) - ln r)
    k3 = sum((r - 1) - LN(r) for r in (1.5, 0.9, 0.5, 1.1)) / 4
    assert out.metrics[m.POLICY_APPROX_KL] == pytest.approx(k3)
    assert out.n_tokens == 4


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        # sample 0's second token masked: token losses -1.28 | 1.68, 2.2
        ("token-mean", (-1.28 + 1.68 + 2.2) / 3),  # = 2.6 / 3
        ("seq-mean-token-mean", (-1.28 + (1.68 + 2.2) / 2) / 2),  # = (-1.28 + 1.94) / 2 = 0.33
        ("seq-mean-token-sum-norm", (-1.28 + 1.68 + 2.2) / (2 * 2)),  # budget = longest = 2: 2.6 / 4 = 0.65
    ],
)
def test_golden_5_tiny_example_aggregations(aggregation: str, expected: float) -> None:
    # ALGORITHM.md §5 aggregation modes
    t = tiny()
    mask = torch.tensor([[1, 0], [1, 1]])
    norm = LossNormalizer.from_masks(mask)
    assert (norm.n_tokens, norm.n_seqs, norm.token_budget) == (3.0, 2.0, 2.0)
    out = policy_loss(
        t["logp"],
        t["logp_old"],
        t["advantages"],
        mask,
        norm,
        LossSettings(aggregation=aggregation),
        reasoning_share=t["reasoning_share"],
    )
    assert out.loss.item() == pytest.approx(expected, abs=1e-12)


def test_golden_5_dual_clip() -> None:
    # ALGORITHM.md §5: A = -1, r = 5: L = max(-5 * -1, -1.28 * -1) = 5; dual clip caps it at -clip_c A = 3,
    # with zero gradient; A = +1, r = 5 is untouched by the dual clip (L = -1.28, clipped).
    logp_old = torch.zeros(2, 1, dtype=torch.float64)
    logp = torch.full((2, 1), LN(5.0), dtype=torch.float64, requires_grad=True)
    adv = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    mask = torch.ones(2, 1)
    norm = LossNormalizer.from_masks(mask)
    plain = policy_loss(logp, logp_old, adv, mask, norm)
    assert plain.loss.item() == pytest.approx((5.0 - 1.28) / 2)
    dual = policy_loss(logp, logp_old, adv, mask, norm, LossSettings(dual_clip=True))
    assert dual.loss.item() == pytest.approx((3.0 - 1.28) / 2)
    assert dual.metrics[m.POLICY_DUAL_CLIP_FRAC] == 0.5
    dual.loss.backward()
    assert logp.grad is not None and logp.grad.abs().sum().item() == 0.0
    # below the cap the dual clip changes nothing: A = -1, r = 2 -> L = 2 < 3
    logp2 = torch.full((1, 1), LN(2.0), dtype=torch.float64)
    one = torch.ones(1, 1)
    a = policy_loss(logp2, torch.zeros(1, 1), torch.tensor([-1.0]), one, LossNormalizer.from_masks(one))
    b = policy_loss(
        logp2,
        torch.zeros(1, 1),
        torch.tensor([-1.0]),
        one,
        LossNormalizer.from_masks(one),
        LossSettings(dual_clip=True),
    )
    assert a.loss.item() == b.loss.item() == pytest.approx(2.0)


def test_golden_5_truncated_importance_weight() -> None:
    # ALGORITHM.md §5: tis_t = min(exp(logp_old - logp_sampler), tis_cap = 2). Ratio 1 so L_t = -A = -1 per token.
    # logp_old - logp_sampler = [ln 1.5, ln 3, 0]: tis = [1.5, 2 (capped), 1]; loss = -(1.5 + 2 + 1) / 3 = -1.5
    logp_old = torch.tensor([[-1.0, -1.0, -1.0]], dtype=torch.float64)
    logp_sampler = logp_old - torch.tensor([[LN(1.5), LN(3.0), 0.0]], dtype=torch.float64)
    mask = torch.ones(1, 3)
    norm = LossNormalizer.from_masks(mask)
    adv = torch.tensor([1.0], dtype=torch.float64)
    out = policy_loss(logp_old.clone(), logp_old, adv, mask, norm, logp_sampler=logp_sampler)  # tis: auto -> on
    assert out.loss.item() == pytest.approx(-1.5)
    assert out.metrics[m.POLICY_TIS_CAPPED_FRAC] == pytest.approx(1 / 3)
    assert out.metrics[m.ROLLOUT_LOGPROB_MISMATCH_ABS_MEAN] == pytest.approx((LN(1.5) + LN(3.0)) / 3)
    assert out.metrics[m.POLICY_TIS_WEIGHT_MEAN] == pytest.approx(4.5 / 3)
    off = policy_loss(logp_old.clone(), logp_old, adv, mask, norm, LossSettings(tis="off"), logp_sampler=logp_sampler)
    assert off.loss.item() == pytest.approx(-1.0)
    assert m.POLICY_TIS_CAPPED_FRAC not in off.metrics
    with pytest.raises(ValueError, match="tis: on needs logp_sampler"):
        policy_loss(logp_old.clone(), logp_old, adv, mask, norm, LossSettings(tis="on"))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        # log_r = logp_ref - logp = [ln 2, -ln 2]
        ("k1", [-LN(2.0), LN(2.0)]),  # -log_r
        ("k2", [0.5 * LN(2.0) ** 2, 0.5 * LN(2.0) ** 2]),  # log_r^2 / 2
        ("k3", [2.0 - 1.0 - LN(2.0), 0.5 - 1.0 + LN(2.0)]),  # e^log_r - 1 - log_r
    ],
)
def test_golden_5_kl_estimators(kind: str, expected: list[float]) -> None:
    # ALGORITHM.md §5 KL k1 | k2 | k3
    logp = torch.tensor([[-1.0, -1.0]], dtype=torch.float64)
    logp_ref = logp + torch.tensor([[LN(2.0), -LN(2.0)]], dtype=torch.float64)
    torch.testing.assert_close(kl_estimate(logp, logp_ref, kind), torch.tensor([expected], dtype=torch.float64))  # type: ignore[arg-type]
    # inside the loss: ratio 1, A = 0, so the loss is beta * mean(kl)
    mask = torch.ones(1, 2)
    cfg = LossSettings(beta=0.1, kl_estimator=kind)  # type: ignore[arg-type]
    out = policy_loss(logp, logp, torch.zeros(1), mask, LossNormalizer.from_masks(mask), cfg, logp_ref=logp_ref)
    assert out.loss.item() == pytest.approx(0.1 * sum(expected) / 2)
    assert out.metrics[m.POLICY_KL] == pytest.approx(sum(expected) / 2)


def test_kl_is_off_by_default_and_needs_the_reference_when_on() -> None:
    logp = torch.zeros(1, 2, dtype=torch.float64)
    mask = torch.ones(1, 2)
    norm = LossNormalizer.from_masks(mask)
    out = policy_loss(logp, logp, torch.ones(1), mask, norm)
    assert m.POLICY_KL not in out.metrics
    with pytest.raises(ValueError, match="beta > 0 needs logp_ref"):
        policy_loss(logp, logp, torch.ones(1), mask, norm, LossSettings(beta=0.1))


# ---------------------------------------------------------------- gradients and micro-batching


def direct_loss(
    logp: Any, logp_old: Any, adv: Any, share: Any, mask: Any, cfg: LossSettings, norm: LossNormalizer, **extra: Any
) -> Any:
    """The §5 formula written token by token, without the vectorised code's tricks."""
    total = logp.new_zeros(())
    b, t = logp.shape
    for i in range(b):
        n_i = int(mask[i].sum())
        shrink = 1.0 - cfg.eta * float(share[i])
        lo, hi = 1.0 - cfg.eps_low * shrink, 1.0 + cfg.eps_high * shrink
        a = float(adv[i])
        seq = logp.new_zeros(())
        for j in range(t):
            if not mask[i, j]:
                continue
            r = torch.exp(logp[i, j] - logp_old[i, j])
            loss_t = -torch.minimum(r * a, torch.clamp(r, lo, hi) * a)
            if cfg.dual_clip and a < 0:
                loss_t = torch.minimum(loss_t, torch.tensor(-cfg.clip_c * a, dtype=logp.dtype))
            if "logp_sampler" in extra:
                loss_t = loss_t * min(math.exp(float(logp_old[i, j] - extra["logp_sampler"][i, j])), cfg.tis_cap)
            if cfg.beta > 0:
                log_r = extra["logp_ref"][i, j] - logp[i, j]
                loss_t = loss_t + cfg.beta * (torch.exp(log_r) - 1 - log_r)  # k3
            seq = seq + loss_t
        per_seq_mean = cfg.aggregation == "seq-mean-token-mean" and n_i > 0
        total = total + (seq / n_i if per_seq_mean else seq)
    if cfg.aggregation == "token-mean":
        return total / norm.n_tokens
    if cfg.aggregation == "seq-mean-token-mean":
        return total / norm.n_seqs
    return total / (norm.n_seqs * norm.token_budget)


def random_batch(seed: int, b: int = 6, t: int = 7) -> dict[str, Any]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, t + 1, (b,), generator=g)
    lengths[2] = 0  # one sequence with no model tokens at all
    mask = (torch.arange(t)[None, :] < lengths[:, None]).to(torch.int64)  # (B, T), right-padded
    mask[0, 0] = 0  # an observation token inside a sequence
    logp_old = -torch.rand(b, t, generator=g, dtype=torch.float64) * 3
    logp = (logp_old + 0.4 * torch.randn(b, t, generator=g, dtype=torch.float64)).requires_grad_(True)
    return {
        "logp": logp,
        "logp_old": logp_old,
        "advantages": torch.randn(b, generator=g, dtype=torch.float64) * 2,
        "reasoning_share": torch.rand(b, generator=g, dtype=torch.float64),
        "mask": mask,
        "logp_ref": logp_old + 0.3 * torch.randn(b, t, generator=g, dtype=torch.float64),
        "logp_sampler": logp_old + 0.5 * torch.randn(b, t, generator=g, dtype=torch.float64),
    }


CONFIGS = [
    {},
    {"dual_clip": True},
    {"beta": 0.05, "kl_estimator": "k3"},
    {"tis": "on"},
    {"dual_clip": True, "beta": 0.02, "tis": "on", "eta": 1.0},
]


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
@pytest.mark.parametrize("options", CONFIGS)
def test_gradients_equal_autograd_of_the_direct_formula(aggregation: str, options: dict[str, Any]) -> None:
    cfg = LossSettings(aggregation=aggregation, **options)
    batch = random_batch(seed=len(str(options)) + AGGREGATIONS.index(aggregation))
    norm = LossNormalizer.from_masks(batch["mask"])
    extra = {"logp_ref": batch["logp_ref"]} if cfg.beta > 0 else {}
    if cfg.tis == "on":
        extra["logp_sampler"] = batch["logp_sampler"]
    out = policy_loss(
        batch["logp"],
        batch["logp_old"],
        batch["advantages"],
        batch["mask"],
        norm,
        cfg,
        reasoning_share=batch["reasoning_share"],
        **extra,
    )
    (grad,) = torch.autograd.grad(out.loss, batch["logp"])
    ref = direct_loss(
        batch["logp"],
        batch["logp_old"],
        batch["advantages"],
        batch["reasoning_share"],
        batch["mask"],
        cfg,
        norm,
        **extra,
    )
    (ref_grad,) = torch.autograd.grad(ref, batch["logp"])
    torch.testing.assert_close(out.loss, ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
@pytest.mark.parametrize("options", CONFIGS)
def test_micro_batches_give_the_same_loss_and_gradients(aggregation: str, options: dict[str, Any]) -> None:
    cfg = LossSettings(aggregation=aggregation, **options)
    batch = random_batch(seed=100 + AGGREGATIONS.index(aggregation))
    extra = {"logp_ref": batch["logp_ref"], "logp_sampler": batch["logp_sampler"]}
    full_norm = LossNormalizer.from_masks(batch["mask"])
    full = policy_loss(
        batch["logp"],
        batch["logp_old"],
        batch["advantages"],
        batch["mask"],
        full_norm,
        cfg,
        reasoning_share=batch["reasoning_share"],
        **extra,
    )
    (full_grad,) = torch.autograd.grad(full.loss, batch["logp"])

    # micro-batches of 2, 3 and 1 rows, each trimmed to its own longest sequence (its own padding)
    chunks = [(0, 2), (2, 5), (5, 6)]
    last = batch["mask"] * torch.arange(1, batch["mask"].shape[1] + 1)  # (B, T): position + 1 where valid
    trims = [int(last[a:b].max().clamp(min=1)) for a, b in chunks]
    assert trims != [batch["mask"].shape[1]] * 3  # the micro-batches really are padded differently
    masks = [batch["mask"][a:b, :w] for (a, b), w in zip(chunks, trims, strict=True)]
    norm = LossNormalizer.from_masks(masks)
    assert norm == full_norm
    total = torch.zeros((), dtype=torch.float64)
    for (a, b), w in zip(chunks, trims, strict=True):
        part = policy_loss(
            batch["logp"][a:b, :w],
            batch["logp_old"][a:b, :w],
            batch["advantages"][a:b],
            batch["mask"][a:b, :w],
            norm,
            cfg,
            reasoning_share=batch["reasoning_share"][a:b],
            logp_ref=batch["logp_ref"][a:b, :w],
            logp_sampler=batch["logp_sampler"][a:b, :w],
        )
        total = total + part.loss
    (accumulated,) = torch.autograd.grad(total, batch["logp"])
    torch.testing.assert_close(total, full.loss, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(accumulated, full_grad, rtol=1e-12, atol=1e-12)


def test_masked_padding_with_inf_and_nan_is_harmless() -> None:
    batch = random_batch(seed=3)
    logp = batch["logp"].detach().clone()
    logp[~batch["mask"].bool()] = float("nan")
    logp[1, -1] = -float("inf") if not batch["mask"][1, -1] else logp[1, -1]
    logp.requires_grad_(True)
    old = batch["logp_old"].clone()
    old[~batch["mask"].bool()] = -float("inf")
    cfg = LossSettings(beta=0.1, dual_clip=True)
    out = policy_loss(
        logp,
        old,
        batch["advantages"],
        batch["mask"],
        LossNormalizer.from_masks(batch["mask"]),
        cfg,
        reasoning_share=batch["reasoning_share"],
        logp_ref=batch["logp_ref"],
        logp_sampler=batch["logp_sampler"],
    )
    out.loss.backward()
    assert torch.isfinite(out.loss)
    assert logp.grad is not None and torch.isfinite(logp.grad).all()
    assert (logp.grad[~batch["mask"].bool()] == 0).all()
    assert all(math.isfinite(v) for v in out.metrics.values())


def test_reasoning_share_narrows_the_trust_region() -> None:
    # r = 1.25 with A = 1: inside [0.8, 1.28] at s = 0, clipped at 1 + 0.28 * (1 - 0.5 * 1) = 1.14 at s = 1
    logp = torch.full((2, 1), LN(1.25), dtype=torch.float64)
    mask = torch.ones(2, 1)
    out = policy_loss(
        logp,
        torch.zeros(2, 1),
        torch.ones(2),
        mask,
        LossNormalizer.from_masks(mask),
        reasoning_share=torch.tensor([0.0, 1.0]),
    )
    assert out.loss.item() == pytest.approx(-(1.25 + 1.14) / 2)
    assert out.metrics[m.POLICY_CLIP_FRAC_HIGH] == 0.5
    # eta = 0 ignores the reasoning share: plain PPO clip
    plain = policy_loss(
        logp,
        torch.zeros(2, 1),
        torch.ones(2),
        mask,
        LossNormalizer.from_masks(mask),
        LossSettings(eta=0.0),
        reasoning_share=torch.tensor([0.0, 1.0]),
    )
    assert plain.loss.item() == pytest.approx(-1.25)


def test_shape_errors_and_empty_masks() -> None:
    logp = torch.zeros(2, 3)
    mask = torch.ones(2, 3)
    norm = LossNormalizer.from_masks(mask)
    with pytest.raises(ValueError, match=r"advantages has shape \(3,\), expected \(2,\)"):
        policy_loss(logp, logp, torch.zeros(3), mask, norm)
    with pytest.raises(ValueError, match="mask has shape"):
        policy_loss(logp, logp, torch.zeros(2), torch.ones(2, 2), norm)
    with pytest.raises(ValueError, match=r"logp must be \(B, T\)"):
        policy_loss(torch.zeros(3), torch.zeros(3), torch.zeros(1), torch.ones(3), norm)
    empty = torch.zeros(2, 3)
    out = policy_loss(logp, logp, torch.ones(2), empty, LossNormalizer.from_masks(empty))
    assert out.loss.item() == 0.0 and out.n_tokens == 0
    assert all(math.isnan(v) for v in out.metrics.values())
    assert LossNormalizer.from_masks([]) == LossNormalizer(1.0, 1.0, 1.0)
    assert LossNormalizer.from_masks(mask, token_budget=512).token_budget == 512.0
