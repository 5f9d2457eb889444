"""Outcome rewards and the tool-call parser they read (REWARDS.md, DESIGN.md "Parse result")."""

from __future__ import annotations

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
    "CallFormat",
    "FailureClass",
    "ParseIssue",
    "ParseResult",
    "ToolSet",
    "ToolsLike",
    "parse",
    "parse_batch",
    "toolset",
]
