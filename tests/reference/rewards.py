"""Plain-Python reference of awpo's outcome rewards (REWARDS.md): `toolrl`, `exact`, `bfcl`.

The oracle of the property test "native == reference on random data" (tests/rewards/test_outcome.py)
and the baseline of `benches/test_rewards.py`. It is written the way the published implementations
are written (ToolRL: `re`, `str.split`, JSON lines; BFCL: its AST checker's rules over `json.loads`
values), for clarity, not speed, and shares no code with the Rust implementation.

`toolrl` reads the text itself. `exact` and `bfcl` score a parse in the plain form of
`awpo._native.ParseResult.to_dict()`, as the reference parser `reference.toolcall.parse` returns it;
`outcome` chains the two like `awpo.rewards.outcome`. JSON text is read with `reference.toolcall.loads`
(the standard `json` module held to serde_json's rules), so both sides see the same values.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from reference import toolcall

JsonDict = dict[str, Any]

# --------------------------------------------------------------------------- JSON equality


def json_eq(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, "1" != 1, and booleans are not numbers (True != 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_eq(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_eq(v, b[k]) for k, v in a.items())
    return type(a) is type(b) and a == b


# --------------------------------------------------------------------------- toolrl

_TOOLRL_FORMAT = {
    # (has calls, has response) -> anchored pattern; `.` spans newlines.
    (True, False): re.compile(r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>$", re.DOTALL),
    (False, True): re.compile(r"^<think>.*?</think>\n<response>.*?</response>$", re.DOTALL),
    (True, True): re.compile(
        r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>\n<response>.*?</response>$", re.DOTALL
    ),
    (False, False): re.compile(r"^<think>.*?</think>$", re.DOTALL),
}


def toolrl_format(text: str, answer: JsonDict) -> float:
    """1.0 iff the stripped text has the layout the ground truth requires (REWARDS.md)."""
    s = text.strip()
    has_calls = bool(answer.get("tool_calls"))
    has_response = answer.get("response") is not None
    if not _TOOLRL_FORMAT[has_calls, has_response].search(s):
        return 0.0
    if has_calls and (s.count("<tool_call>") != 1 or s.count("</tool_call>") != 1):
        return 0.0
    if has_response and (s.count("<response>") != 1 or s.count("</response>") != 1):
        return 0.0
    return 1.0


def _match_score(list1: list[Any], list2: list[Any]) -> float:
    """ToolRL's frequency-aware Jaccard of two lists."""
    if list1 == list2:
        return 1.0
    if not list1 or not list2:
        return 0.0
    count1, count2 = Counter(list1), Counter(list2)
    intersection = sum(min(count1[k], count2[k]) for k in count1.keys() & count2.keys())
    return intersection / (len(list1) + len(list2) - intersection)


def _tool_call_score(gt_tools: list[JsonDict], pd_tools: list[JsonDict]) -> float:
    """ToolRL's `compute_tool_call_reward` with max 3, min -3 and JSON value equality."""
    if len(gt_tools) == len(pd_tools) and all(
        g["name"] == p["name"] and json_eq(g["parameters"], p["parameters"])
        for g, p in zip(gt_tools, pd_tools, strict=True)
    ):
        return 3.0
    score = _match_score([t["name"] for t in gt_tools], [t["name"] for t in pd_tools])
    local_max_possible = 1.0
    used: set[int] = set()
    for gt_tool in gt_tools:
        gt_params = gt_tool["parameters"]
        local_max_possible += 1.0 + len(gt_params)
        best_score, best_index = 0.0, -1
        for i, pd_tool in enumerate(pd_tools):
            if i in used or pd_tool["name"] != gt_tool["name"]:
                continue
            pd_params = pd_tool["parameters"]
            param_score = _match_score(list(gt_params.keys()), list(pd_params.keys()))
            correct = sum(1.0 for k, v in gt_params.items() if k in pd_params and json_eq(pd_params[k], v))
            total = param_score + correct
            if total > best_score:
                best_score, best_index = total, i
        if best_index >= 0:
            used.add(best_index)
            score += best_score
    return 6.0 * score / local_max_possible - 3.0


def toolrl_correctness(text: str, answer: JsonDict) -> float:
    """ToolRL's correctness in [-3, 3] (REWARDS.md steps 1-7)."""
    gt_tools = [{"name": c["name"], "parameters": c.get("arguments", {})} for c in answer.get("tool_calls") or []]
    if not gt_tools:
        return 0.0
    s = text.strip()
    if "<tool_call>" not in s or "</tool_call>" not in s:
        return -3.0
    block = s.split("<tool_call>")[1].split("</tool_call>")[0].strip()
    pd_tools = []
    for line in block.split("\n"):
        try:
            obj = toolcall.loads(line)
        except ValueError:
            return -3.0
        if not isinstance(obj, dict) or "name" not in obj:
            return -3.0
        if "parameters" in obj:
            params = obj["parameters"]
        elif "arguments" in obj:
            params = obj["arguments"]
        else:
            return -3.0
        pd_tools.append({"name": obj["name"], "parameters": params})
    try:
        return _tool_call_score(gt_tools, pd_tools)
    except (TypeError, AttributeError):  # unhashable name, or `.keys()` of a non-object: ToolRL's -3
        return -3.0


def toolrl(text: str, answer: JsonDict) -> tuple[float, float, float]:
    """`(total, format, correctness)` of ToolRL's reward."""
    fmt, correctness = toolrl_format(text, answer), toolrl_correctness(text, answer)
    return fmt + correctness, fmt, correctness


# --------------------------------------------------------------------------- exact


def _calls(parsed: JsonDict) -> list[tuple[str, JsonDict]]:
    return [(c["name"], c["arguments"]) for c in parsed["calls"]]


def exact(parsed: JsonDict, answer: JsonDict) -> tuple[float, float, float]:
    """`(total, think, calls)`: think present, parse ok and the calls equal as a multiset."""
    think = 1.0 if parsed["reasoning"] is not None else 0.0
    gt = [(c["name"], c.get("arguments", {})) for c in answer.get("tool_calls") or []]
    if not gt:
        calls_ok = not parsed["calls"] and parsed["failure"] in ("ok", "no_call")
    else:
        remaining = _calls(parsed)
        calls_ok = parsed["failure"] == "ok" and len(remaining) == len(gt)
        for name, args in gt if calls_ok else []:
            hit = next((i for i, (n, a) in enumerate(remaining) if n == name and json_eq(a, args)), None)
            if hit is None:
                calls_ok = False
                break
            remaining.pop(hit)
    calls = 1.0 if calls_ok else 0.0
    return think * calls, think, calls


# --------------------------------------------------------------------------- bfcl

_BFCL_TYPES: dict[str, type] = {
    "string": str,
    "any": str,
    "integer": int,
    "float": float,
    "number": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "object": dict,
}


def standardize(s: str) -> str:
    """BFCL's string normalisation: drop ` ,./-_*^`, lowercase, ' -> "."""
    return re.sub(r"[ ,./\-_*^]", "", s).lower().replace("'", '"')


def _std(v: Any) -> Any:
    return standardize(v) if isinstance(v, str) else v


def _answer_type(possible: list[Any]) -> type | None:
    return next((type(a) for a in possible if a != ""), None)


def _type_ok(value: Any, possible: list[Any], expected: type, nested: type | None) -> tuple[bool, bool]:
    """`(valid, is_variable)` as BFCL's type checker decides."""
    answer_type = _answer_type(possible)
    is_variable = answer_type is not None and answer_type != expected
    if type(value) is expected:
        if nested is None:
            return True, is_variable
        for candidate in possible:
            if not isinstance(candidate, list) or all(_type_ok(v, candidate, nested, None)[0] for v in value):
                return True, is_variable
        return False, False
    if answer_type is not None and type(value) is answer_type:
        return True, True
    return False, False


def _as_list(candidate: Any) -> list[Any] | None:
    if isinstance(candidate, list):
        return [_std(v) for v in candidate]
    if isinstance(candidate, str):
        return [standardize(c) for c in candidate]
    return None


def _dict_ok(value: JsonDict, possible: list[Any]) -> bool:
    for candidate in possible:
        if candidate == "" or not isinstance(candidate, dict):
            continue
        ok = True
        for k, v in value.items():
            allowed = _as_list(candidate[k]) if k in candidate else None
            if allowed is None or _std(v) not in allowed:
                ok = False
                break
        if ok and all(
            k in value or (isinstance(vals, list) and "" in vals) or isinstance(vals, str)
            for k, vals in candidate.items()
        ):
            return True
    return False


def _list_dict_ok(value: list[Any], possible: list[Any]) -> bool:
    for candidate in possible:
        if candidate == "":
            candidate = []
        if not isinstance(candidate, list) or len(candidate) != len(value):
            continue
        if all(isinstance(v, dict) and _dict_ok(v, [c]) for v, c in zip(value, candidate, strict=True)):
            return True
    return False


def _declared(spec: Any) -> tuple[type | None, type | None]:
    """The declared type of a parameter and, for arrays, of its items (None: not one BFCL knows)."""

    def lookup(s: Any) -> type | None:
        t = s.get("type") if isinstance(s, dict) else None
        return _BFCL_TYPES.get(t) if isinstance(t, str) else None

    declared = lookup(spec)
    return declared, (lookup(spec.get("items")) if declared is list else None)


def _value_ok(value: Any, possible: list[Any], spec: JsonDict | None) -> bool:
    declared, nested = _declared(spec)
    expected = declared or _answer_type(possible) or type(value)
    if expected is float and type(value) is int:
        value = float(value)
    valid, is_variable = _type_ok(value, possible, expected, nested)
    if not valid:
        return False
    if not is_variable:
        if expected is dict:
            return _dict_ok(value, possible)
        if expected is list and nested is dict:
            return _list_dict_ok(value, possible)
        if expected is str:
            return standardize(value) in [standardize(a) for a in possible if isinstance(a, str)]
        if expected is list:
            std = [_std(v) for v in value]
            return any(c == std for c in map(_as_list, possible) if c is not None)
    return value in possible


def _call_ok(name: str, args: JsonDict, answer: tuple[str, JsonDict], fn: JsonDict | None) -> bool:
    expected_name, possible = answer
    if name != expected_name:
        return False
    params = (fn or {}).get("parameters") or {}
    props: JsonDict = params.get("properties") or {}
    if fn is not None and any(r not in args for r in params.get("required") or []):
        return False
    for key, value in args.items():
        if (fn is not None and key not in props) or key not in possible:
            return False
        if not _value_ok(value, possible[key], props.get(key)):
            return False
    return all(k in args or "" in vals for k, vals in possible.items())


def _derived(value: Any, spec: JsonDict | None) -> list[Any]:
    declared, nested = _declared(spec)
    expected = declared or type(value)
    if expected is dict and isinstance(value, dict):
        return [{k: [v] for k, v in value.items()}]
    if expected is list and nested is dict and isinstance(value, list):
        return [[{k: [v] for k, v in x.items()} if isinstance(x, dict) else x for x in value]]
    return [value]


def _function(tool: JsonDict) -> JsonDict:
    return tool.get("function", tool)  # type: ignore[no-any-return]


def bfcl(parsed: JsonDict, answer: JsonDict, tools: list[JsonDict] | None = None) -> float:
    """1.0 iff BFCL's AST checker (greedy no-order pairing) accepts the parsed calls."""
    functions = {}
    for t in tools or []:
        functions.setdefault(_function(t)["name"], _function(t))
    if answer.get("acceptable") is not None:
        answers = [next(iter(a.items())) for a in answer["acceptable"]]
    else:
        answers = []
        for c in answer.get("tool_calls") or []:
            props = ((functions.get(c["name"]) or {}).get("parameters") or {}).get("properties") or {}
            answers.append((c["name"], {k: _derived(v, props.get(k)) for k, v in c.get("arguments", {}).items()}))
    calls = _calls(parsed)
    decodes = parsed["failure"] not in ("malformed_json", "unclosed_tag", "truncated")
    if answer.get("no_call") or not answers:
        return 1.0 if not decodes or not calls else 0.0
    if not decodes or len(calls) != len(answers):
        return 0.0
    used: set[int] = set()
    for ans in answers:
        fn = functions.get(ans[0])
        hit = next(
            (i for i, (n, a) in enumerate(calls) if i not in used and _call_ok(n, a, ans, fn)),
            None,
        )
        if hit is None:
            return 0.0
        used.add(hit)
    return 1.0


# --------------------------------------------------------------------------- one rollout


def outcome(
    kind: str, text: str, answer: JsonDict, tools: list[JsonDict] | None = None, *, truncated: bool = False
) -> tuple[float, dict[str, float], str]:
    """`(total, components, failure class)` of one rollout, the way `awpo.rewards.outcome` reports it."""
    parsed = toolcall.parse(text, tools, truncated=truncated)
    if kind == "toolrl":
        total, fmt, correctness = toolrl(text, answer)
        return total, {"format": fmt, "correctness": correctness}, parsed["failure"]
    if kind == "exact":
        total, think, calls = exact(parsed, answer)
        return total, {"think": think, "calls": calls}, parsed["failure"]
    if kind == "bfcl":
        ast = bfcl(parsed, answer, tools)
        return ast, {"ast": ast}, parsed["failure"]
    raise ValueError(f"unknown reward kind {kind!r}; expected one of: toolrl, exact, bfcl")
