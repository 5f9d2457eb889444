"""Decoders: a model's raw text → the calls the checkers score.

- `awpo`: awpo's native parser (`awpo.rewards.parse`), the one training rewards use. It reads
  `<tool_call>` blocks (one or several JSON objects per block), pythonic lists, bare JSON and
  Qwen3-coder XML.
- `bfcl-hermes`: BFCL's own decoder for its `Qwen/Qwen3-0.6B-FC` model key (one JSON object per
  `<tool_call>\\n...\\n</tool_call>` block; anything else is not a call). Useful to see how the
  leaderboard's own decoding would score the same generations.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from awpo.data.convert import JsonDict
from awpo.data.schema import FunctionCall
from awpo.errors import AwpoError


@dataclass(frozen=True)
class Decoded:
    """The calls found in one output, its final text answer, and the decoder's failure class."""

    calls: list[FunctionCall] = field(default_factory=list)
    response: str | None = None
    failure: str = "ok"


Decoder = Callable[[str, Sequence[JsonDict]], Decoded]
DECODERS = ("awpo", "bfcl-hermes")


def make_decoder(name: str) -> Decoder:
    """The decoder called `name` (one of `DECODERS`)."""
    if name == "awpo":
        return awpo_decoder()
    if name == "bfcl-hermes":
        return bfcl_hermes_decoder()
    raise ValueError(f"unknown decoder {name!r}; choose one of {', '.join(DECODERS)}")


def awpo_decoder() -> Decoder:
    """awpo's native parser, as the outcome rewards use it."""
    try:
        rewards = importlib.import_module("awpo.rewards")
        parse = rewards.parse
    except (ImportError, AttributeError) as e:
        raise AwpoError(
            "the `awpo` decoder needs awpo's native parser (`awpo.rewards.parse`), which this build lacks; "
            "use --decoder bfcl-hermes"
        ) from e

    def decode(text: str, _tools: Sequence[JsonDict]) -> Decoded:
        # No schemas: the benchmark's own checker judges the calls; the parser only reads them.
        result = parse(text)
        calls = [FunctionCall(name=c["name"], arguments=c["arguments"]) for c in _get(result, "calls")]
        return Decoded(calls=calls, response=_get(result, "answer"), failure=str(_get(result, "failure")))

    return decode


def _get(result: Any, key: str) -> Any:
    return result[key] if isinstance(result, dict) else getattr(result, key)


def bfcl_hermes_decoder() -> Decoder:
    """BFCL's `QwenFCHandler` decoding (its `_extract_tool_calls` + `decode_ast`'s checks)."""
    from awpo.eval.bfcl import import_bfcl

    extract = import_bfcl().extract_tool_calls

    def decode(text: str, _tools: Sequence[JsonDict]) -> Decoded:
        found = extract(text)
        if not found:
            return Decoded(response=text.strip() or None, failure="no_call")
        calls: list[FunctionCall] = []
        for item in found:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
                return Decoded(response=text, failure="malformed_json")
            args = item.get("arguments")
            if not isinstance(args, dict):
                return Decoded(response=text, failure="malformed_json")
            calls.append(FunctionCall(name=item["name"], arguments=args))
        return Decoded(calls=calls)

    return decode
