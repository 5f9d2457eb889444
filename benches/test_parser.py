"""Parser benchmark: native `parse_batch` vs the plain-Python reference vs a regex + json.loads parser
(what peers do), on the same 2 000 hermes-style outputs, in one group.

Run: `pytest benches/test_parser.py --benchmark-only` (figures in docs/BENCHMARKS.md "Parser").
Each baseline is first checked against the native output.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from reference import toolcall as ref

from awpo import _native
from awpo.rewards import ParseResult, ToolSet, parse_batch, toolset

CITIES = ["Paris", "Rome", "Berlin", "Tokyo", "Lima", "Oslo", "Cairo", "Quito"]
TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer"},
                },
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search_flights",
            "parameters": {
                "type": "object",
                "properties": {
                    "origin": {"type": "string"},
                    "destination": {"type": "string"},
                    "date": {"type": "string"},
                    "max_price": {"type": "number"},
                },
                "required": ["origin", "destination"],
            },
        },
    },
]


def hermes_output(i: int) -> str:
    """A think block and one or two `<tool_call>` blocks, 300-600 bytes (as criterion's `hermes`)."""
    c, o = CITIES[i % 8], CITIES[(i + 3) % 8]
    extra = " I should double-check the units the user prefers before answering." * (i % 4)
    text = (
        f"<think>\nThe user asks about the weather in {c} and wants to plan a trip there from {o}. I need the "
        f"current conditions first, then the flight options for the dates they mentioned.{extra}\n</think>\n"
        f'<tool_call>\n{{"name": "get_weather", "arguments": {{"city": "{c}", "unit": "celsius", '
        f'"days": {1 + i % 5}}}}}\n</tool_call>'
    )
    if i % 2 == 0:
        text += (
            f'\n<tool_call>\n{{"name": "search_flights", "arguments": {{"origin": "{o}", "destination": "{c}", '
            f'"date": "2026-12-0{1 + i % 9}", "max_price": {200 + i % 300}.5}}}}\n</tool_call>'
        )
    return text


TEXTS = [hermes_output(i) for i in range(2000)]
MB = sum(len(t.encode()) for t in TEXTS) / 1e6

_CALL_RE = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_THINK_RE = re.compile(r"<think>(.*?)</think>", re.DOTALL)


def regex_parse(text: str) -> tuple[list[dict[str, Any]], str | None]:
    """What peers do: a regex per tag and `json.loads` per block; failures are dropped silently."""
    think = _THINK_RE.search(text)
    calls = []
    for block in _CALL_RE.findall(text):
        try:
            obj = json.loads(block.strip())
            calls.append({"name": obj["name"], "arguments": obj.get("arguments", {})})
        except (ValueError, KeyError, TypeError):
            continue
    return calls, think.group(1).strip() if think else None


@pytest.fixture(scope="module")
def tools() -> ToolSet:
    ts = toolset(TOOLS)
    assert ts is not None
    return ts


def _native_dicts(results: list[ParseResult]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in results]


def test_baselines_agree_with_native(tools: ToolSet) -> None:
    native = parse_batch(TEXTS, tools)
    assert all(r.ok for r in native)
    assert _native_dicts(native) == [ref.parse(t, TOOLS) for t in TEXTS]
    assert [(r.calls, r.reasoning) for r in native] == [regex_parse(t) for t in TEXTS]


@pytest.mark.benchmark(group="parser-hermes")
def test_native_batch_parallel(benchmark: Any, tools: ToolSet) -> None:
    """All cores (rayon), results as native objects (calls converted on access)."""
    _native.set_parallelism(True)
    out = benchmark(parse_batch, TEXTS, tools)
    benchmark.extra_info["MB"] = MB
    assert len(out) == len(TEXTS)


@pytest.mark.benchmark(group="parser-hermes")
def test_native_batch_one_thread(benchmark: Any, tools: ToolSet) -> None:
    """One thread, results as native objects."""
    _native.set_parallelism(False)
    try:
        out = benchmark(parse_batch, TEXTS, tools)
    finally:
        _native.set_parallelism(True)
    assert len(out) == len(TEXTS)


@pytest.mark.benchmark(group="parser-hermes")
def test_native_batch_one_thread_to_dicts(benchmark: Any, tools: ToolSet) -> None:
    """One thread, every result converted to Python dicts (the same output as the baselines)."""
    _native.set_parallelism(False)
    try:
        out = benchmark(lambda: _native_dicts(parse_batch(TEXTS, tools)))
    finally:
        _native.set_parallelism(True)
    assert len(out) == len(TEXTS)


@pytest.mark.benchmark(group="parser-hermes")
def test_python_reference(benchmark: Any) -> None:
    """The plain-Python reference parser (same semantics, schema checks included)."""
    out = benchmark(lambda: [ref.parse(t, TOOLS) for t in TEXTS])
    assert len(out) == len(TEXTS)


@pytest.mark.benchmark(group="parser-hermes")
def test_regex_json_loads(benchmark: Any) -> None:
    """Regex + json.loads, no schema checks, no failure classes (what peers do)."""
    out = benchmark(lambda: [regex_parse(t) for t in TEXTS])
    assert len(out) == len(TEXTS)
