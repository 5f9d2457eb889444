"""Generates a realistic JSONL of tool-use rollouts for `awpo-bench` and `benches/test_rewards.py`.

One line per rollout: `{"group", "text", "answer", "tools", "truncated"}`; a group is G rollouts of
one task (GRPO-style). Tasks draw 2-4 tools from a library of OpenAI function schemas and have one
to three ground-truth calls (some parallel), a final response, or no call at all (irrelevance);
about a third carry BFCL-style `acceptable` values. Rollouts mix the formats models write —
Hermes `<think>`+`<tool_call>` (one call per block), ToolRL multi-line blocks, pythonic lists, bare
JSON, Qwen3-coder XML, `<response>` answers, abstentions — right and wrong (wrong values, wrong or
missing calls), and about 10% malformed: unclosed tags, broken JSON, unknown tools, generations cut
by the length budget. Deterministic for a seed.

    awpo bench make-rollouts -n 100000 -o /tmp/rollouts.jsonl   (or python benches/make_rollouts.py ...)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from typing import Any

# name -> (description, {param: (json type, required, extra schema)})
LIBRARY: dict[str, tuple[str, dict[str, tuple[str, bool, dict[str, Any]]]]] = {
    "get_weather": (
        "Current weather and forecast for a city.",
        {
            "city": ("string", True, {}),
            "unit": ("string", False, {"enum": ["celsius", "fahrenheit"]}),
            "days": ("integer", False, {}),
        },
    ),
    "convert_currency": (
        "Convert an amount between currencies.",
        {
            "amount": ("number", True, {}),
            "from_currency": ("string", True, {}),
            "to_currency": ("string", True, {}),
        },
    ),
    "search_web": (
        "Search the web.",
        {"query": ("string", True, {}), "max_results": ("integer", False, {})},
    ),
    "create_event": (
        "Create a calendar event.",
        {
            "title": ("string", True, {}),
            "date": ("string", True, {}),
            "attendees": ("array", False, {"items": {"type": "string"}}),
            "reminder": ("boolean", False, {}),
        },
    ),
    "get_stock_price": (
        "Latest price of a stock.",
        {"symbol": ("string", True, {}), "exchange": ("string", False, {})},
    ),
    "translate": (
        "Translate text.",
        {
            "text": ("string", True, {}),
            "target_language": ("string", True, {}),
            "formal": ("boolean", False, {}),
        },
    ),
    "calculate": (
        "Evaluate an arithmetic expression.",
        {"expression": ("string", True, {}), "precision": ("integer", False, {})},
    ),
    "book_flight": (
        "Book a flight.",
        {
            "origin": ("string", True, {}),
            "destination": ("string", True, {}),
            "date": ("string", True, {}),
            "passengers": ("integer", False, {}),
            "options": (
                "object",
                False,
                {"properties": {"cabin": {"type": "string"}, "refundable": {"type": "boolean"}}},
            ),
        },
    ),
}

CITIES = ["Paris", "Rome", "New York", "Tokyo", "San Francisco", "Berlin", "São Paulo", "Cairo", "Sydney", "Oslo"]
_PROSE = (
    "the user asks for this so I should check which tool answers it and what arguments it needs "
    "first I read the request carefully then I compare it with the available functions and their "
    "parameters the city is given explicitly while the unit is optional and defaults to celsius "
    "I must not invent values that the user did not provide and I should call every tool needed"
)
WORDS = _PROSE.split(" ")


def schema(name: str) -> dict[str, Any]:
    """The OpenAI function schema of a library tool."""
    description, params = LIBRARY[name]
    props = {
        p: {"type": t, "description": f"The {p.replace('_', ' ')}.", **extra} for p, (t, _, extra) in params.items()
    }
    required = [p for p, (_, req, _) in params.items() if req]
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": props, "required": required},
        },
    }


def value(rng: random.Random, tool: str, param: str) -> Any:
    t, _, extra = LIBRARY[tool][1][param]
    if "enum" in extra:
        return rng.choice(extra["enum"])
    if param in ("city", "origin", "destination"):
        return rng.choice(CITIES)
    if param.endswith("currency"):
        return rng.choice(["USD", "EUR", "JPY", "GBP", "BRL"])
    if param == "date":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if param == "symbol":
        return rng.choice(["AAPL", "MSFT", "NVDA", "TSLA"])
    if t == "integer":
        return rng.randint(1, 10)
    if t == "number":
        return rng.choice([rng.randint(1, 500), round(rng.uniform(1, 1000), 2)])
    if t == "boolean":
        return rng.random() < 0.5
    if t == "array":
        return rng.sample(["ana@x.org", "bo@y.com", "cy@z.net"], rng.randint(1, 3))
    if t == "object":
        return {"cabin": rng.choice(["economy", "business"]), "refundable": rng.random() < 0.5}
    return " ".join(rng.choices(WORDS, k=rng.randint(2, 6)))


def make_call(rng: random.Random, tool: str) -> dict[str, Any]:
    args = {}
    for p, (_, required, _) in LIBRARY[tool][1].items():
        if required or rng.random() < 0.4:
            args[p] = value(rng, tool, p)
    return {"name": tool, "arguments": args}


def alternative(v: Any) -> Any:
    """Another acceptable spelling of a value, BFCL style."""
    if isinstance(v, str):
        return v.lower() if v != v.lower() else v.upper()
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    return v


def make_task(rng: random.Random) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`(answer, tools)` of one task."""
    names = rng.sample(sorted(LIBRARY), rng.randint(2, 4))
    tools = [schema(n) for n in names]
    r = rng.random()
    if r < 0.10:  # irrelevance: no tool fits
        return {"no_call": True}, tools
    if r < 0.15:  # answer in text only
        return {"response": "The capital of Italy is Rome."}, tools
    n_calls = 1 if r < 0.75 else (2 if r < 0.95 else 3)
    calls = [make_call(rng, rng.choice(names)) for _ in range(n_calls)]
    answer: dict[str, Any] = {"tool_calls": calls}
    if rng.random() < 0.1:
        answer["response"] = "Here is what I found."
    if rng.random() < 0.33:
        answer["acceptable"] = [
            {
                c["name"]: {
                    **{k: [v, alternative(v)] for k, v in c["arguments"].items()},
                    **{
                        p: [""]
                        for p, (_, req, _) in LIBRARY[c["name"]][1].items()
                        if not req and p not in c["arguments"]
                    },
                }
            }
            for c in calls
        ]
    return answer, tools


def reasoning(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(25, 130))).capitalize() + "."


def pyrepr(v: Any) -> str:
    return repr(v)  # Python literals: 'str', 1, 2.5, True, [...], {...}


def render(rng: random.Random, calls: list[dict[str, Any]], fmt: str) -> str:
    key = "arguments" if rng.random() < 0.8 else "parameters"
    if fmt == "hermes":
        return "\n".join(
            f"<tool_call>\n{json.dumps({'name': c['name'], key: c['arguments']})}\n</tool_call>" for c in calls
        )
    if fmt == "toolrl":
        lines = "\n".join(json.dumps({"name": c["name"], key: c["arguments"]}) for c in calls)
        return f"<tool_call>\n{lines}\n</tool_call>"
    if fmt == "pythonic":
        inner = ", ".join(
            f"{c['name']}({', '.join(f'{k}={pyrepr(v)}' for k, v in c['arguments'].items())})" for c in calls
        )
        return f"[{inner}]"
    if fmt == "json":
        body = [{"name": c["name"], "arguments": c["arguments"]} for c in calls]
        return json.dumps(body[0] if len(body) == 1 else body)
    # Qwen3-coder XML
    blocks = []
    for c in calls:
        params = "".join(
            f"<parameter={k}>\n{v if isinstance(v, str) else json.dumps(v)}\n</parameter>\n"
            for k, v in c["arguments"].items()
        )
        blocks.append(f"<tool_call>\n<function={c['name']}>\n{params}</function>\n</tool_call>")
    return "\n".join(blocks)


FORMATS = ["hermes"] * 35 + ["toolrl"] * 25 + ["pythonic"] * 15 + ["json"] * 10 + ["xml"] * 15


def wrong(rng: random.Random, calls: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The calls with one realistic mistake."""
    calls = [{"name": c["name"], "arguments": dict(c["arguments"])} for c in calls]
    r = rng.random()
    if r < 0.5 and calls and calls[0]["arguments"]:
        c = rng.choice(calls)
        if c["arguments"]:
            k = rng.choice(sorted(c["arguments"]))
            c["arguments"][k] = value(rng, c["name"], k)
    elif r < 0.7 and len(calls) > 1:
        calls.pop(rng.randrange(len(calls)))
    elif r < 0.85:
        calls.append({"name": c["name"], "arguments": dict(c["arguments"])} if (c := rng.choice(calls)) else {})
    else:
        other = rng.choice([t["function"]["name"] for t in tools])
        calls[0] = make_call(rng, other)
    return calls


def malformed(rng: random.Random, text: str, calls_text: str) -> tuple[str, bool]:
    """`(text, truncated)` with one of the common breakages."""
    r = rng.random()
    if r < 0.3 and "</tool_call>" in text:  # unclosed tag
        i = text.rfind("</tool_call>")
        return text[:i] + text[i + len("</tool_call>") :], False
    if r < 0.6 and "{" in calls_text:  # broken JSON / literal: drop a closing brace or quote
        i = text.rfind("}") if rng.random() < 0.5 else text.rfind('"')
        return (text[:i] + text[i + 1 :], False) if i > 0 else (text, False)
    if r < 0.8:  # unknown tool: a typo in the name
        for name in LIBRARY:
            if name in calls_text:
                return text.replace(name, name[:-1] + "x", 1), False
        return text, False
    cut = rng.randint(len(text) - len(calls_text), len(text) - 1) if calls_text else len(text) // 2
    return text[:cut], True  # cut by the length budget


def make_rollout(rng: random.Random, answer: dict[str, Any], tools: list[dict[str, Any]]) -> tuple[str, bool]:
    think = f"<think>{reasoning(rng)}</think>\n" if rng.random() < 0.9 else ""
    gt = answer.get("tool_calls", [])
    r = rng.random()
    if not gt:
        if r < 0.65 or not tools:  # abstain / answer in text
            said = answer.get("response", "None of the available tools can answer this, sorry.")
            body = f"<response>{said}</response>" if rng.random() < 0.7 else said
            return think + body, False
        calls = [make_call(rng, rng.choice([t["function"]["name"] for t in tools]))]
    elif r < 0.5:
        calls = gt
    elif r < 0.8:
        calls = wrong(rng, gt, tools)
    elif r < 0.85:  # answers without calling
        return think + "<response>I think it is sunny.</response>", False
    else:
        calls = gt
    calls_text = render(rng, calls, rng.choice(FORMATS))
    text = think + calls_text
    if "response" in answer and rng.random() < 0.7:
        text += f"\n<response>{answer['response']}</response>"
    elif rng.random() < 0.05:
        text += "\nLet me know if you need anything else!"
    if r >= 0.9 or rng.random() < 0.04:  # ~10% malformed overall
        return malformed(rng, text, calls_text)
    return text, False


def generate(n: int, group_size: int = 8, seed: int = 0) -> Iterator[dict[str, Any]]:
    """`n` rollouts in groups of `group_size` (the last group may be smaller)."""
    rng = random.Random(seed)
    for g in range((n + group_size - 1) // group_size):
        answer, tools = make_task(rng)
        for _ in range(min(group_size, n - g * group_size)):
            text, truncated = make_rollout(rng, answer, tools)
            yield {"group": g, "text": text, "answer": answer, "tools": tools, "truncated": truncated}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=100_000, help="number of rollouts (default 100000)")
    ap.add_argument("--group-size", type=int, default=8, help="rollouts per task (default 8)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bad-lines", type=int, default=0, help="append this many broken lines (tests bad-line handling)")
    ap.add_argument("-o", "--output", default="-", help="output file (default stdout)")
    args = ap.parse_args(argv)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for row in generate(args.n, args.group_size, args.seed):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        for i in range(args.bad_lines):
            out.write(
                ["{not json", '{"group": 1}', '{"group": 1, "text": "x", "answer": {"tool_calls": 3}, "tools": []}'][
                    i % 3
                ]
                + "\n"
            )
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
