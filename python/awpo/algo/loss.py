"""PPO-clip policy loss with AWPO ratio clipping (ALGORITHM.md §5), in PyTorch.

Per token t of sample i (model-generated tokens only; tool/observation tokens are masked out):

    r_t      = exp(logp_t - logp_old_t)
    eps_lo_i = eps_low  * (1 - eta * s_i)          eps_hi_i = eps_high * (1 - eta * s_i)
    L_t      = -min(r_t * A_i, clip(r_t, 1 - eps_lo_i, 1 + eps_hi_i) * A_i)
    L_t      = min(L_t, -clip_c * A_i)             where A_i < 0, with `dual_clip`
    L_t      = tis_t * L_t,  tis_t = min(exp(logp_old_t - logp_sampler_t), tis_cap)   (when TIS is on)
    L_t      = L_t + beta * kl_t                   (when beta > 0; k1 | k2 | k3 to the reference)

then aggregated with normalisers of the *global* batch (`LossNormalizer`), so that summing the losses of
micro-batches (gradient accumulation) gives exactly the full batch's loss and gradient:

    token-mean               sum_{i,t} L_t / N_tokens
    seq-mean-token-mean      sum_i (sum_t L_t / T_i) / N_seqs
    seq-mean-token-sum-norm  sum_{i,t} L_t / (N_seqs * token_budget)

With data parallelism, build the normaliser from every rank's masks (all-reduce the counts) and scale the
loss by the world size when the backend averages gradients across ranks.

Decisions: `log(r_t)` is clamped to [-20, 20] before `exp` (as verl does) so a wild logprob cannot make the
loss infinite; masked positions are zeroed before any `exp`, so padding with -inf/NaN logprobs is harmless;
sequences without a valid token count in neither `N_seqs` nor the loss; the TIS weight multiplies the policy
term only (not the KL term) and carries no gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from awpo import metric_names as m
from awpo.algo.config import KlEstimator, LossSettings

LOG_RATIO_CLAMP = 20.0
"""`log r_t` is clamped to `[-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP]` before `exp`."""


@dataclass(frozen=True)
class LossNormalizer:
    """The global normalisers of §5's aggregation, built once per optimizer step from the whole batch."""

    n_tokens: float
    """Valid (model-generated) tokens in the global batch, at least 1."""
    n_seqs: float
    """Sequences with at least one valid token in the global batch, at least 1."""
    token_budget: float
    """The constant of `seq-mean-token-sum-norm`."""

    @classmethod
    def from_masks(cls, masks: Tensor | Sequence[Tensor], token_budget: int | None = None) -> LossNormalizer:
        """From the loss masks of the whole step: one (B, T) tensor or one per micro-batch.

        `token_budget=None` takes the longest sequence's valid-token count in the batch.
        """
        return cls.from_counts(*mask_counts(masks), token_budget=token_budget)

    @classmethod
    def from_counts(
        cls, n_tokens: float, n_seqs: float, longest: float, token_budget: int | None = None
    ) -> LossNormalizer:
        """From the counts of `mask_counts`, e.g. summed (tokens, sequences) and maximised (longest)
        over the ranks of a data-parallel step, so every rank divides by the global batch's counts."""
        budget = float(token_budget) if token_budget is not None else longest
        return cls(n_tokens=max(n_tokens, 1.0), n_seqs=max(n_seqs, 1.0), token_budget=max(budget, 1.0))


def mask_counts(masks: Tensor | Sequence[Tensor]) -> tuple[float, float, float]:
    """(valid tokens, sequences with a valid token, the longest sequence's valid tokens) of loss masks:
    one (B, T) tensor or one per micro-batch."""
    mask_list = [masks] if isinstance(masks, Tensor) else list(masks)
    lengths = [mk.reshape(mk.shape[0], -1).to(torch.float64).sum(-1) for mk in mask_list if mk.numel() > 0]
    all_lengths = torch.cat(lengths) if lengths else torch.zeros(0, dtype=torch.float64)  # (B_total,)
    longest = float(all_lengths.max()) if all_lengths.numel() else 0.0
    return float(all_lengths.sum()), float((all_lengths > 0).sum()), longest


@dataclass(frozen=True)
class PolicyLossOutput:
    """The loss of one (micro-)batch and its metrics."""

    loss: Tensor
    """Scalar; this batch's share of the step's loss (sum the micro-batches' losses)."""
    metrics: dict[str, float]
    """Token means over this batch's valid tokens (names in `awpo.metric_names`)."""
    n_tokens: int
    """Valid tokens in this batch: the weight of its metrics when averaging micro-batches."""


def kl_estimate(logp: Tensor, logp_ref: Tensor, kind: KlEstimator) -> Tensor:
    """Per-token estimate of KL(policy || reference) from samples of the policy (Schulman's k1/k2/k3).

    With `log_r = logp_ref - logp`: `k1 = -log_r`, `k2 = log_r^2 / 2`, `k3 = exp(log_r) - 1 - log_r`
    (inside `exp`, `log_r` is clamped to `[-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP]` so k3 stays finite).
    """
    log_r = logp_ref - logp
    if kind == "k1":
        return -log_r
    if kind == "k2":
        return 0.5 * log_r * log_r
    if kind == "k3":
        return torch.expm1(log_r.clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)) - log_r
    raise ValueError(f"unknown kl_estimator {kind!r}; expected one of: k1, k2, k3")


def _check_shapes(name: str, x: Tensor | None, shape: tuple[int, ...]) -> None:
    if x is not None and tuple(x.shape) != shape:
        raise ValueError(f"{name} has shape {tuple(x.shape)}, expected {shape}")


def aggregate(per_token: Tensor, valid: Tensor, norm: LossNormalizer, mode: str) -> Tensor:
    """Reduce (B, T) token losses to this batch's share of the global loss (§5 aggregation)."""
    weights = valid.to(per_token.dtype)  # (B, T)
    masked = per_token * weights  # (B, T); finite everywhere, as policy_loss zeroes padding first
    if mode == "token-mean":
        return masked.sum() / norm.n_tokens
    if mode == "seq-mean-token-mean":
        per_seq = masked.sum(-1) / weights.sum(-1).clamp(min=1.0)  # (B,)
        return per_seq.sum() / norm.n_seqs
    if mode == "seq-mean-token-sum-norm":
        return masked.sum() / (norm.n_seqs * norm.token_budget)
    raise ValueError(
        f"unknown aggregation {mode!r}; expected one of: token-mean, seq-mean-token-mean, seq-mean-token-sum-norm"
    )


def policy_loss(
    logp: Tensor,
    logp_old: Tensor,
    advantages: Tensor,
    mask: Tensor,
    norm: LossNormalizer,
    cfg: LossSettings | None = None,
    *,
    reasoning_share: Tensor | None = None,
    logp_ref: Tensor | None = None,
    logp_sampler: Tensor | None = None,
) -> PolicyLossOutput:
    """PPO-clip loss with AWPO's per-sample trust region (ALGORITHM.md §5); see the module docstring.

    Args:
        logp: (B, T) log-probabilities of the taken tokens under the policy being trained (with grad).
        logp_old: (B, T) the same under the policy that is updated from, recomputed by the trainer.
        advantages: (B,) `A_i` per sample.
        mask: (B, T) 1/True on model-generated tokens, 0 on prompt, tool-observation and padding tokens.
        norm: the global normalisers of this optimizer step (`LossNormalizer.from_masks`).
        cfg: the loss options; `None` gives the defaults.
        reasoning_share: (B,) `s_i` from the advantages; `None` means 0 (plain PPO clip).
        logp_ref: (B, T) reference-policy log-probabilities; required when `cfg.beta > 0`.
        logp_sampler: (B, T) the sampler's own log-probabilities, for the truncated importance weight.

    Raises:
        ValueError: mismatched shapes, `beta > 0` without `logp_ref`, or `tis: on` without `logp_sampler`.
    """
    cfg = cfg if cfg is not None else LossSettings()
    if logp.dim() != 2:
        raise ValueError(f"logp must be (B, T), got shape {tuple(logp.shape)}")
    shape = (int(logp.shape[0]), int(logp.shape[1]))
    for name, x in (("logp_old", logp_old), ("mask", mask), ("logp_ref", logp_ref), ("logp_sampler", logp_sampler)):
        _check_shapes(name, x, shape)
    _check_shapes("advantages", advantages, shape[:1])
    _check_shapes("reasoning_share", reasoning_share, shape[:1])
    if cfg.beta > 0 and logp_ref is None:
        raise ValueError("beta > 0 needs logp_ref (the reference policy's log-probabilities)")
    if cfg.tis == "on" and logp_sampler is None:
        raise ValueError("tis: on needs logp_sampler (the sampler's log-probabilities)")
    use_tis = cfg.tis == "on" or (cfg.tis == "auto" and logp_sampler is not None)

    dtype = logp.dtype
    valid = mask.to(torch.bool)  # (B, T)
    # log r_t, zero on masked positions so padding never reaches exp()
    log_ratio = torch.where(valid, logp - logp_old.detach(), 0.0).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
    ratio = torch.exp(log_ratio)  # (B, T)
    share = reasoning_share if reasoning_share is not None else torch.zeros(shape[0], dtype=dtype)
    shrink = (1.0 - cfg.eta * share.to(dtype=dtype, device=logp.device)).unsqueeze(-1)  # (B, 1)
    eps_lo = cfg.eps_low * shrink  # (B, 1)
    eps_hi = cfg.eps_high * shrink  # (B, 1)
    adv = advantages.to(dtype=dtype, device=logp.device).unsqueeze(-1)  # (B, 1)
    clipped = torch.clamp(ratio, min=1.0 - eps_lo, max=1.0 + eps_hi)  # (B, T)
    # L_t = -min(r A, clip(r) A) = max(-r A, -clip(r) A)
    per_token = torch.maximum(-ratio * adv, -clipped * adv)  # (B, T)
    if cfg.dual_clip:
        dual_cap = -cfg.clip_c * adv  # (B, 1)
        dual_bind = (adv < 0) & (per_token > dual_cap)  # (B, T)
        per_token = torch.where(adv < 0, torch.minimum(per_token, dual_cap), per_token)
    if use_tis and logp_sampler is not None:
        mismatch = torch.where(valid, logp_old - logp_sampler, 0.0).detach()  # (B, T)
        raw_tis = torch.exp(mismatch.clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP))
        tis = raw_tis.clamp(max=cfg.tis_cap)  # (B, T)
        per_token = per_token * tis
    kl: Tensor | None = None
    if logp_ref is not None:
        # masked positions become log_r = 0 on both sides, so padding never reaches the estimator
        kl = kl_estimate(torch.where(valid, logp, 0.0), torch.where(valid, logp_ref, 0.0), cfg.kl_estimator)  # (B, T)
        if cfg.beta > 0:
            per_token = per_token + cfg.beta * kl
    loss = aggregate(per_token, valid, norm, cfg.aggregation)

    with torch.no_grad():
        weights = valid.to(dtype)  # (B, T)
        n_valid = int(valid.sum())
        denom = max(n_valid, 1)

        def mean(x: Tensor) -> Tensor:
            # every x here is finite on padding (sanitised above), so a weighted sum masks it
            return torch.sum(x.to(dtype) * weights, dtype=torch.float64) / denom

        low = (ratio < 1.0 - eps_lo) & (adv < 0)
        high = (ratio > 1.0 + eps_hi) & (adv > 0)
        names = [m.POLICY_CLIP_FRAC_LOW, m.POLICY_CLIP_FRAC_HIGH, m.POLICY_RATIO_CLIP_FRAC, m.POLICY_RATIO_MEAN]
        values = [mean(low), mean(high), mean(low | high), mean(ratio)]
        names.append(m.POLICY_APPROX_KL)  # KL(old || new), k3 with r_t = new / old
        values.append(mean(torch.expm1(log_ratio) - log_ratio))
        if cfg.dual_clip:
            names.append(m.POLICY_DUAL_CLIP_FRAC)
            values.append(mean(dual_bind))
        if kl is not None:
            names.append(m.POLICY_KL)
            values.append(mean(kl))
        if use_tis and logp_sampler is not None:
            names += [m.ROLLOUT_LOGPROB_MISMATCH_ABS_MEAN, m.POLICY_TIS_CAPPED_FRAC, m.POLICY_TIS_WEIGHT_MEAN]
            values += [mean(mismatch.abs()), mean(raw_tis > cfg.tis_cap), mean(tis)]
        stacked = torch.stack(values).cpu().tolist()  # one device sync for all metrics
        metrics = dict(zip(names, (float(v) for v in stacked), strict=True))
        if n_valid == 0:
            metrics = dict.fromkeys(names, float("nan"))
    return PolicyLossOutput(loss=loss, metrics=metrics, n_tokens=n_valid)


__all__ = ["LOG_RATIO_CLAMP", "LossNormalizer", "PolicyLossOutput", "aggregate", "kl_estimate", "policy_loss"]
