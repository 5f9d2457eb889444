"""Loaders turn each public format's fixture into Tasks and report each bad row with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from awpo.data.convert import flat_params_to_schema, parse_pythonic_calls, python_type_schema
from awpo.data.loaders import load_bfcl, load_tasks, load_toolace, load_toolrl, load_xlam

FIXTURES = Path(__file__).parent / "fixtures"


def test_xlam() -> None:
    report = load_xlam(FIXTURES / "xlam.json")
    assert [t.id for t in report.items] == ["xlam-1", "xlam-2"]
    first = report.items[0]
    params = first.tools[0]["function"]["parameters"]
    assert params["required"] == ["city"]  # "str, optional" → not required
    assert params["properties"]["unit"]["type"] == "string"
    assert [c.arguments for c in first.answer.tool_calls] == [{"city": "Lisbon"}, {"city": "Oslo"}]
    second = report.items[1].tools[0]["function"]["parameters"]["properties"]["numbers"]
    assert second == {"type": "array", "items": {"type": "number"}, "description": "The numbers."}
    reasons = {b.line: b.reason for b in report.bad}
    assert sorted(reasons) == [14, 20, 26]
    assert "'tools' is not valid JSON" in reasons[14]
    assert "'b', which is not among the row's tools" in reasons[20]
    assert reasons[26] == "missing field 'query'"
    assert report.rows == 5 and report.skipped == 3


def test_toolace() -> None:
    report = load_toolace(FIXTURES / "toolace.json")
    ids = [t.id for t in report.items]
    assert len(ids) == 3  # two decisions in row 1 (the summary turn yields none), one in row 2
    first, second, third = report.items
    assert [c.name for c in first.answer.tool_calls] == ["Get Stock Price", "convert_currency"]
    assert first.answer.tool_calls[1].arguments == {"amount": 100.0, "from": "USD", "to": "EUR"}
    assert first.tools[1]["function"]["parameters"]["properties"]["amount"]["type"] == "number"
    # the second decision sees the earlier calls, the tool output and the summary as context
    assert [m["role"] for m in second.messages] == ["user", "assistant", "tool", "assistant", "user"]
    assert second.messages[1]["tool_calls"][0]["function"] == {
        "name": "Get Stock Price",
        "arguments": {"symbol": "AAPL"},
    }
    assert second.answer.tool_calls[0].arguments == {"symbol": "MSFT"}
    assert third.answer.response is not None and third.answer.response.startswith("Sure")
    assert not third.answer.tool_calls
    assert len(report.bad) == 2
    assert "no tool list" in report.bad[0].reason
    assert "needs 'from'" in report.bad[1].reason


def test_toolrl() -> None:
    report = load_toolrl(FIXTURES / "toolrl.json")
    assert len(report.items) == 2
    calls, asks = report.items
    assert [t["function"]["name"] for t in calls.tools] == ["search_recipes", "translate_word"]
    recipe = calls.tools[0]["function"]["parameters"]
    assert recipe["required"] == ["ingredient"] and recipe["properties"]["max_minutes"]["type"] == "integer"
    # the second tool's parameters are a Python literal (single quotes) in ToolRL's data
    assert calls.tools[1]["function"]["parameters"]["required"] == ["word", "target"]
    assert [(c.name, c.arguments) for c in calls.answer.tool_calls] == [
        ("search_recipes", {"ingredient": "lentils"}),
        ("translate_word", {"word": "lentil", "target": "fr"}),
    ]
    assert calls.meta["reasoning"] == "The user wants recipes and a translation."
    assert calls.messages[0]["role"] == "user" and "lentils" in calls.messages[0]["content"]
    assert asks.answer.response == "Which word, and into which language?" and not asks.answer.tool_calls
    assert report.bad[0].reason == "'output' has neither <tool_call> nor <response>"
    assert "neither JSON nor a Python literal" in report.bad[1].reason


def test_toolrl_keep_system() -> None:
    task = load_toolrl(FIXTURES / "toolrl.json", keep_system=True).items[0]
    assert task.messages[0]["role"] == "system" and "Available Tools" in task.messages[0]["content"]


def test_bfcl() -> None:
    report = load_bfcl(FIXTURES / "bfcl_questions.jsonl", FIXTURES / "bfcl_answers.jsonl")
    simple, parallel, irrelevance = report.items
    assert simple.tools[0]["function"]["name"] == "geometry.circle_area"  # dots kept
    assert simple.tools[0]["function"]["parameters"]["properties"]["radius"]["type"] == "number"
    assert simple.answer.acceptable == [
        {"geometry.circle_area": {"radius": [3.0, 3], "unit": ["cm", "centimeters", ""]}}
    ]
    assert simple.answer.tool_calls[0].arguments == {"radius": 3.0, "unit": "cm"}  # first acceptable values
    assert [c.arguments["city"] for c in parallel.answer.tool_calls] == ["Rome", "Kyoto"]
    assert irrelevance.answer.no_call and irrelevance.meta["bfcl"]["category"] == "irrelevance"
    reasons = {b.line: b.reason for b in report.bad}
    assert reasons[4] == "no possible answer for simple_python_1"
    assert "unknown type 'quaternion'" in reasons[5]
    assert "invalid JSON" in reasons[6]


def test_load_tasks_dispatch() -> None:
    assert len(load_tasks(FIXTURES / "xlam.json", "xlam").items) == 2
    with pytest.raises(ValueError, match="unknown task format"):
        load_tasks(FIXTURES / "xlam.json", "sharegpt")


@pytest.mark.parametrize(
    ("text", "schema", "optional"),
    [
        ("str", {"type": "string"}, False),
        ("int, optional", {"type": "integer"}, True),
        ("Optional[float]", {"type": "number"}, True),
        ("List[Dict[str, int]]", {"type": "array", "items": {"type": "object"}}, False),
        ("Union[str, None]", {"type": "string"}, True),
        ("Any", {}, False),
        ("weird thing", {}, False),
    ],
)
def test_python_type_schema(text: str, schema: dict[str, object], optional: bool) -> None:
    assert python_type_schema(text) == (schema, optional)


def test_flat_params_rejects_non_object() -> None:
    with pytest.raises(ValueError, match="must be an object"):
        flat_params_to_schema({"x": "str"})


def test_parse_pythonic_calls() -> None:
    calls = parse_pythonic_calls(
        '[Get Stock Price(symbol="A"), m.f(x=-1.5, y=[1, (2, 3)], z={"k": null}, t=true)]', ["Get Stock Price"]
    )
    assert calls == [
        {"name": "Get Stock Price", "arguments": {"symbol": "A"}},
        {"name": "m.f", "arguments": {"x": -1.5, "y": [1, [2, 3]], "z": {"k": None}, "t": True}},
    ]
    assert parse_pythonic_calls("f()") == [{"name": "f", "arguments": {}}]
    assert parse_pythonic_calls("[f(from=\"a=b\", to='x')]") == [
        {"name": "f", "arguments": {"from": "a=b", "to": "x"}}
    ]
    for bad in ["[f(1)]", "[f(x=g())]", "[1]", "hello there", "[f(**k)]", ""]:
        with pytest.raises(ValueError):
            parse_pythonic_calls(bad)


def test_bfcl_tasks_are_not_trainable() -> None:
    from awpo.data.generator import GeneratorConfig, generate
    from awpo.data.io import DataError
    from awpo.data.loaders import check_trainable

    train = generate(GeneratorConfig(per_family=2, families=["weather", "maps", "stats"], heldout_families=[])).train
    assert check_trainable(train) == train
    bfcl = load_bfcl(FIXTURES / "bfcl_questions.jsonl", FIXTURES / "bfcl_answers.jsonl").items
    with pytest.raises(DataError, match="evaluation-only data"):
        check_trainable(train + bfcl)
