"""Notes: named text files kept in the episode state (starts empty)."""

from __future__ import annotations

from typing import Any

from awpo.tools.context import episode_state
from awpo.tools.registry import tool


def _notes() -> dict[str, str]:
    notes: dict[str, str] = episode_state("notes").setdefault("notes", {})
    return notes


@tool
def create_note(title: str, content: str) -> dict[str, Any]:
    """Create (or overwrite) a note.

    Args:
        title: Title of the note.
        content: Text of the note.
    """
    if not title.strip():
        raise ValueError("title must not be empty")
    _notes()[title.strip()] = content
    return {"title": title.strip(), "characters": len(content)}


@tool
def read_note(title: str) -> dict[str, Any]:
    """Read a note.

    Args:
        title: Title of the note.
    """
    notes = _notes()
    if title.strip() not in notes:
        raise ValueError(f"no note titled {title!r}")
    return {"title": title.strip(), "content": notes[title.strip()]}


@tool
def append_to_note(title: str, text: str) -> dict[str, Any]:
    """Append a line of text to an existing note.

    Args:
        title: Title of the note.
        text: Text to append (on a new line).
    """
    notes = _notes()
    if title.strip() not in notes:
        raise ValueError(f"no note titled {title!r}")
    notes[title.strip()] = f"{notes[title.strip()]}\n{text}" if notes[title.strip()] else text
    return {"title": title.strip(), "characters": len(notes[title.strip()])}


@tool
def list_notes() -> dict[str, Any]:
    """List the titles of all notes."""
    return {"titles": sorted(_notes())}
