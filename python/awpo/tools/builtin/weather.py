"""Weather on a fixed table of cities (deterministic: no network, no clock)."""

from __future__ import annotations

from typing import Any, Literal

from awpo.tools.registry import tool

# city → (temperature °C, condition, humidity %, wind km/h); forecast shifts by a fixed daily pattern
CITIES: dict[str, tuple[int, str, int, int]] = {
    "Paris": (14, "cloudy", 72, 12),
    "London": (11, "rain", 81, 18),
    "Rome": (21, "sunny", 55, 8),
    "Berlin": (9, "cloudy", 68, 15),
    "Madrid": (23, "sunny", 40, 10),
    "Lisbon": (19, "sunny", 60, 14),
    "Oslo": (3, "snow", 85, 20),
    "Tokyo": (17, "rain", 77, 9),
    "Kyoto": (16, "cloudy", 70, 6),
    "Sydney": (25, "sunny", 58, 16),
    "Cairo": (31, "sunny", 25, 11),
    "Toronto": (6, "windy", 62, 28),
    "New York": (12, "cloudy", 66, 17),
    "Chicago": (8, "windy", 59, 30),
    "Mumbai": (32, "humid", 88, 7),
    "Nairobi": (22, "cloudy", 63, 10),
    "Lima": (18, "fog", 83, 5),
    "Reykjavik": (1, "snow", 79, 25),
}
_DAILY_SHIFT = (0, 2, -1, 3, -2, 1, 0)
_CONDITIONS = ("sunny", "cloudy", "rain", "windy", "snow", "fog", "humid")


def _city(city: str) -> tuple[str, tuple[int, str, int, int]]:
    for name, row in CITIES.items():
        if name.lower() == city.strip().lower():
            return name, row
    raise ValueError(f"unknown city {city!r}; known cities: {', '.join(CITIES)}")


def to_unit(celsius: float, unit: str) -> float:
    """Convert a Celsius temperature to `unit` (celsius or fahrenheit), rounded to 0.1."""
    return round(celsius * 9 / 5 + 32, 1) if unit == "fahrenheit" else float(celsius)


@tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> dict[str, Any]:
    """Get the current weather in a city.

    Args:
        city: Name of the city, e.g. "Paris".
        unit: Temperature unit.
    """
    name, (temp, condition, humidity, wind) = _city(city)
    return {
        "city": name,
        "temperature": to_unit(temp, unit),
        "unit": unit,
        "condition": condition,
        "humidity": humidity,
        "wind_kmh": wind,
    }


@tool
def get_forecast(city: str, days: int) -> dict[str, Any]:
    """Get the daily weather forecast for a city.

    Args:
        city: Name of the city.
        days: Number of days to forecast (1 to 7).
    """
    if not 1 <= days <= 7:
        raise ValueError("days must be between 1 and 7")
    name, (temp, condition, _, _) = _city(city)
    start = _CONDITIONS.index(condition)
    forecast = [
        {"day": d + 1, "temperature": temp + _DAILY_SHIFT[d], "condition": _CONDITIONS[(start + d) % len(_CONDITIONS)]}
        for d in range(days)
    ]
    return {"city": name, "unit": "celsius", "forecast": forecast}
