"""The TRL integration's advantages: AWPO over TRL's gathered reward matrix (no trainer needed)."""

from __future__ import annotations

import numpy as np
import pytest
import trl_support  # noqa: F401  (imports TRL quietly)

from awpo import metric_names as m
from awpo.algo import AdvantageSettings, advantages, uniform_offsets
from awpo.integrations.trl import OUTCOME_MISSING_FRAC, RewardRoles, outcome_range, step_advantages

NAN = float("nan")
ROLES = RewardRoles(names=("toolrl", "judge"), outcome=(0,), weights=(1.0,), judge=1)


def test_awpo_equals_awpo_algo_advantages() -> None:
    rng = np.random.default_rng(0)
    ro = rng.choice([-3.0, 0.0, 1.5, 4.0], size=16)
    rr = rng.uniform(0, 1, size=16)
    rr[[2, 9]] = NAN
    got = step_advantages(np.stack([ro, rr], 1), ROLES, 4, AdvantageSettings(), (-3.0, 4.0))
    want = advantages(ro, rr, uniform_offsets(16, 4), AdvantageSettings(), outcome_range=(-3.0, 4.0))
    np.testing.assert_array_equal(got.advantage, want.advantage)
    np.testing.assert_array_equal(got.reasoning_share, want.reasoning_share)
    assert got.metrics()[m.AWPO_GATE_MEAN] == want.metrics()[m.AWPO_GATE_MEAN]
    assert got.metrics()[m.JUDGE_FAILURE_FRAC] == 2 / 16


def test_golden_weighted_outcome_sum() -> None:
    # Ro = 2 * a + 0.5 * b; b's None counts as "does not apply" (TRL's convention); two groups of 2
    roles = RewardRoles(names=("a", "b"), outcome=(0, 1), weights=(2.0, 0.5), judge=None)
    rewards = np.array([[1.0, 0.0], [0.0, NAN], [1.0, 1.0], [1.0, 1.0]])
    got = step_advantages(
        rewards, roles, 2, AdvantageSettings(estimator="grpo"), outcome_range([(0, 1), (0, 1)], [2, 0.5])
    )
    np.testing.assert_array_equal(got.outcome, [2.0, 0.0, 2.5, 2.5])
    # group 1: mu = 1, sd = 1 -> Ao = +-1 / (1 + 1e-6); group 2 ties -> 0 (ALGORITHM.md §1)
    np.testing.assert_allclose(got.advantage, [1 / (1 + 1e-6), -1 / (1 + 1e-6), 0.0, 0.0], rtol=0, atol=1e-15)


def test_golden_outcome_range_of_several_functions() -> None:
    assert outcome_range([(-3.0, 4.0)], [0.5]) == (-1.5, 2.0)
    assert outcome_range([(-3.0, 4.0)], [-1.0]) == (-4.0, 3.0)
    # each term may be absent (0): [min(0, w lo), max(0, w hi)] summed
    assert outcome_range([(1.0, 2.0), (-3.0, 4.0)], [1.0, 1.0]) == (-3.0, 6.0)


def test_missing_outcome_rows_are_dropped_counted_and_zero() -> None:
    ro = np.array([1.0, 0.0, NAN, 1.0, NAN, NAN, NAN, NAN])
    rr = np.array([0.9, 0.1, 0.5, 0.4, 0.2, 0.3, 0.1, 0.9])
    got = step_advantages(np.stack([ro, rr], 1), ROLES, 4, AdvantageSettings(), (0.0, 1.0))
    # group 1 is rows 0, 1, 3 only (ragged); group 2 has no outcome at all
    want = advantages([1.0, 0.0, 1.0], [0.9, 0.1, 0.4], [0, 3], AdvantageSettings(), outcome_range=(0.0, 1.0))
    np.testing.assert_array_equal(got.advantage[[0, 1, 3]], want.advantage)
    assert np.all(got.advantage[[2, 4, 5, 6, 7]] == 0.0)
    assert np.all(got.reasoning_share[[2, 4, 5, 6, 7]] == 0.0)
    assert got.metrics()[OUTCOME_MISSING_FRAC] == 5 / 8


def test_all_missing_judge_scores_close_the_gate() -> None:
    ro = np.array([1.0, 0.0, 0.0, 1.0])
    got = step_advantages(np.stack([ro, np.full(4, NAN)], 1), ROLES, 4, AdvantageSettings(), (0.0, 1.0))
    grpo = advantages(ro, None, [0, 4], AdvantageSettings(estimator="grpo"), outcome_range=(0.0, 1.0))
    np.testing.assert_array_equal(got.advantage, grpo.advantage)  # g = 0: the outcome's advantage alone
    metrics = got.metrics()
    assert metrics[m.JUDGE_FAILURE_FRAC] == 1.0
    assert metrics[m.AWPO_GATE_MEAN] == 0.0


@pytest.mark.parametrize(
    ("rewards", "message"),
    [
        ([[1.0, 1.5], [0.0, 0.2]], "judge reward function 'judge' returned 1.5 for row 0"),
        ([[1.0, 0.5], [np.inf, 0.2]], "reward function 'toolrl' returned inf for row 1"),
        ([[1.0, 0.5], [7.0, 0.2]], "outcome"),
        ([[1.0, 0.5], [0.0, 0.2], [1.0, 0.1]], "do not form groups of 2"),
    ],
)
def test_bad_rewards_are_clear_errors(rewards: list[list[float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        step_advantages(np.array(rewards), ROLES, 2, AdvantageSettings(), (0.0, 1.0))


def test_roles_need_an_outcome() -> None:
    with pytest.raises(ValueError, match="no outcome reward function"):
        RewardRoles(names=("judge",), outcome=(), weights=(), judge=0)
