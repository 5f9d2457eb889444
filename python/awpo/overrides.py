"""YAML config files with dotted `key=value` overrides, validated by a pydantic model.

`awpo train configs/x.yaml trainer.lr=1e-6 algo.gate=off`: each override's value is read as YAML
(`1e-6` → float, `off` → the string "off", `[1, 2]` → list, `null` → None), so the command line
and the file mean the same thing. Validation errors list every bad field path with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from awpo.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)

# YAML 1.1 reads `off`/`on`/`yes`/`no` as booleans; config options such as `gate: off` are strings.
_YAML_BOOL_WORDS = {"off", "on", "yes", "no", "y", "n"}
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_scalar(text: str) -> Any:
    """Read one override value as YAML, keeping the words `on`/`off`/`yes`/`no` as strings."""
    if text.strip().lower() in _YAML_BOOL_WORDS:
        return text.strip()
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError as err:
        raise ConfigError(f"override value {text!r} is not valid YAML: {err}") from err
    if isinstance(value, str) and _FLOAT.match(value):  # PyYAML reads `1e-6` (no dot) as a string
        return float(value)
    return value


class _OffIsAStringLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are only true/false: `gate: off` stays the option "off"."""


_OffIsAStringLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_OffIsAStringLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(path: str | Path, *, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Load a YAML mapping; a missing file or a non-mapping top level is a `ConfigError`.

    A top-level `base: other.yaml` (relative to this file) loads that file first and deep-merges
    this one over it, so a preset states only what it changes.
    """
    path = Path(path).resolve()
    if path in _seen:
        raise ConfigError(f"{path}: `base` files include each other: {' -> '.join(str(p) for p in (*_seen, path))}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read config {path}: {err.strerror or err}") from err
    try:
        data = yaml.load(text, Loader=_OffIsAStringLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: invalid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"{path}: `base` must be a file name, got {base!r}")
    return deep_merge(load_yaml(path.parent / base, _seen=(*_seen, path)), data)


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`: mappings merge key by key, anything else replaces."""
    out = _deep_copy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = _deep_copy(value) if isinstance(value, Mapping) else value
    return out


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Return a copy of `data` with each `a.b.c=value` override set (intermediate mappings created)."""
    out = _deep_copy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"override {item!r} is not of the form section.key=value")
        node = out
        parts = key.split(".")
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ConfigError(f"override {item!r}: {where} is a value, not a section")
            node = child
        node[parts[-1]] = parse_scalar(raw)
    return out


def validate(model: type[ModelT], data: Mapping[str, Any], *, source: str = "config") -> ModelT:
    """Validate `data` against `model`; on failure raise one `ConfigError` listing every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, source=source)) from None


def format_validation_error(err: ValidationError, *, source: str) -> str:
    lines = [f"{source}: {err.error_count()} invalid field(s)"]
    for e in err.errors(include_url=False):
        path = ".".join(str(p) for p in e["loc"]) or "(top level)"
        message = e["msg"]
        if e["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see configs/default.yaml for the valid keys)"
        elif "input" in e and e["type"] not in ("missing",):
            message = f"{message} (got {e['input']!r})"
        lines.append(f"  {path}: {message}")
    return "\n".join(lines)


def load(model: type[ModelT], path: str | Path | None, overrides: Sequence[str] = (), *, default: Path) -> ModelT:
    """Load `path` (or `default` when None), apply `overrides`, validate against `model`."""
    source = Path(path) if path is not None else default
    data = apply_overrides(load_yaml(source), overrides)
    return validate(model, data, source=str(source))


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}
