"""Tasks: the schema, the built-in generator and loaders for public formats."""

from __future__ import annotations

from awpo.data.schema import Answer, FunctionCall, Task

__all__ = ["Answer", "FunctionCall", "Task"]
