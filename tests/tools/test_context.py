"""Episode state (`awpo.tools.context`)."""

from __future__ import annotations

import pytest

from awpo.tools.context import EpisodeStateError, bind_episode_state, episode_state, in_sandbox_worker


def test_state_outside_a_session_is_an_error_naming_the_fix() -> None:
    with pytest.raises(EpisodeStateError, match="session"):
        episode_state("kvstore")


def test_namespaces_are_created_and_shared_within_one_binding() -> None:
    state: dict[str, object] = {}
    with bind_episode_state(state):
        episode_state("a")["x"] = 1
        assert episode_state("a") == {"x": 1}
        assert episode_state("b") == {}
    assert state == {"a": {"x": 1}, "b": {}}
    with pytest.raises(EpisodeStateError):
        episode_state("a")  # unbound again after the block


def test_bindings_nest_and_restore() -> None:
    outer: dict[str, object] = {}
    inner: dict[str, object] = {}
    with bind_episode_state(outer):
        with bind_episode_state(inner):
            episode_state("n")["v"] = "inner"
        episode_state("n")["v"] = "outer"
    assert inner == {"n": {"v": "inner"}} and outer == {"n": {"v": "outer"}}


def test_a_namespace_that_is_not_an_object_is_refused() -> None:
    with bind_episode_state({"n": [1, 2]}), pytest.raises(EpisodeStateError, match="expected an object"):
        episode_state("n")


def test_the_test_process_is_not_a_worker() -> None:
    assert not in_sandbox_worker()
