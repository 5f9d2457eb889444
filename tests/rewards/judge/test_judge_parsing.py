"""Score parsing from reply text and the logprob-weighted expectation (hand-built OpenAI payloads)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awpo.rewards.judge.parsing import ParsedScore, expected_from_logprobs, parse_score


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("7", 7.0),
        (" 10\n", 10.0),
        ("**8**", 8.0),
        ("8.", 8.0),
        ("Score: 7", 7.0),
        ("score = 6.5", 6.5),
        ("**Score:** 9/10", 9.0),
        ("Final score is 3", 3.0),
        ("I'd rate it 7/10.", 7.0),
        ("7 out of 10", 7.0),
        ('{"score": 4}', 4.0),
        ('{"reason": "ok", "Score": "5"}', 5.0),
        ("The intent is clear (2 criteria of 4 met). Score: 6", 6.0),
        ("Score: 2\nOn reflection, Score: 5", 5.0),  # the last verdict wins
        ("0", 0.0),
    ],
)
def test_parse_score_reads_common_forms(text: str, value: float) -> None:
    parsed = parse_score(text)
    assert parsed is not None and parsed.value == value
    assert text[parsed.start : parsed.end] in (str(value), str(int(value)), f"{value:g}")


@pytest.mark.parametrize(
    "text",
    [None, "", "The reasoning is fine.", "Score: high", "Score: 70", "42", "score from 0 to ten", "12/10", "-3"],
)
def test_parse_score_rejects_garbage(text: str | None) -> None:
    assert parse_score(text) is None


def _lp(token: str, p: float, top: dict[str, float] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"token": token, "logprob": math.log(p)}
    entry["top_logprobs"] = [{"token": t, "logprob": math.log(q)} for t, q in (top or {}).items()]
    return entry


def test_expected_single_token_ten_vocabulary() -> None:
    # Candidates 7: 0.5, 8: 0.3, 10: 0.2 (a tokenizer with a "10" token: "1" is not involved).
    # E = (7*0.5 + 8*0.3 + 10*0.2) / 1.0 = 3.5 + 2.4 + 2.0 = 7.9
    content = [_lp("7", 0.5, {"7": 0.5, "8": 0.3, "10": 0.2, "The": 0.01})]
    assert expected_from_logprobs(content, ParsedScore(7.0, 0, 1)) == pytest.approx(7.9)


def test_expected_merges_space_variants_and_renormalises() -> None:
    # " 7": 0.4 and "7": 0.2 are both 7; " 9": 0.2 -> E = (7*0.6 + 9*0.2) / 0.8 = (4.2 + 1.8) / 0.8 = 7.5
    content = [_lp("Score:", 0.9), _lp(" 7", 0.4, {" 7": 0.4, "7": 0.2, " 9": 0.2, " a": 0.1})]
    assert expected_from_logprobs(content, ParsedScore(7.0, 7, 8)) == pytest.approx(7.5)


def test_expected_split_ten_uses_the_next_position() -> None:
    # Reply "10" as "1","0". First position: 1: 0.6, 9: 0.4. After "1": "0" with q0 = 0.75.
    # P(10) = 0.6*0.75 = 0.45, P(1) = 0.6*0.25 = 0.15, P(9) = 0.4 -> E = 4.5 + 0.15 + 3.6 = 8.25
    content = [_lp("1", 0.6, {"1": 0.6, "9": 0.4}), _lp("0", 0.75, {"0": 0.75, "<|im_end|>": 0.25})]
    assert expected_from_logprobs(content, parse_score("10")) == pytest.approx(8.25)  # type: ignore[arg-type]


def test_expected_split_one_followed_by_text() -> None:
    # Reply "1/10": first position 1: 0.8, 2: 0.2; after "1" the token "/" (q0 = P("0") = 0.1).
    # P(1) = 0.8*0.9 = 0.72, P(10) = 0.08, P(2) = 0.2 -> E = 0.72 + 0.8 + 0.4 = 1.92
    content = [_lp("1", 0.8, {"1": 0.8, "2": 0.2}), _lp("/", 0.9, {"/": 0.9, "0": 0.1}), _lp("10", 0.99)]
    parsed = parse_score("1/10")
    assert parsed is not None and parsed.value == 1.0
    assert expected_from_logprobs(content, parsed) == pytest.approx(1.92)


def test_ambiguous_one_mass_is_dropped_when_small_else_no_expectation() -> None:
    # Reply "8"; "1" has 0.04 of the mass (1 or 10? unknown): dropped, E = (8*0.76 + 9*0.2)/0.96
    small = [_lp("8", 0.76, {"8": 0.76, "9": 0.2, "1": 0.04})]
    assert expected_from_logprobs(small, ParsedScore(8.0, 0, 1)) == pytest.approx((8 * 0.76 + 9 * 0.2) / 0.96)
    large = [_lp("8", 0.6, {"8": 0.6, "1": 0.4})]
    assert expected_from_logprobs(large, ParsedScore(8.0, 0, 1)) is None
    # ... unless the caller accepts any ambiguous mass: then E = 8.
    assert expected_from_logprobs(large, ParsedScore(8.0, 0, 1), max_ambiguous_mass=1.0) == pytest.approx(8.0)
    # A reply "1" that ends right there cannot tell 1 from 10.
    assert expected_from_logprobs([_lp("1", 0.9, {"1": 0.9, "2": 0.1})], ParsedScore(1.0, 0, 1)) is None


def test_no_expectation_when_tokens_do_not_line_up() -> None:
    assert expected_from_logprobs([], ParsedScore(7.0, 0, 1)) is None
    assert expected_from_logprobs([_lp("x7", 0.9)], ParsedScore(7.0, 1, 2)) is None  # number inside a token
    assert expected_from_logprobs([_lp("7.5", 0.9)], ParsedScore(7.5, 0, 3)) is None  # not an integer score
    assert expected_from_logprobs([_lp("75", 0.9)], ParsedScore(7.0, 0, 1)) is None  # token is not the number


@given(
    st.dictionaries(
        st.sampled_from([str(d) for d in range(10)] + ["10", " 3", "a"]), st.floats(1e-6, 1.0), min_size=1
    ),
    st.integers(0, 9),
)
def test_expected_is_a_score(top: dict[str, float], sampled: int) -> None:
    top = {**top, str(sampled): top.get(str(sampled), 0.5)}
    content = [_lp(str(sampled), top[str(sampled)], top)]
    value = expected_from_logprobs(content, ParsedScore(float(sampled), 0, 1), max_ambiguous_mass=1.0)
    if value is not None:
        assert 0.0 <= value <= 10.0
