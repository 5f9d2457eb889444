"""The `rubric` judge backend through `Judge` (golden values computed by hand from the criteria in
`awpo.rewards.judge.rubric`; the Rust tests hold more cases)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from awpo import _native
from awpo.rewards.judge import Judge, JudgeConfig, JudgeItem
from awpo.rewards.judge.rubric import CRITERIA, RubricJudgeBackend

TOOLS = [
    {"type": "function", "function": {"name": "convert_currency", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "get_rate", "parameters": {"type": "object"}}},
]
USER = [{"role": "user", "content": "Convert 20 USD to EUR please."}]


def _item(reasoning: str, calls: list[dict[str, object]], observations: tuple[str, ...] = ()) -> JudgeItem:
    return JudgeItem(USER, TOOLS, reasoning, calls, observations=observations)


def test_golden_scores() -> None:
    right = _item("20 USD in EUR via convert_currency.", [{"name": "convert_currency", "arguments": {"amount": 20}}])
    # 25 is invented: grounding (min grounded 0 + mean named 1) / 2 = 0.5; mean 0.9, min 0.5 -> 0.7
    invented = _item(
        "25 USD in EUR via convert_currency.", [{"name": "convert_currency", "arguments": {"amount": 25}}]
    )
    # ... unless a tool result shows it: grounded again -> 1
    observed = _item(
        "25 USD in EUR via convert_currency.",
        [{"name": "convert_currency", "arguments": {"amount": 25}}],
        observations=('{"balance": 25}',),
    )
    # names get_rate, calls convert_currency: tool_choice 0 -> mean 0.8, min 0 -> 0.4
    contradicted = _item("20 USD in EUR via get_rate.", [{"name": "convert_currency", "arguments": {"amount": 20}}])
    with Judge.from_config(JudgeConfig(backend="rubric")) as judge:
        result = judge.score([right, invented, observed, contradicted, _item("  ", [])])
    np.testing.assert_allclose(result.scores, [1.0, 0.7, 1.0, 0.4, 0.0], atol=1e-12)
    assert result.failures == 0 and math.isnan(result.metrics["judge/cache_hit_frac"])
    assert result.metrics["judge/empty_reasoning_frac"] == pytest.approx(0.2)


def test_criteria_columns() -> None:
    backend = RubricJudgeBackend()
    scores, criteria = backend.criteria([_item("20 USD in EUR via get_rate.", [{"name": "convert_currency"}])])
    assert CRITERIA == ("intent", "tool_choice", "grounding", "consistency", "originality")
    np.testing.assert_allclose(criteria[0], [1.0, 0.0, 1.0, 1.0, 1.0])
    assert scores[0] == pytest.approx(0.4)


def test_malformed_calls_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="item 0"):
        _native.rubric_scores(["r"], ["c"], [[]], ["x"], ["{"])
    with pytest.raises(ValueError, match="lengths differ"):
        _native.rubric_scores(["r"], [], [[]], ["x"], ["[]"])


@settings(max_examples=60, deadline=None)
@given(
    st.text(max_size=40),
    st.text(max_size=80),
    st.lists(
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["convert_currency", "get_rate", "other", ""]),
                "arguments": st.dictionaries(
                    st.text(max_size=4),
                    st.one_of(st.text(max_size=8), st.integers(), st.floats(), st.booleans()),
                    max_size=3,
                ),
            }
        ),
        max_size=3,
    ),
)
@example("", "", [{"name": "convert_currency", "arguments": {"": math.inf}}])  # JSON has no inf: scored as text
@example("x", "y", [{"name": "get_rate", "arguments": {"a": [math.nan, {"b": -math.inf}]}}])
def test_score_always_in_unit_interval(request_text: str, reasoning: str, calls: list[dict[str, object]]) -> None:
    item = JudgeItem([{"role": "user", "content": request_text}], TOOLS, reasoning, calls)
    scores, criteria = RubricJudgeBackend().criteria([item])
    assert 0.0 <= scores[0] <= 1.0
    assert ((criteria >= 0.0) & (criteria <= 1.0)).all()
