"""`JudgeConfig`: the reasoning judge's settings (embedded in the trainer config as `judge`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class JudgeConfig(BaseModel):
    r"""Settings of the reasoning judge, which scores a trajectory's `<think>` text in [0, 1].

    The reasoning reward `Rr_i` of ALGORITHM.md §1 is the judge's expected score divided by 10. A failed
    item (unreachable endpoint, timeout, unparsable answer) is NaN (missing) and never stops a run.

    Parameters:
        > Parameters that control the backend

        backend (`Literal["hf", "openai", "rubric"]`, defaults to `"hf"`):
            Which judge runs. `"rubric"`: a model-free rule score in Rust (microseconds per item) of the reasoning
            against the request, the tools offered, the tool results seen and the calls made (intent named, tools
            named = tools called or an argued abstention, argument values grounded and named, no contradiction, no
            text copied across requests; see `awpo.rewards.judge.rubric`); it never sees the ground truth and reads
            none of the prompt or model settings. `"hf"`: a local transformers model; the score is the expectation of
            the score tokens' probabilities (0–10) after one forward pass, so nothing is generated or parsed.
            `"openai"`: any OpenAI-compatible chat endpoint (vLLM serve, `python -m awpo.rewards.judge.serve`,
            a hosted API); the reply is parsed, and weighted by the score token's logprobs when returned.
        model (`str` or `None`, defaults to `None`):
            `hf`: a Hugging Face model directory (`None` = the embedded default model, SmolLM2-135M-Instruct,
            or the policy's own copy when the trainer passes it). `openai`: the model name sent with every
            request (required).
        base_url (`str` or `None`, defaults to `None`):
            `openai` only: the endpoint's base URL, up to and including `/v1`, e.g. `http://127.0.0.1:8000/v1`.
        api_key_env (`str` or `None`, defaults to `"OPENAI_API_KEY"`):
            `openai` only: the name of the environment variable holding the API key (the key itself is never
            stored in a config). An unset variable, or `None`, sends no `Authorization` header.

        > Parameters that control requests (`openai` backend)

        timeout_s (`float`, defaults to `60.0`):
            Timeout of one HTTP attempt in seconds (connect, and each read and write); must be > 0.
        max_retries (`int`, defaults to `3`):
            Retries after the first attempt on connection errors, timeouts, HTTP 429 and 5xx, with
            exponential backoff and jitter. Other 4xx answers and unparsable replies are not retried. `0` = no
            retry.
        backoff_s (`float`, defaults to `0.5`):
            Base delay of the backoff: retry `n` (0-based) waits `min(backoff_max_s, backoff_s * 2**n)` times
            a uniform jitter in [0.5, 1.5).
        backoff_max_s (`float`, defaults to `30.0`):
            Upper bound of one backoff delay in seconds.
        concurrency (`int`, defaults to `8`):
            Requests in flight at once (a thread pool and as many pooled connections); >= 1.
        max_tokens (`int`, defaults to `16`):
            `max_tokens` of each request: the reply should be the score alone, so a few tokens suffice.
            Raise it for judges that write a rationale before `Score: N`.
        top_logprobs (`int`, defaults to `20`):
            `top_logprobs` asked for at each reply token (OpenAI and vLLM allow up to 20); the expected score
            is taken over the score tokens among them. `0` = ask for no logprobs and use the parsed score.
        max_ambiguous_mass (`float`, defaults to `0.05`):
            When the endpoint's tokenizer writes `10` as `1`,`0` and the reply's score does not start with
            `1`, the probability of the first token `1` is shared between 1 and 10 in an unknown way. If that
            share of the score tokens' mass is at most this value it is dropped; above it the parsed score is
            used instead of the expectation (counted in `judge/logprob_weighted_frac`). In [0, 1].
        extra_body (`dict`, defaults to `{}`):
            Extra JSON fields merged into each request body, e.g. vLLM's
            `{"structured_outputs": {"choice": ["0", "1", ..., "10"]}}` to constrain the reply to a score.

        > Parameters that control the local model (`hf` backend)

        batch_size (`int`, defaults to `8`):
            Prompts per forward pass (left-padded, sorted by length to limit padding); >= 1.
        dtype (`Literal["float32", "bfloat16", "float16"]`, defaults to `"float32"`):
            Dtype the judge model is loaded in (when the judge loads it; a model passed in keeps its own).

        > Parameters that control the prompt

        rubric (`str` or `None`, defaults to `None`):
            The system prompt of the judge. `None` = the built-in rubric (`awpo.rewards.judge.prompt.RUBRIC`):
            the user's intent understood; tool choice (or abstention) justified; every argument value grounded
            in the context; reasoning coherent and consistent with the final calls. A custom rubric must ask
            for an integer from 0 to 10.
        max_reasoning_chars (`int`, defaults to `4000`):
            The `<think>` text is cut to this many characters (head and tail kept, the middle elided).
        max_context_chars (`int`, defaults to `4000`):
            Each other section of the prompt (conversation, tools, calls, tool results, final answer) is cut
            to this many characters in the same way.

        > Parameters that control the cache

        cache_dir (`str` or `None`, defaults to `None`):
            Directory of the on-disk score cache (`judge_cache.jsonl`, append-only, shared safely by
            concurrent processes). The key hashes the backend, the model, the rubric version and the whole
            prompt. `None` = no cache. Leave it `None` when the judge shares the policy's weights, which change
            every step.
    """

    model_config = ConfigDict(extra="forbid")

    backend: Literal["hf", "openai", "rubric"] = Field("hf", description="Which judge runs.")
    model: str | None = Field(None, description="hf: a Hugging Face model directory; openai: the model name.")
    base_url: str | None = Field(None, description="openai only: the endpoint's base URL, up to and including /v1.")
    api_key_env: str | None = Field(
        "OPENAI_API_KEY", description="openai only: the name of the environment variable holding the API key."
    )

    timeout_s: float = Field(60.0, gt=0.0, description="Timeout of one HTTP attempt in seconds.")
    max_retries: int = Field(3, ge=0, description="Retries after the first attempt on transient failures.")
    backoff_s: float = Field(0.5, ge=0.0, description="Base delay of the backoff.")
    backoff_max_s: float = Field(30.0, ge=0.0, description="Upper bound of one backoff delay in seconds.")
    concurrency: int = Field(8, ge=1, description="Requests in flight at once.")
    max_tokens: int = Field(16, ge=1, description="`max_tokens` of each request.")
    top_logprobs: int = Field(20, ge=0, le=20, description="`top_logprobs` asked for at each reply token.")
    max_ambiguous_mass: float = Field(
        0.05, ge=0.0, le=1.0, description="Largest ambiguous '1' mass dropped before falling back to the parsed score."
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict, description="Extra JSON fields merged into each request body."
    )

    batch_size: int = Field(8, ge=1, description="Prompts per forward pass.")
    dtype: Literal["float32", "bfloat16", "float16"] = Field(
        "float32", description="Dtype the judge model is loaded in."
    )

    rubric: str | None = Field(None, description="The system prompt of the judge.")
    max_reasoning_chars: int = Field(4000, ge=64, description="The `<think>` text is cut to this many characters.")
    max_context_chars: int = Field(
        4000, ge=64, description="Each other section of the prompt is cut to this many characters."
    )

    cache_dir: str | None = Field(None, description="Directory of the on-disk score cache.")

    @model_validator(mode="after")
    def _check(self) -> JudgeConfig:
        if self.backend == "openai":
            missing = [name for name in ("base_url", "model") if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"judge.backend is 'openai' but judge.{' and judge.'.join(missing)} is not set; set "
                    "judge.base_url (e.g. 'http://127.0.0.1:8000/v1') and judge.model (the served model name)"
                )
        if self.rubric is not None and not self.rubric.strip():
            raise ValueError("judge.rubric is an empty string; set a rubric text or None for the built-in one")
        return self
