"""`@tool` builds OpenAI function schemas from signatures, hints and docstrings."""

from __future__ import annotations

import enum
from typing import Literal

import pytest

from awpo import Tool, tool


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


@tool
def get_weather(city: str, days: int = 1, unit: Unit = Unit.C, detail: Literal["brief", "full"] | None = None) -> str:
    """Get the weather forecast for a city.

    Args:
        city: Name of the city,
            as the user wrote it.
        days: Number of days ahead.
        unit: Temperature unit.
        detail: How much to say.

    Returns:
        The forecast.
    """
    return f"{city}:{days}"


def test_schema_from_signature_hints_and_docstring() -> None:
    assert isinstance(get_weather, Tool)
    assert get_weather.schema == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather forecast for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "Name of the city, as the user wrote it."},
                    "days": {"type": "integer", "description": "Number of days ahead.", "default": 1},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit."},
                    "detail": {
                        "type": "string",
                        "enum": ["brief", "full"],
                        "description": "How much to say.",
                        "default": None,
                    },
                },
                "required": ["city"],
            },
        },
    }


def test_tool_stays_callable_and_locatable() -> None:
    assert get_weather("Paris", days=2) == "Paris:2"
    assert get_weather.path == f"{__name__}:get_weather"


def test_containers_and_overrides() -> None:
    @tool(name="sum_all", description="Add numbers.")
    def add(values: list[float], weights: dict[str, float] | None = None) -> float:
        return sum(values)

    props = add.parameters["properties"]
    assert add.name == "sum_all" and add.description == "Add numbers."
    assert props["values"] == {"type": "array", "items": {"type": "number"}}
    assert props["weights"] == {"type": "object", "additionalProperties": {"type": "number"}, "default": None}
    assert add.parameters["required"] == ["values"]


def test_missing_hint_is_an_error() -> None:
    def bad(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(TypeError, match="needs a type hint"):
        tool(bad)


def test_unsupported_hint_is_an_error() -> None:
    def bad(x: int | str) -> None:
        return None

    with pytest.raises(TypeError, match="unions of several types"):
        tool(bad)
