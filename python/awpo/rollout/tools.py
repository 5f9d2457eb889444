"""How the rollout loop runs tool calls: one episode (fresh tool state) per trajectory.

`ToolRunner.episode(task)` opens an episode; `ToolEpisode.run(calls)` executes one turn's calls in
order and returns one `ToolResult` per call. A failed call is a result the model reads (an error
observation), never an exception. `SandboxTools` runs them in awpo's Rust sandbox;
`LocalTools` calls trusted Python tools in this process (no isolation).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from awpo.data.schema import Task
from awpo.tools.registry import Tool


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call, as the model will read it (`content`, before truncation)."""

    name: str
    ok: bool
    content: str
    error_kind: str | None = None


class ToolEpisode(Protocol):
    """The tool state of one trajectory."""

    def run(self, calls: Sequence[Mapping[str, Any]]) -> list[ToolResult]:
        """Execute `[{name, arguments}]` in order; one result per call."""
        ...

    def close(self) -> None:
        """End the episode (drop its state)."""
        ...


class ToolRunner(Protocol):
    """Opens tool episodes for tasks."""

    def episode(self, task: Task) -> ToolEpisode:
        """A fresh episode for one trajectory of `task`."""
        ...


def render_value(value: Any) -> str:
    """A tool's return value as the model reads it: strings as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def error_content(kind: str, message: str) -> str:
    """The observation of a failed call."""
    return json.dumps({"error": kind, "message": message}, ensure_ascii=False)


class LocalTools:
    """Runs `@tool` functions in this process: trusted code only, no isolation, no limits.

    Exceptions become error observations. Use `SandboxTools` for untrusted or model-chosen code.
    """

    def __init__(self, tools: Sequence[Tool]) -> None:
        self.tools = {t.name: t for t in tools}
        if len(self.tools) != len(tools):
            raise ValueError("two tools share a name")

    def episode(self, task: Task) -> _LocalEpisode:
        return _LocalEpisode(self.tools)


class _LocalEpisode:
    def __init__(self, tools: Mapping[str, Tool]) -> None:
        self.tools = tools

    def run(self, calls: Sequence[Mapping[str, Any]]) -> list[ToolResult]:
        results: list[ToolResult] = []
        for call in calls:
            name = str(call.get("name", ""))
            args = call.get("arguments")
            tool = self.tools.get(name)
            if tool is None:
                results.append(
                    ToolResult(name, False, error_content("unknown_tool", f"no tool named {name!r}"), "unknown_tool")
                )
                continue
            if not isinstance(args, Mapping):
                results.append(
                    ToolResult(
                        name,
                        False,
                        error_content("invalid_arguments", "arguments must be an object"),
                        "invalid_arguments",
                    )
                )
                continue
            try:
                value = tool(**dict(args))
            except TypeError as exc:
                results.append(
                    ToolResult(name, False, error_content("invalid_arguments", str(exc)), "invalid_arguments")
                )
            except Exception as exc:
                results.append(
                    ToolResult(name, False, error_content("tool_error", f"{type(exc).__name__}: {exc}"), "tool_error")
                )
            else:
                results.append(ToolResult(name, True, render_value(value)))
        return results

    def close(self) -> None:
        """Nothing to release."""
