"""Descriptive statistics of a list of numbers."""

from __future__ import annotations

import math
from typing import Any

from awpo.tools.registry import tool


def _check(numbers: list[float]) -> list[float]:
    if not numbers:
        raise ValueError("numbers must not be empty")
    return [float(x) for x in numbers]


@tool
def mean(numbers: list[float]) -> dict[str, Any]:
    """Arithmetic mean of a list of numbers.

    Args:
        numbers: The numbers.
    """
    xs = _check(numbers)
    return {"mean": round(sum(xs) / len(xs), 6)}


@tool
def median(numbers: list[float]) -> dict[str, Any]:
    """Median of a list of numbers.

    Args:
        numbers: The numbers.
    """
    xs = sorted(_check(numbers))
    mid = len(xs) // 2
    value = xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2
    return {"median": round(value, 6)}


@tool
def std_dev(numbers: list[float], sample: bool = False) -> dict[str, Any]:
    """Standard deviation of a list of numbers.

    Args:
        numbers: The numbers.
        sample: Use the sample (n-1) instead of the population (n) formula.
    """
    xs = _check(numbers)
    if sample and len(xs) < 2:
        raise ValueError("the sample standard deviation needs at least two numbers")
    mu = sum(xs) / len(xs)
    var = sum((x - mu) ** 2 for x in xs) / (len(xs) - 1 if sample else len(xs))
    return {"std_dev": round(math.sqrt(var), 6)}


@tool
def percentile(numbers: list[float], q: float) -> dict[str, Any]:
    """The q-th percentile of a list of numbers (linear interpolation).

    Args:
        numbers: The numbers.
        q: Percentile between 0 and 100.
    """
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    xs = sorted(_check(numbers))
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    value = xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
    return {"percentile": round(value, 6), "q": q}
