"""Reward functions with TRL's signature: awpo's outcome rewards and its reasoning judge.

    trainer = AWPOTrainer(model, reward_funcs=[OutcomeReward("toolrl"), JudgeReward(JudgeConfig(...))], ...)

Both read each completion's first assistant turn as the model wrote it: the completion's token ids up to
the first end-of-turn token, decoded with the trainer's tokenizer (`AWPOTrainer` binds it), so the text
is exactly what the model generated (TRL's parsed `completions` lose the raw `<tool_call>` text). The
ground truth comes from dataset columns, which TRL passes to reward functions: `task_answer` (awpo's
`Task.answer`, a dict or its JSON text) and optionally `task_tools` (the task's function schemas), as
`awpo.integrations.trl.data.task_rows` writes them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from awpo.metric_names import reward_outcome_component
from awpo.rewards import RewardKind, outcome, parse, reward_range
from awpo.rewards.judge import Judge, JudgeConfig, JudgeItem
from awpo.rewards.judge import metrics as jm

ANSWER_COLUMN = "task_answer"
TOOLS_COLUMN = "task_tools"


class _FirstTurn:
    """Cuts each completion's first assistant turn out of its token ids (shared by the reward functions)."""

    def __init__(self, tokenizer: Any = None) -> None:
        self.tokenizer = tokenizer

    def bind_tokenizer(self, tokenizer: Any) -> None:
        """Use `tokenizer` unless one was given at construction (called by `AWPOTrainer`)."""
        if self.tokenizer is None:
            self.tokenizer = tokenizer

    def texts(
        self, completions: Sequence[Any], completion_ids: Sequence[Sequence[int]] | None
    ) -> list[tuple[str, bool]]:
        """`(text, truncated)` of each completion's first turn; truncated = no end-of-turn token in it."""
        if self.tokenizer is None or completion_ids is None:
            return [(self._from_completion(c), False) for c in completions]
        stops = _stop_ids(self.tokenizer)
        out = []
        for ids in completion_ids:
            ids = list(ids)
            cut = next((k for k, t in enumerate(ids) if t in stops), None)
            turn = ids if cut is None else ids[:cut]
            out.append((self.tokenizer.decode(turn, skip_special_tokens=False), cut is None))
        return out

    @staticmethod
    def _from_completion(completion: Any) -> str:
        if isinstance(completion, str):
            return completion
        first = completion[0] if completion else {}
        if first.get("tool_calls"):
            raise ValueError(
                "the completion's tool calls were parsed out of its text: give the reward function the tokenizer"
                " (AWPOTrainer does this) so it reads the text the model wrote"
            )
        return str(first.get("content") or "")


def _stop_ids(tokenizer: Any) -> set[int]:
    eos = tokenizer.eos_token_id
    ids = set(eos) if isinstance(eos, (list, tuple)) else {eos}
    return {int(i) for i in ids if i is not None}


def _column(kwargs: Mapping[str, Any], name: str, n: int, required: bool) -> list[Any] | None:
    values = kwargs.get(name)
    if values is None:
        if required:
            columns = sorted(k for k in kwargs if not k.startswith(("trainer_state", "log_")))
            raise ValueError(f"the dataset has no {name!r} column (columns passed: {', '.join(columns)})")
        return None
    if len(values) != n:
        raise ValueError(f"column {name!r} has {len(values)} values for {n} completions")
    return list(values)


def _json_values(values: list[Any]) -> list[Any]:
    """Each value, JSON text decoded (each distinct text once, so a group's completions share one object)."""
    cache: dict[str, Any] = {}
    out = []
    for v in values:
        if isinstance(v, str):
            if v not in cache:
                cache[v] = json.loads(v)
            out.append(cache[v])
        else:
            out.append(v)
    return out


class OutcomeReward:
    """TRL reward function: awpo's outcome reward (`toolrl`, `exact` or `bfcl`, REWARDS.md), in Rust.

    Args:
        kind: which reward.
        tokenizer: decodes the completion ids (`None`: `AWPOTrainer` binds its own).
        answer_column: the dataset column with each task's answer (awpo `Task.answer`, dict or JSON text).
        tools_column: the dataset column with the task's function schemas (`None` or absent: no schema check).

    `reward_range` (the total's `[min, max]`) tells `AWPOTrainer` the outcome's range. Each component's mean
    goes to TRL's metrics as `reward/outcome/<component>/mean`.
    """

    awpo_role = "outcome"

    def __init__(
        self,
        kind: RewardKind = "toolrl",
        *,
        tokenizer: Any = None,
        answer_column: str = ANSWER_COLUMN,
        tools_column: str | None = TOOLS_COLUMN,
    ) -> None:
        self.kind: RewardKind = kind
        self.reward_range = reward_range(kind)  # raises ValueError for an unknown kind
        self.__name__ = f"awpo_{kind}"
        self.answer_column = answer_column
        self.tools_column = tools_column
        self._turns = _FirstTurn(tokenizer)

    def bind_tokenizer(self, tokenizer: Any) -> None:
        """Use the trainer's tokenizer unless one was given."""
        self._turns.bind_tokenizer(tokenizer)

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Sequence[int]] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        n = len(completions)
        answers = _json_values(_column(kwargs, self.answer_column, n, required=True) or [])
        tools_col = _column(kwargs, self.tools_column, n, required=False) if self.tools_column else None
        tools = _json_values(tools_col) if tools_col is not None else None
        turns = self._turns.texts(completions, completion_ids)
        batch = outcome(
            [t for t, _ in turns],
            answers,
            [t or [] for t in tools] if tools is not None else None,
            kind=self.kind,
            truncated=[cut for _, cut in turns],
        )
        log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")
        if log_metric is not None and n:
            for name, values in batch.components.items():
                log_metric(reward_outcome_component(name), float(values.mean()))
        return [float(x) for x in batch.total]


class JudgeReward:
    """TRL reward function: awpo's reasoning judge (`hf` or `openai` backend, cached), a score in [0, 1].

    Args:
        judge: a `Judge`, or a `JudgeConfig` to build one (`backend`, `model`, `base_url`, `cache_dir`, ...).
        tokenizer: decodes the completion ids (`None`: `AWPOTrainer` binds its own).
        tools_column: the dataset column with the task's function schemas, shown to the judge.

    A failed item (endpoint down, timeout, unparsable reply) is `None`, which TRL turns into NaN and AWPO
    treats as a missing score. The judge's metrics (latency, cache hits, ...) go to TRL's metrics; the
    trainer logs the failure fraction itself.
    """

    awpo_role = "judge"
    __name__ = "awpo_judge"

    def __init__(self, judge: Judge | JudgeConfig, *, tokenizer: Any = None, tools_column: str | None = TOOLS_COLUMN):
        self.judge = judge if isinstance(judge, Judge) else Judge.from_config(judge)
        self.tools_column = tools_column
        self._turns = _FirstTurn(tokenizer)

    def bind_tokenizer(self, tokenizer: Any) -> None:
        """Use the trainer's tokenizer unless one was given."""
        self._turns.bind_tokenizer(tokenizer)

    def items(
        self, prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Any, kwargs: Mapping[str, Any]
    ) -> list[JudgeItem]:
        """The judge's input for each completion: the prompt, the tools, the first turn's reasoning and calls,
        and the tool results TRL appended."""
        n = len(completions)
        tools_col = _column(kwargs, self.tools_column, n, required=False) if self.tools_column else None
        tools = _json_values(tools_col) if tools_col is not None else [None] * n
        items = []
        for prompt, completion, (text, cut), task_tools in zip(
            prompts, completions, self._turns.texts(completions, completion_ids), tools, strict=True
        ):
            messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
            parsed = parse(text, task_tools or None, truncated=cut)
            observations = (
                [str(msg.get("content", "")) for msg in completion if msg.get("role") == "tool"]
                if not isinstance(completion, str)
                else []
            )
            items.append(
                JudgeItem(
                    messages=[msg for msg in messages if msg.get("role") != "system"] or messages,
                    tools=task_tools or (),
                    reasoning=parsed.reasoning or "",
                    calls=parsed.calls,
                    answer=parsed.answer,
                    observations=tuple(observations),
                )
            )
        return items

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Sequence[int]] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        result = self.judge.score(self.items(prompts, completions, completion_ids, kwargs))
        log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")
        if log_metric is not None:
            for name, value in result.metrics.items():
                if name not in (jm.FAILURE_FRAC, jm.FAILURES) and math.isfinite(value):
                    log_metric(name, value)
        return [None if math.isnan(s) else float(s) for s in result.scores]

    def close(self) -> None:
        """Release the judge's threads and connections."""
        self.judge.close()


__all__ = ["ANSWER_COLUMN", "TOOLS_COLUMN", "JudgeReward", "OutcomeReward"]
