"""Peak memory of one rank of `awpo train`, from the model's dimensions and the config (`awpo check`).

Upper bounds, per rank, in bytes; every sequence is taken at `rollout.loop.max_total_tokens`:
- policy weights: all of them, or 1/world of them under FSDP2 plus two gathered decoder layers;
- gradients and AdamW's two moments: of the trainable parameters, in their dtype, sharded by world size
  (under FSDP2 mixed precision the fp32 shards are the master weights: counted in `policy weights`);
- activations of one micro-batch: every layer's kept tensors (only its input under gradient
  checkpointing, plus one layer's recompute), and the fp32 logits, their log-softmax and its gradient;
- rollout engine: vLLM's share of the device (`gpu_memory_utilization`) on a GPU; on the CPU its process
  (runtime, weights, `kv_cache_gib` of KV cache); the hf engine shares the policy in one process and is
  a full copy plus its KV cache under torchrun;
- a local (hf) judge's fp32 weights; the frozen reference model when `algo.loss.beta > 0`;
- the process runtime (interpreter, torch, transformers, allocator slack).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from awpo.config import TrainConfig

GIB = 2**30
RUNTIME_BYTES = 1 * GIB
"""Interpreter, torch and transformers (0.55 GB RSS measured after import here) plus allocator slack."""
LAYER_ACTIVATION_FACTORS = (8, 4)
"""Tensors a Llama-style decoder layer keeps for backward per token: ~8 of width `hidden` (norms, q/k/v,
attention output, residuals) and ~4 of width `intermediate` (gate, up, activation, product); attention
itself is memory-efficient (SDPA), O(tokens)."""
LOGIT_COPIES = 3
"""fp32 logits, their log-softmax and its gradient."""


@dataclass(frozen=True)
class ModelDims:
    """What the estimate needs of a causal LM."""

    n_params: int
    layers: int
    hidden: int
    intermediate: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int

    @classmethod
    def from_hf_config(cls, config: Any, n_params: int | None = None) -> ModelDims:
        """From a transformers config; `n_params` when known (else counted from the dimensions)."""
        hidden = int(config.hidden_size)
        heads = int(config.num_attention_heads)
        head_dim = int(getattr(config, "head_dim", None) or hidden // heads)
        dims = cls(
            n_params=0,
            layers=int(config.num_hidden_layers),
            hidden=hidden,
            intermediate=int(config.intermediate_size),
            heads=heads,
            kv_heads=int(getattr(config, "num_key_value_heads", None) or heads),
            head_dim=head_dim,
            vocab=int(config.vocab_size),
        )
        tied = bool(getattr(config, "tie_word_embeddings", False))
        count = (
            n_params
            if n_params is not None
            else dims.layers * dims.layer_params + dims.vocab * hidden * (1 if tied else 2)
        )
        return ModelDims(**{**dims.__dict__, "n_params": count})

    @property
    def layer_params(self) -> int:
        """Parameters of one decoder layer (attention, gated MLP, two norms)."""
        attn = self.hidden * self.head_dim * (2 * self.heads + 2 * self.kv_heads)
        return attn + 3 * self.hidden * self.intermediate + 2 * self.hidden

    def lora_params(self, r: int, targets: list[str]) -> int:
        """Trainable parameters of rank-`r` adapters on `targets` (`all-linear`: every projection)."""
        shapes = {
            "q_proj": (self.hidden, self.heads * self.head_dim),
            "k_proj": (self.hidden, self.kv_heads * self.head_dim),
            "v_proj": (self.hidden, self.kv_heads * self.head_dim),
            "o_proj": (self.heads * self.head_dim, self.hidden),
            "gate_proj": (self.hidden, self.intermediate),
            "up_proj": (self.hidden, self.intermediate),
            "down_proj": (self.intermediate, self.hidden),
        }
        names = list(shapes) if targets == ["all-linear"] else [t for t in targets if t in shapes]
        return self.layers * sum(r * (shapes[n][0] + shapes[n][1]) for n in names)


@dataclass
class MemoryEstimate:
    """Bytes per rank by component."""

    parts: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.parts.values())

    def describe(self) -> str:
        shown = ", ".join(f"{name} {value / GIB:.1f}" for name, value in self.parts.items() if value >= 0.05 * GIB)
        return f"~{self.total / GIB:.1f} GiB per rank ({shown})"


def estimate_memory(
    cfg: TrainConfig,
    policy: ModelDims,
    *,
    world_size: int = 1,
    device: str = "cpu",
    device_bytes: float | None = None,
    judge: ModelDims | None = None,
) -> MemoryEstimate:
    """Peak bytes of one rank (see the module docstring); `device_bytes` is the device's capacity
    (needed for vLLM's share of a GPU)."""
    gpu = device == "cuda"
    sharded = world_size > 1
    weight_bytes = 2 if cfg.model.dtype == "bfloat16" else 4
    compute_bytes = 2 if gpu or cfg.model.autocast == "bf16" else weight_bytes
    lora = cfg.model.lora
    trainable = policy.lora_params(lora.r, lora.target_modules) if lora.enabled else policy.n_params
    shard = 1 / world_size if sharded else 1.0
    parts: dict[str, float] = {}

    parts["runtime"] = RUNTIME_BYTES
    parts["policy weights"] = policy.n_params * weight_bytes * shard
    if sharded:  # FSDP2 gathers a layer (and prefetches the next) in the compute dtype
        parts["policy weights"] += 2 * policy.layer_params * compute_bytes
    # trainable parameters keep their dtype (the adapters as well), AdamW keeps two moments alike
    parts["gradients"] = trainable * weight_bytes * shard
    parts["optimizer (AdamW)"] = 2 * trainable * weight_bytes * shard
    if lora.enabled:
        parts["policy weights"] += trainable * weight_bytes

    tokens = cfg.trainer.micro_batch_size * cfg.rollout.loop.max_total_tokens
    width_h, width_i = LAYER_ACTIVATION_FACTORS
    per_layer = tokens * (width_h * policy.hidden + width_i * policy.intermediate) * compute_bytes
    if cfg.model.gradient_checkpointing:
        layers_kept = policy.layers * tokens * policy.hidden * compute_bytes + per_layer
    else:
        layers_kept = policy.layers * per_layer
    parts["activations"] = layers_kept
    parts["logits"] = tokens * policy.vocab * 4 * LOGIT_COPIES

    parts["rollout engine"] = _engine_bytes(cfg, policy, world_size, gpu, device_bytes, weight_bytes)
    if cfg.judge.backend == "hf":
        parts["judge"] = (judge or policy).n_params * 4
    if cfg.algo.loss.beta > 0:
        parts["reference model"] = policy.n_params * weight_bytes
    return MemoryEstimate(parts)


def _engine_bytes(
    cfg: TrainConfig, policy: ModelDims, world_size: int, gpu: bool, device_bytes: float | None, weight_bytes: int
) -> float:
    vllm_opts = cfg.rollout.vllm
    uses_vllm = cfg.rollout.engine == "vllm" or (cfg.rollout.engine == "auto" and (gpu or world_size == 1))
    if uses_vllm and gpu:
        share = float(vllm_opts.get("gpu_memory_utilization", 0.5))  # the VLLMEngine default
        return share * (device_bytes or 0.0)
    if uses_vllm:  # its own process on the CPU
        kv = float(vllm_opts.get("kv_cache_gib", 1)) * GIB
        return RUNTIME_BYTES + policy.n_params * weight_bytes + kv
    rows = cfg.rollout.prompts_per_step * cfg.rollout.group_size // world_size
    kv_cache = 2 * policy.layers * policy.kv_heads * policy.head_dim * rows * cfg.rollout.loop.max_total_tokens * 4
    copy = policy.n_params * weight_bytes if world_size > 1 else 0.0  # under torchrun: a full copy per rank
    return copy + kv_cache


def fit_message(estimate: MemoryEstimate, capacity: float, where: str) -> tuple[bool, str]:
    """Whether the estimate fits `capacity` bytes, and the line that says so (by how much it does not)."""
    total = estimate.total
    if total <= capacity:
        return (
            True,
            f"{estimate.describe()}; fits {where} ({capacity / GIB:.0f} GiB, {(capacity - total) / GIB:.1f} free)",
        )
    return False, (
        f"{estimate.describe()}; does not fit {where} ({capacity / GIB:.0f} GiB): "
        f"{(total - capacity) / GIB:.1f} GiB over"
    )
