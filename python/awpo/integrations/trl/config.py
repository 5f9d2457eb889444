"""`AWPOConfig`: TRL's `GRPOConfig` plus awpo's advantage settings and the §5 per-sample trust region."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from trl.trainer.grpo_config import GRPOConfig

from awpo.algo.config import AdvantageSettings, AlgoConfig

PPO_CLIP_LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo", "luspo")
"""TRL loss types with the PPO-clip surrogate, where §5's per-sample clip range applies."""

AGGREGATION_TO_LOSS_TYPE = {
    "token-mean": "dapo",  # sum over the global batch's tokens / their number
    "seq-mean-token-mean": "grpo",  # mean over sequences of each sequence's token mean
    "seq-mean-token-sum-norm": "dr_grpo",  # sum over tokens / (sequences * max_completion_length)
}
"""ALGORITHM.md §5 aggregation modes and the TRL `loss_type` that computes the same normalisation."""


@dataclass
class AWPOConfig(GRPOConfig):
    r"""Configuration of [`AWPOTrainer`]: every `GRPOConfig` field, plus AWPO's advantages and trust region.

    Parameters:
        > Parameters that control the advantages (ALGORITHM.md §1–§4, §6)

        advantage (`dict`, `str` or `AdvantageSettings`, *optional*, defaults to `None`):
            awpo's `AdvantageSettings` as a mapping (or its JSON text): `estimator` (`awpo`, `grpo`, `naive_sum`,
            `norm_sum`), `gate`, `weight`, `clip`, `scale`, `tau_r`, `tau_o`, `lam`, `w_floor`, `kappa`, `delta0`,
            `eps`, `outcome_range`. `None` gives the defaults (AWPO). Kept as a plain dict after validation so
            the config stays JSON-serialisable; `advantage_settings` is the validated object. With `estimator:
            grpo` the trainer keeps TRL's own advantages (so it trains exactly as `GRPOTrainer`); the other
            estimators are computed by awpo's native engine over TRL's gathered per-function rewards.
        judge_reward (`str`, *optional*, defaults to `None`):
            Name of the reward function (as TRL names it: the function's `__name__`) whose value is the reasoning
            reward `Rr_i` in [0, 1] (`None` from it = a missing judge score). `None`: the one reward function
            marked `awpo_role = "judge"` (awpo's `JudgeReward`), or no judge at all. Every other reward function
            is part of the outcome `Ro_i`: their sum weighted by `reward_weights`.

        > Parameters that control the trust region (ALGORITHM.md §5)

        eta (`float`, *optional*, defaults to `0.5`):
            How much a sample's reasoning share `s_i` narrows its clip range: `eps_lo_i = epsilon * (1 - eta * s_i)`,
            `eps_hi_i = epsilon_high * (1 - eta * s_i)`, in [0, 1]; `0` gives TRL's plain clip. Needs a PPO-clip
            `loss_type` (`grpo`, `bnpo`, `dr_grpo`, `dapo`, `luspo`) unless it is 0.

    The rest of §5 maps onto TRL's own fields (`AWPOConfig.from_algo` does it from an awpo `AlgoConfig`):
    `eps_low` → `epsilon`, `eps_high` → `epsilon_high`, dual clip `clip_c` → `delta`, aggregation →
    `loss_type` (`token-mean` → `dapo`, `seq-mean-token-mean` → `grpo`, `seq-mean-token-sum-norm` →
    `dr_grpo`), `beta` → `beta` (TRL's KL is the k3 estimator), the truncated importance weight → TRL's vLLM
    importance-sampling correction in `token_truncate` mode (`vllm_importance_sampling_clip_max` = `tis_cap`).
    """

    advantage: dict[str, Any] | str | None = field(
        default=None,
        metadata={"help": "awpo's AdvantageSettings as a dict or JSON text (estimator, gate, weight, clip, ...)."},
    )
    judge_reward: str | None = field(
        default=None,
        metadata={
            "help": "Name of the reward function that is the reasoning judge (values in [0, 1], None = missing)."
        },
    )
    eta: float = field(
        default=0.5,
        metadata={"help": "How much the reasoning share narrows the per-sample clip range (ALGORITHM.md §5)."},
    )

    def __post_init__(self) -> None:
        super().__post_init__()  # type: ignore[no-untyped-call]
        raw: Any = self.advantage
        if isinstance(raw, str):
            raw = json.loads(raw)
        settings = raw if isinstance(raw, AdvantageSettings) else AdvantageSettings.model_validate(raw or {})
        self.advantage = settings.model_dump()
        if not 0.0 <= self.eta <= 1.0:
            raise ValueError(f"eta = {self.eta} is out of range: it must be in [0, 1] (0 = TRL's plain clip)")
        if self.eta > 0.0 and self.loss_type not in PPO_CLIP_LOSS_TYPES:
            raise ValueError(
                f"eta = {self.eta} narrows the PPO clip range, but loss_type = {self.loss_type!r} has no PPO clip;"
                f" use one of {', '.join(PPO_CLIP_LOSS_TYPES)} or set eta=0"
            )
        if settings.estimator != "grpo":
            if self.scale_rewards != "group":
                raise ValueError(
                    f"scale_rewards = {self.scale_rewards!r} is TRL's normalisation, which estimator"
                    f" {settings.estimator!r} does not use; leave it at 'group' and set advantage={{'scale': 'none'}}"
                    " for Dr. GRPO-style unscaled advantages"
                )
            if self.multi_objective_aggregation != "sum_then_normalize":
                raise ValueError(
                    f"multi_objective_aggregation = {self.multi_objective_aggregation!r} is TRL's, which estimator"
                    f" {settings.estimator!r} does not use: awpo sums the outcome functions (weighted by"
                    " reward_weights) and normalises once; leave it at 'sum_then_normalize'"
                )

    @property
    def advantage_settings(self) -> AdvantageSettings:
        """The validated `AdvantageSettings` of `advantage`."""
        return AdvantageSettings.model_validate(self.advantage or {})

    @classmethod
    def from_algo(cls, algo: AlgoConfig | None = None, eta: float | None = None, **kwargs: Any) -> AWPOConfig:
        """An `AWPOConfig` whose advantages and loss follow awpo's `AlgoConfig` (defaults: the spec's).

        The §5 loss settings become TRL's fields (see the class docstring); `kwargs` are the other
        `GRPOConfig` fields (`output_dir`, batch sizes, ...) and must not repeat the mapped ones.

        Raises:
            ValueError: a mapped field is also in `kwargs`, or a setting TRL cannot express (`kl_estimator`
                other than `k3`, `token_budget` other than `max_completion_length`).
        """
        algo = algo if algo is not None else AlgoConfig()
        loss = algo.loss
        if loss.kl_estimator != "k3" and loss.beta > 0:
            raise ValueError(f"kl_estimator = {loss.kl_estimator!r}: TRL's KL penalty is the k3 estimator only")
        mapped: dict[str, Any] = {
            "advantage": algo.advantage.model_dump(),
            "eta": loss.eta if eta is None else eta,
            "epsilon": loss.eps_low,
            "epsilon_high": loss.eps_high,
            "delta": loss.clip_c if loss.dual_clip else None,
            "loss_type": AGGREGATION_TO_LOSS_TYPE[loss.aggregation],
            "beta": loss.beta,
            "vllm_importance_sampling_correction": loss.tis != "off",
            "vllm_importance_sampling_mode": "token_truncate",  # tis_t = min(exp(logp_old - logp_sampler), cap)
            "vllm_importance_sampling_clip_max": loss.tis_cap,
        }
        if loss.token_budget is not None:
            if "max_completion_length" in kwargs and kwargs["max_completion_length"] != loss.token_budget:
                raise ValueError(
                    f"token_budget = {loss.token_budget} differs from max_completion_length ="
                    f" {kwargs['max_completion_length']}: TRL's dr_grpo divides by max_completion_length"
                )
            mapped["max_completion_length"] = loss.token_budget
        clash = sorted(set(mapped) & set(kwargs))
        if clash:
            raise ValueError(f"{', '.join(clash)} come from the AlgoConfig; do not pass them as well")
        return cls(**mapped, **kwargs)


__all__ = ["AGGREGATION_TO_LOSS_TYPE", "PPO_CLIP_LOSS_TYPES", "AWPOConfig"]
