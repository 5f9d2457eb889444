"""The judge prompt carries the task, the tools, the calls and the reasoning; long sections are cut."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from awpo.rewards.judge.prompt import RUBRIC, JudgeItem, build_messages, truncate_middle

TOOL = {
    "type": "function",
    "function": {
        "name": "book_flight",
        "description": "Books a flight",
        "parameters": {"type": "object", "properties": {"dest": {"type": "string"}}},
    },
}


def test_prompt_contains_task_tools_calls_reasoning_answer_and_observations() -> None:
    item = JudgeItem(
        messages=[
            {"role": "system", "content": "You are a travel agent."},
            {"role": "user", "content": "Book me a flight to Lisbon on May 3."},
        ],
        tools=[TOOL],
        reasoning="The user wants Lisbon on May 3; book_flight takes dest.",
        calls=[{"name": "book_flight", "arguments": {"dest": "Lisbon"}}],
        answer="Booked.",
        observations=['{"status": "confirmed"}'],
    )
    system, user = build_messages(item)
    assert system == {"role": "system", "content": RUBRIC}
    text = user["content"]
    assert user["role"] == "user"
    for needle in (
        "You are a travel agent.",
        "Book me a flight to Lisbon on May 3.",
        "book_flight: Books a flight",
        '"dest": {"type": "string"}',
        "The user wants Lisbon on May 3; book_flight takes dest.",
        'book_flight({"dest": "Lisbon"})',
        '{"status": "confirmed"}',
        "Booked.",
    ):
        assert needle in text, needle
    # The reply the rubric asks for is the bare score, so the hf backend reads it at the first reply token.
    assert "integer score" in RUBRIC and "0" in RUBRIC and "10" in RUBRIC
    assert text.rstrip().endswith("Reply with the integer score from 0 to 10 only.")


def test_abstention_and_custom_rubric() -> None:
    item = JudgeItem(messages=[{"role": "user", "content": "hi"}], reasoning="Just a greeting, no tool.")
    system, user = build_messages(item, rubric="Grade it 0-10.")
    assert system["content"] == "Grade it 0-10."
    assert "(none: the assistant called no tool)" in user["content"]
    assert "(no tools)" in user["content"]


@dataclass
class _ParsedCall:  # the shape of a parsed ToolCall (attributes, not a mapping)
    name: str
    arguments: dict[str, Any]


def test_call_shapes_are_normalised() -> None:
    calls = [
        _ParsedCall("f", {"a": 1}),
        {"name": "g", "parameters": {"b": 2}},  # ToolRL key
        {"type": "function", "function": {"name": "h", "arguments": '{"c": 3}'}},  # OpenAI tool_calls entry
    ]
    item = JudgeItem(messages=[{"role": "user", "content": "x"}], reasoning="r", calls=calls)
    text = build_messages(item)[1]["content"]
    assert 'f({"a": 1})' in text and 'g({"b": 2})' in text and 'h({"c": 3})' in text


def test_content_parts_and_assistant_tool_calls_in_history() -> None:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "part two"}]},
        {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "k", "arguments": {}}}]},
        {"role": "user", "content": "and then?"},
    ]
    text = build_messages(JudgeItem(messages=messages, reasoning="r"))[1]["content"]
    assert "part one\npart two" in text and '(tool calls: [{"arguments": {}, "name": "k"}])' in text


def test_long_reasoning_keeps_head_and_tail() -> None:
    reasoning = "HEAD " + "x" * 10_000 + " TAIL"
    text = build_messages(
        JudgeItem(messages=[{"role": "user", "content": "q"}], reasoning=reasoning), max_reasoning_chars=200
    )[1]["content"]
    assert "HEAD" in text and "TAIL" in text and "characters cut" in text
    assert len(text) < 2000


def test_item_from_parsed_turns() -> None:
    from awpo.rewards import parse

    first = parse(
        '<think>Paris first.</think>\n<tool_call>\n{"name": "w", "arguments": {"city": "Paris"}}\n</tool_call>'
    )
    last = parse("<think>Got it.</think>\n<response>Sunny.</response>")
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    item = JudgeItem.from_parsed(messages, [TOOL], [first, last], observations=["sunny"])
    assert item.reasoning == "Paris first.\n\nGot it."
    assert list(item.calls) == [{"name": "w", "arguments": {"city": "Paris"}}]
    assert item.answer == "Sunny." and list(item.observations) == ["sunny"]
    single = JudgeItem.from_parsed(messages, [TOOL], first)
    assert single.reasoning == "Paris first." and single.answer is None
    no_think = JudgeItem.from_parsed(messages, [], parse("just text"))
    assert not no_think.has_reasoning


def test_has_reasoning() -> None:
    assert not JudgeItem(messages=[], reasoning=" \n\t").has_reasoning
    assert JudgeItem(messages=[], reasoning="ok").has_reasoning


@given(st.text(max_size=3000), st.integers(min_value=64, max_value=2000))
def test_truncate_middle_bounds(text: str, max_chars: int) -> None:
    out = truncate_middle(text, max_chars)
    if len(text) <= max_chars:
        assert out == text
    else:
        assert len(out) <= max_chars
        assert out.startswith(text[:8]) and out.endswith(text[-8:])
