"""What `awpo eval --model` accepts: the embedded default, a Hugging Face directory, an awpo checkpoint or run
directory (its newest checkpoint that verifies), a GGUF file; damaged checkpoints are clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from awpo.errors import ModelLoadError
from awpo.eval.model import resolve_eval_model
from awpo.model import resolve_model_dir
from awpo.train.checkpoint import CheckpointManager, TrainerState


@pytest.fixture(scope="module")
def tiny_loaded(tiny: Path) -> tuple[Any, Any]:
    from awpo.model import load_model

    return load_model(str(tiny))


def _run_dir(root: Path, tiny_loaded: tuple[Any, Any], steps: list[int]) -> Path:
    model, tokenizer = tiny_loaded
    manager = CheckpointManager(root / "checkpoints", keep_last=len(steps))
    for step in steps:
        manager.save(step, model=model, tokenizer=tokenizer, state=TrainerState())
    return root


def test_default_is_the_embedded_model() -> None:
    resolved = resolve_eval_model(None)
    assert resolved.kind == "default" and resolved.path == resolve_model_dir()
    assert resolve_eval_model("default").path == resolved.path


def test_hugging_face_directory(tiny: Path) -> None:
    resolved = resolve_eval_model(tiny)
    assert (resolved.kind, resolved.path, resolved.step) == ("hf", str(tiny), None)


def test_checkpoint_and_run_directory(tmp_path: Path, tiny_loaded: tuple[Any, Any]) -> None:
    run = _run_dir(tmp_path / "run", tiny_loaded, [4, 12])
    step = resolve_eval_model(run / "checkpoints" / "step-000012")
    assert (step.kind, step.step, step.path) == ("checkpoint", 12, str(run / "checkpoints" / "step-000012"))
    latest = resolve_eval_model(run)
    assert (latest.kind, latest.step, latest.path, latest.skipped) == ("checkpoint", 12, step.path, ())
    assert latest.to_json()["step"] == 12


def test_a_damaged_checkpoint_is_a_clear_error(tmp_path: Path, tiny_loaded: tuple[Any, Any]) -> None:
    run = _run_dir(tmp_path / "run", tiny_loaded, [4, 12])
    newest = run / "checkpoints" / "step-000012"
    weights = newest / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # truncated: the manifest's size no longer matches
    with pytest.raises(ModelLoadError, match=r"step-000012 is damaged: .*model.safetensors: expected \d+ bytes"):
        resolve_eval_model(newest)
    # the run directory falls back to the newest checkpoint that verifies, and says which it skipped
    fallback = resolve_eval_model(run)
    assert fallback.step == 4 and len(fallback.skipped) == 1 and "step-000012" in fallback.skipped[0]
    (run / "checkpoints" / "step-000004" / "trainer_state.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"no checkpoint verifies:\n .*step-000012.*\n .*unreadable"):
        resolve_eval_model(run)


def test_missing_and_empty(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_eval_model(tmp_path / "nope")
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    with pytest.raises(ModelLoadError, match="has no checkpoint"):
        resolve_eval_model(tmp_path / "run")
    (tmp_path / "step-000003").mkdir()
    with pytest.raises(ModelLoadError, match="not an awpo checkpoint"):
        resolve_eval_model(tmp_path / "step-000003")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ModelLoadError, match=r"without config\.json"):
        resolve_eval_model(tmp_path / "plain")
    with pytest.raises(ModelLoadError, match=r"GGUF file .* does not exist"):
        resolve_eval_model(tmp_path / "model.gguf")


def test_lora_adapter_checkpoint_is_refused_clearly(tmp_path: Path) -> None:
    ckpt = tmp_path / "checkpoints" / "step-000001"  # what LoRA training saves: an adapter, no full weights
    ckpt.mkdir(parents=True)
    files = {"adapter_config.json": b"{}", "adapter_model.safetensors": b"0123456789"}
    for name, data in files.items():
        (ckpt / name).write_bytes(data)
    manifest = {name: len(data) for name, data in files.items()}
    (ckpt / "trainer_state.json").write_text(json.dumps({"format_version": 1, "step": 1, "manifest": manifest}))
    with pytest.raises(ModelLoadError, match="holds a LoRA adapter"):
        resolve_eval_model(ckpt)
