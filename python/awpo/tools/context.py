"""Episode state for stateful tools, and where a tool is running.

Multi-turn rollouts run many trajectories at once; each needs its own fresh tool state (a
key-value store, a file system, an account balance). A tool asks for its state with
`episode_state("namespace")` and mutates the returned dict. The sandbox holds each session's
state as JSON in the supervisor, sends it with every call of that session and keeps the updated
copy only if the call succeeds, so any worker can serve any session, calls of one session run in
order, and a crash never leaves half-written state. Start a session with
`Sandbox.session()` (or pass `session=` to `Sandbox.call`) and end it when the episode ends.

Standard library only: the sandbox worker imports this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_STATE: ContextVar[dict[str, Any] | None] = ContextVar("awpo_episode_state", default=None)

#: Set (to "1") in the environment of every sandbox worker.
WORKER_ENV = "AWPO_SANDBOX_WORKER"


class EpisodeStateError(RuntimeError):
    """A stateful tool was called without an episode session."""


def episode_state(namespace: str) -> dict[str, Any]:
    """The mutable state dict of the current episode for `namespace` (created empty).

    Values must stay JSON-serializable. Raises `EpisodeStateError` outside a session: a silent
    shared default would mix the states of parallel trajectories.
    """
    state = _STATE.get()
    if state is None:
        raise EpisodeStateError(
            f"this tool keeps per-episode state ({namespace!r}) and must be called within a session: "
            "Sandbox.call(name, args, session=...) or `with sandbox.session() as s: s.call(...)`"
        )
    ns = state.setdefault(namespace, {})
    if not isinstance(ns, dict):
        raise EpisodeStateError(f"episode state {namespace!r} is a {type(ns).__name__}, expected an object")
    return ns


@contextmanager
def bind_episode_state(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Makes `state` the current episode state inside the block (used by the sandbox worker and
    by tests that call a stateful tool directly)."""
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)


def in_sandbox_worker() -> bool:
    """Whether this process is a sandbox worker (started by the awpo supervisor)."""
    return os.environ.get(WORKER_ENV) == "1"
