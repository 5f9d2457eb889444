"""Chat rendering for tool use, token-in/token-out.

The prompt is rendered once into token ids. After that nothing is re-rendered: each turn appends
the sampled ids exactly as drawn, then the tool observation as ids of its own (loss mask 0), so the
trained sequence is the one the sampler conditioned on (DESIGN.md "Trajectory").

- A chat template that supports tools (it reads `tools`) renders the prompt with them; tool
  results are rendered by the template as `tool` messages.
- A template without tool support (SmolLM2's ChatML) gets a system prompt that lists the tools as
  JSON schemas and the `<think>`/`<tool_call>` format; tool results come back as a `user` message
  wrapping each result in `<tool_response>…</tool_response>` (the Hermes/Qwen convention).

The observation text is whatever the template renders after the assistant's end-of-turn token:
found by rendering a probe conversation with and without the tool messages (so it works for any
template, ChatML or not), computed once per renderer and filled in per call.

`drift_report` answers, per re-rendering strategy, whether re-rendering the text of trajectories
would have produced different tokens than the ones sampled (the multi-turn drift bug).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

ToolMode = Literal["auto", "template", "system"]

DEFAULT_TOOL_SYSTEM_PROMPT = """\
You can call the following tools. Their JSON schemas:
<tools>
{tools}
</tools>
First think step by step inside <think>...</think>. Then, to call tools, write each call as a JSON \
object on its own line inside one <tool_call>...</tool_call> block:
<think>why these calls and where each argument value comes from</think>
<tool_call>
{"name": "tool_name", "arguments": {"parameter": "value"}}
</tool_call>
Tool results come back inside <tool_response>...</tool_response>. When no tool fits, when a \
required value is missing (ask the user for it), or when you have the result, answer inside \
<response>...</response> after your <think> block, without a <tool_call>."""

_PROBE_USER = "AWPO_PROBE_USER_MESSAGE"
_PROBE_ASSISTANT = "AWPO_PROBE_ASSISTANT_MESSAGE"
_PROBE_RESULT = "AWPO_PROBE_TOOL_RESULT_{}"


def _as_ids(rendered: Any) -> list[int]:
    if isinstance(rendered, Mapping):  # transformers 5 returns a BatchEncoding by default
        rendered = rendered["input_ids"]
    return [int(t) for t in rendered]


def chat_template(
    tokenizer: Any,  # a transformers tokenizer; typed loosely: its stubs want dict[str, str] messages
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    *,
    generation_prompt: bool,
) -> str:
    """`apply_chat_template` as text (`tools=None` when the template is not to see tools)."""
    text = tokenizer.apply_chat_template(
        [dict(m) for m in messages],
        tools=[dict(t) for t in tools] if tools else None,
        add_generation_prompt=generation_prompt,
        tokenize=False,
    )
    if not isinstance(text, str):
        raise TypeError(f"apply_chat_template(tokenize=False) returned {type(text).__name__}, not str")
    return text


def chat_template_ids(
    tokenizer: Any,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    *,
    generation_prompt: bool,
) -> list[int]:
    """`apply_chat_template` as token ids (the template's own tokenization)."""
    return _as_ids(
        tokenizer.apply_chat_template(
            [dict(m) for m in messages],
            tools=[dict(t) for t in tools] if tools else None,
            add_generation_prompt=generation_prompt,
            tokenize=True,
            return_dict=False,
        )
    )


def decode(tokenizer: Any, ids: Sequence[int]) -> str:
    """Token ids to text, special tokens kept."""
    text = tokenizer.decode(list(ids), skip_special_tokens=False)
    if not isinstance(text, str):
        raise TypeError(f"tokenizer.decode returned {type(text).__name__}, not str")
    return text


def template_supports_tools(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether the tokenizer's chat template reads a `tools` variable."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = template.get("tool_use") or template.get("default")
    return isinstance(template, str) and "tools" in template


def function_schema(tool: Mapping[str, Any]) -> dict[str, Any]:
    """The `{name, description, parameters}` part of an OpenAI tool schema (either form)."""
    inner = tool.get("function") if tool.get("type") == "function" else tool
    if not isinstance(inner, Mapping) or not isinstance(inner.get("name"), str):
        raise ValueError(f"not an OpenAI function schema: {json.dumps(tool)[:200]}")
    return dict(inner)


@dataclass(frozen=True)
class ToolObservation:
    """One tool result as the model will read it."""

    name: str
    content: str  # already serialised (JSON value or error text) and truncated to its budget


class Renderer:
    """Renders prompts and tool observations for one tokenizer (one chat template).

    Parameters:
        tokenizer: the policy's tokenizer; its chat template decides the format.
        tool_mode (`"auto" | "template" | "system"`, defaults to `"auto"`): `template` passes tools to the chat
            template (it must support them); `system` lists them in awpo's system prompt; `auto` picks
            `template` when the template reads `tools`, else `system`.
        tool_system_prompt (`str`): the system prompt for `system` mode; `{tools}` is replaced by one JSON
            schema per line.
    """

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        *,
        tool_mode: ToolMode = "auto",
        tool_system_prompt: str = DEFAULT_TOOL_SYSTEM_PROMPT,
    ) -> None:
        if tool_mode not in ("auto", "template", "system"):
            raise ValueError(f"tool_mode must be one of auto, template, system; got {tool_mode!r}")
        if getattr(tokenizer, "chat_template", None) is None:
            raise ValueError("the tokenizer has no chat template; awpo renders prompts with it")
        supports = template_supports_tools(tokenizer)
        if tool_mode == "template" and not supports:
            raise ValueError("tool_mode='template' but the chat template does not read `tools`; use 'system'")
        self.tokenizer = tokenizer
        self.tool_mode: Literal["template", "system"] = (
            "template" if tool_mode == "template" or (tool_mode == "auto" and supports) else "system"
        )
        self.tool_system_prompt = tool_system_prompt
        eos = tokenizer.eos_token
        if not isinstance(eos, str) or not eos:
            raise ValueError("the tokenizer has no eos token; awpo needs the end-of-turn token")
        self.end_of_turn: str = eos
        eos_id = tokenizer.convert_tokens_to_ids(eos)
        if not isinstance(eos_id, int):
            raise ValueError(f"the eos token {eos!r} is not a single token")
        self.end_of_turn_id: int = eos_id
        self._observation_template = self._probe_observation()

    # --- prompt -------------------------------------------------------------------------------
    def prompt_messages(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """The messages actually rendered: in `system` mode the tool system prompt is merged in."""
        out = [dict(m) for m in messages]
        if self.tool_mode == "template" or not tools:
            return out
        listing = "\n".join(json.dumps(function_schema(t), ensure_ascii=False) for t in tools)
        system = self.tool_system_prompt.replace("{tools}", listing)
        if out and out[0].get("role") == "system" and isinstance(out[0].get("content"), str):
            out[0]["content"] = f"{out[0]['content']}\n\n{system}"
        else:
            out.insert(0, {"role": "system", "content": system})
        return out

    def prompt_text(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]) -> str:
        """The rendered prompt, ending with the assistant generation header."""
        return self._render(self.prompt_messages(messages, tools), tools, generation_prompt=True)

    def prompt_ids(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]) -> list[int]:
        """The prompt's token ids (the template's own tokenization, special tokens included)."""
        return chat_template_ids(
            self.tokenizer, self.prompt_messages(messages, tools), self._template_tools(tools), generation_prompt=True
        )

    def _render(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]], *, generation_prompt: bool
    ) -> str:
        return chat_template(
            self.tokenizer, messages, self._template_tools(tools), generation_prompt=generation_prompt
        )

    def _template_tools(self, tools: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]] | None:
        return tools if self.tool_mode == "template" and tools else None

    # --- observations ---------------------------------------------------------------------------
    def observation_messages(self, results: Sequence[ToolObservation]) -> list[dict[str, Any]]:
        """The chat messages carrying tool results (for re-rendering and for records)."""
        if self.tool_mode == "template":
            return [{"role": "tool", "name": r.name, "content": r.content} for r in results]
        body = "\n".join(f"<tool_response>\n{r.content}\n</tool_response>" for r in results)
        return [{"role": "user", "content": body}]

    def observation_text(self, results: Sequence[ToolObservation], *, turn_closed: bool) -> str:
        """The text appended after a generated turn: the end-of-turn token when the turn did not
        emit it (`turn_closed=False`), the tool results as the template renders them, then the
        next assistant generation header."""
        prefix = "" if turn_closed else self.end_of_turn
        return prefix + self._observation_template.fill([r.content for r in results])

    def observation_ids(self, results: Sequence[ToolObservation], *, turn_closed: bool) -> list[int]:
        """`observation_text` as token ids (tokenized on its own: nothing before it is re-encoded)."""
        return _as_ids(
            self.tokenizer.encode(self.observation_text(results, turn_closed=turn_closed), add_special_tokens=False)
        )

    def continuation_text(self, messages: Sequence[Mapping[str, Any]], *, turn_closed: bool) -> str:
        """The text appended after a generated turn for other messages than tool results (a new user turn
        of a multi-turn benchmark): the end-of-turn token when the turn did not emit it, the messages as
        the template renders them after an assistant turn, then the next assistant generation header.

        Found like the observation layout: a probe conversation is rendered with `messages` after a probe
        assistant turn, and the text after that turn's end-of-turn token is kept.
        """
        if not messages:
            raise ValueError("a continuation needs at least one message")
        probe_tools = [{"type": "function", "function": {"name": "probe", "description": "", "parameters": {}}}]
        head: list[dict[str, Any]] = [
            {"role": "user", "content": _PROBE_USER},
            {"role": "assistant", "content": _PROBE_ASSISTANT},
        ]
        text = self._render([*head, *(dict(m) for m in messages)], probe_tools, generation_prompt=True)
        at = text.find(_PROBE_ASSISTANT)
        end = text.find(self.end_of_turn, at + len(_PROBE_ASSISTANT)) if at >= 0 else -1
        if at < 0 or end < 0:
            raise ValueError(
                f"cannot locate the end-of-turn token {self.end_of_turn!r} in the chat template's rendering"
            )
        prefix = "" if turn_closed else self.end_of_turn
        return prefix + text[end + len(self.end_of_turn) :]

    def continuation_ids(self, messages: Sequence[Mapping[str, Any]], *, turn_closed: bool) -> list[int]:
        """`continuation_text` as token ids (tokenized on its own: nothing before it is re-encoded)."""
        return _as_ids(
            self.tokenizer.encode(self.continuation_text(messages, turn_closed=turn_closed), add_special_tokens=False)
        )

    def truncate(self, content: str, max_tokens: int) -> str:
        """Cut a tool result to at most `max_tokens` tokens (plus a short marker saying so)."""
        ids = self.tokenizer.encode(content, add_special_tokens=False)
        if len(ids) <= max_tokens:
            return content
        kept = self.tokenizer.decode(ids[:max_tokens], skip_special_tokens=True)
        return f"{kept}…[truncated {len(ids) - max_tokens} tokens]"

    def _probe_observation(self) -> _ObservationTemplate:
        """Find how the template renders tool results after an assistant turn, for 1..4 results."""
        base: list[dict[str, Any]] = [{"role": "user", "content": _PROBE_USER}]
        assistant = {"role": "assistant", "content": _PROBE_ASSISTANT}
        probe_tools = [{"type": "function", "function": {"name": "probe", "description": "", "parameters": {}}}]
        layouts: dict[int, str] = {}
        for n in range(1, 5):
            results = [ToolObservation("probe", _PROBE_RESULT.format(i)) for i in range(n)]
            text = self._render(
                [*base, assistant, *self.observation_messages(results)], probe_tools, generation_prompt=True
            )
            at = text.find(_PROBE_ASSISTANT)
            end = text.find(self.end_of_turn, at + len(_PROBE_ASSISTANT)) if at >= 0 else -1
            if at < 0 or end < 0 or any(_PROBE_RESULT.format(i) not in text[end:] for i in range(n)):
                raise ValueError(
                    "cannot locate tool results after the assistant's end-of-turn token "
                    f"{self.end_of_turn!r} in the chat template's rendering; use tool_mode='system'"
                )
            layouts[n] = text[end + len(self.end_of_turn) :]
        return _ObservationTemplate(layouts)


@dataclass(frozen=True)
class _ObservationTemplate:
    """Rendered observation text for n results, with placeholders for the contents."""

    layouts: dict[int, str]

    def fill(self, contents: Sequence[str]) -> str:
        n = len(contents)
        if n == 0:
            raise ValueError("an observation needs at least one tool result")
        if n in self.layouts:
            return self._fill(self.layouts[n], contents)
        # More results than probed: templates repeat the per-result part, so extend the 4-result
        # layout by repeating its fourth result's segment.
        four = self.layouts[4]
        start = four.index(_PROBE_RESULT.format(2)) + len(_PROBE_RESULT.format(2))
        stop = four.index(_PROBE_RESULT.format(3)) + len(_PROBE_RESULT.format(3))
        segment = four[start:stop]
        extra = "".join(segment.replace(_PROBE_RESULT.format(3), _PROBE_RESULT.format(i)) for i in range(4, n))
        return self._fill(four[:stop] + extra + four[stop:], contents)

    @staticmethod
    def _fill(layout: str, contents: Sequence[str]) -> str:
        # Replace in one pass so a result that itself contains placeholder text is left alone.
        out: list[str] = []
        pos = 0
        for i, content in enumerate(contents):
            marker = _PROBE_RESULT.format(i)
            at = layout.index(marker, pos)
            out.append(layout[pos:at])
            out.append(content)
            pos = at + len(marker)
        out.append(layout[pos:])
        return "".join(out)


# --- drift ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DriftTurn:
    """One turn of a conversation as the sampler saw it."""

    generated_ids: list[int]
    observation_ids: list[int] = field(default_factory=list)
    observation_messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DriftCase:
    """A token-in/token-out conversation: rendered prompt messages, prompt ids, then turns."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    prompt_ids: list[int]
    turns: list[DriftTurn]

    @property
    def token_ids(self) -> list[int]:
        ids = list(self.prompt_ids)
        for turn in self.turns:
            ids += turn.generated_ids + turn.observation_ids
        return ids


@dataclass(frozen=True)
class DriftExample:
    """Where re-rendered tokens first differ from the sampled sequence."""

    case: int
    position: int
    sampled: list[str]  # tokens around the position, as token strings
    rerendered: list[str]


@dataclass(frozen=True)
class DriftCheck:
    """One re-rendering strategy's verdict over all cases."""

    strategy: str
    description: str
    cases: int
    drifted_cases: int
    first: DriftExample | None

    @property
    def drifted(self) -> bool:
        return self.drifted_cases > 0


@dataclass(frozen=True)
class DriftReport:
    """Per template and re-rendering strategy: would re-rendering have changed the tokens?"""

    template: str
    tool_mode: str
    synthetic: bool  # True when built from awpo's probe conversation, not from sampled trajectories
    checks: list[DriftCheck]

    @property
    def any_drift(self) -> bool:
        return any(c.drifted for c in self.checks)

    def format(self) -> str:
        source = "a synthetic multi-turn conversation" if self.synthetic else "sampled trajectories"
        lines = [f"token drift, template {self.template} (tools via {self.tool_mode}), from {source}:"]
        for c in self.checks:
            verdict = f"DRIFTS in {c.drifted_cases}/{c.cases}" if c.drifted else f"no drift in {c.cases}"
            lines.append(f"  {c.strategy:<14} {verdict:<18} {c.description}")
            if c.first is not None:
                lines.append(
                    f"    first at case {c.first.case} token {c.first.position}: "
                    f"sampled {c.first.sampled} vs re-rendered {c.first.rerendered}"
                )
        lines.append("  awpo trains on the sampled ids (token-in/token-out), so none of this drift reaches training.")
        return "\n".join(lines)


def _first_difference(a: Sequence[int], b: Sequence[int]) -> int | None:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return None if len(b) >= len(a) else min(len(a), len(b))


def _example(tokenizer: PreTrainedTokenizerBase, case: int, pos: int, a: list[int], b: list[int]) -> DriftExample:
    lo = max(0, pos - 2)
    return DriftExample(
        case=case,
        position=pos,
        sampled=list(tokenizer.convert_ids_to_tokens(a[lo : pos + 3])),
        rerendered=list(tokenizer.convert_ids_to_tokens(b[lo : pos + 3])),
    )


def _rerender_chat(renderer: Renderer, case: DriftCase) -> list[int]:
    tokenizer = renderer.tokenizer
    messages = [dict(m) for m in case.messages]
    for turn in case.turns:
        ids = turn.generated_ids
        if ids and ids[-1] == renderer.end_of_turn_id:
            ids = ids[:-1]
        messages.append({"role": "assistant", "content": decode(tokenizer, ids)})
        messages.extend(turn.observation_messages)
    return chat_template_ids(tokenizer, messages, renderer._template_tools(case.tools), generation_prompt=False)


def drift_report(
    tokenizer: PreTrainedTokenizerBase,
    cases: Sequence[DriftCase] | None = None,
    *,
    renderer: Renderer | None = None,
) -> DriftReport:
    """Would re-rendering text have produced tokens other than the sampled ones?

    Checks three strategies peers use between turns, against each case's token-in/token-out ids:
    `chat_template` (render the whole conversation's text again with the chat template),
    `retokenize` (decode the sequence to text and encode it again) and `turn_text` (encode each
    generated turn's text again). `cases` are sampled trajectories (`Trajectory.drift_case()`);
    without them a built-in two-turn tool conversation is rendered token-in/token-out with
    canonical tokens, which reveals template-level drift only (sampling adds tokenisation drift).
    """
    renderer = renderer or Renderer(tokenizer)
    synthetic = cases is None
    if cases is None:
        cases = [_synthetic_case(renderer)]
    chat_bad: list[int] = []
    text_bad: list[int] = []
    turn_bad: list[int] = []
    firsts: dict[str, DriftExample] = {}
    for k, case in enumerate(cases):
        sampled = case.token_ids
        rerendered = _rerender_chat(renderer, case)
        pos = _first_difference(sampled, rerendered)
        if pos is not None:
            chat_bad.append(k)
            firsts.setdefault("chat_template", _example(tokenizer, k, pos, sampled, rerendered))
        text = tokenizer.decode(sampled, skip_special_tokens=False)
        again = _as_ids(tokenizer.encode(text, add_special_tokens=False))
        pos = _first_difference(sampled, again)
        if pos is not None or len(again) != len(sampled):
            text_bad.append(k)
            where = pos if pos is not None else min(len(again), len(sampled))
            firsts.setdefault("retokenize", _example(tokenizer, k, where, sampled, again))
        offset = len(case.prompt_ids)
        for turn in case.turns:
            ids = turn.generated_ids
            again = _as_ids(
                tokenizer.encode(tokenizer.decode(ids, skip_special_tokens=False), add_special_tokens=False)
            )
            if again != ids:
                turn_bad.append(k)
                pos = _first_difference(ids, again)
                where = pos if pos is not None else min(len(ids), len(again))
                firsts.setdefault(
                    "turn_text", _example(tokenizer, k, offset + where, sampled, sampled[:offset] + again)
                )
                break
            offset += len(ids) + len(turn.observation_ids)
    n = len(cases)
    checks = [
        DriftCheck(
            "chat_template",
            "re-render the conversation's messages with the chat template",
            n,
            len(chat_bad),
            firsts.get("chat_template"),
        ),
        DriftCheck(
            "retokenize", "decode the whole sequence and encode it again", n, len(text_bad), firsts.get("retokenize")
        ),
        DriftCheck("turn_text", "encode each generated turn's text again", n, len(turn_bad), firsts.get("turn_text")),
    ]
    name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
    return DriftReport(template=str(name), tool_mode=renderer.tool_mode, synthetic=synthetic, checks=checks)


def _synthetic_case(renderer: Renderer) -> DriftCase:
    tokenizer = renderer.tokenizer
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather in a city.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    messages = [{"role": "user", "content": "Is it warm in Paris right now?"}]
    turn1 = (
        "<think>The user asks about Paris now, so I need the current weather there.</think>\n"
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    )
    turn2 = "<think>The tool says 24 °C, which is warm.</think>\nYes: it is 24 °C in Paris."
    results = [ToolObservation("get_weather", '{"temperature_c": 24, "sky": "clear"}')]
    eot = [renderer.end_of_turn_id]

    def encode(text: str) -> list[int]:
        return _as_ids(tokenizer.encode(text, add_special_tokens=False))

    return DriftCase(
        messages=renderer.prompt_messages(messages, tools),
        tools=tools,
        prompt_ids=renderer.prompt_ids(messages, tools),
        turns=[
            DriftTurn(
                encode(turn1) + eot,
                renderer.observation_ids(results, turn_closed=True),
                renderer.observation_messages(results),
            ),
            DriftTurn(encode(turn2) + eot),
        ],
    )
