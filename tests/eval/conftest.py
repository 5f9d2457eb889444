"""Fixtures for the evaluation tests: the real BFCL package (tests using it skip where it is absent), and a
tiny real model whose tokenizer and ChatML template (no tool support: awpo's tool system prompt) render
the prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tiny_model import make_tiny_model

from awpo.eval.bfcl import Bfcl, import_bfcl
from awpo.rollout.render import Renderer


@pytest.fixture(scope="session")
def bfcl() -> Bfcl:
    pytest.importorskip("bfcl_eval", reason="bfcl-eval not installed (bash scripts/install_bfcl.sh)")
    return import_bfcl()


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama and its byte-level BPE tokenizer, as a Hugging Face directory."""
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny))


@pytest.fixture(scope="session")
def renderer(tiny_tokenizer: Any) -> Renderer:
    """The renderer the trainer would build for the tiny model (`Renderer(tokenizer)`)."""
    return Renderer(tiny_tokenizer)
