"""Tools a model can call: the `@tool` registry, built-in tools and the sandbox client.

`Sandbox`, `SandboxLimits`, `SandboxConfig`, `ToolPolicy`, `ToolResult` and `Session` load on
first use, so a sandbox worker that imports a tool module does not pay for pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from awpo.tools.context import episode_state
from awpo.tools.registry import Tool, tool

if TYPE_CHECKING:
    from awpo.tools.sandbox import (
        Sandbox,
        SandboxConfig,
        SandboxLimits,
        Session,
        ToolCallError,
        ToolPolicy,
        ToolResult,
    )

_LAZY = {"Sandbox", "SandboxConfig", "SandboxLimits", "Session", "ToolCallError", "ToolPolicy", "ToolResult"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from awpo.tools import sandbox

        return getattr(sandbox, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Sandbox",
    "SandboxConfig",
    "SandboxLimits",
    "Session",
    "Tool",
    "ToolCallError",
    "ToolPolicy",
    "ToolResult",
    "episode_state",
    "tool",
]
