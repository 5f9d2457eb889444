"""Plain-Python reference of awpo's tool-call parser (`rust/awpo-core/src/toolcall/`).

It restates the native parser's rules in straightforward Python, with no shared code, so that a
property test can check native == reference on generated outputs, and `benches/test_parser.py`
can time the native parser against it. The rules (spans, formats, schema checks, precedence) are
documented on `awpo_core::toolcall::parse`; this file follows the same structure.

JSON goes through the standard `json` module, adjusted to serde_json's behaviour where the two
differ: NaN/Infinity, lone surrogates, numbers out of f64 range and nesting of 128 levels are
errors; integers outside i64/u64 become floats (so does `-0`); a scalar value must be followed by
whitespace, a bracket, a quote, `,`, `:` or the end (serde's stream rule).

`parse` returns the same plain form as `awpo._native.ParseResult.to_dict()`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

WS = " \t\n\r"
MAX_PY_DEPTH = 64  # containers in a pythonic literal
MAX_JSON_DEPTH = 127  # serde_json's recursion limit (128 fails)

PRECEDENCE = {
    "ok": 0,
    "no_call": 1,
    "extra_text": 2,
    "schema_violation": 3,
    "unknown_tool": 4,
    "malformed_json": 5,
    "unclosed_tag": 6,
    "truncated": 7,
}


class ParseError(ValueError):
    """A syntax error in a call (JSON, pythonic literal or XML)."""


def _trim(s: str) -> str:
    return s.strip(WS)


def _first_non_ws(s: str, i: int = 0) -> int | None:
    n = len(s)
    while i < n and s[i] in WS:
        i += 1
    return i if i < n else None


# ---------------------------------------------------------------- JSON with serde_json's rules


def _reject_constant(name: str) -> Any:
    raise ParseError(f"{name} is not JSON")


def _parse_float(s: str) -> float:
    f = float(s)
    if math.isinf(f):
        raise ParseError("number out of range")
    return f


def _parse_int(s: str) -> int | float:
    v = int(s)
    if s.startswith("-"):
        if v == 0:
            return -0.0
        if v >= -(2**63):
            return v
    elif v < 2**64:
        return v
    try:
        f = float(v)
    except OverflowError as e:
        raise ParseError("number out of range") from e
    return f


def _check(v: Any, depth: int) -> None:
    if isinstance(v, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise ParseError("lone surrogate")
    elif isinstance(v, list):
        if depth >= MAX_JSON_DEPTH:
            raise ParseError("recursion limit exceeded")
        for x in v:
            _check(x, depth + 1)
    elif isinstance(v, dict):
        if depth >= MAX_JSON_DEPTH:
            raise ParseError("recursion limit exceeded")
        for k, x in v.items():
            _check(k, depth)
            _check(x, depth + 1)


_DECODER = json.JSONDecoder(parse_float=_parse_float, parse_int=_parse_int, parse_constant=_reject_constant)
_END_OF_SCALAR = set(WS) | set('"[]{},:')


def value_at(s: str, pos: int) -> tuple[Any, int]:
    """One JSON value at `s[pos:]` (leading whitespace allowed); returns it and the end offset."""
    start = _first_non_ws(s, pos)
    if start is None:
        raise ParseError("expected a JSON value")
    try:
        v, end = _DECODER.raw_decode(s, start)
    except (ValueError, RecursionError) as e:
        raise ParseError(str(e)) from e
    _check(v, 0)
    if s[start] not in '[{"' and end < len(s) and s[end] not in _END_OF_SCALAR:
        raise ParseError("trailing characters")
    return v, end


def loads(s: str) -> Any:
    """`serde_json::from_str`: exactly one value, surrounding whitespace allowed."""
    try:
        v = _DECODER.decode(s)
    except (ValueError, RecursionError) as e:
        raise ParseError(str(e)) from e
    _check(v, 0)
    return v


# ---------------------------------------------------------------- JSON calls


def _call_from_object(m: dict[str, Any]) -> dict[str, Any]:
    if "name" not in m and isinstance(m.get("function"), dict):
        m = m["function"]
    if "name" not in m:
        raise ParseError("call object has no `name`")
    name = m["name"]
    if not isinstance(name, str):
        raise ParseError("call `name` is not a string")
    if not name:
        raise ParseError("call `name` is empty")
    args = m["arguments"] if "arguments" in m else m.get("parameters")
    if args is None:
        args = {}
    elif isinstance(args, str):
        if not _trim(args):
            args = {}
        else:
            args = loads(args)
            if not isinstance(args, dict):
                raise ParseError("arguments string does not hold a JSON object")
    elif not isinstance(args, dict):
        raise ParseError("arguments must be an object")
    return {"name": name, "arguments": args}


def _calls_from_value(v: Any) -> list[dict[str, Any] | ParseError]:
    out: list[dict[str, Any] | ParseError] = []

    def one(m: dict[str, Any]) -> None:
        try:
            out.append(_call_from_object(m))
        except ParseError as e:
            out.append(e)

    if isinstance(v, dict):
        one(v)
    elif isinstance(v, list):
        for item in v:
            if isinstance(item, dict):
                one(item)
            else:
                out.append(ParseError("array element is not a call object"))
    else:
        out.append(ParseError("expected a call object or an array of call objects"))
    return out


# ---------------------------------------------------------------- pythonic


def _is_ident_start(c: str) -> bool:
    return c.isascii() and (c.isalpha() or c == "_")


def _is_ident(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "_")


def starts_call_list(s: str, i: int = 0) -> bool:
    if i >= len(s) or s[i] != "[":
        return False
    j = _first_non_ws(s, i + 1)
    return j is not None and _is_ident_start(s[j])


_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\x07",
    "b": "\x08",
    "f": "\x0c",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\x0b",
}


class _Py:
    """Recursive descent over the pythonic grammar of `pythonic.rs`."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.pos = 0

    def peek(self) -> str | None:
        return self.s[self.pos] if self.pos < len(self.s) else None

    def ws(self) -> None:
        while self.pos < len(self.s) and self.s[self.pos] in WS:
            self.pos += 1

    def expect(self, c: str) -> None:
        if self.peek() != c:
            raise ParseError(f"expected `{c}`")
        self.pos += 1

    def ident(self) -> str:
        start = self.pos
        c = self.peek()
        if c is None or not _is_ident_start(c):
            raise ParseError("expected a name")
        while self.pos < len(self.s) and _is_ident(self.s[self.pos]):
            self.pos += 1
        return self.s[start : self.pos]

    def call_list(self, out: list[dict[str, Any] | ParseError]) -> None:
        self.expect("[")
        self.ws()
        while True:
            out.append(self.call())
            self.ws()
            c = self.peek()
            if c == ",":
                self.pos += 1
                self.ws()
                if self.peek() == "]":
                    self.pos += 1
                    return
            elif c == "]":
                self.pos += 1
                return
            else:
                raise ParseError("expected `,` or `]` after a call")

    def call(self) -> dict[str, Any] | ParseError:
        start = self.pos
        self.ident()
        while self.peek() == ".":
            self.pos += 1
            self.ident()
        name = self.s[start : self.pos]
        self.ws()
        self.expect("(")
        self.ws()
        args: dict[str, Any] = {}
        bad: str | None = None
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                save = self.pos
                key = None
                c = self.peek()
                if c is not None and _is_ident_start(c):
                    k = self.ident()
                    self.ws()
                    if self.peek() == "=" and self.s[self.pos + 1 : self.pos + 2] != "=":
                        self.pos += 1
                        key = k
                    else:
                        self.pos = save
                self.ws()
                v = self.literal(0)
                if key is not None:
                    if key in args and bad is None:
                        bad = f"`{name}`: keyword argument `{key}` repeated"
                    args[key] = v
                elif bad is None:
                    bad = f"`{name}`: positional argument"
                self.ws()
                c = self.peek()
                if c == ",":
                    self.pos += 1
                    self.ws()
                    if self.peek() == ")":
                        self.pos += 1
                        break
                elif c == ")":
                    self.pos += 1
                    break
                else:
                    raise ParseError("expected `,` or `)` in a call")
        if bad is not None:
            return ParseError(bad)
        return {"name": name, "arguments": args}

    def enter(self, depth: int) -> None:
        if depth >= MAX_PY_DEPTH:
            raise ParseError("literal nested too deeply")

    def literal(self, depth: int) -> Any:
        c = self.peek()
        if c in ('"', "'"):
            return self.string()
        if c is not None and (c in "-." or c in "0123456789"):
            return self.number()
        if c == "[":
            self.enter(depth)
            self.pos += 1
            return self.items("]", depth)
        if c == "(":
            self.enter(depth)
            self.pos += 1
            self.ws()
            if self.peek() == ")":
                self.pos += 1
                return []
            first = self.literal(depth + 1)
            self.ws()
            c = self.peek()
            if c == ")":
                self.pos += 1
                return first
            if c == ",":
                self.pos += 1
                return [first, *self.items(")", depth)]
            raise ParseError("expected `,` or `)` in a tuple")
        if c == "{":
            self.enter(depth)
            self.pos += 1
            return self.dict(depth)
        if c is not None and _is_ident_start(c):
            word = self.ident()
            if word == "True":
                return True
            if word == "False":
                return False
            if word == "None":
                return None
            raise ParseError(f"`{word}` is not a literal")
        raise ParseError("expected a literal")

    def items(self, close: str, depth: int) -> list[Any]:
        out: list[Any] = []
        while True:
            self.ws()
            if self.peek() == close:
                self.pos += 1
                return out
            out.append(self.literal(depth + 1))
            self.ws()
            c = self.peek()
            if c == ",":
                self.pos += 1
            elif c == close:
                self.pos += 1
                return out
            else:
                raise ParseError(f"expected `,` or `{close}`")

    def dict(self, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while True:
            self.ws()
            if self.peek() == "}":
                self.pos += 1
                return out
            if self.peek() not in ('"', "'"):
                raise ParseError("dict keys must be strings")
            key = self.string()
            self.ws()
            self.expect(":")
            self.ws()
            out[key] = self.literal(depth + 1)
            self.ws()
            c = self.peek()
            if c == ",":
                self.pos += 1
            elif c == "}":
                self.pos += 1
                return out
            else:
                raise ParseError("expected `,` or `}` in a dict")

    def hex(self, n: int) -> int:
        digits = self.s[self.pos : self.pos + n]
        if len(digits) < n or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise ParseError("truncated hex escape")
        self.pos += n
        return int(digits, 16)

    @staticmethod
    def code_point(cp: int) -> str:
        if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            raise ParseError("escape is not a valid code point")
        return chr(cp)

    def string(self) -> str:
        q = self.s[self.pos]
        self.pos += 1
        out: list[str] = []
        s = self.s
        while True:
            if self.pos >= len(s):
                raise ParseError("unterminated string")
            c = s[self.pos]
            self.pos += 1
            if c == q:
                return "".join(out)
            if c in "\n\r":
                raise ParseError("newline in a string")
            if c != "\\":
                out.append(c)
                continue
            if self.pos >= len(s):
                raise ParseError("unterminated string")
            e = s[self.pos]
            self.pos += 1
            if e == "\n":
                continue
            if e in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[e])
            elif e in "01234567":
                v = int(e)
                for _ in range(2):
                    d = self.peek()
                    if d is not None and d in "01234567":
                        v = v * 8 + int(d)
                        self.pos += 1
                    else:
                        break
                out.append(self.code_point(v))
            elif e == "x":
                out.append(self.code_point(self.hex(2)))
            elif e == "u":
                out.append(self.code_point(self.hex(4)))
            elif e == "U":
                out.append(self.code_point(self.hex(8)))
            elif e == "N":
                raise ParseError("\\N escapes are not supported")
            else:
                out.append("\\")
                self.pos -= 1

    def digits(self) -> str:
        start = self.pos
        while self.pos < len(self.s) and self.s[self.pos] in "0123456789":
            self.pos += 1
        return self.s[start : self.pos]

    def number(self) -> int | float:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        int_part = self.digits()
        frac = ""
        is_float = False
        if self.peek() == ".":
            is_float = True
            self.pos += 1
            frac = self.digits()
        if not int_part and not frac:
            raise ParseError("expected a number")
        if self.peek() in ("e", "E"):
            is_float = True
            self.pos += 1
            if self.peek() in ("+", "-"):
                self.pos += 1
            if not self.digits():
                raise ParseError("expected exponent digits")
        text = self.s[start : self.pos]
        if not is_float:
            if len(int_part) > 1 and int_part.startswith("0"):
                raise ParseError("leading zeros in an integer")
            v = int(text)
            if -(2**63) <= v < 2**64:
                return v
            try:
                return float(v)
            except OverflowError as e:
                raise ParseError("integer out of range") from e
        f = float(text)
        if math.isinf(f):
            raise ParseError("float out of range")
        return f


def parse_call_list(s: str) -> tuple[list[dict[str, Any] | ParseError], int, ParseError | None]:
    """A pythonic call list at the start of `s`: (calls or errors, end offset, syntax error)."""
    p = _Py(s)
    out: list[dict[str, Any] | ParseError] = []
    try:
        p.call_list(out)
    except ParseError as e:
        return out, p.pos, e
    return out, p.pos, None


def parse_literal(s: str) -> Any:
    """Exactly one Python literal (surrounding whitespace allowed); raises ParseError."""
    p = _Py(s)
    p.ws()
    v = p.literal(0)
    p.ws()
    if p.pos != len(s):
        raise ParseError("text after the literal")
    return v


# ---------------------------------------------------------------- schemas


def type_kind(name: str) -> str:
    n = "".join(c.lower() if c.isascii() else c for c in name.strip())
    table = {
        "string": "string",
        "str": "string",
        "text": "string",
        "varchar": "string",
        "char": "string",
        "enum": "string",
        "boolean": "boolean",
        "bool": "boolean",
        "binary": "boolean",
        "null": "null",
        "object": "object",
        "hashmap": "object",
        "hashtable": "object",
        "array": "array",
        "arr": "array",
        "tuple": "array",
        "arraylist": "array",
        "queue": "array",
        "stack": "array",
        "byte": "integer",
        "bigint": "integer",
        "double": "number",
    }
    if n in table:
        return table[n]
    if n.startswith(("int", "uint", "long", "short", "unsigned")):
        return "integer"
    if n.startswith(("num", "float")):
        return "number"
    if n.startswith("dict"):
        return "object"
    if n.startswith("list"):
        return "array"
    return "any"


@dataclass
class ValueSchema:
    types: list[str] = field(default_factory=list)
    enum: list[Any] | None = None
    items: ValueSchema | None = None
    obj: ObjectSchema | None = None


@dataclass
class ObjectSchema:
    properties: dict[str, ValueSchema]
    required: list[str]
    additional: bool | ValueSchema  # True allow, False deny, or a schema


def _compile_value(m: dict[str, Any]) -> ValueSchema:
    s = ValueSchema()
    if "type" in m:
        t = m["type"]
        s.types = [type_kind(t)] if isinstance(t, str) else [type_kind(x) for x in t]
        if "any" in s.types:
            s.types = []
    if m.get("nullable") is True and s.types:
        s.types.append("null")
    if "enum" in m:
        s.enum = list(m["enum"])
    if "items" in m:
        s.items = _compile_value(m["items"])
    if "properties" in m or "required" in m or "additionalProperties" in m:
        s.obj = _compile_object(m, top=False)
    return s


def _compile_object(m: dict[str, Any], top: bool) -> ObjectSchema:
    declared = "properties" in m
    props = {k: _compile_value(v) for k, v in m.get("properties", {}).items()}
    add = m.get("additionalProperties")
    additional: bool | ValueSchema
    if add is True or add is False:
        additional = add
    elif isinstance(add, dict):
        additional = _compile_value(add)
    else:
        additional = not (declared or top)
    return ObjectSchema(props, list(m.get("required", [])), additional)


@dataclass
class Tool:
    name: str
    params: ObjectSchema

    def kind(self, param: str) -> str | None:
        ps = self.params.properties.get(param)
        if ps is None:
            return None
        return next((t for t in ps.types if t != "null"), None)


def compile_tools(tools: list[dict[str, Any]]) -> list[Tool]:
    """Compiles valid OpenAI function schemas (the reference does not diagnose bad ones)."""
    out = []
    for t in tools:
        f = t["function"] if isinstance(t.get("function"), dict) else t
        p = f.get("parameters")
        params = ObjectSchema({}, [], False) if p is None else _compile_object(p, top=True)
        out.append(Tool(f["name"], params))
    return out


def _is_int(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, float) and math.isfinite(v) and v.is_integer()


def _matches(kind: str, v: Any) -> bool:
    if kind == "string":
        return isinstance(v, str)
    if kind == "integer":
        return _is_int(v)
    if kind == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind == "boolean":
        return isinstance(v, bool)
    if kind == "object":
        return isinstance(v, dict)
    if kind == "array":
        return isinstance(v, list)
    if kind == "null":
        return v is None
    return True


def json_eq(a: Any, b: Any) -> bool:
    """JSON equality: numbers by value, booleans distinct from numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_eq(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and json_eq(v, b[k]) for k, v in a.items())
    return type(a) is type(b) and a == b


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check_object(m: dict[str, Any], os: ObjectSchema, path: str, out: list[tuple[str, str]]) -> None:
    for r in os.required:
        if r not in m:
            out.append((_join(path, r), f"missing required parameter `{r}`"))
    for k, v in m.items():
        kp = _join(path, k)
        ps = os.properties.get(k)
        if ps is not None:
            _check_value(v, ps, kp, out)
        elif os.additional is False:
            out.append((kp, f"unknown parameter `{k}`"))
        elif isinstance(os.additional, ValueSchema):
            _check_value(v, os.additional, kp, out)


def _check_value(v: Any, s: ValueSchema, path: str, out: list[tuple[str, str]]) -> None:
    if s.types and not any(_matches(t, v) for t in s.types):
        out.append((path, "wrong type"))
        return
    if s.enum is not None and not any(json_eq(e, v) for e in s.enum):
        out.append((path, "not one of the enum values"))
    if isinstance(v, list) and s.items is not None:
        for i, item in enumerate(v):
            _check_value(item, s.items, f"{path}[{i}]", out)
    elif isinstance(v, dict) and s.obj is not None:
        _check_object(v, s.obj, path, out)


# ---------------------------------------------------------------- XML


def _int_text(t: str) -> int | None:
    digits = t[1:] if t[:1] in ("+", "-") else t
    if not digits or not all(c in "0123456789" for c in digits):
        return None
    v = int(t)
    return v if -(2**63) <= v < 2**64 else None


def _float_text(t: str) -> float | None:
    i = 1 if t[:1] in ("+", "-") else 0
    n = len(t)
    d0 = i
    while i < n and t[i] in "0123456789":
        i += 1
    nd = i - d0
    if i < n and t[i] == ".":
        i += 1
        f0 = i
        while i < n and t[i] in "0123456789":
            i += 1
        nd += i - f0
    if nd == 0:
        return None
    if i < n and t[i] in "eE":
        i += 1
        if i < n and t[i] in "+-":
            i += 1
        e0 = i
        while i < n and t[i] in "0123456789":
            i += 1
        if i == e0:
            return None
    if i != n:
        return None
    f = float(t)
    return f if math.isfinite(f) else None


def _convert(raw: str, kind: str | None) -> Any:
    if kind is None:
        try:
            return loads(raw)
        except ParseError:
            return raw
    if raw.lower() == "null" and raw.isascii():
        return None
    if kind == "string":
        return raw
    if kind == "integer":
        v = _int_text(_trim(raw))
        return raw if v is None else v
    if kind == "number":
        t = _trim(raw)
        v = _int_text(t)
        if v is not None:
            return v
        f = _float_text(t)
        if f is None:
            return raw
        if f.is_integer() and -(2.0**63) <= f < 2.0**63:
            return int(f)
        return f
    if kind == "boolean":
        if raw.isascii() and raw.lower() == "true":
            return True
        if raw.isascii() and raw.lower() == "false":
            return False
        return raw
    try:
        return loads(raw)
    except ParseError:
        pass
    try:
        return parse_literal(raw)
    except ParseError:
        return raw


def parse_functions(src: str, tools: list[Tool]) -> list[dict[str, Any] | tuple[str, str]]:
    """`<function=…>…</function>` elements; errors are (failure class, message)."""
    out: list[dict[str, Any] | tuple[str, str]] = []
    p = 0
    while True:
        q = _first_non_ws(src, p)
        if q is None:
            return out
        p = q
        if not src.startswith("<function=", p):
            out.append(("malformed_json", "expected `<function=…>`"))
            return out
        name_start = p + len("<function=")
        gt = src.find(">", name_start)
        if gt < 0:
            out.append(("malformed_json", "`<function=` tag without `>`"))
            return out
        name = _trim(src[name_start:gt])
        body_start = gt + 1
        close = src.find("</function>", body_start)
        if close < 0:
            out.append(("unclosed_tag", f"`<function={name}>` is never closed"))
            return out
        if not name:
            out.append(("malformed_json", "`<function=>` without a name"))
        else:
            tool = next((t for t in tools if t.name == name), None)
            try:
                out.append({"name": name, "arguments": _parameters(src[body_start:close], tool)})
            except _XmlError as e:
                out.append((e.kind, str(e)))
        p = close + len("</function>")


class _XmlError(ValueError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _parameters(body: str, tool: Tool | None) -> dict[str, Any]:
    args: dict[str, Any] = {}
    p = 0
    while True:
        q = _first_non_ws(body, p)
        if q is None:
            return args
        p = q
        if not body.startswith("<parameter=", p):
            raise _XmlError("malformed_json", "unexpected text in `<function=…>`")
        name_start = p + len("<parameter=")
        gt = body.find(">", name_start)
        if gt < 0:
            raise _XmlError("malformed_json", "`<parameter=` tag without `>`")
        pname = _trim(body[name_start:gt])
        if not pname:
            raise _XmlError("malformed_json", "`<parameter=>` without a name")
        vstart = gt + 1
        vend = body.find("</parameter>", vstart)
        if vend < 0:
            raise _XmlError("unclosed_tag", f"`<parameter={pname}>` is never closed")
        raw = body[vstart:vend]
        raw = raw.removeprefix("\n")
        raw = raw.removesuffix("\n")
        args[pname] = _convert(raw, tool.kind(pname) if tool is not None else None)
        p = vend + len("</parameter>")


# ---------------------------------------------------------------- spans and the parse


@dataclass
class _Seg:
    kind: str  # text | think | tool_call | function | response
    start: int
    end: int
    closed: bool = True


def _block(segs: list[_Seg], kind: str, c0: int, close: int, nxt: int, close_len: int, n: int) -> int:
    if close >= 0 and (nxt < 0 or close < nxt):
        segs.append(_Seg(kind, c0, close))
        return close + close_len
    if nxt >= 0:
        segs.append(_Seg(kind, c0, nxt, closed=False))
        return nxt
    segs.append(_Seg(kind, c0, n, closed=False))
    return n


def scan(text: str) -> list[_Seg]:
    n = len(text)
    segs: list[_Seg] = []
    p = 0
    text_start = 0
    saw_tag = False

    def push_text(s: int, e: int) -> None:
        if e > s:
            segs.append(_Seg("text", s, e))

    while True:
        i = text.find("<", p)
        if i < 0:
            break
        if text.startswith("<think>", i):
            push_text(text_start, i)
            c0 = i + 7
            saw_tag = True
            j = text.find("</think>", c0)
            if j >= 0:
                segs.append(_Seg("think", c0, j))
                p = j + 8
            else:
                segs.append(_Seg("think", c0, n, closed=False))
                p = n
        elif text.startswith("</think>", i) and not saw_tag:
            saw_tag = True
            segs.append(_Seg("think", 0, i))
            p = i + 8
        elif text.startswith("<tool_call>", i):
            push_text(text_start, i)
            saw_tag = True
            c0 = i + 11
            p = _block(segs, "tool_call", c0, text.find("</tool_call>", c0), text.find("<tool_call>", c0), 12, n)
        elif text.startswith("<function=", i):
            push_text(text_start, i)
            saw_tag = True
            c0 = i + 10
            p = _block(segs, "function", i, text.find("</function>", c0), text.find("<function=", c0), 11, n)
            if segs[-1].closed:
                segs[-1].end = p
        elif text.startswith("<response>", i):
            push_text(text_start, i)
            saw_tag = True
            c0 = i + 10
            j = text.find("</response>", c0)
            if j >= 0:
                segs.append(_Seg("response", c0, j))
                p = j + 11
            else:
                segs.append(_Seg("response", c0, n, closed=False))
                p = n
        else:
            p = i + 1
            continue
        text_start = p
    push_text(text_start, n)
    return segs


def _bare_start(text: str, at: int) -> str | None:
    c = text[at]
    if c == "{":
        return "json"
    if c == "[":
        j = _first_non_ws(text, at + 1)
        if j is not None and text[j] == "{":
            return "json"
        if starts_call_list(text, at):
            return "pythonic"
    return None


class _Acc:
    def __init__(self, tools: list[Tool]) -> None:
        self.tools = tools
        self.calls: list[dict[str, Any]] = []
        self.issues: list[dict[str, Any]] = []

    def issue(self, kind: str, message: str, call: int | None = None, path: str = "") -> None:
        self.issues.append({"kind": kind, "call": call, "path": path, "message": message})

    def take(self, c: dict[str, Any] | ParseError) -> None:
        if isinstance(c, ParseError):
            self.issue("malformed_json", str(c))
        else:
            self.calls.append(c)

    def block(self, content: str) -> str:
        off = _first_non_ws(content)
        if off is None:
            self.issue("malformed_json", "empty `<tool_call>` block")
            return "hermes"
        body = content[off:]
        if body.startswith("<function="):
            self.xml(body)
            return "xml"
        if starts_call_list(body):
            calls, end, err = parse_call_list(body)
            for c in calls:
                self.take(c)
            if err is not None:
                self.issue("malformed_json", f"pythonic call list: {err}")
            elif _first_non_ws(body, end) is not None:
                self.issue("malformed_json", "text after the pythonic call list")
            return "pythonic"
        pos = 0
        found: list[dict[str, Any] | ParseError] = []
        while _first_non_ws(body, pos) is not None:
            try:
                v, pos = value_at(body, pos)
            except ParseError as e:
                for c in found:
                    self.take(c)
                self.issue("malformed_json", f"invalid JSON in `<tool_call>`: {e}")
                return "hermes"
            found.extend(_calls_from_value(v))
        for c in found:
            self.take(c)
        return "hermes"

    def xml(self, src: str) -> None:
        for r in parse_functions(src, self.tools):
            if isinstance(r, tuple):
                self.issue(r[0], r[1])
            else:
                self.calls.append(r)

    def bare(self, s: str, fmt: str, cut: bool) -> int:
        fail = "truncated" if cut else "malformed_json"
        if fmt == "pythonic":
            calls, end, err = parse_call_list(s)
            for c in calls:
                self.take(c)
            if err is not None:
                self.issue(fail, f"pythonic call list: {err}")
                return len(s)
            return end
        pos = 0
        while True:
            try:
                v, pos = value_at(s, pos)
            except ParseError as e:
                self.issue(fail, f"invalid JSON call: {e}")
                return len(s)
            for c in _calls_from_value(v):
                self.take(c)
            nxt = _first_non_ws(s, pos)
            if nxt is None or s[nxt] not in "{[":
                return pos

    def unclosed(self, tag: str, seg: _Seg, n: int, truncated: bool) -> None:
        if truncated and seg.end == n:
            self.issue("truncated", f"generation cut inside `{tag}`")
        else:
            self.issue("unclosed_tag", f"`{tag}` is never closed")


def parse(text: str, tools: list[dict[str, Any]] | None = None, *, truncated: bool = False) -> dict[str, Any]:
    """Parses one model output; returns the form of `awpo._native.ParseResult.to_dict()`."""
    compiled = compile_tools(tools or [])
    n = len(text)
    segs = scan(text)
    acc = _Acc(compiled)
    bare: tuple[int, int, str] | None = None
    if not any(s.kind in ("tool_call", "function") for s in segs):
        for i, s in enumerate(segs):
            if s.kind != "text":
                continue
            off = _first_non_ws(text[s.start : s.end])
            if off is None:
                continue
            at = s.start + off
            fmt = _bare_start(text, at)
            if fmt is not None:
                bare = (i, at, fmt)
            break
    reasoning: str | None = None
    response: str | None = None
    free: list[tuple[int, str]] = []
    first_region: int | None = None
    fmt_out: str | None = None
    for i, seg in enumerate(segs):
        content = text[seg.start : seg.end]
        if seg.kind == "text":
            if bare is not None and bare[0] == i:
                at = bare[1]
                if first_region is None:
                    first_region = at
                if fmt_out is None:
                    fmt_out = bare[2]
                used = acc.bare(text[at : seg.end], bare[2], truncated and seg.end == n)
                free.append((at + used, text[at + used : seg.end]))
            else:
                free.append((seg.start, content))
        elif seg.kind == "think":
            t = _trim(content)
            reasoning = t if reasoning is None else reasoning + "\n" + t
            if not seg.closed:
                acc.unclosed("<think>", seg, n, truncated)
        elif seg.kind == "tool_call":
            if first_region is None:
                first_region = seg.start
            if seg.closed:
                f = acc.block(content)
            else:
                f = "hermes"
                acc.unclosed("<tool_call>", seg, n, truncated)
            if fmt_out is None:
                fmt_out = f
        elif seg.kind == "function":
            if first_region is None:
                first_region = seg.start
            if fmt_out is None:
                fmt_out = "xml"
            if seg.closed:
                acc.xml(content)
            else:
                acc.unclosed("<function=", seg, n, truncated)
        else:  # response
            if response is None:
                response = _trim(content)
            if not seg.closed:
                acc.unclosed("<response>", seg, n, truncated)
    if compiled:
        for ci, call in enumerate(acc.calls):
            tool = next((t for t in compiled if t.name == call["name"]), None)
            if tool is None:
                acc.issue("unknown_tool", f"unknown tool `{call['name']}`", call=ci)
                continue
            found: list[tuple[str, str]] = []
            _check_object(call["arguments"], tool.params, "", found)
            for path, message in found:
                acc.issue("schema_violation", message, call=ci, path=path)
    if (
        first_region is not None
        and acc.calls
        and any(at > first_region and _first_non_ws(s) is not None for at, s in free)
    ):
        acc.issue("extra_text", "text after the tool calls")
    if response is not None:
        answer: str | None = response
    else:
        parts = [t for t in (_trim(s) for _, s in free) if t]
        answer = "\n".join(parts) if parts else None
    if acc.issues:
        failure = max((i["kind"] for i in acc.issues), key=PRECEDENCE.__getitem__)
    else:
        failure = "ok" if acc.calls else "no_call"
    return {
        "calls": acc.calls,
        "reasoning": reasoning,
        "answer": answer,
        "failure": failure,
        "issues": acc.issues,
        "format": fmt_out,
    }
