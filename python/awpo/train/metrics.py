"""Metric names: the scalars every training step logs (ALGORITHM.md §7), as constants.

Names are lowercase `area/name[/stat]` with unit suffixes (STYLE.md §6). Each step appends floats per
name; at log time each becomes its mean over non-NaN values, and eval keys get the prefix `eval/`.
`SECTION_7` maps each item of ALGORITHM.md §7 to the names that log it (checked by a test).
"""

from __future__ import annotations

# --- advantages (awpo.algo.advantages: AdvantageBatch.metrics) ---
AWPO_GATE_MEAN = "awpo/gate/mean"
AWPO_GATE_STD = "awpo/gate/std"
AWPO_GATE_MIN = "awpo/gate/min"
AWPO_GATE_MAX = "awpo/gate/max"
AWPO_GATE_OPEN_FRAC = "awpo/gate/open_frac"  # share of groups with g > 0
AWPO_GATE_RELIABILITY = "awpo/gate/reliability"  # the rho the gate applies (§2.5 `reliability`; NaN otherwise)
AWPO_GATE_SCALE_FREE = "awpo/gate/scale_free"  # 1 when the gate ignores the judge's score scale (§2.5), else 0
AWPO_WEIGHT_MEAN = "awpo/weight/mean"
AWPO_WEIGHT_STD = "awpo/weight/std"
AWPO_WEIGHT_MIN = "awpo/weight/min"
AWPO_WEIGHT_MAX = "awpo/weight/max"
AWPO_REASONING_SHARE_MEAN = "awpo/reasoning_share/mean"
AWPO_REASONING_SHARE_STD = "awpo/reasoning_share/std"
AWPO_REASONING_SHARE_MAX = "awpo/reasoning_share/max"
AWPO_CLIP_BOUND_HIT_FRAC = "awpo/clip_bound_hit_frac"  # rows whose reasoning term the §4 bound cut
AWPO_TIED_OUTCOME_FRAC = "awpo/tied_outcome_frac"  # groups with sd_o <= tau_o
AWPO_ADVANTAGE_MEAN = "awpo/advantage/mean"
AWPO_ADVANTAGE_STD = "awpo/advantage/std"
AWPO_ADVANTAGE_ABS_MAX = "awpo/advantage/abs_max"

ADVANTAGE_METRICS: tuple[str, ...] = (
    AWPO_GATE_MEAN,
    AWPO_GATE_STD,
    AWPO_GATE_MIN,
    AWPO_GATE_MAX,
    AWPO_GATE_OPEN_FRAC,
    AWPO_GATE_RELIABILITY,
    AWPO_GATE_SCALE_FREE,
    AWPO_WEIGHT_MEAN,
    AWPO_WEIGHT_STD,
    AWPO_WEIGHT_MIN,
    AWPO_WEIGHT_MAX,
    AWPO_REASONING_SHARE_MEAN,
    AWPO_REASONING_SHARE_STD,
    AWPO_REASONING_SHARE_MAX,
    AWPO_CLIP_BOUND_HIT_FRAC,
    AWPO_TIED_OUTCOME_FRAC,
    AWPO_ADVANTAGE_MEAN,
    AWPO_ADVANTAGE_STD,
    AWPO_ADVANTAGE_ABS_MAX,
)

# --- policy loss (awpo.algo.loss: PolicyLossOutput.metrics) ---
POLICY_LOSS = "policy/loss"
POLICY_RATIO_CLIP_FRAC = "policy/ratio_clip_frac"  # tokens where the PPO clip is active, low or high
POLICY_CLIP_FRAC_LOW = "policy/clip_frac/low"  # A < 0 and r < 1 - eps_lo
POLICY_CLIP_FRAC_HIGH = "policy/clip_frac/high"  # A > 0 and r > 1 + eps_hi
POLICY_DUAL_CLIP_FRAC = "policy/dual_clip_frac"  # A < 0 and the clip_c cap binds
POLICY_RATIO_MEAN = "policy/ratio/mean"
POLICY_APPROX_KL = "policy/approx_kl"  # KL(old || new), k3 estimator
POLICY_KL = "policy/kl"  # KL to the reference policy (when beta > 0)
POLICY_TIS_MISMATCH_ABS_MEAN = "policy/tis/mismatch_abs_mean"  # mean |logp_old - logp_sampler|
POLICY_TIS_CAPPED_FRAC = "policy/tis/capped_frac"  # tokens whose importance weight hit tis_cap
POLICY_TIS_WEIGHT_MEAN = "policy/tis/weight_mean"

LOSS_METRICS: tuple[str, ...] = (
    POLICY_LOSS,
    POLICY_RATIO_CLIP_FRAC,
    POLICY_CLIP_FRAC_LOW,
    POLICY_CLIP_FRAC_HIGH,
    POLICY_DUAL_CLIP_FRAC,
    POLICY_RATIO_MEAN,
    POLICY_APPROX_KL,
    POLICY_KL,
    POLICY_TIS_MISMATCH_ABS_MEAN,
    POLICY_TIS_CAPPED_FRAC,
    POLICY_TIS_WEIGHT_MEAN,
)

# --- judge (awpo.rewards: the reasoning reward) ---
JUDGE_FAILURE_FRAC = "judge/failure_frac"  # rollouts without a judge score (NaN Rr)
JUDGE_LATENCY_S_MEAN = "judge/latency_s/mean"
JUDGE_LATENCY_S_MAX = "judge/latency_s/max"

# --- rewards ---
REWARD_OUTCOME_MEAN = "reward/outcome/mean"
REWARD_OUTCOME_STD = "reward/outcome/std"
REWARD_REASONING_MEAN = "reward/reasoning/mean"
REWARD_OUTCOME_COMPONENT_PREFIX = "reward/outcome/"  # + component name + "/mean"


def reward_outcome_component(name: str) -> str:
    """The metric of one outcome-reward component, e.g. `reward/outcome/format/mean`."""
    if not name or not name.replace("_", "").isalnum() or not name.islower():
        raise ValueError(f"component name {name!r} must be lowercase letters, digits and underscores")
    return f"{REWARD_OUTCOME_COMPONENT_PREFIX}{name}/mean"


# --- throughput ---
THROUGHPUT_ROLLOUT_TOKENS_PER_S = "throughput/rollout_tokens_per_s"
THROUGHPUT_SCORING_TOKENS_PER_S = "throughput/scoring_tokens_per_s"
THROUGHPUT_UPDATE_TOKENS_PER_S = "throughput/update_tokens_per_s"

# --- time split of a step (seconds, `time/<stage>_s`; `tools` is part of `rollout`) ---
TIME_STAGES: tuple[str, ...] = (
    "rollout",
    "tools",
    "judge_wait",
    "rewards",
    "old_logprobs",
    "advantages",
    "update",
    "sync",
)
TIME_STEP = "time/step_s"  # wall time of the whole step: every stage, packing and metrics (not the log write)


def time_stage(stage: str) -> str:
    """The metric of one stage's seconds, e.g. `time/rollout_s`."""
    return f"time/{stage}_s"


OTHER_METRICS: tuple[str, ...] = (
    JUDGE_FAILURE_FRAC,
    JUDGE_LATENCY_S_MEAN,
    JUDGE_LATENCY_S_MAX,
    REWARD_OUTCOME_MEAN,
    REWARD_OUTCOME_STD,
    REWARD_REASONING_MEAN,
    THROUGHPUT_ROLLOUT_TOKENS_PER_S,
    THROUGHPUT_SCORING_TOKENS_PER_S,
    THROUGHPUT_UPDATE_TOKENS_PER_S,
)

ALL_METRICS: tuple[str, ...] = ADVANTAGE_METRICS + LOSS_METRICS + OTHER_METRICS

# ALGORITHM.md §7, item by item: the names that log it. Outcome-reward components are logged under
# `reward_outcome_component(name)` for each component the reward function reports.
SECTION_7: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mean and distribution of g", (AWPO_GATE_MEAN, AWPO_GATE_STD, AWPO_GATE_MIN, AWPO_GATE_MAX, AWPO_GATE_OPEN_FRAC)),
    ("mean and distribution of w", (AWPO_WEIGHT_MEAN, AWPO_WEIGHT_STD, AWPO_WEIGHT_MIN, AWPO_WEIGHT_MAX)),
    ("mean and distribution of s_i", (AWPO_REASONING_SHARE_MEAN, AWPO_REASONING_SHARE_STD, AWPO_REASONING_SHARE_MAX)),
    ("fraction of samples where the clip bound binds", (AWPO_CLIP_BOUND_HIT_FRAC,)),
    ("share of groups with tied outcomes", (AWPO_TIED_OUTCOME_FRAC,)),
    ("judge failures", (JUDGE_FAILURE_FRAC,)),
    ("judge latency", (JUDGE_LATENCY_S_MEAN, JUDGE_LATENCY_S_MAX)),
    ("outcome-reward components", (REWARD_OUTCOME_MEAN, REWARD_OUTCOME_COMPONENT_PREFIX)),
    ("ratio-clip fraction", (POLICY_RATIO_CLIP_FRAC, POLICY_CLIP_FRAC_LOW, POLICY_CLIP_FRAC_HIGH)),
    ("kl", (POLICY_KL, POLICY_APPROX_KL)),
    ("tokens/s for rollout", (THROUGHPUT_ROLLOUT_TOKENS_PER_S,)),
    ("tokens/s for scoring", (THROUGHPUT_SCORING_TOKENS_PER_S,)),
    ("tokens/s for update", (THROUGHPUT_UPDATE_TOKENS_PER_S,)),
)
