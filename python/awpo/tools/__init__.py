"""Tools a model can call: the `@tool` registry, built-in tools and the sandbox client."""

from __future__ import annotations

from awpo.tools.registry import Tool, tool

__all__ = ["Tool", "tool"]
