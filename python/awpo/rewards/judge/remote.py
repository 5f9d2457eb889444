"""The `openai` judge backend: any OpenAI-compatible `/chat/completions` endpoint, called concurrently.

Each prompt is one request (`temperature 0`, a few `max_tokens`, `logprobs` with `top_logprobs`), run on a
thread pool of `concurrency` workers sharing one `httpx.Client`. Per attempt: a timeout; on a connection
error, a timeout, a dropped connection, HTTP 429 or 5xx it retries after
`min(backoff_max_s, backoff_s * 2**n) * U[0.5, 1.5)` seconds, up to `max_retries` times. The reply's score
is parsed from the text (`parsing.parse_score`) and, when the server returned logprobs for the score
token, replaced by the expected score (`parsing.expected_from_logprobs`). Every failure is a NaN result
with its class; nothing raises.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from awpo.rewards.judge.base import BAD_RESPONSE, CONNECT, HTTP_4XX, HTTP_5XX, PARSE, TIMEOUT, BackendResult
from awpo.rewards.judge.config import JudgeConfig
from awpo.rewards.judge.parsing import MAX_SCORE, expected_from_logprobs, parse_score
from awpo.rewards.judge.prompt import Message


class _Retry(Exception):
    """A transient failure of one attempt (to retry, or to report when attempts run out)."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


class OpenAIJudgeBackend:
    """The `openai` judge: scores prompts through an OpenAI-compatible chat endpoint.

    Args:
        base_url: the endpoint up to and including `/v1`.
        model: the model name sent with each request.
        api_key: sent as `Authorization: Bearer ...` when set.
        timeout_s, max_retries, backoff_s, backoff_max_s, concurrency, max_tokens, top_logprobs,
        max_ambiguous_mass, extra_body: as in `JudgeConfig`.
        seed: seeds the backoff jitter (`None`: from the OS).
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        backoff_max_s: float = 30.0,
        concurrency: int = 8,
        max_tokens: int = 16,
        top_logprobs: int = 20,
        max_ambiguous_mass: float = 0.05,
        extra_body: Mapping[str, Any] | None = None,
        seed: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.model_id = model
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.concurrency = concurrency
        self.max_tokens = max_tokens
        self.top_logprobs = top_logprobs
        self.max_ambiguous_mass = max_ambiguous_mass
        self.extra_body = dict(extra_body or {})
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="awpo-judge-http")
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._closed = threading.Event()

    @classmethod
    def from_config(cls, config: JudgeConfig) -> OpenAIJudgeBackend:
        """The backend `config` describes (`backend="openai"`); the API key is read from `config.api_key_env`."""
        if config.base_url is None or config.model is None:
            raise ValueError("the openai judge needs judge.base_url and judge.model")
        api_key = os.environ.get(config.api_key_env) if config.api_key_env else None
        return cls(
            config.base_url,
            config.model,
            api_key=api_key,
            timeout_s=config.timeout_s,
            max_retries=config.max_retries,
            backoff_s=config.backoff_s,
            backoff_max_s=config.backoff_max_s,
            concurrency=config.concurrency,
            max_tokens=config.max_tokens,
            top_logprobs=config.top_logprobs,
            max_ambiguous_mass=config.max_ambiguous_mass,
            extra_body=config.extra_body,
        )

    def score_prompts(self, prompts: Sequence[list[Message]]) -> list[BackendResult]:
        """One request per prompt, `concurrency` at a time; results in order."""
        return list(self._pool.map(self._score_one, prompts))

    def body(self, messages: list[Message]) -> dict[str, Any]:
        """The request body for one prompt."""
        body: dict[str, Any] = {
            "model": self.model_id,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": 0.0,
        }
        if self.top_logprobs > 0:
            body["logprobs"] = True
            body["top_logprobs"] = self.top_logprobs
        body.update(self.extra_body)
        return body

    def _backoff(self, retry: int) -> float:
        with self._rng_lock:
            jitter = self._rng.uniform(0.5, 1.5)
        return min(self.backoff_max_s, self.backoff_s * 2.0**retry) * jitter

    def _score_one(self, messages: list[Message]) -> BackendResult:
        t0 = time.perf_counter()
        body = self.body(messages)
        last = _Retry(CONNECT, "no attempt made")
        for attempt in range(self.max_retries + 1):
            if self._closed.is_set():
                break
            try:
                reply = self._attempt(body)
            except _Retry as e:
                last = e
                if attempt < self.max_retries and self._closed.wait(self._backoff(attempt)):
                    break  # closed while waiting
                continue
            return self._read_reply(reply, time.perf_counter() - t0)
        detail = f"{last.detail} (after {self.max_retries + 1} attempt(s))"
        return BackendResult.failure(last.error, detail, latency_s=time.perf_counter() - t0)

    def _attempt(self, body: dict[str, Any]) -> dict[str, Any] | BackendResult:
        """One HTTP attempt: the decoded JSON reply, a final failure, or `_Retry`."""
        try:
            response = self._client.post("/chat/completions", json=body)
        except httpx.TimeoutException as e:
            raise _Retry(TIMEOUT, f"{type(e).__name__}: {e}") from e
        except httpx.TransportError as e:  # refused, reset, dropped mid-response
            raise _Retry(CONNECT, f"{type(e).__name__}: {e}") from e
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retry(HTTP_5XX if status >= 500 else HTTP_4XX, f"HTTP {status}: {response.text[:200]}")
        if status >= 400:
            return BackendResult.failure(HTTP_4XX, f"HTTP {status}: {response.text[:200]}")
        try:
            data = response.json()
        except json.JSONDecodeError:
            return BackendResult.failure(BAD_RESPONSE, f"not JSON: {response.text[:200]!r}")
        if not isinstance(data, dict):
            return BackendResult.failure(BAD_RESPONSE, f"not a JSON object: {response.text[:200]!r}")
        return data

    def _read_reply(self, reply: dict[str, Any] | BackendResult, latency_s: float) -> BackendResult:
        if isinstance(reply, BackendResult):
            return BackendResult.failure(reply.error or BAD_RESPONSE, reply.detail, latency_s=latency_s)
        try:
            choice = reply["choices"][0]
            content = choice["message"].get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            return BackendResult.failure(BAD_RESPONSE, f"no choices[0].message: {str(reply)[:200]}", latency_s)
        if content is not None and not isinstance(content, str):
            return BackendResult.failure(BAD_RESPONSE, f"content is {type(content).__name__}", latency_s)
        parsed = parse_score(content)
        if parsed is None:
            return BackendResult.failure(PARSE, f"no score in reply {str(content)[:200]!r}", latency_s)
        expected = None
        logprobs = choice.get("logprobs") if isinstance(choice, dict) else None
        tokens = logprobs.get("content") if isinstance(logprobs, dict) else None
        if isinstance(tokens, list) and all(isinstance(t, dict) for t in tokens):
            expected = expected_from_logprobs(tokens, parsed, max_ambiguous_mass=self.max_ambiguous_mass)
        if expected is None:
            return BackendResult(score=parsed.value / MAX_SCORE, latency_s=latency_s)
        return BackendResult(score=expected / MAX_SCORE, weighted=True, latency_s=latency_s)

    def close(self) -> None:
        """Stops retries in progress, waits for the workers and closes the connections."""
        self._closed.set()
        self._pool.shutdown(wait=True)
        self._client.close()
