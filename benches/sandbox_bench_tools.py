"""The trivial tool the sandbox benchmark calls (workers import it by dotted path)."""

from __future__ import annotations

from awpo.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: First.
        b: Second.
    """
    return a + b
