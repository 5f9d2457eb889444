"""Tool-call parsing: model text → calls, reasoning, answer and one failure class (native, Rust).

`parse` reads every output format awpo knows (DESIGN.md "Model output format"): Hermes
`<tool_call>` JSON (several blocks, several objects per block one per line as in ToolRL data,
arrays, `arguments` or `parameters`, OpenAI-style argument strings), pythonic lists
`[f(a=1), mod.g()]`, a bare JSON call object or array, and Qwen3-coder XML
`<function=f><parameter=a>…</parameter></function>`; plus the `<think>` reasoning and the final
answer (`<response>…</response>`, else free text).

A model's text is never an error: what goes wrong is reported as `ParseResult.failure`, one of
`FAILURE_CLASSES`, chosen by precedence `truncated > unclosed_tag > malformed_json > unknown_tool >
schema_violation > extra_text > no_call > ok`, with every problem listed in `ParseResult.issues`.
Calls that could be read are kept whatever the failure; a call cut off by the length budget is
never repaired into a valid one. The exact rules are on `awpo_core::toolcall::parse`
(rust/awpo-core/src/toolcall/mod.rs); `tests/reference/toolcall.py` restates them in Python.

Schemas: pass the task's OpenAI function schemas (`{"type": "function", "function": {...}}` or
the bare `{name, description, parameters}`) to check each call (unknown tool, missing required
or unknown parameter, wrong JSON type, enum, nested items/properties). Build a `ToolSet` once
and reuse it in hot loops: a list of dicts is compiled again on every call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from awpo._native import ParseIssue, ParseResult, ToolSet, parse_tool_calls, parse_tool_calls_batch

FailureClass: TypeAlias = Literal[
    "ok", "no_call", "malformed_json", "unclosed_tag", "unknown_tool", "schema_violation", "extra_text", "truncated"
]
"""The closed set of parse outcomes (DESIGN.md "Parse result")."""

FAILURE_CLASSES: tuple[FailureClass, ...] = (
    "ok",
    "no_call",
    "malformed_json",
    "unclosed_tag",
    "unknown_tool",
    "schema_violation",
    "extra_text",
    "truncated",
)
"""Every failure class, in DESIGN.md order."""

CallFormat: TypeAlias = Literal["hermes", "pythonic", "json", "xml"]
"""How the first call of an output was written (`ParseResult.format`)."""

ToolsLike: TypeAlias = ToolSet | Sequence[Mapping[str, Any]] | None
"""A compiled `ToolSet`, a list of OpenAI function schemas, or None (no schema checks)."""


def toolset(tools: ToolsLike) -> ToolSet | None:
    """Compiles `tools` once (a `ToolSet` is returned as is; None stays None).

    Raises:
        TypeError: `tools` is not a sequence of mappings, or holds a non-JSON value.
        ValueError: a schema is malformed; the message names the item and field, e.g.
            ``tools[1]: tool `f`: parameters.properties.x.type: expected a string or an array of strings``.
    """
    if tools is None or isinstance(tools, ToolSet):
        return tools
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Sequence):
        raise TypeError(f"tools must be a ToolSet or a sequence of tool schemas (dicts), not {type(tools).__name__}")
    return ToolSet(list(tools))


def parse(text: str, tools: ToolsLike = None, *, truncated: bool = False) -> ParseResult:
    """Parses one model output.

    Args:
        text (`str`): the generated text of one turn.
        tools (`ToolSet | Sequence[Mapping] | None`, defaults to `None`): the task's function
            schemas; None checks no schema (no `unknown_tool` / `schema_violation`).
        truncated (`bool`, defaults to `False`): the generation stopped on the length budget, so an
            open tag or bare call running to the end is `truncated` rather than a syntax failure.

    Returns:
        `ParseResult` with `.calls` (list of `{"name": str, "arguments": dict}`), `.reasoning`,
        `.answer`, `.failure` (a `FailureClass`), `.issues`, `.format` and `.ok`.

    Raises:
        TypeError: `text` is not a str, or `tools` has the wrong type.
        ValueError: a tool schema is malformed (never for the model's text).
    """
    if not isinstance(truncated, bool):
        raise TypeError(f"truncated must be a bool, not {type(truncated).__name__}")
    return parse_tool_calls(text, toolset(tools), truncated=truncated)


def parse_batch(
    texts: Sequence[str],
    tools: ToolsLike = None,
    *,
    truncated: bool | Sequence[bool] | npt.NDArray[np.bool_] | None = None,
) -> list[ParseResult]:
    """Parses many model outputs with the same tools, in parallel on all cores, without the GIL.

    Args:
        texts (`Sequence[str]`): the outputs.
        tools: as in `parse`, shared by every text.
        truncated (`bool | Sequence[bool] | None`, defaults to `None`): one flag for all texts, or
            one per text (same length as `texts`; numpy bool arrays work); None means no text was cut.

    Raises:
        TypeError: an element of `texts` is not a str, or an argument has the wrong type.
        ValueError: `truncated` and `texts` differ in length, or a tool schema is malformed.
    """
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a sequence of str, not {type(texts).__name__}")
    items = texts if isinstance(texts, (list, tuple)) else list(texts)
    flags: list[bool] | None
    if truncated is None or truncated is False:
        flags = None
    elif truncated is True:
        flags = [True] * len(items)
    else:
        if isinstance(truncated, (str, bytes)) or not all(isinstance(f, (bool, np.bool_)) for f in truncated):
            raise TypeError("truncated must be a bool or a sequence of bool")
        flags = [bool(f) for f in truncated]
    return parse_tool_calls_batch(items, toolset(tools), truncated=flags)


__all__ = [
    "FAILURE_CLASSES",
    "CallFormat",
    "FailureClass",
    "ParseIssue",
    "ParseResult",
    "ToolSet",
    "ToolsLike",
    "parse",
    "parse_batch",
    "toolset",
]
