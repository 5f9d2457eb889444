"""Checkpoints: a Hugging Face model directory plus the trainer state, written atomically.

Layout of `<output_dir>/checkpoints/step-000042/`:
- the model (`save_pretrained`, safetensors; a PEFT adapter when training LoRA) and its tokenizer;
- `trainer_state.json`: step, data position, config, metrics so far, RNG states, file manifest;
- `training_state.pt`: optimizer and LR-scheduler state dicts.

Under torchrun (`save_sharded`) the model directory is the full model, gathered and written by rank 0,
the optimizer state is sharded with `torch.distributed.checkpoint` in `sharded/` (each rank writes its
shards; it loads back at any world size), each rank's RNG state is `rng/rank-NNNNN.json`, and
`trainer_state.json` records the world size. The directory must be on a filesystem every rank sees.

A checkpoint is written into a hidden temporary directory and renamed into place only when every
file is on disk, so a run killed mid-save never leaves a half checkpoint behind. On resume, a
checkpoint whose manifest does not match its files is skipped with a warning and the previous one
is used.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from awpo.errors import AwpoError

if TYPE_CHECKING:
    from awpo.train.distributed import DistContext

logger = logging.getLogger(__name__)

STATE_FILE = "trainer_state.json"
TENSORS_FILE = "training_state.pt"
SHARDED_DIR = "sharded"
RNG_DIR = "rng"
_STEP_DIR = re.compile(r"^step-(\d+)$")
FORMAT_VERSION = 1


class CheckpointError(AwpoError):
    """A checkpoint is missing, corrupt, or incompatible with this run."""


@dataclass
class TrainerState:
    """Everything besides weights and optimizer tensors that an exact resume needs."""

    step: int = 0
    data_position: dict[str, Any] = field(default_factory=dict)
    metrics_history: list[dict[str, float]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    rng: dict[str, Any] = field(default_factory=dict)


def capture_rng() -> dict[str, Any]:
    """RNG states of Python, NumPy and torch (CPU and every CUDA device), JSON-serialisable."""
    py_version, py_state, py_gauss = random.getstate()
    state: dict[str, Any] = {
        "python": [py_version, list(py_state), py_gauss],
        "numpy": _jsonable(np.random.get_state(legacy=False)),
        "torch": torch.get_rng_state().tolist(),
    }
    if torch.cuda.is_available():
        state["cuda"] = [s.tolist() for s in torch.cuda.get_rng_state_all()]
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Inverse of `capture_rng`."""
    version, py_state, gauss = state["python"]
    random.setstate((version, tuple(py_state), gauss))
    np.random.set_state(state["numpy"])
    torch.set_rng_state(torch.tensor(state["torch"], dtype=torch.uint8))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in state["cuda"]])


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class Checkpoint:
    """A checkpoint found on disk."""

    path: Path
    step: int
    state: TrainerState
    world_size: int = 1
    """Ranks of the run that wrote it (1 without torchrun)."""

    @property
    def sharded(self) -> bool:
        """Written under torchrun: optimizer state in `sharded/`, RNG per rank in `rng/`."""
        return (self.path / SHARDED_DIR).is_dir()

    def rank_rng(self, rank: int) -> dict[str, Any] | None:
        """Rank `rank`'s RNG states, when the checkpoint has them."""
        path = self.path / RNG_DIR / f"rank-{rank:05d}.json"
        if not path.exists():
            return None
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return state

    def load_training_tensors(self) -> dict[str, Any]:
        """Optimizer and scheduler state dicts (`{"optimizer": ..., "scheduler": ...}`)."""
        try:
            tensors: dict[str, Any] = torch.load(self.path / TENSORS_FILE, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises several types for a damaged file
            raise CheckpointError(f"{self.path / TENSORS_FILE}: cannot load optimizer state: {err}") from err
        return tensors


class CheckpointManager:
    """Saves, lists, prunes and loads checkpoints under `root`."""

    def __init__(self, root: str | Path, keep_last: int = 2) -> None:
        if keep_last < 1:
            raise ValueError(f"keep_last must be >= 1, got {keep_last}")
        self.root = Path(root)
        self.keep_last = keep_last

    def save(
        self,
        step: int,
        *,
        model: Any,
        tokenizer: Any,
        state: TrainerState,
        optimizer: torch.optim.Optimizer | None = None,
        scheduler: Any | None = None,
    ) -> Path:
        """Write checkpoint `step` atomically and prune old ones; returns its directory."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / f"step-{step:06d}"
        tmp = self._fresh_tmp(step, os.getpid())
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        tensors = {
            "optimizer": optimizer.state_dict() if optimizer is not None else None,
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
        }
        torch.save(tensors, tmp / TENSORS_FILE)
        return self._commit(tmp, final, step, state, world_size=1)

    def save_sharded(
        self,
        step: int,
        *,
        model: Any,
        tokenizer: Any,
        state: TrainerState,
        optimizer: torch.optim.Optimizer,
        scheduler: Any | None,
        ctx: DistContext,
    ) -> Path:
        """`save` for an FSDP2 job: every rank calls it. Rank 0 writes the full HF model (gathered to its
        CPU), every rank its optimizer shards and RNG state; rank 0 then renames the directory into place."""
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            get_model_state_dict,
            get_optimizer_state_dict,
        )
        from torch.distributed.checkpoint.state_dict_saver import save as dcp_save

        final = self.root / f"step-{step:06d}"
        tmp = self.root / f".tmp-step-{step:06d}-{ctx.broadcast(os.getpid())}"
        if ctx.is_main:
            self.root.mkdir(parents=True, exist_ok=True)
            self._fresh_tmp(step, int(tmp.name.rsplit("-", 1)[-1]))
        ctx.barrier()
        full = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        if ctx.is_main:
            model.save_pretrained(tmp, state_dict=full, safe_serialization=True)
            tokenizer.save_pretrained(tmp)
            torch.save(
                {"optimizer": None, "scheduler": scheduler.state_dict() if scheduler else None}, tmp / TENSORS_FILE
            )
        del full
        dcp_save({"optimizer": get_optimizer_state_dict(model, optimizer)}, checkpoint_id=str(tmp / SHARDED_DIR))
        (tmp / RNG_DIR).mkdir(exist_ok=True)
        rng_file = tmp / RNG_DIR / f"rank-{ctx.rank:05d}.json"
        rng_file.write_text(json.dumps(capture_rng()), encoding="utf-8")
        ctx.barrier()
        if ctx.is_main:
            self._commit(tmp, final, step, state, world_size=ctx.world_size)
        else:
            state.step = step
        ctx.barrier()
        return final

    def _fresh_tmp(self, step: int, pid: int) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".tmp-step-{step:06d}-{pid}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        return tmp

    def _commit(self, tmp: Path, final: Path, step: int, state: TrainerState, *, world_size: int) -> Path:
        """Write the state file with the manifest of what is in `tmp`, then rename it into place."""
        state.step = step
        body = {
            "format_version": FORMAT_VERSION,
            "step": state.step,
            "world_size": world_size,
            "data_position": state.data_position,
            "config": state.config,
            "metrics_history": state.metrics_history,
            "rng": state.rng,
            "manifest": _manifest(tmp),
        }
        (tmp / STATE_FILE).write_text(json.dumps(body), encoding="utf-8")
        _fsync_tree(tmp)
        if final.exists():  # the same step saved again (e.g. a final save right after a periodic one)
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync_dir(self.root)
        self._prune()
        return final

    def list(self) -> list[Path]:
        """Complete checkpoint directories, oldest first."""
        if not self.root.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.root.iterdir() if (m := _STEP_DIR.match(p.name)) and p.is_dir()]
        return [p for _, p in sorted(found)]

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint that verifies; corrupt ones are logged and skipped."""
        for path in reversed(self.list()):
            try:
                return load_checkpoint(path)
            except CheckpointError as err:
                logger.warning("skipping corrupt checkpoint: %s", err)
        return None

    def _prune(self) -> None:
        for path in self.list()[: -self.keep_last]:
            shutil.rmtree(path, ignore_errors=True)
        for stale in self.root.glob(".tmp-step-*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if pid != str(os.getpid()):
                shutil.rmtree(stale, ignore_errors=True)


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and verify a checkpoint directory (model files are loaded by the caller)."""
    path = Path(path)
    state_file = path / STATE_FILE
    try:
        body = json.loads(state_file.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise CheckpointError(f"{path} is not an awpo checkpoint (no {STATE_FILE})") from err
    except (OSError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{state_file}: unreadable: {err}") from err
    if not isinstance(body, dict) or body.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{state_file}: unknown format (expected format_version {FORMAT_VERSION})")
    expected = body.get("manifest", {})
    actual = _manifest(path, exclude={STATE_FILE})
    for name, size in expected.items():
        if actual.get(name) != size:
            raise CheckpointError(f"{path / name}: expected {size} bytes, found {actual.get(name, 'no file')}")
    state = TrainerState(
        step=int(body["step"]),
        data_position=body.get("data_position", {}),
        metrics_history=body.get("metrics_history", []),
        config=body.get("config", {}),
        rng=body.get("rng", {}),
    )
    return Checkpoint(path=path, step=state.step, state=state, world_size=int(body.get("world_size", 1)))


def load_sharded_optimizer(checkpoint: Checkpoint, model: Any, optimizer: torch.optim.Optimizer) -> None:
    """Load the optimizer shards of a `save_sharded` checkpoint into an FSDP2 job of any world size
    (`torch.distributed.checkpoint` reshards); every rank calls it."""
    from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict, set_optimizer_state_dict
    from torch.distributed.checkpoint.state_dict_loader import load as dcp_load

    target = {"optimizer": get_optimizer_state_dict(model, optimizer)}
    try:
        dcp_load(target, checkpoint_id=str(checkpoint.path / SHARDED_DIR))
    except Exception as err:  # DCP raises several types for missing or mismatched shards
        raise CheckpointError(f"{checkpoint.path / SHARDED_DIR}: cannot load optimizer shards: {err}") from err
    set_optimizer_state_dict(model, optimizer, target["optimizer"])


def _manifest(directory: Path, exclude: set[str] | None = None) -> dict[str, int]:
    exclude = exclude or {STATE_FILE}
    return {
        str(p.relative_to(directory)): p.stat().st_size
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name not in exclude
    }


def _fsync_tree(directory: Path) -> None:
    for p in directory.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
