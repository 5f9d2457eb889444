"""Every metric name awpo logs, written once (docs/ALGORITHM.md §7, docs/DESIGN.md "Conventions").

Names are lowercase `area/name[/stat]` with unit suffixes. Each step appends floats per name; at log
time each becomes its mean over non-NaN values, and held-out evaluation names carry `EVAL_PREFIX`.

This module imports nothing of awpo, so every layer may import it: the algorithm (`awpo.algo`), the
rewards and judge (`awpo.rewards`), the trainer (`awpo.train`) and integrations alike.
`SECTION_7` maps each item of docs/ALGORITHM.md §7 to the names that log it;
`tests/train/test_metric_names.py` checks that a real training step emits them.
"""

from __future__ import annotations

# --- advantages (awpo.algo.advantages: AdvantageBatch.metrics), §2-§4 ---
AWPO_GATE_MEAN = "awpo/gate/mean"
AWPO_GATE_STD = "awpo/gate/std"
AWPO_GATE_MIN = "awpo/gate/min"
AWPO_GATE_MAX = "awpo/gate/max"
AWPO_GATE_OPEN_FRAC = "awpo/gate/open_frac"  # share of groups with g > 0
AWPO_GATE_RELIABILITY = "awpo/gate/reliability"  # the rho the gate applies (§2; NaN otherwise)
AWPO_GATE_SCALE_FREE = "awpo/gate/scale_free"  # 1 when the gate ignores the judge's score scale (§2), else 0
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
"""What `AdvantageBatch.metrics()` returns, always (NaN where undefined)."""

# --- sampler/trainer mismatch, §5 (the trainer logs both every step; the loss the mean, with TIS on) ---
ROLLOUT_LOGPROB_MISMATCH_ABS_MEAN = "rollout/logprob_mismatch/abs_mean"  # mean |logp_old - logp_sampler|
ROLLOUT_LOGPROB_MISMATCH_MAX = "rollout/logprob_mismatch/max"  # max |logp_old - logp_sampler|

# --- policy loss (awpo.algo.loss: PolicyLossOutput.metrics), §5 ---
POLICY_LOSS = "policy/loss"  # the trainer's mean minibatch loss
POLICY_RATIO_CLIP_FRAC = "policy/ratio_clip_frac"  # tokens where the PPO clip is active, low or high
POLICY_CLIP_FRAC_LOW = "policy/clip_frac/low"  # A < 0 and r < 1 - eps_lo
POLICY_CLIP_FRAC_HIGH = "policy/clip_frac/high"  # A > 0 and r > 1 + eps_hi
POLICY_DUAL_CLIP_FRAC = "policy/dual_clip_frac"  # A < 0 and the clip_c cap binds (with dual_clip)
POLICY_RATIO_MEAN = "policy/ratio/mean"
POLICY_APPROX_KL = "policy/approx_kl"  # KL(old || new), k3 estimator
POLICY_KL = "policy/kl"  # KL to the reference policy (with a reference, i.e. beta > 0)
POLICY_TIS_CAPPED_FRAC = "policy/tis/capped_frac"  # tokens whose importance weight hit tis_cap (TIS on)
POLICY_TIS_WEIGHT_MEAN = "policy/tis/weight_mean"  # mean truncated importance weight (TIS on)

LOSS_METRICS_ALWAYS: tuple[str, ...] = (
    POLICY_RATIO_CLIP_FRAC,
    POLICY_CLIP_FRAC_LOW,
    POLICY_CLIP_FRAC_HIGH,
    POLICY_RATIO_MEAN,
    POLICY_APPROX_KL,
)
"""What `policy_loss` returns with every option."""
LOSS_METRICS_DUAL_CLIP: tuple[str, ...] = (POLICY_DUAL_CLIP_FRAC,)
"""Added by `policy_loss` with `dual_clip`."""
LOSS_METRICS_KL: tuple[str, ...] = (POLICY_KL,)
"""Added by `policy_loss` when given the reference policy's log-probs."""
LOSS_METRICS_TIS: tuple[str, ...] = (ROLLOUT_LOGPROB_MISMATCH_ABS_MEAN, POLICY_TIS_CAPPED_FRAC, POLICY_TIS_WEIGHT_MEAN)
"""Added by `policy_loss` when the truncated importance weight is on."""

# --- judge (awpo.rewards.judge.Judge: JudgeResult.metrics) ---
JUDGE_FAILURES = "judge/failures"
"""Items whose score is missing (NaN) in the batch: unreachable judge, timeouts, garbage replies."""
JUDGE_FAILURE_FRAC = "judge/failure_frac"
"""`JUDGE_FAILURES` over the batch size: the share of rollouts without a reasoning reward."""
JUDGE_LATENCY_S_MEAN = "judge/latency_s/mean"
"""Mean seconds per judged item (one request with its retries, or a forward pass's share); NaN if all cached."""
JUDGE_LATENCY_S_MAX = "judge/latency_s/max"
"""Slowest judged item of the batch in seconds; NaN if all cached."""
JUDGE_CACHE_HIT_FRAC = "judge/cache_hit_frac"
"""Items answered by the cache over the items that needed a judge (non-empty reasoning)."""
JUDGE_ITEMS_PER_S = "judge/items_per_s"
"""Batch size over the wall-clock seconds of the whole `score` call."""
JUDGE_SCORE_MEAN = "judge/score/mean"
"""Mean reasoning reward in [0, 1] over the scored items."""
JUDGE_LOGPROB_WEIGHTED_FRAC = "judge/logprob_weighted_frac"
"""Scored items whose score is an expectation over score-token probabilities (not a parsed integer)."""
JUDGE_EMPTY_REASONING_FRAC = "judge/empty_reasoning_frac"
"""Items with blank reasoning (scored 0 without a judge call)."""
JUDGE_SCORE_TOKEN_MASS_MEAN = "judge/score_token_mass/mean"
"""`hf` only: mean probability of the score tokens at the reply's first position (low = the judge model does
not answer with a bare score, and the expectation rests on little mass); NaN for other backends."""
JUDGE_LATENCY_S_TOTAL = "judge/latency_s/total"
"""Trainer: seconds of the step spent waiting for (or, overlapped, running) the judge."""

JUDGE_METRICS: tuple[str, ...] = (
    JUDGE_FAILURES,
    JUDGE_FAILURE_FRAC,
    JUDGE_LATENCY_S_MEAN,
    JUDGE_LATENCY_S_MAX,
    JUDGE_CACHE_HIT_FRAC,
    JUDGE_ITEMS_PER_S,
    JUDGE_SCORE_MEAN,
    JUDGE_LOGPROB_WEIGHTED_FRAC,
    JUDGE_EMPTY_REASONING_FRAC,
    JUDGE_SCORE_TOKEN_MASS_MEAN,
)
"""What `Judge.score` returns in `JudgeResult.metrics`, always (NaN where undefined)."""

# --- rewards ---
REWARD_OUTCOME_MEAN = "reward/outcome/mean"
REWARD_OUTCOME_STD = "reward/outcome/std"
REWARD_REASONING_MEAN = "reward/reasoning/mean"  # over the present (non-NaN) judge scores
REWARD_OUTCOME_COMPONENT_PREFIX = "reward/outcome/"  # + component name + "/mean"
OUTCOME_MISSING_FRAC = "awpo/outcome_missing_frac"
"""TRL integration: rows of the step where every outcome reward function returned `None` (advantage 0,
left out of its group)."""


def reward_outcome_component(name: str) -> str:
    """The metric of one outcome-reward component, e.g. `reward/outcome/format/mean`."""
    return f"{REWARD_OUTCOME_COMPONENT_PREFIX}{_checked(name, 'component')}/mean"


# --- rollouts and parsing ---
ROLLOUT_TURNS_MEAN = "rollout/turns/mean"
ROLLOUT_GENERATED_TOKENS_MEAN = "rollout/generated_tokens/mean"
ROLLOUT_TOOL_CALLS_MEAN = "rollout/tool_calls/mean"


def rollout_finish_frac(reason: str) -> str:
    """Share of trajectories that stopped for `reason`, e.g. `rollout/finish/answer_frac`."""
    return f"rollout/finish/{_checked(reason, 'finish reason')}_frac"


def parse_failure_frac(failure: str) -> str:
    """Share of scored turns whose parse ended in `failure`, e.g. `parse/malformed_json_frac`."""
    return f"parse/{_checked(failure, 'failure class')}_frac"


# --- throughput ---
THROUGHPUT_ROLLOUT_TOKENS_PER_S = "throughput/rollout_tokens_per_s"
THROUGHPUT_SCORING_TOKENS_PER_S = "throughput/scoring_tokens_per_s"
THROUGHPUT_UPDATE_TOKENS_PER_S = "throughput/update_tokens_per_s"

# --- optimizer ---
TRAIN_LR = "train/lr"
TRAIN_GRAD_NORM = "train/grad_norm"  # mean over the step's optimizer updates, before clipping
TRAIN_SKIPPED_UPDATES = "train/skipped_updates"  # updates dropped for non-finite gradients

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
TIME_EVAL = "time/eval_s"  # one held-out evaluation
TIME_SFT_STEP = "time/sft_step_s"  # one warm-up step


def time_stage(stage: str) -> str:
    """The metric of one stage's seconds, e.g. `time/rollout_s`."""
    return f"time/{stage}_s"


# --- supervised warm-up (awpo.train.sft) ---
SFT_LOSS = "sft/loss"
SFT_GRAD_NORM = "sft/grad_norm"
SFT_TOKENS = "sft/tokens"

# --- held-out evaluation (awpo.train.trainer.Trainer.evaluate) ---
EVAL_PREFIX = "eval/"
EVAL_EXACT_CALL_ACC = EVAL_PREFIX + "exact_call_acc"  # calls made equal the expected ones (multiset)
EVAL_EXACT_CALL_ACC_CALL_TASKS = EVAL_EXACT_CALL_ACC + "/call_tasks"  # the same over tasks that expect calls
EVAL_REWARD_OUTCOME_MEAN = EVAL_PREFIX + REWARD_OUTCOME_MEAN
EVAL_REWARD_REASONING_MEAN = EVAL_PREFIX + REWARD_REASONING_MEAN
EVAL_WELL_FORMED_CALL_FRAC = EVAL_PREFIX + "well_formed_call_frac"
EVAL_TASKS = EVAL_PREFIX + "tasks"
CI_LOW_SUFFIX = "/ci_low"  # + to an accuracy: the low end of its 95% bootstrap interval over tasks (awpo.stats)
CI_HIGH_SUFFIX = "/ci_high"
EVAL_EXACT_CALL_ACC_CI_LOW = EVAL_EXACT_CALL_ACC + CI_LOW_SUFFIX
EVAL_EXACT_CALL_ACC_CI_HIGH = EVAL_EXACT_CALL_ACC + CI_HIGH_SUFFIX
EVAL_EXACT_CALL_ACC_CALL_TASKS_CI_LOW = EVAL_EXACT_CALL_ACC_CALL_TASKS + CI_LOW_SUFFIX
EVAL_EXACT_CALL_ACC_CALL_TASKS_CI_HIGH = EVAL_EXACT_CALL_ACC_CALL_TASKS + CI_HIGH_SUFFIX
EVAL_KIND_PREFIX = EVAL_EXACT_CALL_ACC + "/kind/"


def eval_exact_call_acc_kind(kind: str) -> str:
    """Held-out exact-call accuracy over the tasks of one `meta.kind`, e.g. `eval/exact_call_acc/kind/parallel`."""
    return f"{EVAL_KIND_PREFIX}{_checked(kind, 'task kind')}"


EVAL_METRICS: tuple[str, ...] = (
    EVAL_EXACT_CALL_ACC,
    EVAL_EXACT_CALL_ACC_CALL_TASKS,
    EVAL_REWARD_OUTCOME_MEAN,
    EVAL_REWARD_REASONING_MEAN,
    EVAL_WELL_FORMED_CALL_FRAC,
    EVAL_TASKS,
    EVAL_EXACT_CALL_ACC_CI_LOW,
    EVAL_EXACT_CALL_ACC_CI_HIGH,
    EVAL_EXACT_CALL_ACC_CALL_TASKS_CI_LOW,
    EVAL_EXACT_CALL_ACC_CALL_TASKS_CI_HIGH,
    TIME_EVAL,
)
SFT_METRICS: tuple[str, ...] = (SFT_LOSS, SFT_GRAD_NORM, SFT_TOKENS, TIME_SFT_STEP)

STEP_METRICS: tuple[str, ...] = (
    ADVANTAGE_METRICS
    + LOSS_METRICS_ALWAYS
    + JUDGE_METRICS
    + (
        POLICY_LOSS,
        ROLLOUT_LOGPROB_MISMATCH_ABS_MEAN,
        ROLLOUT_LOGPROB_MISMATCH_MAX,
        JUDGE_LATENCY_S_TOTAL,
        REWARD_OUTCOME_MEAN,
        REWARD_OUTCOME_STD,
        REWARD_REASONING_MEAN,
        ROLLOUT_TURNS_MEAN,
        ROLLOUT_GENERATED_TOKENS_MEAN,
        ROLLOUT_TOOL_CALLS_MEAN,
        THROUGHPUT_ROLLOUT_TOKENS_PER_S,
        THROUGHPUT_SCORING_TOKENS_PER_S,
        THROUGHPUT_UPDATE_TOKENS_PER_S,
        TRAIN_LR,
        TRAIN_GRAD_NORM,
        TRAIN_SKIPPED_UPDATES,
        TIME_STEP,
    )
    + tuple(time_stage(s) for s in TIME_STAGES)
)
"""Fixed names every AWPO training step logs, whatever the options."""
OPTIONAL_STEP_METRICS: tuple[str, ...] = LOSS_METRICS_DUAL_CLIP + LOSS_METRICS_KL + LOSS_METRICS_TIS
"""Fixed names a step logs only with some options: dual clip, a reference policy, TIS."""

ALL_METRICS: tuple[str, ...] = tuple(dict.fromkeys(STEP_METRICS + OPTIONAL_STEP_METRICS + EVAL_METRICS + SFT_METRICS))
"""Every fixed name, once. Per-component, per-class and per-reason names come from the functions above."""

# docs/ALGORITHM.md §7, item by item: the names that log it. Outcome-reward components are logged under
# `reward_outcome_component(name)` for each component the reward function reports.
SECTION_7: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mean and distribution of g", (AWPO_GATE_MEAN, AWPO_GATE_STD, AWPO_GATE_MIN, AWPO_GATE_MAX, AWPO_GATE_OPEN_FRAC)),
    ("mean and distribution of w", (AWPO_WEIGHT_MEAN, AWPO_WEIGHT_STD, AWPO_WEIGHT_MIN, AWPO_WEIGHT_MAX)),
    ("mean and distribution of s_i", (AWPO_REASONING_SHARE_MEAN, AWPO_REASONING_SHARE_STD, AWPO_REASONING_SHARE_MAX)),
    ("fraction of samples where the clip bound binds", (AWPO_CLIP_BOUND_HIT_FRAC,)),
    ("share of groups with tied outcomes", (AWPO_TIED_OUTCOME_FRAC,)),
    ("judge failures", (JUDGE_FAILURE_FRAC, JUDGE_FAILURES)),
    ("judge latency", (JUDGE_LATENCY_S_MEAN, JUDGE_LATENCY_S_MAX)),
    ("outcome-reward components", (REWARD_OUTCOME_MEAN, REWARD_OUTCOME_STD)),
    ("ratio-clip fraction", (POLICY_RATIO_CLIP_FRAC, POLICY_CLIP_FRAC_LOW, POLICY_CLIP_FRAC_HIGH)),
    ("kl", (POLICY_APPROX_KL, POLICY_KL)),
    (
        "sampler/trainer mismatch",
        (ROLLOUT_LOGPROB_MISMATCH_ABS_MEAN, ROLLOUT_LOGPROB_MISMATCH_MAX, POLICY_TIS_CAPPED_FRAC),
    ),
    ("tokens/s for rollout", (THROUGHPUT_ROLLOUT_TOKENS_PER_S,)),
    ("tokens/s for scoring", (THROUGHPUT_SCORING_TOKENS_PER_S,)),
    ("tokens/s for update", (THROUGHPUT_UPDATE_TOKENS_PER_S,)),
)


def _checked(name: str, what: str) -> str:
    """`name` if it is lowercase letters, digits and underscores (one path segment of a metric name)."""
    if not name or not name.replace("_", "").isalnum() or not name.isascii() or not name.islower():
        raise ValueError(f"{what} name {name!r} must be lowercase letters, digits and underscores")
    return name
