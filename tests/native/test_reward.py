"""The `awpo._native` outcome-reward boundary: dtypes, lengths, indices, empty input, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from awpo import _native

ANSWER = json.dumps({"tool_calls": [{"name": "f", "arguments": {"a": 1}}]})
TOOLS = json.dumps([{"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}])
GOOD = '<think>r</think>\n<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call>'


def idx(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_columns_and_components() -> None:
    total, columns, failure = _native.outcome_batch("toolrl", [GOOD, "x"], [ANSWER], idx(0, 0), [TOOLS], idx(0, 0))
    assert total.dtype == np.float64 and total.tolist() == [4.0, -3.0]
    assert [c.tolist() for c in columns] == [[1.0, 0.0], [3.0, -3.0]]
    assert failure == ["ok", "no_call"]
    assert _native.reward_components("toolrl") == ["format", "correctness"]
    assert _native.reward_components("exact") == ["think", "calls"]
    assert _native.reward_components("bfcl") == ["ast"]


def test_empty_input() -> None:
    total, columns, failure = _native.outcome_batch("bfcl", [], [], idx(), [], idx())
    assert total.shape == (0,) and [c.shape for c in columns] == [(0,)] and failure == []


def test_index_dtype_must_be_int64() -> None:
    with pytest.raises(TypeError):
        _native.outcome_batch("exact", [GOOD], [ANSWER], np.array([0], dtype=np.int32), [TOOLS], idx(0))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _native.outcome_batch("exact", [GOOD], [ANSWER], idx(0), [TOOLS], idx(0), np.array([1], dtype=np.int8))  # type: ignore[arg-type]


def test_texts_must_be_strings() -> None:
    with pytest.raises(TypeError):
        _native.outcome_batch("exact", [b"bytes"], [ANSWER], idx(0), [TOOLS], idx(0))  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("answer_index", "tools_index", "truncated", "message"),
    [
        (idx(0), idx(0, 0), None, "answer index has 1 entries for 2 texts"),
        (idx(0, 0), idx(0), None, "tools index has 1 entries for 2 texts"),
        (idx(0, 1), idx(0, 0), None, r"answer index\[1\] = 1 is out of range for 1 entries"),
        (idx(0, 0), idx(0, 5), None, r"tools index\[1\] = 5 is out of range"),
        (idx(0, -1), idx(0, 0), None, r"answer index\[1\] = -1 is negative"),
        (idx(0, 0), idx(0, 0), np.array([True]), "truncated has 1 flags for 2 texts"),
    ],
)
def test_bad_lengths_and_indices_raise_value_error(
    answer_index: np.ndarray, tools_index: np.ndarray, truncated: np.ndarray | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _native.outcome_batch("exact", [GOOD, GOOD], [ANSWER], answer_index, [TOOLS], tools_index, truncated)


def test_malformed_json_answer_and_tools_name_the_first_item_using_them() -> None:
    with pytest.raises(ValueError, match=r"item 1: answer: not valid JSON"):
        _native.outcome_batch("exact", [GOOD, GOOD], [ANSWER, "{"], idx(0, 1), [TOOLS], idx(0, 0))
    with pytest.raises(ValueError, match=r"item 0: tools: not valid JSON"):
        _native.outcome_batch("exact", [GOOD], [ANSWER], idx(0), ["[1,"], idx(0))
    with pytest.raises(ValueError, match=r"item 2: .*tools\[0\]"):
        _native.outcome_batch("exact", ["", "", ""], [ANSWER], idx(0, 0, 0), [TOOLS, "[{}]"], idx(0, 0, 1))


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="expected one of: toolrl, exact, bfcl"):
        _native.reward_range("grpo")
    with pytest.raises(ValueError, match="unknown reward kind"):
        _native.outcome_batch("grpo", [], [], idx(), [], idx())


def test_serial_and_parallel_agree() -> None:
    texts = [GOOD, "x", GOOD.replace("1", "2"), "<tool_call>"] * 50  # 200 items: above the parallel cut-off
    n = len(texts)
    before = _native.is_parallel()
    try:
        results = []
        for on in (True, False):
            _native.set_parallelism(on)
            total, columns, failure = _native.outcome_batch(
                "toolrl", texts, [ANSWER], idx(*[0] * n), [TOOLS], idx(*[0] * n)
            )
            results.append((total.tolist(), [c.tolist() for c in columns], failure))
        assert results[0] == results[1]
    finally:
        _native.set_parallelism(before)
