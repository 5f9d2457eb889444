"""Which model `awpo eval` evaluates: the embedded default, a Hugging Face directory, an awpo checkpoint or
run directory, or a GGUF file.

- nothing (or `default`): the embedded default model (`awpo.model.resolve_model_dir()`);
- an awpo checkpoint `runs/<name>/checkpoints/step-000012/` (a Hugging Face directory plus
  `trainer_state.json`): verified against its manifest first, so a damaged checkpoint is an error that
  names the file, not a model that quietly loads half its weights;
- an awpo run directory `runs/<name>/`: its newest checkpoint that verifies (damaged newer ones are
  skipped with a warning and listed in the report, as `awpo train --resume` skips them);
- a Hugging Face model directory, a `.gguf` file (converted once into the cache) or a hub id: as the
  trainer loads them (`resolve_model_dir`).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from awpo.errors import ModelLoadError
from awpo.model import DEFAULT_ALIASES, resolve_model_dir

logger = logging.getLogger(__name__)

ModelKind = Literal["default", "hf", "checkpoint", "gguf", "hub"]
_STEP_DIR = re.compile(r"^step-\d+$")
_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


@dataclass(frozen=True)
class ResolvedModel:
    """A model to evaluate: where it loads from, and what the user named."""

    path: str  # a Hugging Face directory (or hub id) that transformers and vLLM both load
    source: str  # as given (`default` when none was)
    kind: ModelKind
    step: int | None = None  # the checkpoint's training step
    skipped: tuple[str, ...] = ()  # damaged newer checkpoints of a run directory, with the reason

    def to_json(self) -> dict[str, object]:
        """JSON form for the report file."""
        out: dict[str, object] = {"source": self.source, "path": self.path, "kind": self.kind}
        if self.step is not None:
            out["step"] = self.step
        if self.skipped:
            out["skipped_checkpoints"] = list(self.skipped)
        return out


def resolve_eval_model(source: str | os.PathLike[str] | None = None) -> ResolvedModel:
    """Resolve `source` (see the module docstring); raises `ModelLoadError` (or `CheckpointError`) with the
    cause and the fix when it cannot be evaluated."""
    if source is None or str(source) in DEFAULT_ALIASES:
        return ResolvedModel(resolve_model_dir(None), "default", "default")
    path = Path(source).expanduser()
    if path.is_dir():
        from awpo.train.checkpoint import STATE_FILE

        if (path / STATE_FILE).exists():
            return _checkpoint(path, str(source))
        if (path / "checkpoints").is_dir():
            return _run_dir(path, str(source))
        if _STEP_DIR.match(path.name) and not (path / "config.json").exists():
            raise ModelLoadError(
                f"{path} is not an awpo checkpoint: it has neither {STATE_FILE} nor config.json "
                "(an interrupted save leaves a hidden .tmp-step-* directory, never a step-* one; was it emptied?)"
            )
        return ResolvedModel(resolve_model_dir(path), str(source), "hf")
    if path.suffix == ".gguf":
        return ResolvedModel(resolve_model_dir(path), str(source), "gguf")
    resolved = resolve_model_dir(source)  # raises for a missing local path
    return ResolvedModel(resolved, str(source), "hub")


def _checkpoint(path: Path, source: str) -> ResolvedModel:
    from awpo.train.checkpoint import CheckpointError, load_checkpoint

    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError as err:
        raise ModelLoadError(f"awpo checkpoint {path} is damaged: {err}") from err
    _check_model_files(path)
    return ResolvedModel(str(path), source, "checkpoint", step=checkpoint.step)


def _check_model_files(path: Path) -> None:
    if (path / "adapter_config.json").exists() and not (path / "config.json").exists():
        raise ModelLoadError(
            f"{path} holds a LoRA adapter, not full weights; `awpo eval` does not merge adapters yet. "
            "Merge it into its base model (peft's merge_and_unload, then save_pretrained) and evaluate that directory."
        )
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"awpo checkpoint {path} has no config.json: not a Hugging Face model directory")
    if not any((path / name).is_file() for name in _WEIGHT_FILES):
        raise ModelLoadError(
            f"awpo checkpoint {path} has no model weights (expected one of {', '.join(_WEIGHT_FILES)})"
        )


def _run_dir(path: Path, source: str) -> ResolvedModel:
    from awpo.train.checkpoint import CheckpointManager

    candidates = CheckpointManager(path / "checkpoints").list()
    if not candidates:
        raise ModelLoadError(
            f"run directory {path} has no checkpoint (no {path / 'checkpoints'}/step-*/): "
            "training saves one every output.save_every steps and at the end"
        )
    skipped: list[str] = []
    for candidate in reversed(candidates):
        try:
            found = _checkpoint(candidate, source)
        except ModelLoadError as err:
            skipped.append(str(err))
            continue
        for reason in skipped:
            logger.warning("skipping a damaged checkpoint: %s", reason)
        return ResolvedModel(found.path, source, "checkpoint", step=found.step, skipped=tuple(skipped))
    raise ModelLoadError(f"run directory {path}: no checkpoint verifies:\n  " + "\n  ".join(skipped))
