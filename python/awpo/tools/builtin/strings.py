"""String utilities."""

from __future__ import annotations

from typing import Any, Literal

from awpo.tools.registry import tool


@tool
def count_words(text: str) -> dict[str, Any]:
    """Count the words in a text.

    Args:
        text: The text.
    """
    return {"words": len(text.split())}


@tool
def reverse_text(text: str) -> dict[str, Any]:
    """Reverse a text character by character.

    Args:
        text: The text to reverse.
    """
    return {"reversed": text[::-1]}


@tool
def change_case(text: str, case: Literal["upper", "lower", "title"]) -> dict[str, Any]:
    """Change the letter case of a text.

    Args:
        text: The text.
        case: Target case.
    """
    converted = {"upper": text.upper(), "lower": text.lower(), "title": text.title()}[case]
    return {"text": converted}


@tool
def count_occurrences(text: str, substring: str) -> dict[str, Any]:
    """Count the non-overlapping occurrences of a substring in a text (case-sensitive).

    Args:
        text: The text to search.
        substring: The substring to count.
    """
    if not substring:
        raise ValueError("substring must not be empty")
    return {"count": text.count(substring)}
