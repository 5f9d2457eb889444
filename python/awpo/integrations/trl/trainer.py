"""`AWPOTrainer`: TRL's `GRPOTrainer` with awpo's advantages and the §5 per-sample trust region.

TRL 1.16 has no advantage hook, so this subclass overrides three of its methods, each only around the
parent's own code:
- `_calculate_rewards`: after TRL gathers the per-function rewards of every rank, awpo's native engine
  computes the advantages of the whole generation batch (full groups, identical on every rank) and the
  §7 metrics go to TRL's metric store (so `report_to` sends them to wandb/TensorBoard);
- `_generate_and_score_completions`: the rank's slice of those advantages replaces TRL's, and the rank's
  reasoning shares `s_i` travel with the batch (TRL splits every per-sample tensor per micro-batch);
- `_compute_loss`: TRL's own loss runs with per-sample clip ranges `eps * (1 - eta * s_i)`, so every TRL
  loss aggregation (`loss_type`) keeps working.
With `estimator: grpo` nothing is replaced: the trainer is TRL's, with the judge's reward weight 0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from trl.trainer.grpo_trainer import GRPOTrainer

from awpo.algo.config import AdvantageSettings
from awpo.integrations.trl.advantages import RewardRoles, StepAdvantages, outcome_range, step_advantages
from awpo.integrations.trl.config import AWPOConfig

logger = logging.getLogger("awpo.integrations.trl")

REASONING_SHARE_KEY = "awpo_reasoning_share"
"""Key of the per-sample reasoning share `s_i` in TRL's batch dict."""


@dataclass(frozen=True)
class StepRecord:
    """The last generation batch's advantages, kept for inspection (`AWPOTrainer.awpo_last`)."""

    rewards: np.ndarray[Any, np.dtype[np.float64]]
    """TRL's gathered `(N, F)` reward matrix (every rank's rows)."""
    result: StepAdvantages
    """The advantages of all N rows."""
    local: slice
    """This rank's rows."""


def resolve_roles(funcs: list[Any], names: list[str], weights: list[float], judge_name: str | None) -> RewardRoles:
    """Which reward function is the judge (by name, or the one marked `awpo_role = "judge"`); the rest are
    the outcome, weighted by TRL's `reward_weights`."""
    if judge_name is not None:
        if names.count(judge_name) != 1:
            raise ValueError(
                f"judge_reward = {judge_name!r} must name exactly one reward function; they are: {', '.join(names)}"
            )
        judge: int | None = names.index(judge_name)
    else:
        marked = [i for i, f in enumerate(funcs) if getattr(f, "awpo_role", None) == "judge"]
        if len(marked) > 1:
            raise ValueError(
                f"several reward functions are judges ({', '.join(names[i] for i in marked)}); set judge_reward"
            )
        judge = marked[0] if marked else None
    outcome = tuple(i for i in range(len(funcs)) if i != judge)
    return RewardRoles(tuple(names), outcome, tuple(float(weights[i]) for i in outcome), judge)


def reward_outcome_range(funcs: list[Any], roles: RewardRoles, settings: AdvantageSettings) -> tuple[float, float]:
    """`[Ro_min, Ro_max]`: `settings.outcome_range`, else from the outcome functions' `reward_range`."""
    if settings.outcome_range is not None:
        return settings.outcome_range
    ranges = []
    for i in roles.outcome:
        rng = getattr(funcs[i], "reward_range", None)
        if rng is None:
            raise ValueError(
                f"the outcome reward function {roles.names[i]!r} has no `reward_range`, so the outcome's range"
                " (ALGORITHM.md §2-§3) is unknown; set AWPOConfig(advantage={'outcome_range': [min, max]}) or use"
                " awpo's OutcomeReward"
            )
        ranges.append((float(rng[0]), float(rng[1])))
    return outcome_range(ranges, roles.weights)


class AWPOTrainer(GRPOTrainer):
    """TRL's `GRPOTrainer` computing AWPO advantages (ALGORITHM.md §1–§6); arguments as `GRPOTrainer`'s.

    `args` must be an `AWPOConfig` (`None`: its defaults). Of `reward_funcs`, one may be the reasoning judge
    (`AWPOConfig.judge_reward`, or awpo's `JudgeReward`); the others are the outcome. awpo's reward functions
    that need the tokenizer (to cut each completion's first assistant turn) are given the trainer's.
    """

    def __init__(self, model: Any, reward_funcs: Any, args: AWPOConfig | None = None, *a: Any, **kw: Any) -> None:
        if args is None:
            name = model if isinstance(model, str) else model.config._name_or_path
            args = AWPOConfig(f"{str(name).split('/')[-1]}-AWPO")
        if not isinstance(args, AWPOConfig):
            raise TypeError(f"AWPOTrainer needs an AWPOConfig, got {type(args).__name__}")
        super().__init__(model, reward_funcs, args, *a, **kw)
        self.awpo_settings = args.advantage_settings
        self.awpo_eta = float(args.eta)
        self.awpo_roles = resolve_roles(
            list(self.reward_funcs), list(self.reward_func_names), self.reward_weights.tolist(), args.judge_reward
        )
        if self.awpo_roles.judge is not None:
            # the judge never enters the outcome (nor TRL's own sum, its logged `reward` or the grpo baseline)
            self.reward_weights[self.awpo_roles.judge] = 0.0
        self.awpo_outcome_range: tuple[float, float] | None = None
        if self.awpo_settings.estimator != "grpo":
            self.awpo_outcome_range = reward_outcome_range(
                list(self.reward_funcs), self.awpo_roles, self.awpo_settings
            )
            if self.awpo_roles.judge is None:
                logger.warning(
                    "AWPOTrainer: no judge reward function, so every reasoning score is missing and estimator %r"
                    " reduces to the outcome's advantages",
                    self.awpo_settings.estimator,
                )
        for func in self.reward_funcs:
            bind = getattr(func, "bind_tokenizer", None)
            if callable(bind):
                bind(self._tokenizer)
        self.awpo_last: StepRecord | None = None
        self._awpo_pending: StepRecord | None = None

    def _mode(self) -> str:
        return "train" if self.model is not None and self.model.training else "eval"

    def _calculate_rewards(self, inputs: Any, prompts: Any, completions: Any, completion_ids_list: Any) -> Any:
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)  # (N, F), gathered
        if self.awpo_settings.estimator == "grpo":
            return rewards
        mode = self._mode()
        group = self.num_generations if mode == "train" else self.num_generations_eval
        if group is None:
            raise RuntimeError("TRL has no num_generations for this mode")
        matrix = rewards.detach().to("cpu", torch.float64).numpy()
        result = step_advantages(matrix, self.awpo_roles, group, self.awpo_settings, self.awpo_outcome_range)
        for name, value in result.metrics().items():
            self._metrics[mode][name].append(value)
        local = len(prompts)
        start = self.accelerator.process_index * local
        self._awpo_pending = StepRecord(matrix, result, slice(start, start + local))
        return rewards

    def _generate_and_score_completions(self, inputs: Any) -> dict[str, Any]:
        self._awpo_pending = None
        out: dict[str, Any] = super()._generate_and_score_completions(inputs)
        if self.awpo_settings.estimator == "grpo":
            return out
        record = self._awpo_pending
        if record is None:
            raise RuntimeError("TRL scored the batch without calling _calculate_rewards: AWPO cannot replace it")
        tril = out["advantages"]  # (B,) TRL's own advantages of this rank
        if tril.shape[0] != record.local.stop - record.local.start:
            raise RuntimeError(f"this rank has {tril.shape[0]} completions, expected {record.local}")
        adv = torch.as_tensor(record.result.advantage[record.local], dtype=tril.dtype, device=tril.device)  # (B,)
        share = record.result.reasoning_share[record.local]
        out["advantages"] = adv
        out[REASONING_SHARE_KEY] = torch.as_tensor(share, dtype=torch.float32, device=tril.device)  # (B,)
        logged = self._logs["advantages"]  # the completions table shows the advantages that train
        for _ in range(min(len(logged), record.result.advantage.size)):
            logged.pop()
        logged.extend(record.result.advantage.tolist())
        self.awpo_last = record
        return out

    def _compute_loss(self, model: Any, inputs: dict[str, Any]) -> Any:
        share = inputs.get(REASONING_SHARE_KEY)
        if share is None or self.awpo_eta == 0.0:
            return super()._compute_loss(model, inputs)  # type: ignore[no-untyped-call]
        # ALGORITHM.md §5: eps_lo_i = eps_low * (1 - eta * s_i), eps_hi_i = eps_high * (1 - eta * s_i);
        # TRL's loss reads self.epsilon_low/high, and a (B, 1) tensor broadcasts over its (B, T) ratios
        scale = (1.0 - self.awpo_eta * share.to(torch.float32)).unsqueeze(1)  # (B, 1)
        eps_low, eps_high = self.epsilon_low, self.epsilon_high
        self.epsilon_low, self.epsilon_high = eps_low * scale, eps_high * scale
        try:
            return super()._compute_loss(model, inputs)  # type: ignore[no-untyped-call]
        finally:
            self.epsilon_low, self.epsilon_high = eps_low, eps_high


__all__ = ["REASONING_SHARE_KEY", "AWPOTrainer", "StepRecord", "resolve_roles", "reward_outcome_range"]
