"""A small tool for the TRL integration tests (the sandbox imports it by dotted path)."""

from __future__ import annotations

from awpo.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first integer.
        b: The second integer.
    """
    return a + b
