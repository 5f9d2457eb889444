"""Data-parallel `awpo train` under torchrun: process group, rank-local groups, FSDP2, reductions.

`torchrun --nproc-per-node N -m awpo train CONFIG` (or `awpo train` with `WORLD_SIZE` set) starts one
trainer per rank. Each rank rolls out, scores and computes the advantages of its own groups (a group of
G rollouts never straddles ranks, so the group statistics of ALGORITHM.md §1-§4 need no communication),
then all ranks update one FSDP2-sharded policy. Only the §5 loss normalisers and the metrics cross ranks.

Without torchrun every function here is the single-process identity (`DistContext.single`).
"""

from __future__ import annotations

import datetime
import logging
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from awpo import metric_names as m
from awpo.algo.loss import LossNormalizer, mask_counts
from awpo.errors import ConfigError

logger = logging.getLogger(__name__)

RANK_SEED_STRIDE = 1_000_003
"""Rank r seeds its RNGs with `seed + r * RANK_SEED_STRIDE` (rank 0 keeps the config's seed)."""

SYNC_BUCKET_BYTES = 64 * 2**20
"""Weight sync hands the engine at most this many bytes of gathered parameters at a time."""

COLLECTIVE_TIMEOUT = datetime.timedelta(minutes=60)
"""A rank waiting longer than this in a collective (a crashed or stuck peer) ends the job."""


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in the job: rank, world size and its device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    launched: bool
    """Started by torchrun (a process group exists, checkpoints are sharded), even with one rank."""

    @classmethod
    def single(cls) -> DistContext:
        """The plain, single-process run."""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return cls(rank=0, world_size=1, local_rank=0, device=device, launched=False)

    @property
    def is_main(self) -> bool:
        """Rank 0: the only one that prints, logs metrics and writes the full model."""
        return self.rank == 0

    def barrier(self) -> None:
        if self.launched:
            dist.barrier()

    def broadcast(self, value: Any) -> Any:
        """Rank 0's `value` on every rank (a picklable object)."""
        if not self.launched:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def any(self, flag: bool) -> bool:
        """True on every rank when it is true on one (e.g. a stop request that reached one rank)."""
        return self.all_reduce([1.0 if flag else 0.0], dist.ReduceOp.MAX)[0] > 0

    def all_reduce(self, values: Sequence[float], op: Any = dist.ReduceOp.SUM) -> list[float]:
        """Element-wise reduction of a few floats across ranks (float64 on the collective's device)."""
        if not self.launched:
            return list(values)
        device = self.device if dist.get_backend() == "nccl" else torch.device("cpu")
        t = torch.tensor(list(values), dtype=torch.float64, device=device)
        dist.all_reduce(t, op=op)
        return [float(v) for v in t.cpu()]


def launched_by_torchrun() -> bool:
    """Whether torchrun (or another launcher that sets the env:// variables) started this process."""
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ


def init_distributed() -> DistContext:
    """Join the process group when launched by torchrun (nccl on CUDA, gloo on the CPU); else a
    single-process context."""
    if not launched_by_torchrun():
        return DistContext.single()
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        device, backend = torch.device("cuda", local_rank), "nccl"
    else:
        device, backend = torch.device("cpu"), "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, timeout=COLLECTIVE_TIMEOUT)
    logger.info("rank %d of %d (%s, %s)", rank, world, backend, device)
    return DistContext(rank=rank, world_size=world, local_rank=local_rank, device=device, launched=True)


def shutdown(ctx: DistContext) -> None:
    """Leave the process group (after the last collective)."""
    if ctx.launched and dist.is_initialized():
        dist.destroy_process_group()


def rank_seed(seed: int, rank: int) -> int:
    """This rank's seed for sampling and any other per-rank randomness."""
    return seed + rank * RANK_SEED_STRIDE


def check_divisible(prompts_per_step: int, world_size: int) -> None:
    """Every rank must hold whole groups: `prompts_per_step` must split evenly across ranks."""
    if prompts_per_step % world_size:
        raise ConfigError(
            f"rollout.prompts_per_step ({prompts_per_step}) is not divisible by the world size ({world_size}): "
            "each rank rolls out whole groups, so use a multiple of the number of ranks"
        )


def rank_prompts(tasks: Sequence[Any], ctx: DistContext) -> list[Any]:
    """This rank's contiguous share of a step's prompts (every rank samples the same global list)."""
    per_rank = len(tasks) // ctx.world_size
    return list(tasks[ctx.rank * per_rank : (ctx.rank + 1) * per_rank])


def local_micro_batches(
    global_rows: Iterable[int], *, n_local: int, micro_batch_size: int, ctx: DistContext
) -> list[list[int]]:
    """This rank's rows of a minibatch (global row ids; rank r holds rows `[r * n_local, (r+1) * n_local)`),
    as local ids in micro-batches. Every rank gets the same number of micro-batches, the missing ones
    empty: under FSDP every rank must run the same forward and backward passes."""
    rows = sorted(global_rows)
    owned = [[r - k * n_local for r in rows if k * n_local <= r < (k + 1) * n_local] for k in range(ctx.world_size)]
    n_micro = max(math.ceil(len(o) / micro_batch_size) for o in owned)
    mine = owned[ctx.rank]
    micro = [mine[i : i + micro_batch_size] for i in range(0, len(mine), micro_batch_size)]
    return micro + [[] for _ in range(n_micro - len(micro))]


def global_normalizer(masks: Sequence[torch.Tensor], token_budget: int | None, ctx: DistContext) -> LossNormalizer:
    """The §5 normalisers of the global minibatch: tokens and sequences summed over ranks, the longest
    sequence maximised, so each rank's loss is its exact share of the 1-rank loss (ALGORITHM.md §5)."""
    n_tokens, n_seqs, longest = mask_counts(list(masks)) if masks else (0.0, 0.0, 0.0)
    n_tokens, n_seqs = ctx.all_reduce([n_tokens, n_seqs])
    (longest,) = ctx.all_reduce([longest], dist.ReduceOp.MAX) if ctx.launched else [longest]
    return LossNormalizer.from_counts(n_tokens, n_seqs, longest, token_budget=token_budget)


def local_tensor(t: torch.Tensor) -> torch.Tensor:
    """This rank's shard of a DTensor (the tensor itself otherwise)."""
    to_local = getattr(t, "to_local", None)
    return to_local() if callable(to_local) else t


def full_tensor(t: torch.Tensor) -> torch.Tensor:
    """The whole tensor of a DTensor, gathered from every rank (the tensor itself otherwise)."""
    gather = getattr(t, "full_tensor", None)
    return gather() if callable(gather) else t


def grads_finite(params: Iterable[torch.nn.Parameter], ctx: DistContext) -> bool:
    """Whether every rank's gradient shards are finite (one answer on all ranks)."""
    local = all(p.grad is None or bool(torch.isfinite(local_tensor(p.grad)).all()) for p in params)
    return not ctx.any(not local)


def decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The transformer blocks, each its own FSDP unit: the classes HF names in `_no_split_modules`."""
    names: set[str] = set()
    for module in model.modules():
        names.update(getattr(module, "_no_split_modules", None) or [])
    layers = [mod for mod in model.modules() if type(mod).__name__ in names]
    if not layers:
        raise ValueError(f"{type(model).__name__}: no decoder layers found to shard (no _no_split_modules)")
    return layers


def shard_model(model: torch.nn.Module, ctx: DistContext, *, cpu_offload: bool = False) -> torch.nn.Module:
    """FSDP2: `fully_shard` each decoder layer, then the root (embeddings, norm, head). On CUDA the
    parameters compute in bf16 with fp32 gradient reduction while the sharded fp32 masters stay with the
    optimizer; `cpu_offload` keeps the shards (and the optimizer state) in host memory."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import CPUOffloadPolicy, MixedPrecisionPolicy, fully_shard

    mesh = init_device_mesh(ctx.device.type, (ctx.world_size,))
    kwargs: dict[str, Any] = {"mesh": mesh}
    if ctx.device.type == "cuda":
        kwargs["mp_policy"] = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
    if cpu_offload:
        kwargs["offload_policy"] = CPUOffloadPolicy()
    for layer in decoder_layers(model):
        fully_shard(layer, **kwargs)
    fully_shard(model, **kwargs)
    return model


def stream_full_weights(
    named: Iterable[tuple[str, torch.Tensor]], bucket_bytes: int = SYNC_BUCKET_BYTES
) -> Iterator[list[tuple[str, torch.Tensor]]]:
    """The parameters gathered one at a time (`full_tensor` of each DTensor), handed out in buckets of at
    most `bucket_bytes` (one larger tensor goes alone): no rank ever holds the whole state dict. Every
    rank must consume the stream, as each gather is a collective."""
    bucket: list[tuple[str, torch.Tensor]] = []
    size = 0
    for name, param in named:
        tensor = full_tensor(param.detach())
        nbytes = tensor.numel() * tensor.element_size()
        if bucket and size + nbytes > bucket_bytes:
            yield bucket
            bucket, size = [], 0
        bucket.append((name, tensor))
        size += nbytes
    if bucket:
        yield bucket


def metric_reduction(name: str) -> str:
    """How a per-rank metric becomes the job's: `sum`, `max`, `min` or `mean` (of rank means; every rank
    holds the same number of trajectories, so that is the global mean of per-trajectory metrics)."""
    if name == m.POLICY_LOSS:  # each rank's loss is its share of the global loss (global normalisers)
        return "sum"
    if name.startswith("throughput/"):
        return "sum"
    if name.startswith("time/") or name.endswith("/max"):
        return "max"  # the slowest rank sets the pace
    if name.endswith("/min"):
        return "min"
    return "mean"


def reduce_metrics(values: Mapping[str, float], ctx: DistContext) -> dict[str, float]:
    """Every rank's metrics combined per `metric_reduction` (NaN: not measured on that rank)."""
    if not ctx.launched or ctx.world_size == 1:
        return dict(values)
    gathered: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(gathered, dict(values))
    names = sorted({name for rank_values in gathered for name in rank_values})
    out: dict[str, float] = {}
    for name in names:
        finite = [float(v[name]) for v in gathered if name in v and math.isfinite(float(v[name]))]
        if not finite:
            out[name] = math.nan
            continue
        how = metric_reduction(name)
        if how == "sum":
            out[name] = sum(finite)
        elif how == "max":
            out[name] = max(finite)
        elif how == "min":
            out[name] = min(finite)
        else:
            out[name] = sum(finite) / len(finite)
    return out
