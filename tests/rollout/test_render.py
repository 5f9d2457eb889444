"""Rendering prompts and observations, and the drift report, on the real SmolLM2 tokenizer."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from awpo.rollout.render import (
    DriftCase,
    DriftTurn,
    Renderer,
    ToolObservation,
    drift_report,
    template_supports_tools,
)

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two integers.",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
    }
]

# A ChatML template that reads `tools`, groups consecutive tool results into one user block, and (like
# Qwen3's) drops the reasoning of earlier assistant turns when it renders a conversation again.
TOOL_TEMPLATE = (
    "{% if tools %}{{ '<|im_start|>system\\nTools:' }}{% for t in tools %}{{ '\\n' + (t | tojson) }}{% endfor %}"
    "{{ '<|im_end|>\\n' }}{% endif %}"
    "{% for m in messages %}"
    "{% if m.role == 'tool' %}"
    "{% if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{ '<|im_start|>user' }}{% endif %}"
    "{{ '\\n<tool_response>\\n' + m.content + '\\n</tool_response>' }}"
    "{% if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{ '<|im_end|>\\n' }}{% endif %}"
    "{% elif m.role == 'assistant' and not loop.last %}"
    "{{ '<|im_start|>assistant\\n' + m.content.split('</think>')[-1].lstrip() + '<|im_end|>\\n' }}"
    "{% else %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def renderer(tokenizer: Any) -> Renderer:
    return Renderer(tokenizer)


@pytest.fixture(scope="module")
def tool_tokenizer(tokenizer: Any) -> Any:
    tok = copy.deepcopy(tokenizer)
    tok.chat_template = TOOL_TEMPLATE
    return tok


def test_smollm2_has_no_tool_template_so_tools_go_in_a_system_prompt(tokenizer: Any, renderer: Renderer) -> None:
    assert not template_supports_tools(tokenizer)
    assert renderer.tool_mode == "system"
    text = renderer.prompt_text([{"role": "user", "content": "1+2?"}], TOOLS)
    assert text.startswith("<|im_start|>system\nYou can call the following tools.")
    assert json.dumps(TOOLS[0]["function"]) in text
    assert '{"name": "tool_name", "arguments": {"parameter": "value"}}' in text
    assert text.endswith("<|im_start|>user\n1+2?<|im_end|>\n<|im_start|>assistant\n")
    assert renderer.prompt_ids([{"role": "user", "content": "1+2?"}], TOOLS) == tokenizer.encode(text)


def test_a_task_system_message_is_kept_first(renderer: Renderer) -> None:
    messages = renderer.prompt_messages(
        [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "1+2?"}], TOOLS
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"].startswith("Be terse.\n\nYou can call the following tools.")


def test_without_tools_the_template_renders_as_is(tokenizer: Any, renderer: Renderer) -> None:
    messages = [{"role": "user", "content": "hi"}]
    assert renderer.prompt_text(messages, []) == tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=False
    )


def test_observation_text_chatml_user_block(renderer: Renderer) -> None:
    results = [ToolObservation("add", "3"), ToolObservation("add", '{"x": 1}')]
    closed = renderer.observation_text(results, turn_closed=True)
    assert closed == (
        "\n<|im_start|>user\n<tool_response>\n3\n</tool_response>\n"
        '<tool_response>\n{"x": 1}\n</tool_response><|im_end|>\n<|im_start|>assistant\n'
    )
    # A turn cut by a stop string did not emit <|im_end|>: the observation closes it first.
    assert renderer.observation_text(results, turn_closed=False) == "<|im_end|>" + closed
    assert renderer.observation_ids(results, turn_closed=True) == renderer.tokenizer.encode(
        closed, add_special_tokens=False
    )


def test_observation_with_more_results_than_probed(renderer: Renderer) -> None:
    results = [ToolObservation("add", str(i)) for i in range(6)]
    text = renderer.observation_text(results, turn_closed=True)
    assert text.count("<tool_response>") == 6
    assert [text.index(f"\n{i}\n") for i in range(6)] == sorted(text.index(f"\n{i}\n") for i in range(6))


def test_result_content_is_not_mistaken_for_a_placeholder(renderer: Renderer) -> None:
    tricky = "AWPO_PROBE_TOOL_RESULT_1"
    text = renderer.observation_text([ToolObservation("a", tricky), ToolObservation("a", "second")], turn_closed=True)
    assert text.index(tricky) < text.index("second")


def test_truncate_to_a_token_budget(renderer: Renderer) -> None:
    long = " ".join(f"item{i}" for i in range(100))
    cut = renderer.truncate(long, 10)
    assert cut.startswith("item0 item1")
    assert cut.endswith("tokens]")
    assert "…[truncated" in cut
    assert renderer.truncate("short", 10) == "short"


def test_tool_aware_template_renders_tools_and_tool_messages(tool_tokenizer: Any) -> None:
    r = Renderer(tool_tokenizer)
    assert r.tool_mode == "template"
    text = r.prompt_text([{"role": "user", "content": "1+2?"}], TOOLS)
    assert text.startswith("<|im_start|>system\nTools:\n")
    assert "You can call" not in text
    obs = r.observation_text([ToolObservation("add", "3"), ToolObservation("add", "4")], turn_closed=True)
    assert obs == (
        "\n<|im_start|>user\n<tool_response>\n3\n</tool_response>\n<tool_response>\n4\n</tool_response>"
        "<|im_end|>\n<|im_start|>assistant\n"
    )
    assert r.observation_messages([ToolObservation("add", "3")]) == [{"role": "tool", "name": "add", "content": "3"}]


def test_continuation_is_the_template_rendering_after_the_turn(
    tokenizer: Any, renderer: Renderer, tool_tokenizer: Any
) -> None:
    """A new user turn appended after a sampled turn renders as the chat template renders that conversation:
    prompt + turn + continuation equals the template's text of the whole conversation (canonical tokens)."""
    user2 = [{"role": "user", "content": "And 3+4?"}]
    for r in (renderer, Renderer(tool_tokenizer)):
        messages = [{"role": "user", "content": "1+2?"}]
        answer = "<response>3</response>"
        prompt = r.prompt_text(messages, TOOLS)
        closed = r.continuation_text(user2, turn_closed=True)
        whole = r.tokenizer.apply_chat_template(
            [*r.prompt_messages(messages, TOOLS), {"role": "assistant", "content": answer}, *user2],
            tools=TOOLS if r.tool_mode == "template" else None,
            add_generation_prompt=True,
            tokenize=False,
        )
        assert prompt + answer + r.end_of_turn + closed == whole
        assert closed == "\n<|im_start|>user\nAnd 3+4?<|im_end|>\n<|im_start|>assistant\n"
        assert r.continuation_text(user2, turn_closed=False) == r.end_of_turn + closed
        assert r.continuation_ids(user2, turn_closed=True) == r.tokenizer.encode(closed, add_special_tokens=False)
    with pytest.raises(ValueError, match="at least one message"):
        renderer.continuation_text([], turn_closed=True)


def test_renderer_argument_errors(tokenizer: Any) -> None:
    with pytest.raises(ValueError, match="does not read `tools`"):
        Renderer(tokenizer, tool_mode="template")
    with pytest.raises(ValueError, match="tool_mode"):
        Renderer(tokenizer, tool_mode="bogus")  # type: ignore[arg-type]


def test_synthetic_drift_report_smollm2_is_clean(tokenizer: Any, renderer: Renderer) -> None:
    report = drift_report(tokenizer, renderer=renderer)
    assert report.synthetic
    assert report.tool_mode == "system"
    assert not report.any_drift, report.format()
    assert "no drift" in report.format()


def test_drift_report_finds_template_drift(tool_tokenizer: Any) -> None:
    # The template drops earlier turns' <think> blocks, so re-rendering changes the first turn's tokens.
    report = drift_report(tool_tokenizer)
    by_name = {c.strategy: c for c in report.checks}
    assert by_name["chat_template"].drifted
    assert not by_name["retokenize"].drifted
    example = by_name["chat_template"].first
    assert example is not None and "<" in "".join(example.sampled)
    assert "DRIFTS in 1/1" in report.format()


def test_drift_report_finds_tokenization_drift(tokenizer: Any, renderer: Renderer) -> None:
    # A sampler may emit "Paris" letter by letter; re-encoding the text merges the letters.
    messages = [{"role": "user", "content": "Capital of France?"}]
    prompt = renderer.prompt_ids(messages, [])
    letters = [tokenizer.convert_tokens_to_ids(c) for c in "Paris"]
    assert all(isinstance(t, int) and t != tokenizer.unk_token_id for t in letters)
    case = DriftCase(
        messages=messages, tools=[], prompt_ids=prompt, turns=[DriftTurn([*letters, renderer.end_of_turn_id])]
    )
    report = drift_report(tokenizer, [case], renderer=renderer)
    by_name = {c.strategy: c for c in report.checks}
    assert by_name["retokenize"].drifted
    assert by_name["turn_text"].drifted
    assert by_name["chat_template"].drifted
    first = by_name["turn_text"].first
    assert first is not None and first.position == len(prompt)
