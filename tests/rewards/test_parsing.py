"""`awpo.rewards.parse` / `parse_batch`: formats, failure classes, schemas, and agreement with the
plain-Python reference parser (`tests/reference/toolcall.py`) on generated outputs."""

from __future__ import annotations

import json
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import toolcall as ref

from awpo.rewards import FAILURE_CLASSES, ParseResult, ToolSet, parse, parse_batch, toolset

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["c", "f"]},
                    "days": {"type": "integer"},
                },
                "required": ["city"],
            },
        },
    },
    {
        "name": "search",
        "parameters": {
            "type": "object",
            "properties": {
                "q": {"type": "string"},
                "k": {"type": "number"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "opts": {"type": "object", "properties": {"safe": {"type": "boolean"}}},
            },
        },
    },
    {"name": "math.add", "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {}}}},
]


def test_hermes_output_with_reasoning() -> None:
    r = parse(
        '<think>\nNeed weather.\n</think>\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n'
        "</tool_call>",
        TOOLS,
    )
    assert r.ok and r.failure == "ok"
    assert r.calls == [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    assert r.reasoning == "Need weather."
    assert r.answer is None
    assert r.format == "hermes"
    assert r.issues == []


def test_every_format_gives_the_same_calls() -> None:
    want = [{"name": "search", "arguments": {"q": "rust", "k": 3}}, {"name": "math.add", "arguments": {}}]
    outputs = [
        '<tool_call>\n{"name": "search", "arguments": {"q": "rust", "k": 3}}\n{"name": "math.add"}\n</tool_call>',
        '<tool_call>{"name": "search", "parameters": {"q": "rust", "k": 3}}</tool_call>'
        '<tool_call>{"name": "math.add", "arguments": "{}"}</tool_call>',
        '[{"name": "search", "arguments": {"q": "rust", "k": 3}}, {"name": "math.add"}]',
        "[search(q='rust', k=3), math.add()]",
        "<tool_call>\n<function=search>\n<parameter=q>\nrust\n</parameter>\n<parameter=k>\n3\n</parameter>\n"
        "</function>\n<function=math.add>\n</function>\n</tool_call>",
    ]
    for out in outputs:
        r = parse(out, TOOLS)
        assert r.calls == want, out
        assert r.failure == "ok", (out, r.issues)


@pytest.mark.parametrize(
    ("text", "failure"),
    [
        ("The answer is 4.", "no_call"),
        ('<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>', "ok"),
        ('<tool_call>{"name": "get_weather", "arguments": {"city": }}</tool_call>', "malformed_json"),
        ('<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}', "unclosed_tag"),
        ('<tool_call>{"name": "fly", "arguments": {}}</tool_call>', "unknown_tool"),
        ('<tool_call>{"name": "get_weather", "arguments": {"city": 3}}</tool_call>', "schema_violation"),
        ('<tool_call>{"name": "get_weather", "arguments": {"city": "Rome"}}</tool_call> Done!', "extra_text"),
    ],
)
def test_each_failure_class(text: str, failure: str) -> None:
    assert parse(text, TOOLS).failure == failure


def test_truncated_output_is_reported_and_not_repaired() -> None:
    text = '<think>ok</think>\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Par'
    r = parse(text, TOOLS, truncated=True)
    assert (r.failure, r.calls) == ("truncated", [])
    assert parse(text, TOOLS).failure == "unclosed_tag"


def test_failure_classes_are_the_closed_set() -> None:
    assert set(FAILURE_CLASSES) == {
        "ok",
        "no_call",
        "malformed_json",
        "unclosed_tag",
        "unknown_tool",
        "schema_violation",
        "extra_text",
        "truncated",
    }


def test_schema_issues_name_call_and_path() -> None:
    r = parse(
        '<tool_call>{"name": "search", "arguments": {"k": "3", "tags": ["a", 1], "opts": {"safe": 1}, "z": 0}}'
        '</tool_call>\n<tool_call>{"name": "get_weather", "arguments": {"unit": "k"}}</tool_call>',
        TOOLS,
    )
    assert r.failure == "schema_violation"
    assert len(r.calls) == 2  # calls are kept whatever the failure
    got = [(i.kind, i.call, i.path) for i in r.issues]
    assert got == [
        ("schema_violation", 0, "k"),
        ("schema_violation", 0, "tags[1]"),
        ("schema_violation", 0, "opts.safe"),
        ("schema_violation", 0, "z"),
        ("schema_violation", 1, "city"),
        ("schema_violation", 1, "unit"),
    ]
    assert "missing required" in r.issues[4].message
    assert r.issues[0].to_dict() == {
        "kind": "schema_violation",
        "call": 0,
        "path": "k",
        "message": r.issues[0].message,
    }


def test_no_tools_means_no_schema_checks() -> None:
    r = parse('<tool_call>{"name": "anything", "arguments": {"x": 1}}</tool_call>')
    assert r.failure == "ok"
    assert parse('<tool_call>{"name": "anything"}</tool_call>', []).failure == "ok"


def test_answers() -> None:
    r = parse("<think>t</think>\n<response>It is 4.</response>")
    assert (r.failure, r.answer, r.calls) == ("no_call", "It is 4.", [])
    r = parse("<think>t</think>\nIt is 4.")
    assert r.answer == "It is 4."


def test_toolset_is_reusable_and_equivalent() -> None:
    ts = toolset(TOOLS)
    assert isinstance(ts, ToolSet)
    assert ts.names == ["get_weather", "search", "math.add"]
    assert len(ts) == 3 and "search" in ts and "nope" not in ts
    assert toolset(ts) is ts and toolset(None) is None
    assert ts.to_list() == TOOLS
    assert pickle.loads(pickle.dumps(ts)).names == ts.names
    text = '<tool_call>{"name": "get_weather", "arguments": {}}</tool_call>'
    assert parse(text, ts) == parse(text, TOOLS) == parse(text, tuple(TOOLS))


def test_batch_equals_single_parses() -> None:
    texts = [f'<tool_call>{{"name": "get_weather", "arguments": {{"city": "c{i}"}}}}' for i in range(150)]
    texts += ["[search(q='x')]", "plain answer", ""]
    flags = [i % 2 == 0 for i in range(len(texts))]
    got = parse_batch(texts, TOOLS, truncated=flags)
    assert got == [parse(t, TOOLS, truncated=f) for t, f in zip(texts, flags, strict=True)]
    assert parse_batch(texts, TOOLS, truncated=True) == [parse(t, TOOLS, truncated=True) for t in texts]
    assert parse_batch(texts) == [parse(t) for t in texts]
    assert parse_batch([]) == []
    assert parse_batch(texts, TOOLS, truncated=np.array(flags)) == got


def test_result_round_trips_through_pickle_and_to_dict() -> None:
    r = parse('<think>x</think>[f(a=1.5, b=[None, True]), g(c={"k": (1, 2)})] tail', TOOLS)
    assert pickle.loads(pickle.dumps(r)) == r
    d = r.to_dict()
    assert set(d) == {"calls", "reasoning", "answer", "failure", "issues", "format"}
    assert (
        d["calls"]
        == r.calls
        == [
            {"name": "f", "arguments": {"a": 1.5, "b": [None, True]}},
            {"name": "g", "arguments": {"c": {"k": [1, 2]}}},
        ]
    )
    assert d["failure"] == "unknown_tool"
    assert isinstance(r, ParseResult)
    assert "unknown_tool" in repr(r)


# ---------------------------------------------------------------- native == reference (hypothesis)

NAMES = ["get_weather", "search", "math.add", "f", "mod.sub.g"]
KEYS = ["city", "unit", "days", "q", "k", "tags", "opts", "a", "b", "x_1"]
FRAGMENTS = [
    "<tool_call>",
    "</tool_call>",
    "<think>",
    "</think>",
    "<response>",
    "</response>",
    "<function=f>",
    "<function=search>",
    "</function>",
    "<parameter=q>",
    "</parameter>",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    '"',
    "'",
    ":",
    ",",
    "=",
    "\\",
    "\n",
    " ",
    '"name": "f"',
    '"arguments": ',
    "f(a=1)",
    "True",
    "1e999",
    "-0",
    "01",
    "3abc",
    "\\ud800",
    "é",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",), exclude_characters="<"), max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=8,
)
calls_st = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(NAMES), "arguments": st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3)}
    ),
    min_size=1,
    max_size=3,
)


def _render(calls: list[dict[str, Any]], fmt: str, ascii_json: bool) -> str:
    def js(v: Any) -> str:
        return json.dumps(v, ensure_ascii=ascii_json)

    if fmt == "hermes_blocks":
        return "\n".join(
            f'<tool_call>\n{{"name": {js(c["name"])}, "arguments": {js(c["arguments"])}}}\n</tool_call>' for c in calls
        )
    if fmt == "hermes_lines":
        body = "\n".join(js({"name": c["name"], "parameters": c["arguments"]}) for c in calls)
        return f"<tool_call>\n{body}\n</tool_call>"
    if fmt == "openai":
        wrapped = [
            {"type": "function", "function": {"name": c["name"], "arguments": js(c["arguments"])}} for c in calls
        ]
        return "".join(f"<tool_call>{js(w)}</tool_call>" for w in wrapped)
    if fmt == "bare_array":
        return js(calls)
    if fmt == "bare_objects":
        return "\n".join(js(c) for c in calls)
    if fmt in ("pythonic", "pythonic_block"):
        body = (
            "["
            + ", ".join(f"{c['name']}({', '.join(f'{k}={v!r}' for k, v in c['arguments'].items())})" for c in calls)
            + "]"
        )
        return body if fmt == "pythonic" else f"<tool_call>\n{body}\n</tool_call>"
    params = lambda c: "".join(f"<parameter={k}>\n{js(v)}\n</parameter>\n" for k, v in c["arguments"].items())  # noqa: E731
    xml = "\n".join(f"<function={c['name']}>\n{params(c)}</function>" for c in calls)
    return xml if fmt == "xml" else f"<tool_call>\n{xml}\n</tool_call>"


FORMATS = [
    "hermes_blocks",
    "hermes_lines",
    "openai",
    "bare_array",
    "bare_objects",
    "pythonic",
    "pythonic_block",
    "xml",
    "xml_block",
]


@st.composite
def outputs(draw: st.DrawFn) -> tuple[str, bool]:
    kind = draw(st.sampled_from(["valid", "valid", "mutated", "soup"]))
    if kind == "soup":
        return "".join(draw(st.lists(st.sampled_from(FRAGMENTS), max_size=30))), draw(st.booleans())
    calls = draw(calls_st)
    text = _render(calls, draw(st.sampled_from(FORMATS)), draw(st.booleans()))
    if draw(st.booleans()):
        text = f"<think>\n{draw(st.text(max_size=20))}\n</think>\n" + text
    if draw(st.integers(0, 3)) == 0:
        text += f"\n<response>{draw(st.text(max_size=10))}</response>"
    if draw(st.integers(0, 4)) == 0:
        text += draw(st.sampled_from(["\nDone.", " trailing", "\n\n"]))
    cut = False
    if kind == "mutated":
        for _ in range(draw(st.integers(1, 4))):
            op = draw(st.integers(0, 3))
            at = draw(st.integers(0, len(text)))
            if op == 0:
                text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
            elif op == 1:
                text = text[:at] + text[at + draw(st.integers(0, 20)) :]
            elif op == 2:
                end = at + draw(st.integers(0, 20))
                text = text[:end] + text[at:end] + text[end:]
            else:
                text, cut = text[:at], True
    return text, cut


def _comparable(d: dict[str, Any]) -> str:
    # Messages are for people and differ; kind, call and path must agree. json.dumps keeps key
    # order and tells 1 from 1.0 and True from 1.
    d = {**d, "issues": [(i["kind"], i["call"], i["path"]) for i in d["issues"]]}
    return json.dumps(d)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(out=outputs(), with_tools=st.booleans())
def test_native_parse_equals_reference(out: tuple[str, bool], with_tools: bool) -> None:
    text, cut = out
    tools = TOOLS if with_tools else None
    native = parse(text, tools, truncated=cut).to_dict()
    expected = ref.parse(text, tools, truncated=cut)
    assert _comparable(native) == _comparable(expected), text
