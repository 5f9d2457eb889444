"""The package as installed: version, native module, console script."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import awpo
from awpo import _native


def test_version_matches_distribution_metadata() -> None:
    assert awpo.__version__ == _native.__version__ == importlib.metadata.version("awpo")


def test_native_exceptions_form_a_hierarchy() -> None:
    assert issubclass(awpo.ToolTimeoutError, awpo.SandboxError)
    assert issubclass(awpo.SandboxError, awpo.AwpoError)
    assert awpo.AwpoError.__module__ == "awpo._native"


def test_parallelism_switch_round_trips() -> None:
    before = _native.is_parallel()
    try:
        _native.set_parallelism(False)
        assert not _native.is_parallel()
        _native.set_parallelism(True)
        assert _native.is_parallel()
    finally:
        _native.set_parallelism(before)


def test_console_script_version() -> None:
    out = subprocess.run([sys.executable, "-m", "awpo", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"awpo {awpo.__version__}"


def test_no_command_prints_help_and_exits_2() -> None:
    out = subprocess.run([sys.executable, "-m", "awpo"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "train" in out.stdout
