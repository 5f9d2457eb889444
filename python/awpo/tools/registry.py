"""`@tool`: turn a typed, documented Python function into an OpenAI function schema.

The schema comes from the signature (parameter names, defaults → required), the type hints
(JSON types, `Literal` → enum, `Optional` → nullable and not required) and a Google-style
docstring (first paragraph → description, `Args:` entries → parameter descriptions).
"""

from __future__ import annotations

import enum
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, Union, overload

JsonSchema = dict[str, Any]

_SCALARS: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters)\s*:\s*$")
_SECTION_HEADER = re.compile(r"^\s*(Returns?|Raises|Yields|Examples?|Notes?)\s*:\s*$")
_ARG_LINE = re.compile(r"^\s*(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


@dataclass(frozen=True)
class Tool:
    """A callable tool with its OpenAI function schema.

    `module` and `qualname` locate the function so a sandbox worker can import it by dotted path.
    """

    name: str
    description: str
    parameters: JsonSchema
    func: Callable[..., Any] = field(repr=False, compare=False)
    module: str = ""
    qualname: str = ""

    @property
    def schema(self) -> JsonSchema:
        """The OpenAI `{"type": "function", "function": {...}}` schema."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    @property
    def path(self) -> str:
        """Dotted import path `module:qualname` of the implementing function."""
        return f"{self.module}:{self.qualname}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)


F = TypeVar("F", bound=Callable[..., Any])


@overload
def tool(func: F, /) -> Tool: ...
@overload
def tool(*, name: str | None = None, description: str | None = None) -> Callable[[F], Tool]: ...
def tool(
    func: F | None = None, /, *, name: str | None = None, description: str | None = None
) -> Tool | Callable[[F], Tool]:
    """Declare a tool. Use bare (`@tool`) or with overrides (`@tool(name="weather")`).

    Raises `TypeError` when a parameter has no type hint or an unsupported one: a schema that
    guesses would let the model be scored against the wrong types.
    """

    def wrap(f: F) -> Tool:
        return build_tool(f, name=name, description=description)

    return wrap(func) if func is not None else wrap


def build_tool(func: Callable[..., Any], *, name: str | None = None, description: str | None = None) -> Tool:
    """Build a `Tool` from a function (the work behind `@tool`)."""
    summary, arg_docs = parse_docstring(inspect.getdoc(func) or "")
    hints = typing.get_type_hints(func)
    properties: JsonSchema = {}
    required: list[str] = []
    for pname, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool {func.__name__}: *args/**kwargs cannot be described by a JSON schema")
        if pname not in hints:
            raise TypeError(f"tool {func.__name__}: parameter {pname!r} needs a type hint")
        prop, optional = json_schema_for(hints[pname], where=f"{func.__name__}.{pname}")
        if pname in arg_docs:
            prop["description"] = arg_docs[pname]
        if param.default is not inspect.Parameter.empty:
            if isinstance(param.default, (str, int, float, bool)) or param.default is None:
                prop["default"] = param.default
        elif not optional:
            required.append(pname)
        properties[pname] = prop
    parameters: JsonSchema = {"type": "object", "properties": properties, "required": required}
    return Tool(
        name=name or func.__name__,
        description=description if description is not None else summary,
        parameters=parameters,
        func=func,
        module=func.__module__,
        qualname=func.__qualname__,
    )


def json_schema_for(hint: Any, *, where: str) -> tuple[JsonSchema, bool]:
    """JSON schema of a type hint, and whether the hint admits None (so is optional)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union or origin is types.UnionType:
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            schema, _ = json_schema_for(non_none[0], where=where)
            return schema, len(non_none) < len(args)
        raise TypeError(f"{where}: unions of several types are not supported ({hint!r})")
    if origin is Literal:
        values = list(args)
        kinds = {type(v) for v in values}
        if len(kinds) != 1 or next(iter(kinds)) not in _SCALARS:
            raise TypeError(f"{where}: Literal values must share one scalar type ({hint!r})")
        return {"type": _SCALARS[next(iter(kinds))], "enum": values}, False
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        values = [m.value for m in hint]
        return json_schema_for(Literal[tuple(values)], where=where)
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}, False
    if hint is Any:
        return {}, False
    if origin in (list, Sequence, tuple) or hint in (list, tuple):
        if origin is tuple and len(set(args) - {Ellipsis}) > 1:
            raise TypeError(f"{where}: tuple items must share one type ({hint!r})")
        if not args:
            return {"type": "array"}, False
        items, _ = json_schema_for(args[0], where=where)
        return {"type": "array", "items": items}, False
    if origin in (dict, Mapping) or hint is dict:
        if args and args[0] is not str:
            raise TypeError(f"{where}: JSON object keys must be str ({hint!r})")
        if len(args) == 2 and args[1] is not Any:
            values_schema, _ = json_schema_for(args[1], where=where)
            return {"type": "object", "additionalProperties": values_schema}, False
        return {"type": "object"}, False
    raise TypeError(f"{where}: unsupported type hint {hint!r}")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its summary paragraph and per-argument descriptions."""
    lines = doc.splitlines()
    summary_lines: list[str] = []
    for line in lines:
        if not line.strip() or _ARGS_HEADER.match(line) or _SECTION_HEADER.match(line):
            break
        summary_lines.append(line.strip())
    arg_docs: dict[str, str] = {}
    in_args = False
    current: str | None = None
    for line in lines:
        if _ARGS_HEADER.match(line):
            in_args, current = True, None
            continue
        if not in_args:
            continue
        if _SECTION_HEADER.match(line) or (line.strip() and not line.startswith((" ", "\t"))):
            break
        match = _ARG_LINE.match(line)
        indent = len(line) - len(line.lstrip())
        if match and (current is None or indent <= _indent_of(lines, current)):
            current = match.group(1).lstrip("*")
            arg_docs[current] = match.group(2).strip()
        elif current is not None and line.strip():
            arg_docs[current] = f"{arg_docs[current]} {line.strip()}".strip()
    return " ".join(summary_lines), arg_docs


def _indent_of(lines: list[str], arg: str) -> int:
    for line in lines:
        match = _ARG_LINE.match(line)
        if match and match.group(1).lstrip("*") == arg:
            return len(line) - len(line.lstrip())
    return 0
