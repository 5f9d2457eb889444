"""LoRA adapters through PEFT (`model.lora`): wrapping the policy, and the merged weights a separate
rollout engine loads.

Under torchrun the PEFT-wrapped policy is sharded like any other (`distributed.shard_model`: frozen base
weights and trainable adapters share each decoder layer's FSDP2 unit); the merged weights are then
gathered one tensor at a time, on every rank in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from awpo.config import LoraConfig
from awpo.train import distributed as dp

_BASE_WEIGHT = ".base_layer.weight"


def with_lora(model: Any, cfg: LoraConfig, *, seed: int, adapter_dir: Path | None = None) -> Any:
    """`model` wrapped with trainable adapters: loaded from `adapter_dir`, else freshly initialised from
    `seed` (the config's seed on every rank: FSDP2 does not broadcast parameters, so every rank must
    initialise the adapters alike)."""
    try:
        from peft import LoraConfig as PeftLoraConfig
        from peft import PeftModel, get_peft_model
    except ImportError as err:
        raise ImportError("model.lora.enabled needs PEFT: pip install 'awpo[lora]'") from err
    if adapter_dir is not None:
        return PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=True)
    targets: Any = "all-linear" if cfg.target_modules == ["all-linear"] else cfg.target_modules
    peft_cfg = PeftLoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout, target_modules=targets)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return get_peft_model(model, peft_cfg)


def merged_weights(model: Any) -> Iterator[tuple[str, torch.Tensor]]:
    """The base model's weights with the active adapter's delta `scaling * B @ A` folded in, named as in
    the base model, one tensor at a time. Sharded (DTensor) weights are gathered (`full_tensor`): every
    rank must consume the whole stream."""
    base = model.get_base_model()
    adapter = model.active_adapter
    with torch.no_grad():
        for name, param in base.named_parameters():
            if "lora_" in name:
                continue
            tensor = dp.full_tensor(param.detach())
            if name.endswith(_BASE_WEIGHT):
                tensor = tensor + _delta(base.get_submodule(name[: -len(_BASE_WEIGHT)]), adapter).to(tensor.dtype)
            yield name.replace("base_layer.", ""), tensor


def _delta(layer: Any, adapter: str) -> torch.Tensor:
    """One LoRA linear layer's weight update (PEFT's merge of a `Linear` adapter)."""
    if not hasattr(layer, "lora_A") or adapter not in layer.lora_A:
        raise ValueError(f"{type(layer).__name__}: not a LoRA linear layer with adapter {adapter!r}")
    a = dp.full_tensor(layer.lora_A[adapter].weight.detach())
    b = dp.full_tensor(layer.lora_B[adapter].weight.detach())
    delta = (b.float() @ a.float()) * float(layer.scaling[adapter])
    return delta.T if getattr(layer, "fan_in_fan_out", False) else delta
