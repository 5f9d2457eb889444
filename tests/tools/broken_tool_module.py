"""A tool module that fails to import inside the sandbox worker (it reads an env var only the
test process has), for the startup-failure test."""

from __future__ import annotations

import os

from awpo.tools import tool

if os.environ.get("AWPO_SANDBOX_WORKER") == "1":
    raise ImportError("broken_tool_module refuses to load in a worker")


@tool
def never() -> int:
    """Never served."""
    return 0
