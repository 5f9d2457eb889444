"""`JudgeConfig`: every field documented with its real default (docs/DESIGN.md "Conventions"); cross-field checks."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from awpo.rewards.judge import JudgeConfig

_ENTRY = re.compile(r"^\s{8}(\w+) \(`[^`]+`(?: or `None`)?, defaults to `(.*)`\):$", re.MULTILINE)


def test_every_field_is_documented_with_its_default() -> None:
    doc = JudgeConfig.__doc__ or ""
    documented = {name: default for name, default in _ENTRY.findall(doc)}
    assert set(documented) == set(JudgeConfig.model_fields)
    config = JudgeConfig()
    for name, text in documented.items():
        value = getattr(config, name)
        assert text == (repr(value) if isinstance(value, str) else str(value)).replace("'", '"'), name
        assert JudgeConfig.model_fields[name].description, name
    assert "> Parameters that control the backend" in doc


def test_openai_backend_needs_url_and_model() -> None:
    with pytest.raises(ValidationError, match=r"judge\.base_url and judge\.model is not set"):
        JudgeConfig(backend="openai")
    with pytest.raises(ValidationError, match=r"judge\.model is not set"):
        JudgeConfig(backend="openai", base_url="http://127.0.0.1:8000/v1")
    config = JudgeConfig(backend="openai", base_url="http://h/v1", model="m")
    assert config.model == "m"


@pytest.mark.parametrize(
    "bad",
    [
        {"backend": "vllm"},
        {"timeout_s": 0},
        {"concurrency": 0},
        {"top_logprobs": 21},
        {"max_ambiguous_mass": 1.5},
        {"rubric": "  "},
        {"unknown_key": 1},
    ],
)
def test_invalid_values_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        JudgeConfig(**bad)  # type: ignore[arg-type]
