"""The worst kind of tool, for the security tests: it runs arbitrary code inside the warm worker
(no fresh process). Every attack in test_security.py also runs through it."""

from __future__ import annotations

from typing import Any

from awpo.tools import tool


@tool
def run_code(code: str) -> Any:
    """Execute Python code in the worker and return its variable `result`.

    Args:
        code: Python source.
    """
    namespace: dict[str, Any] = {"__name__": "__attack__"}
    exec(code, namespace)
    return namespace.get("result")
