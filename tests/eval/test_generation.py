"""The HF generator drives a real (tiny) transformers model through the chat template."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_model import make_tiny_model

from awpo.errors import ModelLoadError
from awpo.eval.generation import Conversation, HFGenerator, render_with_tool_prompt

TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather.", "parameters": {"type": "object"}},
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


def test_generate_batches_and_counts(tiny: Path) -> None:
    gen = HFGenerator(tiny, max_new_tokens=5, batch_size=2, device="cpu")
    convs = [
        Conversation([{"role": "user", "content": "hello"}], [TOOL]),
        Conversation([{"role": "user", "content": "hello world hello world"}], []),
        Conversation([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}], [TOOL]),
    ]
    out = gen.generate(convs)
    assert len(out) == 3 and all(isinstance(t, str) for t in out)
    assert 0 < gen.generated_tokens <= 15
    # left padding must not change a prompt's greedy continuation
    assert gen.generate(convs[:1]) == out[:1]


def test_tool_prompt_is_added_for_templates_without_tools(tiny: Path) -> None:
    gen = HFGenerator(tiny, max_new_tokens=1, device="cpu")
    ids = render_with_tool_prompt(
        gen.tokenizer,
        Conversation([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}], [TOOL]),
    )
    text = gen.tokenizer.decode(ids)
    assert text.startswith("<|im_start|>system\nbe brief\n\nYou can call tools.")
    assert '"name": "get_weather"' in text and text.endswith("<|im_start|>assistant\n")


def test_bad_model_dir(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="cannot load model"):
        HFGenerator(tmp_path, device="cpu")
    with pytest.raises(ValueError, match="must be >= 1"):
        HFGenerator(tmp_path, max_new_tokens=0)


def test_prompt_longer_than_the_context_is_counted_not_cut(tiny: Path) -> None:
    gen = HFGenerator(tiny, max_new_tokens=4, device="cpu")
    gen.max_length = 64
    long = Conversation([{"role": "user", "content": "hello world " * 40}], [])
    short = Conversation([{"role": "user", "content": "hi"}], [])
    out = gen.generate([long, short])
    assert out[0] == "" and gen.overflows == 1
    assert out[1] == gen.generate([short])[0]
