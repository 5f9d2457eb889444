"""A small key-value store whose contents belong to one episode (session).

State lives in `episode_state("kvstore")` (see `awpo.tools.context`): every session starts
empty, parallel trajectories never see each other's keys, and a failed call changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from awpo.tools.context import episode_state
from awpo.tools.registry import tool

MAX_KEYS = 1000
MAX_KEY_CHARS = 256
MAX_VALUE_BYTES = 64 << 10


def _store() -> dict[str, Any]:
    return episode_state("kvstore")


def _check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_CHARS:
        raise ValueError(f"a key is 1..{MAX_KEY_CHARS} characters")
    return key


@tool
def kv_set(key: str, value: Any) -> str:
    """Store a value (any JSON) under a key, replacing what was there.

    Args:
        key: The key (1 to 256 characters).
        value: The value to store.
    """
    store = _store()
    _check_key(key)
    size = len(json.dumps(value))
    if size > MAX_VALUE_BYTES:
        raise ValueError(f"value is {size} bytes, more than {MAX_VALUE_BYTES}")
    if key not in store and len(store) >= MAX_KEYS:
        raise ValueError(f"the store is full ({MAX_KEYS} keys)")
    store[key] = value
    return f"stored {key!r}"


@tool
def kv_get(key: str) -> Any:
    """The value stored under a key (an error if there is none).

    Args:
        key: The key.
    """
    store = _store()
    if key not in store:
        raise KeyError(f"no value stored under {key!r}")
    return store[key]


@tool
def kv_delete(key: str) -> bool:
    """Delete a key; returns whether it existed.

    Args:
        key: The key.
    """
    store = _store()
    existed = key in store
    store.pop(key, None)
    return existed


@tool
def kv_list(prefix: str = "") -> list[str]:
    """The stored keys (those starting with a prefix, if given), sorted.

    Args:
        prefix: Only keys starting with this.
    """
    return sorted(k for k in _store() if k.startswith(prefix))
