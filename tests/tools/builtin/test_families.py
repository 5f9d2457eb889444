"""The built-in tool families registry (`awpo.tools.builtin`)."""

from __future__ import annotations

from typing import Any

import pytest

from awpo.tools import Sandbox, Tool
from awpo.tools.builtin import FAMILIES, all_tools, family_module, tools_of

# One valid call per built-in tool, with its expected value (None: only check it succeeds).
EXAMPLES: dict[str, tuple[dict[str, Any], Any]] = {
    "calculate": ({"expression": "3 * 14"}, 42),
    "convert_units": ({"value": 2, "from_unit": "kg", "to_unit": "g"}, 2000.0),
    "list_units": ({"category": "speed"}, {"speed": ["m/s", "km/h", "mph", "knot", "ft/s"]}),
    "add_to_date": ({"date": "2024-02-28", "days": 1}, "2024-02-29"),
    "days_between": ({"start": "2024-01-01", "end": "2024-01-31"}, 30),
    "day_of_week": ({"date": "2024-06-01"}, "Saturday"),
    "add_business_days": ({"date": "2024-06-01", "days": 1}, "2024-06-03"),
    "kv_set": ({"key": "k", "value": 1}, "stored 'k'"),
    "kv_get": ({"key": "k"}, 1),
    "kv_delete": ({"key": "k"}, True),
    "kv_list": ({}, []),
    "python_exec": ({"code": "sum(range(10))"}, {"stdout": "", "result": "45"}),
}


def test_every_family_loads_and_defines_documented_tools() -> None:
    tools = all_tools()
    assert len({t.name for t in tools}) == len(tools)
    for family in FAMILIES:
        family_tools = tools_of(family)
        assert family_tools, family
        for t in family_tools:
            assert isinstance(t, Tool) and t.description, t.name
            for name, prop in t.parameters["properties"].items():
                assert prop.get("description"), (t.name, name)


def test_families_can_be_selected() -> None:
    assert {t.name for t in all_tools(["units"])} == {"convert_units", "list_units"}
    with pytest.raises(ValueError, match="unknown built-in tool family"):
        family_module("astrology")


def test_every_builtin_tool_answers_through_the_sandbox(builtin_sandbox: Sandbox) -> None:
    assert set(EXAMPLES) <= set(builtin_sandbox.tools)
    with builtin_sandbox.session() as episode:
        for name, (args, expected) in EXAMPLES.items():  # in order: kv_set before kv_get
            r = episode.call(name, args)
            assert r.ok, r
            assert r.value == expected, (name, r.value)
