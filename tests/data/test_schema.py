"""The Task contract validates what DESIGN.md promises."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from awpo.data import Answer, Task


def _task(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "t1",
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [],
        "answer": {"tool_calls": [{"name": "w", "arguments": {"city": "Paris"}}]},
    }
    base.update(kw)
    return base


def test_round_trip_json() -> None:
    task = Task.model_validate(_task())
    assert Task.model_validate_json(task.model_dump_json()) == task
    assert task.answer.tool_calls[0].arguments == {"city": "Paris"}


def test_last_message_must_be_user() -> None:
    with pytest.raises(ValidationError, match="last message must be the user turn"):
        Task.model_validate(_task(messages=[{"role": "assistant", "content": "hi"}]))


def test_no_call_conflicts_with_calls() -> None:
    with pytest.raises(ValidationError, match="no_call"):
        Answer.model_validate({"no_call": True, "tool_calls": [{"name": "w"}]})


def test_unknown_field_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Task.model_validate(_task(answers={}))
