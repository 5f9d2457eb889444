"""Email: a fixed inbox, and sent mail kept in the episode state."""

from __future__ import annotations

import re
from typing import Any

from awpo.tools.context import episode_state
from awpo.tools.registry import tool

INBOX: list[dict[str, str]] = [
    {"id": "M1", "from": "ana@example.com", "subject": "Quarterly report", "body": "The Q3 report is attached."},
    {
        "id": "M2",
        "from": "ben@example.com",
        "subject": "Lunch on Friday?",
        "body": "Are you free for lunch on Friday?",
    },
    {"id": "M3", "from": "it@example.com", "subject": "Password expiry", "body": "Your password expires in 5 days."},
    {"id": "M4", "from": "carla@example.com", "subject": "Trip to Lisbon", "body": "Flights to Lisbon are booked."},
    {"id": "M5", "from": "ana@example.com", "subject": "Budget review", "body": "Budget review moved to Monday."},
    {"id": "M6", "from": "news@example.com", "subject": "Weekly digest", "body": "Top stories of the week."},
]
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


@tool
def send_email(to: str, subject: str, body: str) -> dict[str, Any]:
    """Send an email.

    Args:
        to: Recipient email address.
        subject: Subject line.
        body: Message text.
    """
    if not _ADDRESS.match(to.strip()):
        raise ValueError(f"invalid email address {to!r}")
    sent: list[Any] = episode_state("email").setdefault("sent", [])
    message_id = f"S{len(sent) + 1}"
    sent.append({"id": message_id, "to": to.strip(), "subject": subject, "body": body})
    return {"message_id": message_id, "status": "sent"}


@tool
def search_emails(query: str) -> dict[str, Any]:
    """Search the inbox for emails whose sender, subject or body contains a text (case-insensitive).

    Args:
        query: Text to look for.
    """
    q = query.strip().lower()
    hits = [m for m in INBOX if q in m["from"].lower() or q in m["subject"].lower() or q in m["body"].lower()]
    return {"results": [{"id": m["id"], "from": m["from"], "subject": m["subject"]} for m in hits]}


@tool
def read_email(message_id: str) -> dict[str, Any]:
    """Read one email from the inbox.

    Args:
        message_id: Id of the email, as given by search_emails.
    """
    for m in INBOX:
        if m["id"] == message_id.strip().upper():
            return dict(m)
    raise ValueError(f"no email {message_id!r}")
