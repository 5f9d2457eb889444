"""JSON/JSONL reading keeps line numbers and reports every bad row."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from awpo.data import Answer, FunctionCall, Task
from awpo.data.io import DataError, RowError, read_rows, read_tasks, write_tasks


def _ident(value: Any, line: int) -> list[tuple[int, Any]]:
    if value == "bad":
        raise RowError("value is 'bad'")
    return [(line, value)]


def test_jsonl_lines_and_bad_json(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n"bad"\n[1, 2]\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="awpo.data"):
        report = read_rows(path, _ident)
    assert report.items == [(1, {"a": 1}), (5, [1, 2])]
    assert [(b.line, b.reason.split(":")[0]) for b in report.bad] == [(3, "invalid JSON"), (4, "value is 'bad'")]
    assert report.rows == 4 and report.skipped == 2
    assert "line 3" in caplog.text and "2 bad rows skipped" in caplog.text


def test_json_array_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[\n  {"a": 1},\n  "bad",\n\n  {"a": 3}\n]\n', encoding="utf-8")
    report = read_rows(path, _ident)
    assert report.items == [(2, {"a": 1}), (5, {"a": 3})]
    assert [b.line for b in report.bad] == [3]


def test_json_array_truncated_reports_rest(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[{"a": 1},\n {"a": 2', encoding="utf-8")
    report = read_rows(path, _ident)
    assert report.items == [(1, {"a": 1})]
    assert report.bad[0].line == 2 and "bytes left unread" in report.bad[0].reason


def test_empty_array(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(" [ ] ", encoding="utf-8")
    report = read_rows(path, _ident)
    assert report.items == [] and report.bad == [] and report.rows == 0


def test_missing_file_is_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        read_rows(tmp_path / "nope.jsonl", _ident)


def test_raise_if_bad(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('"bad"\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 1: value is 'bad'"):
        read_rows(path, _ident).raise_if_bad()


def test_task_round_trip(tmp_path: Path) -> None:
    tasks = [
        Task(
            id=f"t{i}",
            messages=[{"role": "user", "content": f"q{i}"}],
            answer=Answer(tool_calls=[FunctionCall(name="f", arguments={"x": i})]),
            meta={"family": "demo"},
        )
        for i in range(3)
    ]
    path = tmp_path / "sub" / "tasks.jsonl"
    assert write_tasks(path, tasks) == 3
    assert not path.with_name("tasks.jsonl.tmp").exists()
    report = read_tasks(path)
    assert report.items == tasks and report.bad == []


def test_read_tasks_reports_invalid_task(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    rows = [
        {"id": "ok", "messages": [{"role": "user", "content": "hi"}]},
        {"id": "bad", "messages": [{"role": "assistant", "content": "hi"}]},
        [1, 2],
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    report = read_tasks(path)
    assert [t.id for t in report.items] == ["ok"]
    assert report.bad[0].line == 2 and "last message must be the user turn" in report.bad[0].reason
    assert report.bad[1].line == 3 and "expected a JSON object" in report.bad[1].reason
