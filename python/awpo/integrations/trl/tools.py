"""awpo's `@awpo.tool` functions as TRL tools (`GRPOTrainer(tools=...)`), executed in awpo's sandbox.

    with Sandbox(all_tools(["calculator"])) as sandbox:
        trainer = AWPOTrainer(..., tools=sandbox_tools(sandbox))

TRL renders a tool from a plain Python function (its name, type hints and Google docstring, through
transformers' `get_json_schema`) and calls it with the parsed arguments. Each function made here carries
the name, a signature and a docstring rebuilt from the awpo tool's own JSON schema, so the model sees that
schema; its body sends the call to the sandbox (isolated, resource-limited workers), which checks the
arguments against the schema first. A failed call raises `ToolCallError`, which TRL turns into an
`{"error": ...}` tool message and counts in `tools/failure_frequency`.

Limit: TRL does not say which rollout a call belongs to, so calls run without an episode session; tools
that keep per-episode state (`episode_state`) see a fresh state on every call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Literal

from awpo.tools.registry import Tool
from awpo.tools.sandbox import Sandbox, ToolCallError

_SCALARS: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool}


def hint_for(schema: Mapping[str, Any]) -> Any:
    """The Python type hint whose transformers JSON schema is `schema` (a property of an awpo tool)."""
    if "enum" in schema:
        return Literal[tuple(schema["enum"])]
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "array":
        items = schema.get("items")
        return list[hint_for(items)] if isinstance(items, Mapping) else list  # type: ignore[misc]
    if kind == "object":
        values = schema.get("additionalProperties")
        return dict[str, hint_for(values)] if isinstance(values, Mapping) else dict  # type: ignore[misc]
    return Any


def _docstring(tool: Tool) -> str:
    props: Mapping[str, Any] = tool.parameters.get("properties", {})
    lines = [tool.description or tool.name, "", "Args:"]
    lines += [f"    {name}: {str(p.get('description') or name).replace(chr(10), ' ')}" for name, p in props.items()]
    return "\n".join(lines) if props else (tool.description or tool.name)


def _signature(tool: Tool) -> tuple[inspect.Signature, dict[str, Any]]:
    props: Mapping[str, Any] = tool.parameters.get("properties", {})
    required = set(tool.parameters.get("required", []))
    params = []
    hints: dict[str, Any] = {}
    for name, prop in props.items():
        hint = hint_for(prop)
        if name in required:
            default: Any = inspect.Parameter.empty
        else:
            default = prop.get("default")
            if default is None:
                hint = hint | None
        hints[name] = hint
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint))
    hints["return"] = str
    return inspect.Signature(params, return_annotation=str), hints


def sandbox_tool(sandbox: Sandbox, tool: Tool) -> Callable[..., str]:
    """One TRL tool: a function named as `tool` that runs it in `sandbox` and returns its observation text."""

    def call(**arguments: Any) -> str:
        result = sandbox.call(tool.name, arguments)
        if not result.ok:
            raise ToolCallError(result.observation())
        return result.observation()

    signature, hints = _signature(tool)
    call.__name__ = tool.name
    call.__qualname__ = tool.name
    call.__doc__ = _docstring(tool)
    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__annotations__ = hints
    return call


def sandbox_tools(sandbox: Sandbox, names: list[str] | None = None) -> list[Callable[..., str]]:
    """TRL tools for the sandbox's tools (or the ones in `names`), in the sandbox's order."""
    tools = sandbox.tools
    unknown = sorted(set(names or []) - set(tools))
    if unknown:
        raise ValueError(f"unknown tools {unknown}; the sandbox serves: {', '.join(tools)}")
    return [sandbox_tool(sandbox, t) for name, t in tools.items() if names is None or name in names]


__all__ = ["hint_for", "sandbox_tool", "sandbox_tools"]
