"""A to-do list kept in the episode state (starts empty)."""

from __future__ import annotations

from typing import Any, Literal

from awpo.tools.context import episode_state
from awpo.tools.registry import tool


def _items() -> dict[str, Any]:
    items: dict[str, Any] = episode_state("todo").setdefault("items", {})
    return items


@tool
def add_todo(task: str, due_date: str | None = None) -> dict[str, Any]:
    """Add a task to the to-do list.

    Args:
        task: What to do.
        due_date: Optional due date as YYYY-MM-DD.
    """
    if not task.strip():
        raise ValueError("task must not be empty")
    items = _items()
    todo_id = f"T{len(items) + 1}"
    items[todo_id] = {"task": task.strip(), "due_date": due_date, "done": False}
    return {"todo_id": todo_id, **items[todo_id]}


@tool
def list_todos(status: Literal["open", "done", "all"] = "open") -> dict[str, Any]:
    """List the to-do items.

    Args:
        status: Which items to list.
    """
    items = [{"todo_id": k, **v} for k, v in _items().items()]
    if status != "all":
        items = [i for i in items if i["done"] == (status == "done")]
    return {"todos": items}


@tool
def complete_todo(todo_id: str) -> dict[str, Any]:
    """Mark a to-do item as done.

    Args:
        todo_id: The id returned by add_todo.
    """
    items = _items()
    if todo_id not in items:
        raise ValueError(f"no to-do item {todo_id!r}")
    items[todo_id]["done"] = True
    return {"todo_id": todo_id, "done": True}
