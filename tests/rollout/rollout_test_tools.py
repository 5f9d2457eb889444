"""Tools for the rollout tests. Sandbox workers import this module by dotted path."""

from __future__ import annotations

from typing import Any

from awpo.tools import episode_state, tool


@tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather in a city.

    Args:
        city: the city name.
    """
    calls = episode_state("weather")
    calls["n"] = calls.get("n", 0) + 1  # per-episode state: 1 on the first call of every trajectory
    n = len(city)
    return {"city": city, "temperature_c": 3 * n, "sky": "clear", "wind_kmh": 7 * n, "call": calls["n"]}


@tool
def divide(a: float, b: float) -> float:
    """Divide a by b.

    Args:
        a: numerator.
        b: denominator.
    """
    return a / b
