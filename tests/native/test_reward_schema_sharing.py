"""`outcome_batch` converts each distinct function schema of a batch once, shared by content between
tool lists: equal content (annotations aside) is shared, any other difference is not, and errors
still name the first item using a bad list and the schema's position in it."""

from __future__ import annotations

import copy
from types import MappingProxyType
from typing import Any

import pytest

from awpo import _native
from awpo.rewards import ToolSet


def schema(name: str, enum: list[Any] | None = None, description: str = "d") -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "integer", "description": f"{description} of a"}
    if enum is not None:
        prop["enum"] = enum
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": {"a": prop}, "required": ["a"]},
        },
    }


def text(name: str, a: Any) -> str:
    return f'<think>r</think>\n<tool_call>\n{{"name": "{name}", "arguments": {{"a": {a}}}}}\n</tool_call>'


ANSWER = {"tool_calls": [{"name": "f", "arguments": {"a": 1}}]}


def one_by_one(kind: str, texts: list[str], tools: list[Any]) -> list[tuple[float, str]]:
    out = []
    for t, ts in zip(texts, tools, strict=True):
        total, _, failure = _native.outcome_batch(kind, [t], [ANSWER], [ts])
        out.append((total[0], failure[0]))
    return out


def batched(kind: str, texts: list[str], tools: list[Any]) -> list[tuple[float, str]]:
    total, _, failure = _native.outcome_batch(kind, texts, [ANSWER] * len(texts), tools)
    return list(zip(total.tolist(), failure, strict=True))


def test_schemas_that_differ_in_value_types_are_not_shared() -> None:
    # enum [1] accepts a=1; enum [True] does not (JSON equality: true != 1); enum [1.0] does
    # (1 == 1.0). Fresh lists with equal descriptions: only the enum tells them apart.
    tools = [[schema("f", [1])], [schema("f", [True])], [schema("f", [1.0])], [schema("f", [1])]]
    texts = [text("f", 1)] * 4
    for kind in ("exact", "bfcl", "toolrl"):
        got = batched(kind, texts, tools)
        assert got == one_by_one(kind, texts, tools)
    assert [f for _, f in batched("exact", texts, tools)] == ["ok", "schema_violation", "ok", "ok"]


def test_schemas_that_differ_only_in_annotations_score_alike() -> None:
    tools = [[schema("f", description=f"tool {i}"), schema("g")] for i in range(4)]
    texts = [text("f", 1), text("f", '"1"'), text("g", 2), text("h", 1)]
    for kind in ("exact", "bfcl", "toolrl"):
        assert batched(kind, texts, tools) == one_by_one(kind, texts, tools)
    assert [f for _, f in batched("exact", texts, tools)] == ["ok", "schema_violation", "ok", "unknown_tool"]


def test_mappings_compiled_toolsets_and_tuples_mix_with_plain_lists() -> None:
    plain = [schema("f", [1, 2]), schema("g")]
    forms: list[Any] = [
        plain,
        copy.deepcopy(plain),
        tuple(copy.deepcopy(plain)),
        [MappingProxyType(copy.deepcopy(plain[0])), plain[1]],
        ToolSet(plain),
    ]
    texts = [text("f", 2), text("f", 3), text("g", 1), text("f", 1), text("x", 1)]
    for kind in ("exact", "bfcl", "toolrl"):
        assert batched(kind, texts, forms) == [batched(kind, [t], [plain])[0] for t in texts]


def test_a_bad_schema_is_named_by_the_first_item_and_position_using_it() -> None:
    bad = {"name": "b", "parameters": {"type": "object", "properties": {"a": {"type": 7}}}}
    good = schema("f")
    with pytest.raises(ValueError, match=r"^item 2: tools\[1\]: tool `b`: parameters\.properties\.a\.type"):
        _native.outcome_batch("exact", ["x"] * 3, [ANSWER] * 3, [[good], [good], [good, copy.deepcopy(bad)]])
    with pytest.raises(ValueError, match=r"^item 0: tools\[1\]: tool `b`"):
        _native.outcome_batch("exact", ["x"] * 2, [ANSWER] * 2, [[good, bad], [copy.deepcopy(bad)]])
    with pytest.raises(ValueError, match=r"^item 1: tools\[1\]\.name: duplicate tool name `f`"):
        _native.outcome_batch("exact", ["x"] * 2, [ANSWER] * 2, [[good], [good, copy.deepcopy(good)]])


def test_conversion_errors_inside_a_list_name_the_position() -> None:
    good = schema("f")
    odd = schema("g")
    odd["function"]["parameters"]["properties"]["a"]["default"] = float("nan")
    with pytest.raises(
        ValueError, match=r"^item 1: tools\[1\]\.function\.parameters\.properties\.a\.default: NaN is not"
    ):
        _native.outcome_batch("exact", ["x"] * 2, [ANSWER] * 2, [[good], [good, odd]])
    unhashable = schema("h")
    unhashable["function"]["parameters"]["properties"]["a"]["enum"] = [{1, 2}]
    with pytest.raises(TypeError, match=r"^item 0: tools\[0\]\.function\.parameters\.properties\.a\.enum\[0\]: set"):
        _native.outcome_batch("exact", ["x"], [ANSWER], [[unhashable]])
