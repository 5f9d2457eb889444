"""Built-in key-value store: per-episode state."""

from __future__ import annotations

import pytest

from awpo.tools import Sandbox
from awpo.tools.builtin import kvstore as kv
from awpo.tools.context import EpisodeStateError, bind_episode_state


def test_set_get_list_delete_in_one_episode() -> None:
    state: dict[str, object] = {}
    with bind_episode_state(state):
        assert kv.kv_set("b", {"n": 1}) == "stored 'b'"
        kv.kv_set("a", None)
        kv.kv_set("ab", [1, 2])
        assert kv.kv_get("b") == {"n": 1}
        assert kv.kv_get("a") is None
        assert kv.kv_list() == ["a", "ab", "b"]
        assert kv.kv_list("a") == ["a", "ab"]
        assert kv.kv_delete("a") is True  # existed, even though its value was null
        assert kv.kv_delete("a") is False
        with pytest.raises(KeyError, match="no value stored under 'a'"):
            kv.kv_get("a")
    assert state == {"kvstore": {"b": {"n": 1}, "ab": [1, 2]}}


def test_limits() -> None:
    with bind_episode_state({}):
        with pytest.raises(ValueError, match=r"1\.\.256"):
            kv.kv_set("", 1)
        with pytest.raises(ValueError, match=r"1\.\.256"):
            kv.kv_set("k" * 257, 1)
        with pytest.raises(ValueError, match="bytes"):
            kv.kv_set("big", "x" * (kv.MAX_VALUE_BYTES + 1))
    with bind_episode_state({"kvstore": {f"k{i}": i for i in range(kv.MAX_KEYS)}}):
        with pytest.raises(ValueError, match="full"):
            kv.kv_set("one-more", 1)
        kv.kv_set("k0", "replacing is fine")


def test_outside_an_episode_it_refuses() -> None:
    with pytest.raises(EpisodeStateError):
        kv.kv_set("a", 1)


def test_parallel_episodes_in_one_batch_never_share_keys(builtin_sandbox: Sandbox) -> None:
    calls = []
    for ep in range(4):
        calls.append(("kv_set", {"key": "answer", "value": ep}, f"ep{ep}"))
    for ep in range(4):
        calls.append(("kv_get", {"key": "answer"}, f"ep{ep}"))
    results = builtin_sandbox.call_batch(calls)
    assert [r.value for r in results[4:]] == [0, 1, 2, 3]
    for ep in range(4):
        assert builtin_sandbox.session_state(f"ep{ep}") == {"kvstore": {"answer": ep}}
        builtin_sandbox.end_session(f"ep{ep}")
    with builtin_sandbox.session() as fresh:
        r = fresh.call("kv_get", {"key": "answer"})
        assert not r.ok and "no value stored" in (r.error or "")
