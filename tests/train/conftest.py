"""A tiny random model (real BPE tokenizer, ChatML template) and a config that trains it in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_model import make_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-model"))
