"""The `awpo._native` tool-call boundary: argument types, schema errors, odd strings, threads."""

from __future__ import annotations

import math
import re
import threading
from typing import Any

import pytest

from awpo import _native
from awpo.rewards import parse, parse_batch, toolset

GOOD = [{"name": "f", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}}]


@pytest.mark.parametrize("text", [None, 3, b"<tool_call>", ["a"]])
def test_text_must_be_str(text: Any) -> None:
    with pytest.raises(TypeError):
        _native.parse_tool_calls(text)
    with pytest.raises(TypeError):
        parse(text)


def test_batch_argument_types() -> None:
    with pytest.raises(TypeError, match="texts must be"):
        _native.parse_tool_calls_batch("abc")
    with pytest.raises(TypeError, match=r"texts\[1\] must be str"):
        _native.parse_tool_calls_batch(["a", 2])
    with pytest.raises(TypeError):
        parse_batch("abc")
    with pytest.raises(TypeError):
        parse_batch(["a"], truncated=[1])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        parse("a", truncated="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="truncated has 1 flags for 2 texts"):
        parse_batch(["a", "b"], truncated=[True])
    with pytest.raises(TypeError):
        _native.parse_tool_calls("a", tools=GOOD)  # type: ignore[arg-type]


@pytest.mark.parametrize("tools", ["abc", {"name": "f"}, 3, b"x"])
def test_tools_must_be_a_sequence_of_schemas(tools: Any) -> None:
    with pytest.raises(TypeError):
        toolset(tools)
    with pytest.raises(TypeError):
        _native.ToolSet(tools)


@pytest.mark.parametrize(
    ("tools", "field"),
    [
        ([{"type": "function", "function": {"description": "no name"}}], "tools[0]: function.name"),
        ([{"name": "f"}, {"name": "f"}], "tools[1].name: duplicate tool name `f`"),
        ([{"name": "f", "parameters": []}], "tools[0]: tool `f`: parameters: expected an object"),
        ([{"name": "f", "parameters": {"type": "array"}}], "parameters.type"),
        ([{"name": "f", "parameters": {"properties": {"x": {"type": 1}}}}], "parameters.properties.x.type"),
        ([{"name": "f", "parameters": {"properties": {"x": {"enum": "a"}}}}], "parameters.properties.x.enum"),
        ([{"name": "f", "parameters": {"required": "x"}}], "parameters.required"),
        ([{"name": "f", "parameters": {"properties": {"x": {"items": 3}}}}], "parameters.properties.x.items"),
        ([3], "tools[0]: tool schema: expected a JSON object"),
        ([{"name": "f", "description": 5}], "tools[0]: description"),
    ],
)
def test_bad_schema_raises_value_error_naming_the_field(tools: list[Any], field: str) -> None:
    with pytest.raises(ValueError, match=re.escape(field)):
        _native.ToolSet(tools)
    with pytest.raises(ValueError):
        parse("x", tools)


@pytest.mark.parametrize(
    ("value", "exc", "match"),
    [
        ({1, 2}, TypeError, "set is not JSON-like"),
        (object(), TypeError, "object is not JSON-like"),
        (math.nan, ValueError, "not a finite number"),
        (2**70, ValueError, "integer out of the 64-bit range"),
    ],
)
def test_schema_values_must_be_json(value: Any, exc: type[Exception], match: str) -> None:
    tools = [{"name": "f", "parameters": {"properties": {"x": {"enum": [value]}}}}]
    with pytest.raises(exc, match=match):
        _native.ToolSet(tools)


def test_schema_keys_must_be_str_and_depth_is_bounded() -> None:
    with pytest.raises(TypeError, match="keys must be str"):
        _native.ToolSet([{"name": "f", 1: 2}])
    deep: Any = {}
    for _ in range(200):
        deep = {"a": deep}
    with pytest.raises(ValueError, match="nested more than"):
        _native.ToolSet([{"name": "f", "parameters": deep}])


def test_empty_and_odd_strings_are_not_errors() -> None:
    assert parse("").failure == "no_call"
    assert parse_batch([""]) == [parse("")]
    # A lone surrogate cannot cross into Rust: it is read as U+FFFD replacement characters.
    r = parse('<tool_call>{"name": "f\ud800"}</tool_call>')
    assert r.failure == "ok"
    assert r.calls[0]["name"].startswith("f\ufffd") and set(r.calls[0]["name"][1:]) == {"\ufffd"}
    assert parse("\x00<think>\x00</think>").reasoning == "\x00"
    r = parse('[f(s="😀\\U0001F600")]')
    assert r.calls == [{"name": "f", "arguments": {"s": "😀😀"}}]


def test_values_convert_exactly() -> None:
    r = parse(
        '<tool_call>{"name": "f", "arguments": {"i": 18446744073709551615, "n": -9223372036854775808,'
        ' "f": 1.0, "g": 1e300, "b": true, "z": null, "l": [1, "a"], "d": {"k": {}}, "big": 1e20}}</tool_call>'
    )
    args = r.calls[0]["arguments"]
    assert args["i"] == 2**64 - 1 and isinstance(args["i"], int)
    assert args["n"] == -(2**63)
    assert isinstance(args["f"], float) and args["f"] == 1.0
    assert args["g"] == 1e300
    assert args["b"] is True and args["z"] is None
    assert args["l"] == [1, "a"] and args["d"] == {"k": {}}
    assert list(args) == ["i", "n", "f", "g", "b", "z", "l", "d", "big"]  # key order kept


def test_batch_runs_in_threads_without_the_gil() -> None:
    ts = toolset(GOOD)
    texts = ['<tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call>'] * 500
    results: list[int] = []

    def work() -> None:
        results.append(sum(r.ok for r in parse_batch(texts, ts)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [500] * 4


def test_serial_and_parallel_batches_agree() -> None:
    texts = [f"[f(x={i})]" if i % 3 else f"text {i}" for i in range(300)]
    before = _native.is_parallel()
    try:
        _native.set_parallelism(False)
        serial = parse_batch(texts, GOOD)
        _native.set_parallelism(True)
        assert parse_batch(texts, GOOD) == serial
    finally:
        _native.set_parallelism(before)


def test_from_json_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a serialised ParseResult"):
        _native.ParseResult._from_json("{}")
