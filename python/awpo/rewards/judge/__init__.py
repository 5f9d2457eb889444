"""The reasoning judge: a reward in [0, 1] for a trajectory's `<think>` text (issue 7 §3).

    from awpo.rewards.judge import Judge, JudgeConfig, JudgeItem
    judge = Judge.from_config(JudgeConfig(backend="hf", model="path/to/hf_dir"))
    result = judge.score([JudgeItem(messages=task.messages, tools=task.tools, reasoning=think, calls=calls)])
    result.scores  # (N,) float64, NaN = missing
    future = judge.submit(items)  # runs while the next batch is rolled out

Backends: `hf` (`HFJudgeBackend`, one forward pass, expected score over the score tokens), `openai`
(`OpenAIJudgeBackend`, any OpenAI-compatible endpoint) and `rubric` (`RubricJudgeBackend`, model-free rules in
Rust, microseconds per item). `awpo judge calibrate` measures how well a judge tells right reasoning from wrong
(`awpo.rewards.judge.calibration`). `python -m awpo.rewards.judge.serve` serves the
`hf` judge over the OpenAI chat API. torch/transformers are imported only by the `hf` backend.
"""

from __future__ import annotations

from awpo.rewards.judge.base import BackendResult, ItemJudgeBackend, JudgeBackend
from awpo.rewards.judge.cache import JudgeCache, cache_key
from awpo.rewards.judge.config import JudgeConfig
from awpo.rewards.judge.judge import Judge, JudgeResult
from awpo.rewards.judge.parsing import ParsedScore, expected_from_logprobs, parse_score
from awpo.rewards.judge.prompt import RUBRIC, RUBRIC_VERSION, JudgeItem, build_messages

__all__ = [
    "RUBRIC",
    "RUBRIC_VERSION",
    "BackendResult",
    "ItemJudgeBackend",
    "Judge",
    "JudgeBackend",
    "JudgeCache",
    "JudgeConfig",
    "JudgeItem",
    "JudgeResult",
    "ParsedScore",
    "build_messages",
    "cache_key",
    "expected_from_logprobs",
    "parse_score",
]
