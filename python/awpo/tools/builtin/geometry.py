"""Geometry: areas, perimeters and distances."""

from __future__ import annotations

import math
from typing import Any

from awpo.tools.registry import tool


def _positive(**values: float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")


@tool
def circle_area(radius: float) -> dict[str, Any]:
    """Area of a circle.

    Args:
        radius: Radius of the circle.
    """
    _positive(radius=radius)
    return {"area": round(math.pi * radius * radius, 4)}


@tool
def rectangle_area(width: float, height: float) -> dict[str, Any]:
    """Area and perimeter of a rectangle.

    Args:
        width: Width of the rectangle.
        height: Height of the rectangle.
    """
    _positive(width=width, height=height)
    return {"area": round(width * height, 4), "perimeter": round(2 * (width + height), 4)}


@tool
def triangle_area(base: float, height: float) -> dict[str, Any]:
    """Area of a triangle from its base and height.

    Args:
        base: Length of the base.
        height: Height perpendicular to the base.
    """
    _positive(base=base, height=height)
    return {"area": round(base * height / 2, 4)}


@tool
def distance_2d(x1: float, y1: float, x2: float, y2: float) -> dict[str, Any]:
    """Euclidean distance between two points in the plane.

    Args:
        x1: x coordinate of the first point.
        y1: y coordinate of the first point.
        x2: x coordinate of the second point.
        y2: y coordinate of the second point.
    """
    return {"distance": round(math.hypot(x2 - x1, y2 - y1), 4)}
