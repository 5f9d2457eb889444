"""awpo tasks (built-in or loaded) as rows of a TRL dataset.

Each row has TRL's `prompt` (the task's chat messages) and the columns awpo's reward functions read:
`task_answer` (the ground truth, JSON text) and `task_tools` (the task's function schemas, JSON text),
plus `task_id`. JSON text keeps the rows' types uniform for Arrow (answers and schemas vary per task).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from awpo.data.schema import Task
from awpo.integrations.trl.rewards import ANSWER_COLUMN, TOOLS_COLUMN


def task_rows(tasks: Iterable[Task], system_prompt: str | None = None) -> list[dict[str, Any]]:
    """One TRL dataset row per task (`datasets.Dataset.from_list(task_rows(tasks))`)."""
    rows = []
    for task in tasks:
        messages: list[dict[str, Any]] = [dict(m) for m in task.messages]
        if system_prompt is not None and messages[0].get("role") != "system":
            messages.insert(0, {"role": "system", "content": system_prompt})
        rows.append(
            {
                "prompt": messages,
                "task_id": task.id,
                ANSWER_COLUMN: json.dumps(task.answer.model_dump(exclude_none=True), sort_keys=True),
                TOOLS_COLUMN: json.dumps(task.tools, sort_keys=True),
            }
        )
    return rows


def tool_names(tasks: Sequence[Task]) -> list[str]:
    """The names of every tool the tasks offer, in first-seen order."""
    seen: dict[str, None] = {}
    for task in tasks:
        for schema in task.tools:
            fn = schema.get("function", schema)
            seen.setdefault(str(fn.get("name")), None)
    return list(seen)


__all__ = ["task_rows", "tool_names"]
