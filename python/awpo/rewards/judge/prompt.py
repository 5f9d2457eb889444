"""The judge's input (`JudgeItem`), its rubric and the chat prompt built from both.

The prompt is two chat messages: the rubric as the system message, then one user message with the
conversation, the tools offered, the reasoning to grade, the calls made, the tool results seen and the
final answer. The reply it asks for is the integer score alone, so the `hf` backend reads the score
token's distribution right after the assistant-turn header.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from awpo._native import ParseResult

Message = dict[str, str]

RUBRIC_VERSION = "v1"
"""Bumped whenever `RUBRIC` or the prompt layout changes, so cached scores of the old prompt are not reused."""

RUBRIC = """\
You grade the reasoning of an AI assistant that can call tools. Grade only the reasoning (the text the \
assistant wrote inside <think>), against the conversation, the tools it was offered and the tool calls it made.

Criteria, of equal weight:
1. Intent: the reasoning understands what the user actually asks for.
2. Tool choice: the choice of tool, or the decision to call no tool, is justified.
3. Grounding: every argument value in the calls comes from the conversation or a tool result, or is a \
justified default; nothing is invented.
4. Coherence: the reasoning is coherent and consistent with the calls finally made and the final answer.

Score from 0 (fails every criterion) to 10 (meets every criterion fully).
Reply with the integer score only, nothing else."""

_ELISION = "\n[... {n} characters cut ...]\n"


@dataclass(frozen=True)
class JudgeItem:
    """One trajectory to grade.

    Attributes:
        messages: the task's OpenAI chat messages (the last is the user turn).
        tools: the OpenAI function schemas offered to the model.
        reasoning: the trajectory's `<think>` text (all turns joined); empty or blank scores 0 without a call.
        calls: the tool calls made, in order: mappings with `name` and `arguments` (objects with those
            attributes, such as parsed `ToolCall`s, are accepted too).
        answer: the final free-text answer, if any.
        observations: the tool results the model saw (multi-turn), in order.
    """

    messages: Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]] = ()
    reasoning: str = ""
    calls: Sequence[Any] = ()
    answer: str | None = None
    observations: Sequence[str] = field(default_factory=tuple)

    @classmethod
    def from_parsed(
        cls,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]],
        parsed: ParseResult | Sequence[ParseResult],
        observations: Sequence[str] = (),
    ) -> JudgeItem:
        """The item of a trajectory from its parsed turns (`awpo.rewards.parse` results, in order).

        The reasoning is every turn's `<think>` text joined by blank lines, the calls are all turns' calls in
        order, and the answer is the last turn's.
        """
        turns = [parsed] if not isinstance(parsed, Sequence) else list(parsed)
        reasoning = "\n\n".join(t.reasoning for t in turns if t.reasoning)
        calls = [call for t in turns for call in t.calls]
        answer = turns[-1].answer if turns else None
        return cls(messages, tools, reasoning, calls, answer, tuple(observations))

    @property
    def has_reasoning(self) -> bool:
        """Whether there is any non-blank reasoning to grade."""
        return bool(self.reasoning.strip())


def truncate_middle(text: str, max_chars: int) -> str:
    """`text` cut to at most about `max_chars` characters, keeping its head and tail (the tail holds the decision)."""
    if len(text) <= max_chars:
        return text
    keep = max(max_chars - len(_ELISION.format(n=len(text))), 2)  # the marker's longest form
    head, tail = keep // 2, keep - keep // 2
    return text[:head] + _ELISION.format(n=len(text) - keep) + text[len(text) - tail :]


def content_text(content: Any) -> str:
    """The text of a chat message's `content` (a string, or OpenAI content parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = []
        for part in content:
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return str(content)


def call_dict(call: Any) -> dict[str, Any]:
    """A tool call as `{"name", "arguments"}` from a mapping or an object with those attributes."""
    if isinstance(call, Mapping):
        name = call.get("name")
        arguments = call.get("arguments", call.get("parameters", {}))
        if name is None and isinstance(call.get("function"), Mapping):  # OpenAI `tool_calls` entry
            function = call["function"]
            name, arguments = function.get("name"), function.get("arguments", {})
    else:
        name, arguments = getattr(call, "name", None), getattr(call, "arguments", {})
    if isinstance(arguments, str):
        with contextlib.suppress(json.JSONDecodeError):
            arguments = json.loads(arguments)
    return {"name": str(name), "arguments": arguments}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _render_tool(tool: Mapping[str, Any]) -> str:
    function = tool.get("function", tool)
    if not isinstance(function, Mapping):
        return _dumps(tool)
    name = function.get("name", "?")
    description = str(function.get("description", "")).strip()
    parameters = function.get("parameters", {})
    line = f"- {name}: {description}" if description else f"- {name}"
    return f"{line}\n  parameters: {_dumps(parameters)}"


def _render_conversation(messages: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for message in messages:
        role = str(message.get("role", "?"))
        text = content_text(message.get("content"))
        if message.get("tool_calls"):
            text += "\n(tool calls: " + _dumps([call_dict(c) for c in message["tool_calls"]]) + ")"
        lines.append(f"[{role}] {text.strip()}")
    return "\n".join(lines)


def build_messages(
    item: JudgeItem, *, rubric: str | None = None, max_reasoning_chars: int = 4000, max_context_chars: int = 4000
) -> list[Message]:
    """The judge's chat prompt for `item`: `[system: rubric, user: the trajectory]`.

    Every section is cut by `truncate_middle` (the reasoning to `max_reasoning_chars`, the others to
    `max_context_chars`), so a long trajectory cannot overflow the judge's context unnoticed.
    """
    cap = max_context_chars
    calls = [call_dict(c) for c in item.calls]
    sections = [
        "## Conversation\n" + truncate_middle(_render_conversation(item.messages), cap),
        "## Tools offered\n"
        + (truncate_middle("\n".join(_render_tool(t) for t in item.tools), cap) if item.tools else "(no tools)"),
        "## Reasoning to grade\n" + truncate_middle(item.reasoning.strip(), max_reasoning_chars),
        "## Tool calls made\n"
        + (
            truncate_middle("\n".join(f"{c['name']}({_dumps(c['arguments'])})" for c in calls), cap)
            if calls
            else "(none: the assistant called no tool)"
        ),
    ]
    if item.observations:
        sections.append("## Tool results\n" + truncate_middle("\n".join(o.strip() for o in item.observations), cap))
    if item.answer is not None and item.answer.strip():
        sections.append("## Final answer\n" + truncate_middle(item.answer.strip(), cap))
    sections.append("Grade the reasoning. Reply with the integer score from 0 to 10 only.")
    return [
        {"role": "system", "content": RUBRIC if rubric is None else rubric},
        {"role": "user", "content": "\n\n".join(sections)},
    ]
