"""A sandbox serving every built-in tool, shared by the built-in tool tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from awpo.errors import SandboxError
from awpo.tools import Sandbox, SandboxConfig
from awpo.tools.builtin import all_tools


@pytest.fixture(scope="session")
def builtin_sandbox() -> Iterator[Sandbox]:
    try:
        sb = Sandbox(all_tools(), config=SandboxConfig(pool_size=2))
    except SandboxError as e:
        if os.geteuid() == 0:
            raise
        pytest.skip(f"sandbox refused to start without root: {e}")
    yield sb
    sb.close()
