"""Time-zone arithmetic with fixed UTC offsets (no daylight-saving rules, no wall clock)."""

from __future__ import annotations

import re
from typing import Any

from awpo.tools.registry import tool

OFFSETS: dict[str, float] = {  # hours from UTC
    "London": 0,
    "Paris": 1,
    "Berlin": 1,
    "Cairo": 2,
    "Moscow": 3,
    "Dubai": 4,
    "Mumbai": 5.5,
    "Bangkok": 7,
    "Singapore": 8,
    "Tokyo": 9,
    "Sydney": 10,
    "Auckland": 12,
    "Sao Paulo": -3,
    "New York": -5,
    "Chicago": -6,
    "Denver": -7,
    "Los Angeles": -8,
    "Honolulu": -10,
}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _offset(city: str) -> tuple[str, float]:
    for name, off in OFFSETS.items():
        if name.lower() == city.strip().lower():
            return name, off
    raise ValueError(f"unknown city {city!r}; known: {', '.join(OFFSETS)}")


def shift(time: str, hours: float) -> tuple[str, int]:
    """`time` (HH:MM) shifted by `hours`; returns the new time and the day change (-1, 0, +1)."""
    m = _TIME.match(time.strip())
    if not m:
        raise ValueError(f"time must be HH:MM, got {time!r}")
    total = int(m.group(1)) * 60 + int(m.group(2)) + round(hours * 60)
    day, minutes = divmod(total, 24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}", day


@tool
def convert_time(time: str, from_city: str, to_city: str) -> dict[str, Any]:
    """Convert a clock time in one city to the time in another city.

    Args:
        time: Clock time as HH:MM (24-hour).
        from_city: City where the time is given.
        to_city: City to convert to.
    """
    (a, off_a), (b, off_b) = _offset(from_city), _offset(to_city)
    converted, day = shift(time, off_b - off_a)
    return {"from_city": a, "to_city": b, "time": converted, "day_offset": day}


@tool
def get_utc_offset(city: str) -> dict[str, Any]:
    """The UTC offset of a city, in hours.

    Args:
        city: City name.
    """
    name, off = _offset(city)
    return {"city": name, "utc_offset_hours": off}
