"""Tools used by the sandbox tests. The workers import this module by dotted path."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from awpo.tools import episode_state, tool


@tool
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: First.
        b: Second.
    """
    return a + b


@tool
def whoami() -> dict[str, Any]:
    """Process facts of the worker serving the call."""
    return {"pid": os.getpid(), "cwd": os.getcwd(), "env": dict(os.environ), "uid": os.getuid()}


@tool
def nap(seconds: float) -> int:
    """Sleep, then return the worker's pid.

    Args:
        seconds: How long.
    """
    time.sleep(seconds)
    return os.getpid()


@tool
def rendezvous(directory: str, parties: int) -> list[int]:
    """Write this worker's pid into a shared directory and wait until `parties` pids are there.

    Args:
        directory: A directory every worker may write.
        parties: How many calls must meet.
    """
    Path(directory, str(os.getpid())).write_text("here")
    while True:
        pids = sorted(int(p.name) for p in Path(directory).iterdir())
        if len(pids) >= parties:
            return pids
        time.sleep(0.005)


@tool
def wait_for_file(path: str) -> str:
    """Wait until a file exists, then return its text.

    Args:
        path: The file.
    """
    while not os.path.exists(path):
        time.sleep(0.005)
    return Path(path).read_text()


@tool
def workdir_files(create: str = "") -> list[str]:
    """List the working directory (after creating a file in it, if asked).

    Args:
        create: Name of a file to create first.
    """
    if create:
        Path(create).write_text("x")
    return sorted(os.listdir("."))


@tool
def crash() -> None:
    """Kill the worker with SIGSEGV."""
    os.kill(os.getpid(), 11)


@tool
def tally(step: int = 1) -> int:
    """Add `step` to this episode's tally and return it.

    Args:
        step: Amount to add.
    """
    state = episode_state("tally")
    state["n"] = state.get("n", 0) + step
    return int(state["n"])


def plain_mul(a: int, b: int) -> int:
    """Multiply (a plain function, not decorated: the sandbox builds its schema).

    Args:
        a: First.
        b: Second.
    """
    return a * b
