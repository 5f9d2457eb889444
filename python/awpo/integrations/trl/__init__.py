"""AWPO inside Hugging Face TRL: `AWPOTrainer(GRPOTrainer)`, `AWPOConfig(GRPOConfig)`, reward functions and
sandboxed tools with TRL's signatures (the `trl` extra: `pip install "awpo[trl]"`; docs/INTEGRATIONS.md).

    from awpo.integrations.trl import AWPOConfig, AWPOTrainer, JudgeReward, OutcomeReward, sandbox_tools

    trainer = AWPOTrainer(
        model="HuggingFaceTB/SmolLM2-135M-Instruct",
        reward_funcs=[OutcomeReward("toolrl"), JudgeReward(JudgeConfig(backend="openai", ...))],
        args=AWPOConfig(output_dir="out", advantage={"estimator": "awpo"}, eta=0.5),
        train_dataset=Dataset.from_list(task_rows(tasks)),
        tools=sandbox_tools(sandbox),
    )
"""

from __future__ import annotations

from awpo.integrations.trl.advantages import (
    OUTCOME_MISSING_FRAC,
    RewardRoles,
    StepAdvantages,
    outcome_range,
    step_advantages,
)
from awpo.integrations.trl.config import AWPOConfig
from awpo.integrations.trl.data import task_rows, tool_names
from awpo.integrations.trl.rewards import JudgeReward, OutcomeReward
from awpo.integrations.trl.tools import sandbox_tool, sandbox_tools
from awpo.integrations.trl.trainer import REASONING_SHARE_KEY, AWPOTrainer, StepRecord

TESTED_TRL = ">=1.16,<1.17"
"""The TRL versions this integration is tested with (the `trl` extra pins them)."""

__all__ = [
    "OUTCOME_MISSING_FRAC",
    "REASONING_SHARE_KEY",
    "TESTED_TRL",
    "AWPOConfig",
    "AWPOTrainer",
    "JudgeReward",
    "OutcomeReward",
    "RewardRoles",
    "StepAdvantages",
    "StepRecord",
    "outcome_range",
    "sandbox_tool",
    "sandbox_tools",
    "step_advantages",
    "task_rows",
    "tool_names",
]
