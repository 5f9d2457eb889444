"""Configuration of the algorithm: advantages (ALGORITHM.md §1–§4, §6) and the policy loss (§5).

The trainer's config embeds `AlgoConfig` (key `algo`); each field's default is the spec's.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from awpo import _native

Estimator = Literal["grpo", "naive_sum", "norm_sum", "awpo"]
GateMode = Literal["soft", "hard", "ratio", "off", "reliability"]
WeightMode = Literal["linear", "off"]
ClipMode = Literal["on", "off"]
ScaleMode = Literal["std", "none"]
Aggregation = Literal["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"]
KlEstimator = Literal["k1", "k2", "k3"]
TisMode = Literal["auto", "on", "off"]


def _yaml_switch(value: Any) -> Any:
    """YAML 1.1 reads a bare `off`/`on` as a boolean: map it back to the option's spelling."""
    if value is False:
        return "off"
    if value is True:
        return "on"
    return value


class AdvantageSettings(BaseModel):
    """Options of the advantage estimator (ALGORITHM.md §1–§4, §6).

    Parameters:
        > Parameters that control which advantage is computed

        estimator (`Literal["grpo", "naive_sum", "norm_sum", "awpo"]`, defaults to `"awpo"`):
            `awpo`: `A_i = Ao_i + clip(g * w * Ar_i, -bound_i, +bound_i)` (§4). Baselines (§6): `grpo`
            (`A_i = Ao_i`, outcome only), `naive_sum` (GRPO normalisation of `Ro_i + lam * Rr_i`, a
            missing `Rr_i` replaced by the group mean of the present ones), `norm_sum`
            (`A_i = Ao_i + lam * Ar_i`, GDPO-like).
        gate (`Literal["soft", "hard", "ratio", "off", "reliability"]`, defaults to `"soft"`):
            Variance-aware gate `g` (§2). `soft`: `(1 - sd_o / sd_max) * [sd_r > tau_r]`; `hard`:
            `[sd_o <= tau_o] * [sd_r > tau_r]`; `ratio`: `sd_r' / (sd_r' + sd_o' + eps)` (stds divided by
            their range's `sd_max`, 0.5 for the judge score); `off`: `g = 1` (the ablation); `reliability`
            (§2): `rho * (1 - sd_o / sd_max) * [sd_r > eps]`, independent of the judge's score scale, with the
            judge's calibrated reliability `rho`. In every mode a group with fewer than 2 judge scores gets
            `g = 0`. Only used by `awpo`.
        weight (`Literal["linear", "off"]`, defaults to `"linear"`):
            Difficulty-aware weight `w` (§3). `linear`: `lam * (w_floor + (1 - w_floor) * d)` with the
            failure rate `d = 1 - (mu_o - Ro_min) / (Ro_max - Ro_min)`; `off`: `w = lam`. Only used by `awpo`.
        clip (`Literal["on", "off"]`, defaults to `"on"`):
            Tailored clipping (§4): `on` bounds the reasoning term by `kappa * |Ao_i|` (or `delta0` where
            outcomes tie); `off` adds it unbounded (the ablation). Only used by `awpo`.
        scale (`Literal["std", "none"]`, defaults to `"std"`):
            `std`: `Ao_i = (Ro_i - mu_o) / (sd_o + eps)` (§1); `none`: `Ao_i = Ro_i - mu_o` (Dr. GRPO style).
            Applies to `Ao` (and to `naive_sum`'s summed reward), never to `Ar`.

        > Parameters that control the gate, weight and clip

        tau_r (`float`, defaults to `0.05`):
            The judge discriminates only where the group's judge-score std `sd_r > tau_r` (§2). `>= 0`.
        tau_o (`float`, defaults to `1e-6`):
            Outcomes tie where `sd_o <= tau_o` (§2, `hard` gate; also the `tied` flag). `>= 0`.
        lam (`float`, defaults to `1.0`):
            Scale `lam` of the reasoning term (§3 weight, §6 `naive_sum` and `norm_sum`). `>= 0`.
        w_floor (`float`, defaults to `0.25`):
            The share of the weight a solved prompt keeps (§3), in `[0, 1]`.
        kappa (`float`, defaults to `0.5`):
            The reasoning term is bounded by `kappa * |Ao_i|` (§4). `>= 0`; below 1 the sign of `A_i`
            always equals the sign of `Ao_i` where the outcome discriminates.
        delta0 (`float`, defaults to `1.0`):
            The bound where `|Ao_i| <= eps`, i.e. in groups with tied outcomes (§4). `>= 0`.
        rho (`float`, defaults to `1.0`):
            The judge's reliability `2 * AUC - 1` in [0, 1], as `awpo judge calibrate` reports it; scales the
            `reliability` gate (§2) and is read by no other mode.
        eps (`float`, defaults to `1e-6`):
            Denominator guard and the "outcome discriminates" threshold `|Ao_i| > eps` (notation). `> 0`.
        outcome_range (`tuple[float, float]` or `None`, defaults to `None`):
            `[Ro_min, Ro_max]`, the outcome reward's range (§2 `sd_max`, §3 `d`). `None`: the trainer takes
            it from the outcome reward function. Outcomes outside it (beyond `1e-9` of its width) are an
            error.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    estimator: Estimator = Field("awpo", description="Which advantage is computed (§4, baselines §6).")
    gate: GateMode = Field("soft", description="Variance-aware gate `g` (§2).")
    weight: WeightMode = Field("linear", description="Difficulty-aware weight `w` (§3).")
    clip: ClipMode = Field("on", description="Tailored clipping (§4).")
    scale: ScaleMode = Field("std", description="`std`: `Ao_i = (Ro_i - mu_o) / (sd_o + eps)` (§1).")
    tau_r: float = Field(0.05, ge=0.0, description="The judge discriminates only where `sd_r > tau_r` (§2).")
    tau_o: float = Field(1e-6, ge=0.0, description="Outcomes tie where `sd_o <= tau_o` (§2).")
    lam: float = Field(1.0, ge=0.0, description="Scale `lam` of the reasoning term (§3, §6).")
    w_floor: float = Field(0.25, ge=0.0, le=1.0, description="The share of the weight a solved prompt keeps (§3).")
    kappa: float = Field(0.5, ge=0.0, description="The reasoning term is bounded by `kappa * |Ao_i|` (§4).")
    delta0: float = Field(1.0, ge=0.0, description="The bound where `|Ao_i| <= eps` (§4).")
    rho: float = Field(1.0, ge=0.0, le=1.0, description="The judge's reliability `2 * AUC - 1` (§2).")
    eps: float = Field(1e-6, gt=0.0, description="Denominator guard and the `|Ao_i| > eps` threshold.")
    outcome_range: tuple[float, float] | None = Field(
        None, description="`[Ro_min, Ro_max]`, the outcome reward's range (§2, §3)."
    )

    @field_validator("gate", "weight", "clip", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return _yaml_switch(value)

    @field_validator("tau_r", "tau_o", "lam", "w_floor", "kappa", "delta0", "rho", "eps")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"must be finite, got {value}")
        return value

    @model_validator(mode="after")
    def _check_range(self) -> AdvantageSettings:
        if self.outcome_range is not None:
            lo, hi = self.outcome_range
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi and math.isfinite(hi - lo)):
                raise ValueError(
                    f"outcome_range = {self.outcome_range} is invalid: it must be finite with min < max;"
                    " set it to the outcome reward's range, e.g. [0, 1]"
                )
        return self

    def to_native(self, outcome_range: tuple[float, float] | None = None) -> _native.AdvantageConfig:
        """The native config; `outcome_range` overrides the field (one of them must be set)."""
        rng = outcome_range if outcome_range is not None else self.outcome_range
        if rng is None:
            raise ValueError(
                "the outcome reward's range is unknown: pass outcome_range=(min, max) or set"
                " AdvantageSettings.outcome_range"
            )
        return _native.AdvantageConfig(
            estimator=self.estimator,
            gate=self.gate,
            weight=self.weight,
            clip=self.clip,
            scale=self.scale,
            tau_r=self.tau_r,
            tau_o=self.tau_o,
            lam=self.lam,
            w_floor=self.w_floor,
            kappa=self.kappa,
            delta0=self.delta0,
            rho=self.rho,
            eps=self.eps,
            outcome_min=float(rng[0]),
            outcome_max=float(rng[1]),
        )


class LossSettings(BaseModel):
    """Options of the PPO-clip policy loss with AWPO ratio clipping (ALGORITHM.md §5).

    Parameters:
        > Parameters that control the trust region

        eps_low (`float`, defaults to `0.2`):
            Lower clip range: the ratio is clipped at `1 - eps_lo_i`, `eps_lo_i = eps_low * (1 - eta * s_i)`.
            In `[0, 1)`.
        eps_high (`float`, defaults to `0.28`):
            Upper clip range ("clip-higher", DAPO): the ratio is clipped at `1 + eps_hi_i`,
            `eps_hi_i = eps_high * (1 - eta * s_i)`. `>= 0`.
        eta (`float`, defaults to `0.5`):
            How much a sample's reasoning share `s_i` narrows its trust region, in `[0, 1]`; `0` gives
            the plain PPO clip.
        dual_clip (`bool`, defaults to `False`):
            Dual clip for `A_i < 0`: the token loss is capped at `-clip_c * A_i` (§5, "optional").
        clip_c (`float`, defaults to `3.0`):
            The dual-clip constant `clip_c`, `> 1`; used only with `dual_clip`.

        > Parameters that control aggregation

        aggregation (`str`, defaults to `"token-mean"`):
            How token losses become one loss (§5). `token-mean`: sum over the global batch's valid tokens /
            their number; `seq-mean-token-mean`: mean over sequences of each sequence's token mean;
            `seq-mean-token-sum-norm`: sum over tokens / (number of sequences * `token_budget`) (Dr. GRPO).
            Normalisers are global to the optimizer step, so micro-batching cannot change the loss.
        token_budget (`int` or `None`, defaults to `None`):
            The constant of `seq-mean-token-sum-norm`; `None`: the longest sequence's valid-token count in
            the global batch. Dr. GRPO uses the generation budget (`max_new_tokens`).

        > Parameters that control the KL penalty

        beta (`float`, defaults to `0.0`):
            Weight of the per-token KL to the reference policy (the policy RL starts from: the warm-up's
            result, else the initial model); `0` (the default) turns the penalty off.
        kl_estimator (`Literal["k1", "k2", "k3"]`, defaults to `"k3"`):
            Estimator of KL(policy || reference) from `log_r = logp_ref - logp`: `k1 = -log_r`,
            `k2 = log_r^2 / 2`, `k3 = exp(log_r) - 1 - log_r` (Schulman's low-variance, non-negative one).

        > Parameters that control the sampler/trainer mismatch correction

        tis (`Literal["auto", "on", "off"]`, defaults to `"auto"`):
            Truncated importance weight `tis_t = min(exp(logp_old_t - logp_sampler_t), tis_cap)` on each
            token's loss. `auto`: on whenever the sampler's logprobs are passed (the trainer passes them when
            the engine is not its own model); `on`: they must be passed; `off`: never.
        tis_cap (`float`, defaults to `2.0`):
            Upper cap of the truncated importance weight, `> 0`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    eps_low: float = Field(0.2, ge=0.0, lt=1.0, description="Lower clip range `eps_low` (§5).")
    eps_high: float = Field(0.28, ge=0.0, description="Upper clip range `eps_high` (§5).")
    eta: float = Field(0.5, ge=0.0, le=1.0, description="How much the reasoning share narrows the trust region.")
    dual_clip: bool = Field(False, description="Dual clip for `A_i < 0` (§5).")
    clip_c: float = Field(3.0, gt=1.0, description="The dual-clip constant `clip_c` (§5).")
    aggregation: Aggregation = Field("token-mean", description="How token losses become one loss (§5).")
    token_budget: int | None = Field(None, ge=1, description="The constant of `seq-mean-token-sum-norm`.")
    beta: float = Field(0.0, ge=0.0, description="Weight of the per-token KL to the reference policy.")
    kl_estimator: KlEstimator = Field("k3", description="Estimator of KL(policy || reference).")
    tis: TisMode = Field("auto", description="Truncated importance weight on each token's loss (§5).")
    tis_cap: float = Field(2.0, gt=0.0, description="Upper cap of the truncated importance weight.")

    @field_validator("tis", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return _yaml_switch(value)

    @field_validator("eps_low", "eps_high", "eta", "clip_c", "beta", "tis_cap")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"must be finite, got {value}")
        return value


class AlgoConfig(BaseModel):
    """The algorithm: advantages (ALGORITHM.md §1–§4, §6) and the policy loss (§5).

    Parameters:
        > Parameters that control the algorithm

        advantage (`AdvantageSettings`, defaults to `AdvantageSettings()`):
            The advantage estimator (AWPO by default, or a §6 baseline).
        loss (`LossSettings`, defaults to `LossSettings()`):
            The PPO-clip policy loss with AWPO ratio clipping.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    advantage: AdvantageSettings = Field(default_factory=AdvantageSettings, description="The advantage estimator.")
    loss: LossSettings = Field(default_factory=LossSettings, description="The PPO-clip policy loss.")


__all__ = [
    "AdvantageSettings",
    "Aggregation",
    "AlgoConfig",
    "ClipMode",
    "Estimator",
    "GateMode",
    "KlEstimator",
    "LossSettings",
    "ScaleMode",
    "TisMode",
    "WeightMode",
]
