"""The `awpo._native` outcome-reward boundary: lengths, types, identity dedupe, empty input, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from awpo import _native
from awpo.data import Answer

ANSWER = {"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}
TOOLS = [{"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}]
GOOD = '<think>r</think>\n<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call>'


def test_columns_and_components() -> None:
    total, columns, failure = _native.outcome_batch("toolrl", [GOOD, "x"], [ANSWER] * 2, [TOOLS] * 2)
    assert total.dtype == np.float64 and total.tolist() == [4.0, -3.0]
    assert [c.tolist() for c in columns] == [[1.0, 0.0], [3.0, -3.0]]
    assert failure == ["ok", "no_call"]
    assert _native.reward_components("toolrl") == ["format", "correctness"]
    assert _native.reward_components("exact") == ["think", "calls"]
    assert _native.reward_components("bfcl") == ["ast"]


def test_empty_input() -> None:
    total, columns, failure = _native.outcome_batch("bfcl", [], [], [])
    assert total.shape == (0,) and [c.shape for c in columns] == [(0,)] and failure == []


def test_equal_objects_and_shared_objects_score_alike() -> None:
    # Shared objects are converted once; equal copies separately: same results either way.
    copies = [dict(ANSWER) for _ in range(3)]
    a = _native.outcome_batch("exact", [GOOD] * 3, [ANSWER] * 3, [TOOLS] * 3)
    b = _native.outcome_batch("exact", [GOOD] * 3, copies, [list(TOOLS) for _ in range(3)])
    assert a[0].tolist() == b[0].tolist() and a[2] == b[2]


def test_pydantic_answers_and_tuples_are_accepted() -> None:
    total, _, _ = _native.outcome_batch("exact", [GOOD], [Answer.model_validate(ANSWER)], [tuple(TOOLS)])
    assert total.tolist() == [1.0]


def test_schema_annotations_are_ignored_but_parameters_named_like_them_are_kept() -> None:
    tools = [
        {
            "name": "f",
            "description": {"not": "a string"},  # an annotation: never read
            "parameters": {
                "type": "object",
                "title": 3,
                "properties": {"description": {"type": "string", "description": "the text"}},
                "required": ["description"],
            },
        }
    ]
    text = '<think>r</think>\n<tool_call>\n{"name": "f", "arguments": {"description": "x"}}\n</tool_call>'
    answer = {"tool_calls": [{"name": "f", "arguments": {"description": "x"}}]}
    _, _, failure = _native.outcome_batch("exact", [text, text.replace("description", "d")], [answer] * 2, [tools] * 2)
    assert failure == ["ok", "schema_violation"]


def test_texts_must_be_strings() -> None:
    with pytest.raises(TypeError):
        _native.outcome_batch("exact", [b"bytes"], [ANSWER], [TOOLS])  # type: ignore[list-item]


def test_truncated_dtype_and_length() -> None:
    with pytest.raises(TypeError):
        _native.outcome_batch("exact", [GOOD], [ANSWER], [TOOLS], np.array([1], dtype=np.int8))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="truncated has 1 flags for 2 texts"):
        _native.outcome_batch("exact", [GOOD, GOOD], [ANSWER] * 2, [TOOLS] * 2, np.array([True]))


def test_mismatched_lengths_raise_value_error() -> None:
    with pytest.raises(ValueError, match="2 texts but 1 answers and 2 tool lists"):
        _native.outcome_batch("exact", [GOOD, GOOD], [ANSWER], [TOOLS] * 2)


@pytest.mark.parametrize(
    ("answers", "tools", "error", "message"),
    [
        ([ANSWER, [1]], [TOOLS, TOOLS], ValueError, r"item 1: answer: expected an object"),
        ([ANSWER, ANSWER], [TOOLS, {"a": 1}], ValueError, r"item 1: tools: expected a JSON array"),
        ([ANSWER, ANSWER], [TOOLS, [{}]], ValueError, r"item 1: .*tools\[0\]"),
        ([ANSWER, {"x": {1}}], [TOOLS, TOOLS], TypeError, r"item 1: answer\.x: set is not JSON-like"),
        (
            [ANSWER, {"a": [0, float("inf")]}],
            [TOOLS, TOOLS],
            ValueError,
            r"item 1: answer\.a\[1\]: inf is not a finite",
        ),
        ([ANSWER, {"a": 2**70}], [TOOLS, TOOLS], ValueError, r"item 1: answer\.a: integer out of the 64-bit range"),
        ([ANSWER, {3: 1}], [TOOLS, TOOLS], TypeError, r"item 1: answer: keys must be str, not int"),
    ],
)
def test_malformed_answers_and_tools_name_the_item_and_field(
    answers: list[Any], tools: list[Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _native.outcome_batch("exact", [GOOD, GOOD], answers, tools)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep: Any = 1
    for _ in range(200):
        deep = [deep]
    with pytest.raises(ValueError, match=r"item 0: answer\.a(\[0\])+: nested more than 128 levels"):
        _native.outcome_batch("exact", [GOOD], [{"a": deep}], [TOOLS])


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="expected one of: toolrl, exact, bfcl"):
        _native.reward_range("grpo")
    with pytest.raises(ValueError, match="unknown reward kind"):
        _native.outcome_batch("grpo", [], [], [])


def test_serial_and_parallel_agree() -> None:
    texts = [GOOD, "x", GOOD.replace("1", "2"), "<tool_call>"] * 50  # 200 items: above the parallel cut-off
    before = _native.is_parallel()
    try:
        results = []
        for on in (True, False):
            _native.set_parallelism(on)
            total, columns, failure = _native.outcome_batch("toolrl", texts, [ANSWER] * 200, [TOOLS] * 200)
            results.append((total.tolist(), [c.tolist() for c in columns], failure))
        assert results[0] == results[1]
    finally:
        _native.set_parallelism(before)
