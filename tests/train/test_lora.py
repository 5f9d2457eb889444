"""`awpo.train.lora`: adapters initialised alike from a seed, and the merged weights a separate engine loads
equal PEFT's own `merge_and_unload`."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from awpo.config import LoraConfig
from awpo.train import lora

pytest.importorskip("peft")


def _base(model_dir: Path) -> torch.nn.Module:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(model_dir)


def test_adapters_start_alike_from_one_seed_whatever_the_global_rng(tiny_model_dir: Path) -> None:
    cfg = LoraConfig(enabled=True, r=4)
    torch.manual_seed(1)
    a = lora.with_lora(_base(tiny_model_dir), cfg, seed=7)
    torch.manual_seed(2)  # another rank's seed
    b = lora.with_lora(_base(tiny_model_dir), cfg, seed=7)
    c = lora.with_lora(_base(tiny_model_dir), cfg, seed=8)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    adapters = [k for k in sa if "lora_A" in k]
    assert adapters
    assert all(torch.equal(sa[k], sb[k]) for k in adapters)
    assert not all(torch.equal(sa[k], sc[k]) for k in adapters)


def test_merged_weights_equal_peft_merge_and_unload(tiny_model_dir: Path) -> None:
    model = lora.with_lora(_base(tiny_model_dir), LoraConfig(enabled=True, r=4, alpha=8), seed=0)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:  # B starts at zero: give the adapters a delta to merge
                param.copy_(torch.randn(param.shape, generator=gen))
    want = copy.deepcopy(model).merge_and_unload().state_dict()
    got = dict(lora.merged_weights(model))
    original = dict(_base(tiny_model_dir).named_parameters())
    assert sorted(got) == sorted(original)  # named as in the base model
    for name, tensor in got.items():
        assert torch.allclose(tensor, want[name], atol=1e-6, rtol=0), name
    changed = [name for name, tensor in got.items() if not torch.equal(tensor, original[name])]
    assert len(changed) == 8, changed  # q, k, v and o of both layers
