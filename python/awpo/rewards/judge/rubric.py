"""The `rubric` judge backend: a model-free, reference-free score of the `<think>` text, in Rust.

It grades the reasoning against what the model saw and did (the request, the conversation and tool results,
the tools offered, the calls made), never against the ground truth, on five criteria of equal standing
(`awpo._native.RUBRIC_CRITERIA`; the rules are documented in `awpo_core::judge::rubric`):

1. `intent`: the reasoning names what the user asked for (at least 2 of the request's content words);
2. `tool_choice`: the offered tools it names were called (a named, uncalled tool counts against it), or, with
   no call, it argues the abstention;
3. `grounding`: every argument value's words occur in the conversation, the tool schemas or a tool result, and in
   the reasoning;
4. `consistency`: it does not argue an abstention while calling, nor plan a call it does not make;
5. `originality`: it is not the same text as the reasoning for another request in the same batch.

`score = (mean + min) / 2` over the five. Microseconds per item; a batch runs on the rayon pool with the GIL
released.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from awpo import _native
from awpo.rewards.judge.base import BackendResult
from awpo.rewards.judge.prompt import JudgeItem, Message, call_dict, content_text

CRITERIA: tuple[str, ...] = tuple(_native.RUBRIC_CRITERIA)
"""The five criteria, in the column order of `RubricJudgeBackend.criteria`."""


def _tool_name(tool: Mapping[str, Any]) -> str:
    function = tool.get("function", tool)
    return str(function.get("name", "")) if isinstance(function, Mapping) else ""


def _request(messages: Sequence[Mapping[str, Any]]) -> str:
    """The last user turn's text (empty without one)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def _task_context(item: JudgeItem) -> str:
    """The conversation's text (tool calls in it included) and the offered tools' schemas (enum values and
    documented defaults are grounded)."""
    parts = [content_text(m.get("content")) for m in item.messages]
    parts.extend(json.dumps(t, ensure_ascii=False, default=str) for t in item.tools)
    for message in item.messages:
        for call in message.get("tool_calls") or ():
            parts.append(json.dumps(call_dict(call), ensure_ascii=False, default=str))
    return "\n".join(parts)


def _contexts(items: Sequence[JudgeItem]) -> list[str]:
    """Each item's context: its task's context (rendered once per task: a group's rollouts share it) and
    every tool result it saw."""
    rendered: dict[tuple[int, int], str] = {}
    out = []
    for item in items:
        key = (id(item.messages), id(item.tools))
        if key not in rendered:
            rendered[key] = _task_context(item)
        out.append("\n".join([rendered[key], *item.observations]))
    return out


def _json_safe(value: Any) -> Any:
    """`value` with every non-finite float written as text (`inf`, `nan`): JSON has no such numbers, and
    the rubric compares argument values as text tokens anyway."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


class RubricJudgeBackend:
    """Scores `JudgeItem`s with the Rust rubric (no model, no prompt).

    `Judge` calls `score_items` (not `score_prompts`): this backend reads the item's parts, not a rendered
    prompt. `last_criteria` holds the (N, 5) criteria of the latest batch, for metrics.
    """

    name = "rubric"

    def __init__(self) -> None:
        self.model_id = _native.RUBRIC_JUDGE_VERSION
        self.last_criteria: npt.NDArray[np.float64] = np.zeros((0, len(CRITERIA)))

    def criteria(self, items: Sequence[JudgeItem]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """`(scores (N,), criteria (N, 5))` of `items`, in [0, 1]."""
        calls = [
            json.dumps([_json_safe(call_dict(c)) for c in item.calls], ensure_ascii=False, default=str)
            for item in items
        ]
        return _native.rubric_scores(
            [_request(item.messages) for item in items],
            _contexts(items),
            [[_tool_name(t) for t in item.tools] for item in items],
            [item.reasoning for item in items],
            calls,
        )

    def score_items(self, items: Sequence[JudgeItem]) -> list[BackendResult]:
        """One result per item, in order (never a failure: every item gets a score)."""
        t0 = time.perf_counter()
        scores, criteria = self.criteria(items)
        self.last_criteria = criteria
        share = (time.perf_counter() - t0) / max(1, len(items))
        return [BackendResult(score=float(s), latency_s=share) for s in scores]

    def score_prompts(self, prompts: Sequence[list[Message]]) -> list[BackendResult]:
        """Not supported: the rubric reads a trajectory's parts, not a rendered prompt."""
        raise TypeError("the rubric judge scores JudgeItems (Judge.score), not rendered prompts")

    def close(self) -> None:
        """Nothing to release."""
