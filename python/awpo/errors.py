"""Exceptions of awpo. The native ones are defined in Rust; Python-only ones subclass `AwpoError`."""

from __future__ import annotations

from awpo._native import AwpoError, SandboxError, ToolTimeoutError


class ConfigError(AwpoError, ValueError):
    """A configuration file or override is invalid; the message lists every bad field."""


class ModelLoadError(AwpoError):
    """A model or tokenizer could not be found, fetched or loaded."""


__all__ = ["AwpoError", "ConfigError", "ModelLoadError", "SandboxError", "ToolTimeoutError"]
