"""Distances and travel times between cities (great-circle distance on fixed coordinates)."""

from __future__ import annotations

import math
from typing import Any, Literal

from awpo.tools.registry import tool

COORDS: dict[str, tuple[float, float]] = {
    "Paris": (48.8566, 2.3522),
    "London": (51.5074, -0.1278),
    "Rome": (41.9028, 12.4964),
    "Berlin": (52.52, 13.405),
    "Madrid": (40.4168, -3.7038),
    "Lisbon": (38.7223, -9.1393),
    "Amsterdam": (52.3676, 4.9041),
    "Vienna": (48.2082, 16.3738),
    "Prague": (50.0755, 14.4378),
    "Brussels": (50.8503, 4.3517),
    "Zurich": (47.3769, 8.5417),
    "Barcelona": (41.3874, 2.1686),
    "Munich": (48.1351, 11.582),
    "Milan": (45.4642, 9.19),
}
SPEED_KMH = {"car": 80.0, "train": 120.0, "plane": 650.0, "bike": 18.0}


def _coords(city: str) -> tuple[str, tuple[float, float]]:
    for name, c in COORDS.items():
        if name.lower() == city.strip().lower():
            return name, c
    raise ValueError(f"unknown city {city!r}; known: {', '.join(COORDS)}")


def distance_km(origin: str, destination: str) -> float:
    """Great-circle distance in km, rounded to 0.1."""
    (_, (la1, lo1)), (_, (la2, lo2)) = _coords(origin), _coords(destination)
    p1, p2 = math.radians(la1), math.radians(la2)
    dp, dl = p2 - p1, math.radians(lo2 - lo1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * 6371.0 * math.asin(math.sqrt(a)), 1)


@tool
def get_distance(origin: str, destination: str, unit: Literal["km", "miles"] = "km") -> dict[str, Any]:
    """Straight-line distance between two cities.

    Args:
        origin: Starting city.
        destination: Destination city.
        unit: Distance unit.
    """
    km = distance_km(origin, destination)
    value = km if unit == "km" else round(km / 1.609344, 1)
    return {"origin": _coords(origin)[0], "destination": _coords(destination)[0], "distance": value, "unit": unit}


@tool
def get_travel_time(origin: str, destination: str, mode: Literal["car", "train", "plane", "bike"]) -> dict[str, Any]:
    """Estimated travel time between two cities.

    Args:
        origin: Starting city.
        destination: Destination city.
        mode: Means of transport.
    """
    km = distance_km(origin, destination) * (1.0 if mode == "plane" else 1.25)
    minutes = round(km / SPEED_KMH[mode] * 60 + (90 if mode == "plane" else 0))
    return {"origin": _coords(origin)[0], "destination": _coords(destination)[0], "mode": mode, "minutes": minutes}
