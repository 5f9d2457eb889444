"""Outcome rewards and the tool-call parser they read (REWARDS.md, DESIGN.md "Parse result")."""

from __future__ import annotations

from awpo.rewards.exact import calls_match, exact_call_correct, expected_calls
from awpo.rewards.outcome import REWARD_KINDS, OutcomeBatch, RewardKind, outcome, reward_range
from awpo.rewards.parsing import (
    FAILURE_CLASSES,
    CallFormat,
    FailureClass,
    ParseIssue,
    ParseResult,
    ToolSet,
    ToolsLike,
    parse,
    parse_batch,
    toolset,
)

__all__ = [
    "FAILURE_CLASSES",
    "REWARD_KINDS",
    "CallFormat",
    "FailureClass",
    "OutcomeBatch",
    "ParseIssue",
    "ParseResult",
    "RewardKind",
    "ToolSet",
    "ToolsLike",
    "calls_match",
    "exact_call_correct",
    "expected_calls",
    "outcome",
    "parse",
    "parse_batch",
    "reward_range",
    "toolset",
]
