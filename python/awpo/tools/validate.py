"""Check tool arguments against a JSON schema before anything runs.

Covers the JSON Schema keywords tool schemas use (what `@tool` emits and what OpenAI-style
function schemas commonly carry): `type` (one or a list), `enum`, `const`, `properties`,
`required`, `additionalProperties`, `items`, `minItems`/`maxItems`, `minimum`/`maximum` and their
exclusive forms, `minLength`/`maxLength`, `pattern`, `anyOf`/`oneOf`, `nullable`. Unknown keywords
(`description`, `default`, `title`, ...) are ignored. At the top level an argument the schema does
not name is an error unless `additionalProperties` allows it: a Python tool could not accept it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

JsonSchema = Mapping[str, Any]

_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    for t, name in _TYPE_NAMES.items():
        if type(value) is t:
            return name
    return type(value).__name__


def _is_type(value: Any, expected: str) -> bool:
    if expected == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if expected == "number":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "string":
        return isinstance(value, str)
    if expected == "array":
        return isinstance(value, list)
    if expected == "object":
        return isinstance(value, dict)
    if expected == "null":
        return value is None
    return True  # an unknown type name constrains nothing


def schema_errors(schema: JsonSchema, value: Any, *, limit: int = 5) -> list[str]:
    """Why `value` (tool arguments) does not match `schema`; empty when it does.

    Stops after `limit` messages. Each message names the path, e.g. `arguments.city`.
    """
    errors: list[str] = []
    _check(schema, value, "arguments", errors, limit, top=True)
    return errors


def _check(schema: JsonSchema, value: Any, path: str, errors: list[str], limit: int, *, top: bool = False) -> None:
    if len(errors) >= limit or not isinstance(schema, Mapping):
        return
    if value is None and (schema.get("nullable") is True or ("default" in schema and schema["default"] is None)):
        return
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            matches = [o for o in options if _ok(o, value, path)]
            if key == "anyOf" and not matches:
                errors.append(f"{path}: matches none of the {len(options)} allowed forms")
                return
            if key == "oneOf" and len(matches) != 1:
                errors.append(f"{path}: must match exactly one of {len(options)} forms, matches {len(matches)}")
                return
    expected = schema.get("type")
    if expected is not None:
        kinds = expected if isinstance(expected, list) else [expected]
        if not any(_is_type(value, str(k)) for k in kinds):
            want = " or ".join(str(k) for k in kinds)
            errors.append(f"{path}: expected {want}, got {_json_type(value)}")
            return
    if "enum" in schema and isinstance(schema["enum"], list) and not _in_enum(value, schema["enum"]):
        allowed = ", ".join(repr(v) for v in schema["enum"][:20])
        errors.append(f"{path}: {value!r} is not one of {allowed}")
    if "const" in schema and not _in_enum(value, [schema["const"]]):
        errors.append(f"{path}: must be {schema['const']!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(schema, value, path, errors)
    if isinstance(value, str):
        _check_string(schema, value, path, errors)
    if isinstance(value, list):
        _check_array(schema, value, path, errors, limit)
    if isinstance(value, dict):
        _check_object(schema, value, path, errors, limit, top=top)


def _ok(schema: JsonSchema, value: Any, path: str) -> bool:
    errs: list[str] = []
    _check(schema, value, path, errs, 1)
    return not errs


def _in_enum(value: Any, options: list[Any]) -> bool:
    # 1 == True in Python; JSON keeps booleans and numbers apart.
    return any(value == o and isinstance(value, bool) == isinstance(o, bool) for o in options)


def _check_number(schema: JsonSchema, value: float, path: str, errors: list[str]) -> None:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if isinstance(lo, (int, float)) and value < lo:
        errors.append(f"{path}: {value} is below the minimum {lo}")
    if isinstance(hi, (int, float)) and value > hi:
        errors.append(f"{path}: {value} is above the maximum {hi}")
    xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(xlo, (int, float)) and not isinstance(xlo, bool) and value <= xlo:
        errors.append(f"{path}: {value} must be greater than {xlo}")
    if isinstance(xhi, (int, float)) and not isinstance(xhi, bool) and value >= xhi:
        errors.append(f"{path}: {value} must be less than {xhi}")


def _check_string(schema: JsonSchema, value: str, path: str, errors: list[str]) -> None:
    lo, hi = schema.get("minLength"), schema.get("maxLength")
    if isinstance(lo, int) and len(value) < lo:
        errors.append(f"{path}: shorter than {lo} characters")
    if isinstance(hi, int) and len(value) > hi:
        errors.append(f"{path}: longer than {hi} characters")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            if re.search(pattern, value) is None:
                errors.append(f"{path}: does not match the pattern {pattern!r}")
        except re.error:
            pass  # a broken pattern in the schema is the schema author's problem, not the caller's


def _check_array(schema: JsonSchema, value: list[Any], path: str, errors: list[str], limit: int) -> None:
    lo, hi = schema.get("minItems"), schema.get("maxItems")
    if isinstance(lo, int) and len(value) < lo:
        errors.append(f"{path}: fewer than {lo} items")
    if isinstance(hi, int) and len(value) > hi:
        errors.append(f"{path}: more than {hi} items")
    items = schema.get("items")
    if isinstance(items, Mapping):
        for i, item in enumerate(value):
            _check(items, item, f"{path}[{i}]", errors, limit)
            if len(errors) >= limit:
                return


def _check_object(
    schema: JsonSchema, value: dict[str, Any], path: str, errors: list[str], limit: int, *, top: bool
) -> None:
    props = schema.get("properties")
    props = props if isinstance(props, Mapping) else {}
    required = schema.get("required")
    for name in required if isinstance(required, list) else []:
        if name not in value:
            errors.append(f"{path}: missing required {name!r}")
    extra = schema.get("additionalProperties", not top)
    for name, item in value.items():
        where = f"{path}.{name}"
        if name in props:
            _check(props[name], item, where, errors, limit)
        elif extra is False:
            known = ", ".join(sorted(props)) or "none"
            errors.append(f"{path}: unexpected argument {name!r} (known: {known})")
        elif isinstance(extra, Mapping):
            _check(extra, item, where, errors, limit)
        if len(errors) >= limit:
            return
