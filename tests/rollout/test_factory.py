"""`make_engine`: explicit kinds, and `auto` falling back to `hf` with a clear message."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from rollout_support import VLLM_OK, requires_vllm

from awpo.rollout.factory import make_engine
from awpo.rollout.hf_engine import HFEngine


def test_hf_reuses_the_given_model(model: Any, tokenizer: Any) -> None:
    engine = make_engine("hf", model=model, tokenizer=tokenizer)
    assert isinstance(engine, HFEngine)
    assert engine.model is model


def test_unknown_kind_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="auto, hf, vllm"):
        make_engine("sglang")


@requires_vllm
def test_auto_falls_back_to_hf_when_vllm_does_not_start(
    model_dir: str, model: Any, tokenizer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A real start-up failure: vLLM rejects the dtype while building its config.
    bad = {"dtype": "not-a-dtype"}
    with caplog.at_level(logging.WARNING, logger="awpo.rollout.factory"):
        engine = make_engine("auto", model_dir, model=model, tokenizer=tokenizer, vllm_kwargs=bad)
    assert isinstance(engine, HFEngine)
    (record,) = [r for r in caplog.records if r.name == "awpo.rollout.factory"]
    assert "using 'hf'" in record.getMessage()
    assert "vllm is installed but did not start" in record.getMessage()
    assert "install_vllm_cpu.sh" in record.getMessage()


@requires_vllm
def test_explicit_vllm_raises_instead_of_falling_back(model_dir: str) -> None:
    with pytest.raises(Exception, match="not-a-dtype"):
        make_engine("vllm", model_dir, vllm_kwargs={"dtype": "not-a-dtype"})


@pytest.mark.skipif(VLLM_OK, reason="vllm is importable here; this checks the message when it is not")
def test_without_vllm_auto_is_hf_and_vllm_is_a_clear_error(model: Any, tokenizer: Any) -> None:
    assert isinstance(make_engine("auto", model=model, tokenizer=tokenizer), HFEngine)
    with pytest.raises(ImportError, match=r"install_vllm_cpu\.sh"):
        make_engine("vllm")
