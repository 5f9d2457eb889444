"""The gate a tool call passes before it runs (`ToolSet.check_call`, the sandbox pool's own check):
the tool exists, the arguments are an object and fit the tool's JSON schema, judged by awpo-core's
one validator (the reward's `schema_violation` check)."""

from __future__ import annotations

import json
from typing import Any, Literal

from hypothesis import given
from hypothesis import strategies as st

from awpo.rewards import ToolSet
from awpo.tools import ToolResult, tool
from awpo.tools.sandbox import arguments_json


@tool
def book(city: str, nights: int, budget: float | None = None, kind: Literal["hotel", "hostel"] = "hotel") -> str:
    """Book a room.

    Args:
        city: Where.
        nights: How long.
        budget: Per night.
        kind: What.
    """
    return city


SCHEMA = book.parameters
PREFIX = "arguments do not match the schema of f: "


def schema_errors(schema: dict[str, Any], args: Any) -> list[str]:
    """The gate's problems with `args` for a tool `f` taking `schema` (empty when it may run)."""
    rejected = ToolSet([{"name": "f", "parameters": schema}]).check_call("f", json.dumps(args))
    if rejected is None:
        return []
    kind, message = rejected
    assert kind == "invalid_arguments" and message.startswith(PREFIX), rejected
    return message.removeprefix(PREFIX).split("; ")


def test_valid_arguments_pass() -> None:
    assert schema_errors(SCHEMA, {"city": "Oslo", "nights": 2}) == []
    assert schema_errors(SCHEMA, {"city": "Oslo", "nights": 2, "budget": 99.5, "kind": "hostel"}) == []
    assert schema_errors(SCHEMA, {"city": "Oslo", "nights": 2, "budget": 100}) == []  # an int is a number
    assert schema_errors(SCHEMA, {"city": "Oslo", "nights": 2.0}) == []  # 2.0 is an integer in JSON Schema
    assert schema_errors(SCHEMA, {"city": "Oslo", "nights": 2, "budget": None}) == []  # default None


def test_each_violation_is_named_with_its_path() -> None:
    assert schema_errors(SCHEMA, {"nights": 2}) == ["arguments.city: missing required parameter `city`"]
    assert schema_errors(SCHEMA, {"city": 3, "nights": 2}) == ["arguments.city: expected string, got integer"]
    assert schema_errors(SCHEMA, {"city": "Oslo", "nights": True}) == [
        "arguments.nights: expected integer, got boolean"
    ]
    assert schema_errors(SCHEMA, {"city": "Oslo", "nights": 2.5}) == ["arguments.nights: expected integer, got number"]
    assert schema_errors(SCHEMA, {"city": "Oslo", "nights": 1, "kind": "tent"}) == [
        'arguments.kind: value "tent" is not one of the enum values'
    ]
    assert schema_errors(SCHEMA, {"city": "Oslo", "nights": 1, "pets": 2}) == [
        "arguments.pets: unknown parameter `pets`"
    ]


def test_nested_arrays_objects_bounds_and_combinators() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string", "minLength": 2}, "maxItems": 2},
            "point": {
                "type": "object",
                "properties": {"x": {"type": "number", "minimum": 0, "exclusiveMaximum": 10}},
                "required": ["x"],
                "additionalProperties": True,
            },
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "one": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
            "maybe": {"type": "integer", "nullable": True},
        },
    }
    assert schema_errors(schema, {"tags": ["ab"], "point": {"x": 3, "extra": 1}, "code": "OSL", "either": "x"}) == []
    assert schema_errors(schema, {"tags": ["a", "bb", "cc"]}) == [
        "arguments.tags: more than 2 items",
        "arguments.tags[0]: shorter than 2 characters",
    ]
    assert schema_errors(schema, {"point": {"x": 10}}) == ["arguments.point.x: 10 must be less than 10"]
    assert schema_errors(schema, {"point": {"x": -1}}) == ["arguments.point.x: -1 is below the minimum 0"]
    assert schema_errors(schema, {"point": {}}) == ["arguments.point.x: missing required parameter `x`"]
    assert schema_errors(schema, {"code": "osl"}) == ['arguments.code: does not match the pattern "^[A-Z]{3}$"']
    assert schema_errors(schema, {"either": 1.5}) == ["arguments.either: matches none of the 2 allowed forms"]
    # 3 is both a number and an integer: oneOf needs exactly one match.
    assert schema_errors(schema, {"one": 3}) == ["arguments.one: must match exactly one of 2 forms, matches 2"]
    assert schema_errors(schema, {"maybe": None}) == []


def test_a_nested_object_declaring_properties_rejects_other_keys() -> None:
    # awpo's rule (the reward's since it was written): stricter than JSON Schema's default.
    schema = {"type": "object", "properties": {"p": {"type": "object", "properties": {"x": {}}}}}
    assert schema_errors(schema, {"p": {"x": 1, "y": 2}}) == ["arguments.p.y: unknown parameter `y`"]


def test_messages_stop_at_the_limit() -> None:
    schema = {"type": "object", "properties": {}, "additionalProperties": False}
    errors = schema_errors(schema, {f"k{i}": i for i in range(20)})
    assert len(errors) == 6 and errors[-1] == "15 more"


def test_enum_keeps_booleans_and_numbers_apart() -> None:
    schema = {"type": "object", "properties": {"v": {"enum": [1, 2]}}}
    assert schema_errors(schema, {"v": True}) != []
    assert schema_errors(schema, {"v": 1}) == []


def test_unknown_tools_and_non_objects() -> None:
    gate = ToolSet([book.schema])
    assert gate.check_call("fly", "{}") == ("unknown_tool", 'unknown tool "fly"; available: book')
    assert gate.check_call("book", "[1]") == ("invalid_arguments", "arguments must be a JSON object, got array")


def test_arguments_that_are_not_json_are_a_failed_result() -> None:
    failed = arguments_json("book", {"nights": float("inf")})
    assert isinstance(failed, ToolResult) and failed.error_kind == "invalid_arguments"
    assert (failed.error or "").startswith("arguments are not JSON")
    assert arguments_json("book", {"nights": 2}) == '{"nights": 2}'


@given(st.integers(min_value=-(2**63), max_value=2**64 - 1))
def test_any_integer_is_an_integer(n: int) -> None:
    assert schema_errors({"type": "object", "properties": {"n": {"type": "integer"}}}, {"n": n}) == []


@given(st.one_of(st.text(), st.booleans(), st.none(), st.lists(st.integers(-5, 5))))
def test_non_numbers_are_not_numbers(v: object) -> None:
    errs = schema_errors({"type": "object", "properties": {"n": {"type": "number"}}}, {"n": v})
    assert len(errs) == 1 and errs[0].startswith("arguments.n: expected number")
