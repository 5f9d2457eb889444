"""Built-in tool families, one module per family, each defining `@tool` functions.

Add a family by writing `awpo/tools/builtin/<family>.py` with `@tool` functions (and, if it needs
other limits than the sandbox defaults, a `SANDBOX_POLICY = {"tool_name": {...}}` dict of
`ToolPolicy` fields) and appending its module name to `FAMILIES`. Stateful tools keep their
per-episode state with `awpo.tools.context.episode_state(namespace)`.

    from awpo.tools.builtin import all_tools
    Sandbox(all_tools())                               # every family
    Sandbox(all_tools(["calculator", "units"]))       # some families
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from awpo.tools.registry import Tool

#: The built-in tool families (module names in this package), in presentation order.
FAMILIES: tuple[str, ...] = (
    "calculator",
    "units",
    "dates",
    "kvstore",
    "python_exec",
    "weather",
    "currency",
    "flights",
    "hotels",
    "calendar_tools",
    "mail",
    "todo",
    "notes",
    "shopping",
    "stocks",
    "recipes",
    "translate",
    "geometry",
    "stats",
    "strings",
    "maps",
    "sports",
    "movies",
    "timezones",
    "nutrition",
)


def family_module(family: str) -> ModuleType:
    """Imports one family's module; `ValueError` names the known families."""
    if family not in FAMILIES:
        raise ValueError(f"unknown built-in tool family {family!r}; known: {', '.join(FAMILIES)}")
    return importlib.import_module(f"{__name__}.{family}")


def tools_of(family: str) -> list[Tool]:
    """The `Tool` objects one family defines, in definition order."""
    module = family_module(family)
    return [v for v in vars(module).values() if isinstance(v, Tool) and v.module == module.__name__]


def all_tools(families: Iterable[str] | None = None) -> list[Tool]:
    """Every built-in tool (or those of `families`)."""
    return [t for f in (FAMILIES if families is None else families) for t in tools_of(f)]


__all__ = ["FAMILIES", "all_tools", "family_module", "tools_of"]
