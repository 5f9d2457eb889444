"""Exceptions of awpo. The native ones are defined in Rust; Python-only ones subclass `AwpoError`."""

from __future__ import annotations

from awpo._native import AwpoError, SandboxError, ToolTimeoutError

# Exit statuses of every `awpo` command: done; failed (a run crashed, a check or a judge fell short);
# unusable arguments or config.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class ConfigError(AwpoError, ValueError):
    """A configuration file or override is invalid; the message lists every bad field."""


class ModelLoadError(AwpoError):
    """A model or tokenizer could not be found, fetched or loaded."""


__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "AwpoError",
    "ConfigError",
    "ModelLoadError",
    "SandboxError",
    "ToolTimeoutError",
]
