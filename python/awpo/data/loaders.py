"""Loaders from public tool-use formats into the Task schema (DESIGN.md "Task").

| format    | file                                   | one row                                                     |
|-----------|----------------------------------------|-------------------------------------------------------------|
| `xlam`    | JSON array or JSONL                    | `{id, query, tools: str(JSON), answers: str(JSON)}`         |
| `toolace` | JSON array or JSONL (sharegpt-style)   | `{system, conversations: [{from, value}]}`; calls pythonic   |
| `toolrl`  | JSON array or JSONL                    | `{instruction, input, output}`; `<tool_call>` JSON lines    |
| `bfcl`    | question JSONL + possible-answer JSONL | `{id, question, function}` + `{id, ground_truth}`           |
| `awpo`    | Task JSONL                             | a Task                                                      |

Every loader returns a `LoadReport`: bad rows are reported with their line and reason, skipped
and counted, never dropped silently. Tool-call arguments inside `messages` are dicts (the
convention of Hugging Face chat templates), tools are OpenAI function schemas.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from awpo.data.convert import (
    JsonDict,
    bfcl_parameters_to_schema,
    find_json_list,
    flat_params_to_schema,
    loads_lenient,
    openai_tool,
    parse_pythonic_calls,
    tool_name,
)
from awpo.data.io import DataError, LoadReport, RowError, read_rows, read_tasks
from awpo.data.schema import Answer, FunctionCall, Task

Loader = Callable[[Path], LoadReport[Task]]


# ----------------------------------------------------------------------------- xLAM


def load_xlam(path: str | Path) -> LoadReport[Task]:
    """Load xLAM function-calling data (Salesforce/xlam-function-calling-60k layout).

    `tools` and `answers` are JSON strings (or already-decoded lists); tool parameters are
    `{name: {type: "str", description, default}}`, optional when the type ends in `, optional`.
    """

    def convert(row: Any, line: int) -> list[Task]:
        obj = _require_object(row)
        query = obj["query"]
        if not isinstance(query, str) or not query.strip():
            raise RowError("'query' must be a non-empty string")
        tools = [_flat_tool(t) for t in _as_list(obj["tools"], "tools")]
        calls = [_call(c, "answers") for c in _as_list(obj["answers"], "answers")]
        _check_call_names(calls, tools)
        answer = Answer(tool_calls=calls) if calls else Answer(no_call=True)
        return [
            Task(
                id=f"xlam-{obj.get('id', line)}",
                messages=[{"role": "user", "content": query}],
                tools=tools,
                answer=answer,
                meta={"source": "xlam", "line": line},
            )
        ]

    return read_rows(path, convert, source=f"xlam:{path}")


# ----------------------------------------------------------------------------- ToolACE


def load_toolace(path: str | Path) -> LoadReport[Task]:
    """Load ToolACE (Team-ACE/ToolACE `data.json`, sharegpt-style).

    The tool list is the JSON array embedded in `system`. Each assistant turn that answers a user
    turn becomes one task: the conversation before it is the context (earlier calls become
    assistant `tool_calls`, tool outputs `tool` messages); a pythonic call list is the answer's
    calls, anything else its response text. Assistant turns that follow a tool output are
    summaries of that output, not decisions, and yield no task (counted in `meta`).
    """

    def convert(row: Any, line: int) -> list[Task]:
        obj = _require_object(row)
        system = obj.get("system", "")
        if not isinstance(system, str):
            raise RowError("'system' must be a string")
        raw_tools = find_json_list(system)
        if raw_tools is None and isinstance(obj.get("tools"), (str, list)):
            raw_tools = _as_list(obj["tools"], "tools")
        if raw_tools is None:
            raise RowError("no tool list (a JSON array of objects with 'name') found in 'system'")
        tools = [_flat_tool(t) for t in raw_tools]
        names = [tool_name(t) for t in tools]
        turns = obj["conversations"]
        if not isinstance(turns, list) or not turns:
            raise RowError("'conversations' must be a non-empty list")
        tasks: list[Task] = []
        messages: list[JsonDict] = []
        for i, turn in enumerate(turns):
            if not isinstance(turn, dict):
                raise RowError(f"conversations[{i}] is not an object")
            role = {"user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant"}.get(
                str(turn.get("from", "")), "tool" if turn.get("from") in ("tool", "function", "observation") else ""
            )
            value = turn.get("value")
            if not role or not isinstance(value, str):
                raise RowError(f"conversations[{i}] needs 'from' (user/assistant/tool) and a string 'value'")
            if role != "assistant":
                messages.append({"role": role, "content": value})
                continue
            calls = _try_pythonic(value, names)
            if messages and messages[-1]["role"] == "user":
                answer = Answer(tool_calls=calls) if calls else Answer(response=value.strip())
                if calls:
                    _check_call_names(calls, tools)
                tasks.append(
                    Task(
                        id=f"toolace-{line}-{i}",
                        messages=list(messages),
                        tools=tools,
                        answer=answer,
                        meta={"source": "toolace", "line": line, "turn": i},
                    )
                )
            if calls:
                messages.append({"role": "assistant", "content": "", "tool_calls": _oai_calls(calls)})
            else:
                messages.append({"role": "assistant", "content": value})
        if not tasks:
            raise RowError("no assistant turn answers a user turn")
        return tasks

    return read_rows(path, convert, source=f"toolace:{path}")


def _try_pythonic(text: str, names: list[str]) -> list[FunctionCall]:
    stripped = text.strip()
    if not stripped.startswith("[") or not stripped.endswith("]"):
        return []
    try:
        return [FunctionCall(name=c["name"], arguments=c["arguments"]) for c in parse_pythonic_calls(stripped, names)]
    except ValueError:
        return []


# ----------------------------------------------------------------------------- ToolRL

_TOOLRL_TOOL = re.compile(
    r"^\s*\d+\.\s*Name:\s*(?P<name>.+?)\s*\n\s*Description:\s*(?P<desc>.*?)\s*\n\s*Parameters:\s*(?P<params>.+?)\s*$",
    re.MULTILINE,
)
_TOOL_CALL_BLOCK = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_RESPONSE_BLOCK = re.compile(r"<response>(.*?)</response>", re.DOTALL)


def load_toolrl(path: str | Path, *, keep_system: bool = False) -> LoadReport[Task]:
    """Load ToolRL's format (`rlla_rl.json` / `rlla_sft.json`: `{instruction, input, output}`).

    Tools are the numbered `Name:/Description:/Parameters:` entries of `instruction`; `input` is
    the user turn (its dialogue history stays inside it, as ToolRL feeds it); `output` holds the
    ground truth: `<tool_call>` JSON lines (`{"name", "parameters"}`) and/or `<response>`. With
    `keep_system`, ToolRL's own system prompt is kept as the first message (by default awpo's
    renderer describes the tools and the format itself).
    """

    def convert(row: Any, line: int) -> list[Task]:
        obj = _require_object(row)
        instruction, user, output = obj["instruction"], obj["input"], obj["output"]
        if not all(isinstance(x, str) for x in (instruction, user, output)):
            raise RowError("'instruction', 'input' and 'output' must be strings")
        tools = []
        for m in _TOOLRL_TOOL.finditer(instruction):
            params = loads_lenient(m.group("params"))
            tools.append(openai_tool(m.group("name"), m.group("desc"), flat_params_to_schema(params)))
        calls: list[FunctionCall] = []
        blocks = _TOOL_CALL_BLOCK.findall(output)
        for block in blocks:
            for raw in block.strip().splitlines():
                if raw.strip():
                    calls.append(_call(loads_lenient(raw.strip()), "output <tool_call>"))
        responses = _RESPONSE_BLOCK.findall(output)
        if not blocks and not responses:
            raise RowError("'output' has neither <tool_call> nor <response>")
        if calls:
            _check_call_names(calls, tools)
        answer = Answer(tool_calls=calls, response=responses[0].strip() if responses else None)
        messages: list[JsonDict] = [{"role": "user", "content": user}]
        if keep_system:
            messages.insert(0, {"role": "system", "content": instruction})
        meta: JsonDict = {"source": "toolrl", "line": line}
        think = re.search(r"<think>(.*?)</think>", output, re.DOTALL)
        if think and think.group(1).strip():
            meta["reasoning"] = think.group(1).strip()
        return [Task(id=f"toolrl-{line}", messages=messages, tools=tools, answer=answer, meta=meta)]

    return read_rows(path, convert, source=f"toolrl:{path}")


# ----------------------------------------------------------------------------- BFCL


def bfcl_category(entry_id: str) -> str:
    """BFCL category of an entry id: `simple_python_3` → `simple_python`, `live_simple_0-0-0` → `live_simple`."""
    return entry_id.rsplit("_", 1)[0]


def bfcl_tools(functions: list[JsonDict]) -> list[JsonDict]:
    """BFCL function docs → OpenAI tool schemas (names unchanged, dots included)."""
    tools = []
    for fn in functions:
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise ValueError("BFCL function doc without a 'name'")
        params = fn.get("parameters", {"type": "dict", "properties": {}})
        tools.append(openai_tool(fn["name"], str(fn.get("description", "")), bfcl_parameters_to_schema(params)))
    return tools


def representative_call(name: str, acceptable: JsonDict) -> FunctionCall:
    """One right call from BFCL's acceptable values: the first non-omitted value of each parameter.

    A parameter whose only acceptable value is `""` (may be omitted) is left out; one with an empty
    list (no value can be right, which BFCL's data has a few of) too. Nested dicts in BFCL's
    possible answers again map each key to a list of acceptable values and are resolved the same
    way, recursively.
    """
    return FunctionCall(name=name, arguments=_first_values(acceptable, where=name))


def _first_values(acceptable: JsonDict, *, where: str) -> JsonDict:
    out: JsonDict = {}
    for param, values in acceptable.items():
        if not isinstance(values, list):
            raise ValueError(f"acceptable values of {where}.{param} must be a list")
        present = [v for v in values if v != ""]
        if present:
            out[param] = _resolve(present[0])
    return out


def _resolve(value: Any) -> Any:
    """BFCL nests one level: a dict value (or a list of dicts) maps keys to acceptable-value lists."""
    if isinstance(value, dict):
        return {k: _first_or_literal(v) for k, v in value.items() if _first_or_literal(v) != ""}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_resolve(v) for v in value]
    return value


def _first_or_literal(values: Any) -> Any:
    if isinstance(values, list):
        present = [v for v in values if v != ""]
        return present[0] if present else ""
    return values


def bfcl_entry_to_task(entry: JsonDict, ground_truth: Any | None) -> Task:
    """Convert one BFCL entry (with its possible answer, if the category has one) into a Task.

    Single-turn: `messages` is the first (only) turn; `answer.acceptable` is BFCL's possible
    answer. Irrelevance: `answer.no_call`. Relevance: `meta.bfcl.expects_call`. Multi-turn: the first
    turn is `messages`, the later turns, the execution ground truth, the initial state and the
    involved API classes are in `meta.bfcl`, and `env` is `"bfcl"`.
    """
    entry_id = entry["id"]
    category = bfcl_category(entry_id)
    question = entry["question"]
    if not isinstance(question, list) or not question or not isinstance(question[0], list):
        raise ValueError("'question' must be a non-empty list of turns")
    functions = entry.get("function")
    if not isinstance(functions, list):
        raise ValueError("'function' (the tool docs) is missing; multi-turn entries need their func docs")
    meta_bfcl: JsonDict = {"category": category}
    env: str | None = None
    if category.startswith("multi_turn"):
        if not isinstance(ground_truth, list):
            raise ValueError("multi-turn entry needs its ground truth (a list of turns)")
        meta_bfcl.update(
            turns=question[1:],
            ground_truth=ground_truth,
            initial_config=entry.get("initial_config", {}),
            involved_classes=entry.get("involved_classes", []),
            missed_function=entry.get("missed_function", {}),
        )
        answer = Answer()
        env = "bfcl"
    elif "irrelevance" in category:
        answer = Answer(no_call=True)
    elif "relevance" in category:
        meta_bfcl["expects_call"] = True
        answer = Answer()
    else:
        if not isinstance(ground_truth, list) or not ground_truth:
            raise ValueError("single-turn entry needs a non-empty possible answer")
        calls = []
        for item in ground_truth:
            if not isinstance(item, dict) or len(item) != 1:
                raise ValueError("each possible-answer item must be {function_name: {param: [values]}}")
            ((name, params),) = item.items()
            call = representative_call(name, params)
            known = _param_names(functions, name)
            if known is not None:  # BFCL's answers name a few parameters its docs lack; a right call cannot
                call = FunctionCall(name=name, arguments={k: v for k, v in call.arguments.items() if k in known})
            calls.append(call)
        answer = Answer(tool_calls=calls, acceptable=ground_truth)
    messages = question[0]
    if not messages:
        raise ValueError("the first turn has no message")
    return Task(
        id=entry_id,
        messages=messages,
        tools=bfcl_tools(functions),
        answer=answer,
        env=env,
        meta={"source": "bfcl", "bfcl": meta_bfcl},
    )


def _param_names(functions: list[JsonDict], name: str) -> set[str] | None:
    for fn in functions:
        if isinstance(fn, dict) and fn.get("name") == name:
            props = fn.get("parameters", {}).get("properties", {})
            return set(props) if isinstance(props, dict) else None
    return None


def load_bfcl(
    questions: str | Path, answers: str | Path | None = None, *, func_doc_dir: str | Path | None = None
) -> LoadReport[Task]:
    """Load a BFCL question file and its possible-answer file (joined by id).

    Multi-turn question files carry no function docs; pass `func_doc_dir` (BFCL's
    `data/multi_turn_func_doc/`) to attach them. BFCL data is for evaluation only: awpo never
    trains on it.
    """
    truth: dict[str, Any] = {}
    if answers is not None:
        ans_report = read_rows(answers, _bfcl_answer_row, source=f"bfcl-answers:{answers}")
        truth = dict(ans_report.items)
        if ans_report.bad:
            raise DataError(f"possible-answer file has bad rows: {ans_report.bad[0]}")
    docs = _bfcl_func_docs(Path(func_doc_dir)) if func_doc_dir is not None else {}

    def convert(row: Any, _line: int) -> list[Task]:
        entry = dict(_require_object(row))
        entry_id = entry.get("id")
        if not isinstance(entry_id, str):
            raise RowError("entry has no string 'id'")
        if "function" not in entry and entry.get("involved_classes"):
            if not docs:
                raise RowError("multi-turn entry without function docs; pass func_doc_dir")
            entry["function"] = _multi_turn_functions(entry, docs)
        gt = truth.get(entry_id)
        category = bfcl_category(entry_id)
        if gt is None and "relevance" not in category:
            raise RowError(f"no possible answer for {entry_id}")
        return [bfcl_entry_to_task(entry, gt)]

    return read_rows(questions, convert, source=f"bfcl:{questions}")


def _bfcl_answer_row(row: Any, _line: int) -> list[tuple[str, Any]]:
    obj = _require_object(row)
    if not isinstance(obj.get("id"), str):
        raise RowError("possible answer has no string 'id'")
    return [(obj["id"], obj["ground_truth"])]


_CLASS_DOC_FILES = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
}


def _bfcl_func_docs(doc_dir: Path) -> dict[str, list[JsonDict]]:
    docs: dict[str, list[JsonDict]] = {}
    for cls, filename in _CLASS_DOC_FILES.items():
        path = doc_dir / filename
        if path.exists():
            docs[cls] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not docs:
        raise DataError(f"no BFCL multi-turn function docs found in {doc_dir}")
    return docs


def _multi_turn_functions(entry: JsonDict, docs: dict[str, list[JsonDict]]) -> list[JsonDict]:
    functions: list[JsonDict] = []
    for cls in entry["involved_classes"]:
        if cls not in docs:
            raise RowError(f"no function docs for API class {cls!r}")
        functions.extend(docs[cls])
    missed = {name for names in entry.get("missed_function", {}).values() for name in names}
    entry["missed_function"] = {
        turn: [f for f in functions if f["name"] in names] for turn, names in entry.get("missed_function", {}).items()
    }
    return [f for f in functions if f["name"] not in missed]


# ----------------------------------------------------------------------------- dispatch

EVAL_ONLY_SOURCES = frozenset({"bfcl"})


def check_trainable(tasks: list[Task]) -> list[Task]:
    """Return `tasks`, or raise `DataError` if any comes from an evaluation-only source (BFCL).

    The trainer calls this on its training data: benchmark data must never be trained on.
    """
    bad = [t.id for t in tasks if t.meta.get("source") in EVAL_ONLY_SOURCES]
    if bad:
        raise DataError(f"{len(bad)} tasks come from evaluation-only data (BFCL), e.g. {bad[:3]}; never train on them")
    return tasks


LOADERS: dict[str, Loader] = {
    "xlam": load_xlam,
    "toolace": load_toolace,
    "toolrl": load_toolrl,
    "awpo": read_tasks,
}


def load_tasks(path: str | Path, fmt: str) -> LoadReport[Task]:
    """Load `path` in format `fmt` (one of `LOADERS`; BFCL has its own two-file `load_bfcl`)."""
    if fmt not in LOADERS:
        raise ValueError(f"unknown task format {fmt!r}; choose one of {sorted(LOADERS)} (or load_bfcl)")
    return LOADERS[fmt](Path(path))


# ----------------------------------------------------------------------------- helpers


def _require_object(row: Any) -> JsonDict:
    if not isinstance(row, dict):
        raise RowError(f"expected a JSON object, got {type(row).__name__}")
    return row


def _as_list(value: Any, field: str) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise RowError(f"'{field}' is not valid JSON: {e.msg}") from e
    if not isinstance(value, list):
        raise RowError(f"'{field}' must be a list")
    return value


def _flat_tool(raw: Any) -> JsonDict:
    if not isinstance(raw, dict):
        raise RowError("a tool must be an object")
    if raw.get("type") == "function" and isinstance(raw.get("function"), dict):
        fn = raw["function"]
        return openai_tool(str(fn["name"]), str(fn.get("description", "")), flat_params_to_schema(fn["parameters"]))
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise RowError("a tool has no 'name'")
    return openai_tool(name, str(raw.get("description", "")), flat_params_to_schema(raw.get("parameters", {})))


def _call(raw: Any, field: str) -> FunctionCall:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise RowError(f"a call in '{field}' must be an object with a string 'name'")
    args = raw.get("arguments", raw.get("parameters", {}))
    if isinstance(args, str):
        args = loads_lenient(args) if args.strip() else {}
    if not isinstance(args, dict):
        raise RowError(f"arguments of call {raw['name']!r} in '{field}' must be an object")
    return FunctionCall(name=raw["name"], arguments=args)


def _check_call_names(calls: list[FunctionCall], tools: list[JsonDict]) -> None:
    names = {tool_name(t) for t in tools}
    for call in calls:
        if call.name not in names:
            raise RowError(f"answer calls {call.name!r}, which is not among the row's tools")


def _oai_calls(calls: list[FunctionCall]) -> list[JsonDict]:
    return [{"type": "function", "function": {"name": c.name, "arguments": dict(c.arguments)}} for c in calls]
