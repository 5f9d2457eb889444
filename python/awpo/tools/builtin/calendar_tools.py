"""A calendar whose events live in the episode state (starts empty)."""

from __future__ import annotations

import re
from typing import Any

from awpo.tools.context import episode_state
from awpo.tools.registry import tool

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _events() -> dict[str, Any]:
    events: dict[str, Any] = episode_state("calendar").setdefault("events", {})
    return events


@tool
def create_event(title: str, date: str, time: str, duration_minutes: int = 60) -> dict[str, Any]:
    """Add an event to the calendar.

    Args:
        title: Short title of the event.
        date: Date as YYYY-MM-DD.
        time: Start time as HH:MM (24-hour clock).
        duration_minutes: Length of the event in minutes.
    """
    if not _DATE.match(date):
        raise ValueError(f"date must be YYYY-MM-DD, got {date!r}")
    if not _TIME.match(time):
        raise ValueError(f"time must be HH:MM, got {time!r}")
    if duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    events = _events()
    event_id = f"EV{len(events) + 1:03d}"
    events[event_id] = {"title": title, "date": date, "time": time, "duration_minutes": duration_minutes}
    return {"event_id": event_id, **events[event_id]}


@tool
def list_events(date: str) -> dict[str, Any]:
    """List the calendar's events on a date, earliest first.

    Args:
        date: Date as YYYY-MM-DD.
    """
    found = [{"event_id": k, **v} for k, v in _events().items() if v["date"] == date]
    return {"date": date, "events": sorted(found, key=lambda e: e["time"])}


@tool
def delete_event(event_id: str) -> dict[str, Any]:
    """Delete a calendar event.

    Args:
        event_id: The id returned by create_event.
    """
    events = _events()
    if event_id not in events:
        raise ValueError(f"no event {event_id!r}")
    del events[event_id]
    return {"event_id": event_id, "deleted": True}
