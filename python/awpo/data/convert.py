"""Conversions shared by the loaders: foreign tool schemas → OpenAI function schemas, pythonic calls.

Public datasets describe tools in three dialects: xLAM/ToolACE/ToolRL use Python-ish type names
(`"str"`, `"List[int]"`, `"str, optional"`), BFCL uses its own (`"dict"`, `"float"`, `"tuple"`,
`"any"`), and ToolACE writes calls as Python (`[f(a=1), g(b="x")]`). Everything here is pure and
raises `ValueError` with a reason on input it cannot convert, so a loader can report the row.
"""

from __future__ import annotations

import ast
import copy
import json
import keyword
import re
from typing import Any

JsonDict = dict[str, Any]

# Python-ish type names → JSON schema type (xLAM, ToolACE, ToolRL).
_PY_TYPES: dict[str, str] = {
    "str": "string",
    "string": "string",
    "text": "string",
    "int": "integer",
    "integer": "integer",
    "long": "integer",
    "float": "number",
    "number": "number",
    "double": "number",
    "decimal": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "list": "array",
    "array": "array",
    "tuple": "array",
    "set": "array",
    "dict": "object",
    "object": "object",
    "map": "object",
}

# BFCL's own type names → JSON schema type (as its FC handlers map them for OpenAI-style APIs).
_BFCL_TYPES: dict[str, str] = {
    "integer": "integer",
    "number": "number",
    "float": "number",
    "string": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "dict": "object",
    "object": "object",
    "tuple": "array",
    "any": "string",
    "byte": "integer",
    "short": "integer",
    "long": "integer",
    "double": "number",
    "char": "string",
    "ArrayList": "array",
    "Array": "array",
    "HashMap": "object",
    "Hashtable": "object",
    "Queue": "array",
    "Stack": "array",
    "String": "string",
    "Boolean": "boolean",
    "Integer": "integer",
    "Long": "integer",
    "Float": "number",
    "Double": "number",
    "Any": "string",
}

_GENERIC = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?:\[(.*)\])?\s*$")


def python_type_schema(type_text: str) -> tuple[JsonDict, bool]:
    """JSON schema for a Python-ish type name, and whether it was marked optional.

    `"str"` → `{"type": "string"}`; `"List[int]"` → array of integers; `"str, optional"` and
    `"Optional[str]"` are optional; `"Any"` and unknown names give `{}` (any value).
    """
    text = type_text.strip()
    optional = False
    if re.search(r",\s*optional\s*$", text, flags=re.IGNORECASE):
        optional = True
        text = re.sub(r",\s*optional\s*$", "", text, flags=re.IGNORECASE)
    match = _GENERIC.match(text)
    if not match:
        return {}, optional
    head, inner = match.group(1), match.group(2)
    lowered = head.split(".")[-1].lower()
    if lowered == "optional" and inner is not None:
        return python_type_schema(inner)[0], True
    if lowered == "union" and inner is not None:
        parts = [p.strip() for p in _split_top_level(inner)]
        non_none = [p for p in parts if p.lower() not in ("none", "nonetype")]
        if len(non_none) == 1:
            return python_type_schema(non_none[0])[0], optional or len(non_none) < len(parts)
        return {}, optional or len(non_none) < len(parts)
    json_type = _PY_TYPES.get(lowered)
    if json_type is None:
        return {}, optional
    schema: JsonDict = {"type": json_type}
    if json_type == "array" and inner:
        item_types = _split_top_level(inner)
        if item_types:
            items, _ = python_type_schema(item_types[0])
            if items:
                schema["items"] = items
    return schema, optional


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def flat_params_to_schema(params: Any) -> JsonDict:
    """Convert xLAM-style `{param: {type, description, default}}` into an OpenAI parameters object.

    A parameter is required unless its type says optional (`"str, optional"`, `Optional[...]`).
    Already-JSON-schema objects (`{"type": "object", "properties": ...}`) are passed through.
    """
    if isinstance(params, dict) and params.get("type") in ("object", "dict") and "properties" in params:
        return bfcl_parameters_to_schema(params)
    if not isinstance(params, dict):
        raise ValueError(f"tool parameters must be an object, got {type(params).__name__}")
    properties: JsonDict = {}
    required: list[str] = []
    for name, spec in params.items():
        if not isinstance(spec, dict):
            raise ValueError(f"parameter {name!r} must be an object, got {type(spec).__name__}")
        type_text = spec.get("type", "")
        schema, optional = python_type_schema(str(type_text)) if type_text else ({}, False)
        if isinstance(spec.get("description"), str):
            schema["description"] = spec["description"]
        if "default" in spec and spec["default"] not in ("", None):
            schema["default"] = spec["default"]
        if "enum" in spec and isinstance(spec["enum"], list):
            schema["enum"] = spec["enum"]
        properties[str(name)] = schema
        if not optional and spec.get("required", True) is not False:
            required.append(str(name))
    return {"type": "object", "properties": properties, "required": required}


def bfcl_parameters_to_schema(params: JsonDict) -> JsonDict:
    """Convert a BFCL (or loosely typed) parameters object into JSON schema, recursively.

    Types are mapped as BFCL's own FC handlers map them (`dict`→`object`, `float`→`number`,
    `tuple`→`array`, `any`→`string`); everything else (descriptions, enums, defaults,
    `required`) is kept.
    """
    out = copy.deepcopy(params)
    out["type"] = "object"
    props = out.get("properties", {})
    if not isinstance(props, dict):
        raise ValueError("parameters.properties must be an object")
    out["properties"] = {k: _bfcl_value_schema(v, where=k) for k, v in props.items()}
    out.setdefault("required", [])
    return out


def _bfcl_value_schema(schema: Any, *, where: str) -> JsonDict:
    if not isinstance(schema, dict):
        raise ValueError(f"parameter {where!r} must be an object, got {type(schema).__name__}")
    out = dict(schema)
    type_name = out.get("type")
    if isinstance(type_name, str):
        mapped = _BFCL_TYPES.get(type_name) or _PY_TYPES.get(type_name.lower())
        if mapped is None:
            raise ValueError(f"parameter {where!r} has unknown type {type_name!r}")
        out["type"] = mapped
    if isinstance(out.get("items"), dict):
        out["items"] = _bfcl_value_schema(out["items"], where=f"{where}[]")
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _bfcl_value_schema(v, where=f"{where}.{k}") for k, v in out["properties"].items()}
    return out


def openai_tool(name: str, description: str, parameters: JsonDict) -> JsonDict:
    """An OpenAI `{"type": "function", "function": {...}}` tool schema."""
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


def tool_name(tool: JsonDict) -> str:
    """The function name of an OpenAI tool schema (or a bare function schema)."""
    fn = tool.get("function", tool)
    name = fn.get("name") if isinstance(fn, dict) else None
    if not isinstance(name, str) or not name:
        raise ValueError("tool schema has no function name")
    return name


def loads_lenient(text: str) -> Any:
    """`json.loads`, falling back to a Python literal (single quotes, True/None) for dataset text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError) as e:
            raise ValueError(f"neither JSON nor a Python literal: {text[:80]!r}") from e


def find_json_list(text: str, *, key: str = "name") -> list[Any] | None:
    """The first JSON array embedded in `text` whose items are objects with `key` (a tool list)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\[", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) and key in v for v in value):
            return value
    return None


_JSON_NAMES = {"true": True, "false": False, "null": None}


def parse_pythonic_calls(text: str, known_names: list[str] | tuple[str, ...] = ()) -> list[JsonDict]:
    """Parse `[f(a=1), mod.g(b="x")]` into `[{"name", "arguments"}]`, without evaluating code.

    Names listed in `known_names` may contain characters Python identifiers cannot (ToolACE has
    names such as `Get Stock Price`); they are matched literally before parsing. Argument values
    must be literals (str, number, bool, None, list, tuple, dict; `true/false/null` accepted).
    Raises `ValueError` when the text is not such a list.
    """
    body = text.strip()
    if not body:
        raise ValueError("empty call list")
    placeholders: dict[str, str] = {}
    for i, name in enumerate(sorted(set(known_names), key=len, reverse=True)):
        if name.isidentifier() or not name:
            continue
        token = f"__awpo_fn_{i}__"
        pattern = re.compile(re.escape(name) + r"\s*\(")
        if pattern.search(body):
            body = pattern.sub(token + "(", body)
            placeholders[token] = name
    if not body.startswith("["):
        body = f"[{body}]"
    body = _rename_keyword_args(body)
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as e:
        raise ValueError(f"not a pythonic call list: {e.msg}") from e
    if not isinstance(tree.body, ast.List):
        raise ValueError("not a list of calls")
    calls: list[JsonDict] = []
    for node in tree.body.elts:
        if not isinstance(node, ast.Call):
            raise ValueError("list item is not a function call")
        name = _dotted_name(node.func)
        name = placeholders.get(name, name)
        if node.args:
            raise ValueError(f"call {name!r} has positional arguments")
        arguments: JsonDict = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise ValueError(f"call {name!r} uses **kwargs")
            arg = _KW_PLACEHOLDER.sub(r"\1", kw.arg)
            arguments[arg] = _literal(kw.value, where=f"{name}.{arg}")
        calls.append({"name": name, "arguments": arguments})
    return calls


_KW_PLACEHOLDER = re.compile(r"^__awpo_kw_(\w+)__$")
_KW_ARG = re.compile(r"\b(" + "|".join(keyword.kwlist) + r")(\s*=)(?!=)")


def _rename_keyword_args(body: str) -> str:
    """Rename argument names that are Python keywords (`from=`, `class=`) outside string literals."""
    out: list[str] = []
    i, n = 0, len(body)
    start = 0
    while i < n:
        ch = body[i]
        if ch in "\"'":
            out.append(_KW_ARG.sub(r"__awpo_kw_\1__\2", body[start:i]))
            j = i + 1
            while j < n and body[j] != ch:
                j += 2 if body[j] == "\\" else 1
            out.append(body[i : j + 1])
            i = start = j + 1
            continue
        i += 1
    out.append(_KW_ARG.sub(r"__awpo_kw_\1__\2", body[start:]))
    return "".join(out)


def _dotted_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted_name(node.value)}.{node.attr}"
    raise ValueError("call target is not a (dotted) name")


def _literal(node: ast.expr, *, where: str) -> Any:
    if isinstance(node, ast.Name) and node.id in _JSON_NAMES:
        return _JSON_NAMES[node.id]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(e, where=where) for e in node.elts]
    if isinstance(node, ast.Dict):
        out: JsonDict = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                raise ValueError(f"{where}: dict unpacking is not a literal")
            key = _literal(k, where=where)
            out[str(key)] = _literal(v, where=where)
        return out
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as e:
        raise ValueError(f"{where}: value is not a literal") from e
