"""`awpo.rewards.outcome`: golden cases (REWARDS.md), the API contract, and native == reference."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import rewards as ref

from awpo.data import Answer
from awpo.rewards import REWARD_KINDS, OutcomeBatch, ToolSet, outcome, reward_range

WEATHER = {
    "type": "function",
    "function": {
        "name": "weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "metric": {"type": "boolean"},
            },
            "required": ["city"],
        },
    },
}
CONVERT = {
    "type": "function",
    "function": {
        "name": "convert",
        "parameters": {
            "type": "object",
            "properties": {
                "amount": {"type": "number"},
                "units": {"type": "array", "items": {"type": "string"}},
                "opts": {"type": "object"},
            },
            "required": ["amount"],
        },
    },
}
SEARCH = {"name": "search", "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}
TOOLS = [WEATHER, CONVERT, SEARCH]


def hermes(*calls: dict[str, Any], think: str | None = "ok") -> str:
    """`<think>…</think>\\n<tool_call>\\n{call}\\n…\\n</tool_call>` (ToolRL's one-block layout)."""
    head = f"<think>{think}</think>\n" if think is not None else ""
    return head + "<tool_call>\n" + "\n".join(json.dumps(c) for c in calls) + "\n</tool_call>"


def call(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "arguments": args}


# ---------------------------------------------------------------------------- golden (REWARDS.md)


def test_golden_toolrl_worked_example() -> None:
    # REWARDS.md: names J = 1/(2+1-1) = 0.5; first call 1 + 1 = 2; second no unused w;
    # score 2.5; S_max = 1 + 2 + 2 = 5; correctness = 6*2.5/5 - 3 = 0; format 1 -> total 1.
    answer = {"tool_calls": [call("w", city="Paris"), call("w", city="Rome")]}
    batch = outcome([hermes(call("w", city="Paris"))], [answer], kind="toolrl")
    assert batch.total.tolist() == [1.0]
    assert batch.components["format"].tolist() == [1.0]
    assert batch.components["correctness"].tolist() == [0.0]
    assert (batch.reward_min, batch.reward_max) == (-3.0, 4.0)


def test_golden_toolrl_ends_of_the_range() -> None:
    answer = {"tool_calls": [call("weather", city="Paris", days=2)]}
    texts = [
        # `parameters` spelling, 2.0 == 2: the exact list -> format 1 + correctness 3 = 4.
        hermes({"name": "weather", "parameters": {"city": "Paris", "days": 2.0}}),
        # No think, no block: format 0 + correctness -3 = -3.
        "I would call the weather tool.",
        # names J = 1; pair: keys J = 1 + 1 equal value (city) = 2; score = 3;
        # S_max = 1 + (1 + 2) = 4; correctness = 6*3/4 - 3 = 1.5; total 2.5.
        hermes(call("weather", city="Paris", days=3)),
    ]
    batch = outcome(texts, [answer] * 3, TOOLS, kind="toolrl")
    assert batch.total.tolist() == [4.0, -3.0, 2.5]


def test_golden_exact_and_bfcl() -> None:
    answer = {"tool_calls": [call("weather", city="New York", days=2), call("search", query="news")]}
    texts = [
        hermes(call("search", query="news"), call("weather", city="New York", days=2)),  # order free: 1, 1
        hermes(call("search", query="news"), call("weather", city="new york", days=2)),  # case: exact 0, bfcl 1
        hermes(call("search", query="news"), call("weather", city="New York", days=2), think=None),  # no think
        hermes(call("weather", city="New York", days=2)),  # one call missing: 0, 0
    ]
    exact = outcome(texts, [answer] * 4, TOOLS, kind="exact")
    bfcl = outcome(texts, [answer] * 4, TOOLS, kind="bfcl")
    assert exact.total.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert exact.components["think"].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert bfcl.total.tolist() == [1.0, 1.0, 1.0, 0.0]
    assert bfcl.components["ast"].tolist() == bfcl.total.tolist()


def test_golden_abstention_on_no_call_items() -> None:
    # no_call: toolrl wants `<think>…</think>` only (format), correctness 0; exact wants think and
    # no call; bfcl wants no call.
    answer = Answer(no_call=True)
    texts = ["<think>No tool fits.</think>", hermes(call("weather", city="x")), "No tool fits."]
    assert outcome(texts, [answer] * 3, TOOLS, kind="toolrl").total.tolist() == [1.0, 0.0, 0.0]
    assert outcome(texts, [answer] * 3, TOOLS, kind="exact").total.tolist() == [1.0, 0.0, 0.0]
    assert outcome(texts, [answer] * 3, TOOLS, kind="bfcl").total.tolist() == [1.0, 0.0, 1.0]


def test_golden_bfcl_acceptable_values() -> None:
    answer = {"acceptable": [{"weather": {"city": ["Paris", "Paris, France"], "days": ["", 3]}}]}
    texts = [
        hermes(call("weather", city="paris france")),  # normalised; days optional -> 1
        hermes(call("weather", city="Paris", days=3)),  # -> 1
        hermes(call("weather", city="Paris", days=4)),  # -> 0
        hermes(call("weather", city="Paris", metric=True)),  # metric not in possible answer -> 0
    ]
    assert outcome(texts, [answer] * 4, TOOLS, kind="bfcl").total.tolist() == [1.0, 1.0, 0.0, 0.0]


# ---------------------------------------------------------------------------- API contract


def test_batch_shape_types_and_failure_classes() -> None:
    answer = {"tool_calls": [call("weather", city="Paris")]}
    texts = [hermes(call("weather", city="Paris")), "<tool_call>\n{bad json}\n</tool_call>", "<tool_call>\n{"]
    batch = outcome(texts, [answer] * 3, TOOLS)
    assert isinstance(batch, OutcomeBatch) and len(batch) == 3 and batch.kind == "toolrl"
    assert batch.total.dtype == np.float64 and batch.total.shape == (3,)
    assert list(batch.components) == ["format", "correctness"]
    assert batch.failure == ["ok", "malformed_json", "unclosed_tag"]


def test_answers_as_models_or_dicts_and_tools_per_item() -> None:
    d = {"tool_calls": [call("weather", city="Paris")]}
    m = Answer.model_validate(d)
    texts = [hermes(call("weather", city="Paris"))] * 2
    for kind in REWARD_KINDS:
        a = outcome(texts, [d, m], TOOLS, kind=kind)
        b = outcome(texts, [m, d], [TOOLS, TOOLS], kind=kind)
        assert a.total.tolist() == b.total.tolist() == [reward_range(kind)[1]] * 2


def test_compiled_toolsets_are_accepted() -> None:
    answer = {"tool_calls": [call("weather", city="Paris")]}
    texts = [hermes(call("weather", city="Paris")), hermes(call("weather", town="Paris"))]
    compiled = ToolSet(TOOLS)
    for kind in REWARD_KINDS:
        expected = outcome(texts, [answer] * 2, TOOLS, kind=kind)
        for tools in (compiled, [compiled, compiled]):
            got = outcome(texts, [answer] * 2, tools, kind=kind)
            assert got.total.tolist() == expected.total.tolist() and got.failure == expected.failure


def test_tools_decide_schema_failures() -> None:
    answer = {"tool_calls": [call("weather", city="Paris")]}
    text = hermes(call("weather", city="Paris", zzz=1))
    with_tools = outcome([text], [answer], TOOLS, kind="exact")
    without = outcome([text], [answer], None, kind="exact")
    assert with_tools.failure == ["schema_violation"] and without.failure == ["ok"]
    # Per-item tools: the second item has no `weather` tool.
    per_item = outcome([hermes(call("weather", city="Paris"))] * 2, [answer] * 2, [TOOLS, [SEARCH]], kind="exact")
    assert per_item.failure == ["ok", "unknown_tool"] and per_item.total.tolist() == [1.0, 0.0]


def test_truncated_flags() -> None:
    answer = {"tool_calls": [call("weather", city="Paris")]}
    cut = '<think>ok</think>\n<tool_call>\n{"name": "weather", "arguments": {"ci'
    assert outcome([cut], [answer]).failure == ["unclosed_tag"]
    assert outcome([cut], [answer], truncated=True).failure == ["truncated"]
    assert outcome([cut, cut], [answer] * 2, truncated=[False, True]).failure == ["unclosed_tag", "truncated"]


def test_empty_batch() -> None:
    batch = outcome([], [], TOOLS, kind="bfcl")
    assert len(batch) == 0 and batch.total.shape == (0,) and batch.components["ast"].shape == (0,)
    assert batch.failure == []


def test_reward_range_per_kind() -> None:
    assert reward_range("toolrl") == (-3.0, 4.0)
    assert reward_range("exact") == reward_range("bfcl") == (0.0, 1.0)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([{}, {}, {"tool_calls": [{"name": ""}]}], r"item 2: answer\.tool_calls\[0\]\.name"),
        ([{}, {"tool_calls": [{"name": "f", "arguments": [1]}]}, {}], r"item 1: answer\.tool_calls\[0\]\.arguments"),
        ([{"no_call": True, "tool_calls": [{"name": "f"}]}, {}, {}], r"item 0: answer\.no_call"),
        ([{}, {}, {"acceptable": [{"f": {"a": 1}}]}], r"item 2: answer\.acceptable\[0\]\.f\.a"),
        ([{}, {"oops": 1}, {}], r"item 1: answer: unknown key"),
        ([{}, {}, [1]], r"item 2: answer: expected an object, got an array"),
    ],
)
def test_malformed_answers_name_item_and_field(answers: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        outcome(["a", "b", "c"], answers, TOOLS)


def test_non_json_values_raise_type_error_naming_the_item() -> None:
    shared = {"response": object()}
    with pytest.raises(TypeError, match=r"item 1: answer\.response: object is not JSON-like"):
        outcome(["a", "b", "c"], [{}, shared, shared], TOOLS)
    with pytest.raises(TypeError, match=r"item 0: answer: keys must be str, not int"):
        outcome(["a"], [{1: "x"}], TOOLS)
    with pytest.raises(ValueError, match=r"item 0: answer\.tool_calls\[0\]\.arguments\.x: NaN is not a finite number"):
        outcome(["a"], [{"tool_calls": [{"name": "f", "arguments": {"x": float("nan")}}]}], TOOLS)


def test_malformed_tools_name_item_and_field() -> None:
    bad = [WEATHER, {"type": "function", "function": {"parameters": {}}}]
    with pytest.raises(ValueError, match=r"item 1: .*tools\[1\]"):
        outcome(["a", "b"], [{}, {}], [TOOLS, bad])
    with pytest.raises(ValueError, match=r"tools has 3 lists for 2 texts"):
        outcome(["a", "b"], [{}, {}], [TOOLS, TOOLS, TOOLS])
    with pytest.raises(ValueError, match="tools must be a list"):
        outcome(["a"], [{}], "weather")  # type: ignore[arg-type]


def test_caller_mistakes_raise_value_error() -> None:
    with pytest.raises(ValueError, match="unknown reward kind 'ToolRL'; expected one of: toolrl, exact, bfcl"):
        outcome(["a"], [{}], kind="ToolRL")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="answers has 1 entries for 2 texts"):
        outcome(["a", "b"], [{}])
    with pytest.raises(ValueError, match="truncated has shape"):
        outcome(["a", "b"], [{}, {}], truncated=[True])


def test_a_text_is_never_an_error() -> None:
    texts = [
        "",
        "\x00",
        "<think>",
        "</tool_call><tool_call>",
        "[f(",
        '{"name": 1}',
        "\ud800".encode(errors="surrogatepass").decode(errors="replace"),
    ]
    for kind in REWARD_KINDS:
        batch = outcome(texts, [{"tool_calls": [call("weather", city="x")]}] * len(texts), TOOLS, kind=kind)
        assert np.all((batch.total >= batch.reward_min) & (batch.total <= batch.reward_max))


# ---------------------------------------------------------------------------- native == reference

NAMES = ["weather", "convert", "search", "other"]
KEYS = {
    "weather": ["city", "days", "metric"],
    "convert": ["amount", "units", "opts"],
    "search": ["query"],
    "other": ["x"],
}
scalars = st.sampled_from([0, 1, 2, -1, 1.0, 2.5, -0.0, True, False, None, "", "Paris", "paris", "New York, NY", "1"])
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["k", "u"]), inner, max_size=2)
    ),
    max_leaves=5,
)


@st.composite
def gt_call(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(NAMES))
    keys = draw(st.lists(st.sampled_from([*KEYS[name], "zzz"]), unique=True, max_size=3))
    return {"name": name, "arguments": {k: draw(values) for k in keys}}


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    calls = draw(st.lists(gt_call(), max_size=3))
    answer: dict[str, Any] = {"tool_calls": calls}
    if draw(st.booleans()):
        answer["response"] = draw(st.sampled_from(["", "done"]))
    if not calls and draw(st.booleans()):
        answer["no_call"] = True
    elif calls and draw(st.integers(0, 3)) == 0:
        # BFCL possible answers: each value plus an alternative, sometimes optional.
        answer["acceptable"] = [
            {
                c["name"]: {
                    k: [v, draw(values), *([""] if draw(st.booleans()) else [])] for k, v in c["arguments"].items()
                }
            }
            for c in calls
        ]
    return answer


def _mutate(c: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    args = dict(c["arguments"])
    op = draw(st.integers(0, 6))
    if op == 1 and args:
        args.pop(draw(st.sampled_from(sorted(args))))
    elif op == 2:
        args[draw(st.sampled_from(["city", "days", "amount", "zzz"]))] = draw(values)
    elif op == 3:
        args = {k: (v.upper() if isinstance(v, str) else float(v) if type(v) is int else v) for k, v in args.items()}
    elif op == 4:
        return {"name": draw(st.sampled_from(NAMES)), "arguments": args}
    return {"name": c["name"], "arguments": args}


def _render(calls: list[dict[str, Any]], draw: st.DrawFn) -> str:
    key = draw(st.sampled_from(["arguments", "parameters"]))
    lines = [json.dumps({"name": c["name"], key: c["arguments"]}) for c in calls]
    style = draw(st.integers(0, 3))
    if style == 0:  # ToolRL: one block, one call per line
        return "<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"
    if style == 1:  # Hermes: one block per call
        return "\n".join(f"<tool_call>\n{line}\n</tool_call>" for line in lines)
    if style == 2:  # bare JSON array
        return json.dumps([{"name": c["name"], "arguments": c["arguments"]} for c in calls])
    return "<tool_call>\n" + json.dumps([{"name": c["name"], key: c["arguments"]} for c in calls]) + "\n</tool_call>"


@st.composite
def rollout(draw: st.DrawFn, answer: dict[str, Any]) -> str:
    """A model output for `answer`: its calls mutated and rendered in one of several formats, with
    or without think/response, sometimes cut short or padded with noise."""
    calls = [_mutate(c, draw) for c in answer.get("tool_calls", [])]
    calls = draw(st.permutations(calls)) if draw(st.booleans()) else calls
    if draw(st.integers(0, 4)) == 0:
        calls = [*calls, *calls[:1]]
    parts = []
    if draw(st.integers(0, 4)) > 0:
        parts.append(f"<think>{draw(st.sampled_from(['', 'reason', 'a </tool_call> b']))}</think>")
    if calls:
        parts.append(_render(calls, draw))
    if draw(st.booleans()):
        parts.append(f"<response>{draw(st.sampled_from(['', 'done']))}</response>")
    text = draw(st.sampled_from(["\n", "", " \n"])).join(parts)
    cut = draw(st.integers(0, 5))
    if cut == 0 and text:
        text = text[: draw(st.integers(0, len(text)))]
    elif cut == 1:
        text = text + draw(st.sampled_from(["\nThanks!", "  \n", "</tool_call>", "{", "\n<tool_call>\n"]))
    elif cut == 2:
        text = draw(st.text(alphabet=st.sampled_from(list('<>/{}[]":,\n tool_calthinkresp')), max_size=40)) + text
    return text


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any]], list[Any], list[bool]]:
    n = draw(st.integers(1, 6))
    answer_pool = [draw(answers()) for _ in range(draw(st.integers(1, 3)))]
    items = [draw(st.sampled_from(answer_pool)) for _ in range(n)]
    texts = [draw(rollout(a)) for a in items]
    tool_choice = draw(st.sampled_from(["all", "none", "per_item"]))
    tools: list[Any] = (
        [draw(st.sampled_from([TOOLS, [SEARCH], []])) for _ in range(n)]
        if tool_choice == "per_item"
        else (TOOLS if tool_choice == "all" else [])
    )
    truncated = [draw(st.booleans()) for _ in range(n)]
    return texts, items, tools, truncated


def _item_tools(tools: list[Any], i: int) -> list[Any]:
    return tools[i] if tools and not isinstance(tools[0], dict) else tools


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_native_equals_reference(batch: tuple[list[str], list[dict[str, Any]], list[Any], list[bool]]) -> None:
    texts, items, tools, truncated = batch
    for kind in REWARD_KINDS:
        native = outcome(texts, items, tools, kind=kind, truncated=truncated)
        for i, text in enumerate(texts):
            total, components, failure = ref.outcome(
                kind, text, items[i], _item_tools(tools, i), truncated=truncated[i]
            )
            assert native.failure[i] == failure, (kind, text)
            assert native.total[i] == total, (kind, text, items[i])
            for name, value in components.items():
                assert native.components[name][i] == value, (kind, name, text)
            assert native.reward_min <= native.total[i] <= native.reward_max


fragments = st.sampled_from(
    ["<think>", "</think>", "<tool_call>", "</tool_call>", "<response>", "</response>", "\n", " ", "x", "{", "}"]
)


ODD_LINES = [
    '{"name": "weather"}',
    '{"parameters": {}}',
    '["weather"]',
    '{"name": 3, "parameters": {}}',
    '{"name": "weather", "parameters": [1]}',
    '{"name": ["w"], "arguments": {}}',
    '{"name": "search", "parameters": "q"}',
    "",
    "nope",
]


@st.composite
def toolrl_texts(draw: st.DrawFn, answer: dict[str, Any]) -> str:
    """Texts around ToolRL's layout `<think>…</think>\n<tool_call>\n{lines}\n</tool_call>\n<response>…</response>`:
    each part present or not, separators mostly right, call lines from the answer (mutated) or odd
    JSON (arrays, missing keys, numeric names, non-object parameters), stray tags and whitespace."""
    sep = st.sampled_from(["\n"] * 12 + ["", "\n\n", " "])
    gt = answer.get("tool_calls") or [{"name": "weather", "arguments": {}}]
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 4)) > 0:
            c = _mutate(draw(st.sampled_from(gt)), draw)
            lines.append(
                json.dumps({"name": c["name"], draw(st.sampled_from(["arguments", "parameters"])): c["arguments"]})
            )
        else:
            lines.append(draw(st.sampled_from(ODD_LINES)))
    if draw(st.booleans()):  # the answer's own calls, in order: the +3 case
        lines = [json.dumps({"name": c["name"], "parameters": c["arguments"]}) for c in answer.get("tool_calls") or []]
    has_calls, has_response = bool(answer.get("tool_calls")), answer.get("response") is not None
    parts = [draw(st.sampled_from(["", "", "", " \n", "x"]))]
    if draw(st.integers(0, 5)) > 0:
        parts += ["<think>", draw(st.sampled_from(["", "why", "a\nb", "</think>"])), "</think>"]
    if has_calls != (draw(st.integers(0, 4)) == 0):  # mostly the layout the answer asks for
        parts += [draw(sep), "<tool_call>", draw(sep), "\n".join(lines), draw(sep), "</tool_call>"]
    if has_response != (draw(st.integers(0, 4)) == 0):
        parts += [draw(sep), "<response>", draw(st.sampled_from(["", "done", "<response>"])), "</response>"]
    parts.append(draw(st.sampled_from(["", "", "", "\n", " x", "</tool_call>"])))
    for _ in range(draw(st.integers(0, 5)) // 4):  # a stray fragment somewhere
        parts.insert(draw(st.integers(0, len(parts))), draw(fragments))
    return "".join(parts)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_native_toolrl_equals_reference_on_random_texts(data: st.DataObject) -> None:
    answer = data.draw(answers())
    texts = data.draw(st.lists(toolrl_texts(answer), min_size=1, max_size=5))
    native = outcome(texts, [answer] * len(texts), kind="toolrl")
    for i, text in enumerate(texts):
        total, fmt, correctness = ref.toolrl(text, answer)
        assert (native.components["format"][i], native.components["correctness"][i]) == (fmt, correctness), text
        assert native.total[i] == total
        assert -3.0 <= total <= 4.0
