"""The `openai` backend against a real local OpenAI-compatible server (`awpo.rewards.judge.serve`, backed by
the real `hf` judge): logprob-weighted scores, retries, timeouts, dropped connections, garbage, concurrency."""

from __future__ import annotations

import logging
import math
import socket
import threading

import httpx
import numpy as np
import pytest
from judge_testlib import SHORT_RUBRIC, FaultyJudgeServer, short_prompt, weather_items

from awpo.rewards.judge import Judge, JudgeConfig, JudgeItem
from awpo.rewards.judge import metrics as m
from awpo.rewards.judge.hf import HFJudgeBackend, ScoreDistribution
from awpo.rewards.judge.prompt import Message
from awpo.rewards.judge.remote import OpenAIJudgeBackend


def _items4() -> list[JudgeItem]:
    extra = JudgeItem(
        messages=[{"role": "user", "content": "Weather in Rome, please."}],
        reasoning="Rome is the city; get_weather(city=Rome).",
        calls=[{"name": "get_weather", "arguments": {"city": "Rome"}}],
    )
    return [*weather_items(), extra]


@pytest.fixture(scope="module")
def prompts4() -> list[list[Message]]:
    return [short_prompt(i) for i in _items4()]


@pytest.fixture(scope="module")
def hf_dists4(hf_backend: HFJudgeBackend, prompts4: list[list[Message]]) -> list[ScoreDistribution]:
    dists = hf_backend.distributions(prompts4)
    assert all(isinstance(d, ScoreDistribution) for d in dists)
    return dists  # type: ignore[return-value]


def _client(server: FaultyJudgeServer, **kw: object) -> OpenAIJudgeBackend:
    options: dict[str, object] = {"timeout_s": 120.0, "max_retries": 2, "backoff_s": 0.01, "seed": 0}
    options.update(kw)
    return OpenAIJudgeBackend(server.base_url, "judge", **options)  # type: ignore[arg-type]


def _what_the_client_should_compute(d: ScoreDistribution, max_ambiguous_mass: float) -> tuple[float, bool]:
    """The documented rule, applied to the hf judge's own distribution: (score in [0, 1], weighted)."""
    argmax = max(range(11), key=lambda k: d.probs[k])
    if argmax in (1, 10):  # the reply starts with "1": the next entry gives q0, so the client recovers E exactly
        return d.expected / 10, True
    p1 = d.first_probs["1"]
    if p1 > max_ambiguous_mass:
        return argmax / 10, False  # falls back to the parsed integer
    rest = {k: d.first_probs[str(k)] for k in range(10) if k != 1}  # the "1" mass dropped
    return sum(k * p for k, p in rest.items()) / sum(rest.values()) / 10, True


@pytest.mark.parametrize("max_ambiguous_mass", [0.05, 1.0])
def test_scores_follow_the_hf_judge_through_the_server(
    server: FaultyJudgeServer,
    prompts4: list[list[Message]],
    hf_dists4: list[ScoreDistribution],
    max_ambiguous_mass: float,
) -> None:
    backend = _client(server, api_key="sekret", max_ambiguous_mass=max_ambiguous_mass)
    try:
        results = backend.score_prompts(prompts4)
    finally:
        backend.close()
    for d, r in zip(hf_dists4, results, strict=True):
        expected, weighted = _what_the_client_should_compute(d, max_ambiguous_mass)
        assert r.error is None and r.weighted == weighted
        assert r.score == pytest.approx(expected, abs=1e-5)  # the server batches differently: float noise only
    assert server.auth_headers == ["Bearer sekret"] * 4
    if max_ambiguous_mass == 1.0:
        assert any(r.weighted for r in results)  # the logprob path ran for real


def test_http_500_and_a_dropped_connection_are_retried(
    server: FaultyJudgeServer, prompts4: list[list[Message]], hf_dists4: list[ScoreDistribution]
) -> None:
    server.reset(plan=["drop", "500", "ok"])
    backend = _client(server, max_retries=2, top_logprobs=0)
    try:
        (result,) = backend.score_prompts(prompts4[:1])
    finally:
        backend.close()
    assert server.requests_seen == 3
    argmax = max(range(11), key=lambda k: hf_dists4[0].probs[k])
    assert result.error is None and not result.weighted and result.score == argmax / 10  # parsed, no logprobs


def test_slow_server_times_out_retries_then_nan(server: FaultyJudgeServer, caplog: pytest.LogCaptureFixture) -> None:
    server.reset(default="slow")
    server.slow_s = 1.5
    backend = _client(server, timeout_s=0.3, max_retries=2)
    with Judge(backend, JudgeConfig(rubric=SHORT_RUBRIC)) as judge, caplog.at_level(logging.WARNING, "awpo.judge"):
        result = judge.score(weather_items()[:1])
    assert math.isnan(result.scores[0]) and result.errors == ["timeout"]
    assert server.requests_seen == 3  # the first attempt and 2 retries
    assert result.metrics[m.FAILURES] == 1.0 and result.metrics[m.LATENCY_S_MEAN] >= 0.9  # 3 timeouts of 0.3 s
    assert "1 of 1 item(s) failed" in caplog.text and "timeout: 1" in caplog.text


def test_connection_dropped_every_time_is_nan(server: FaultyJudgeServer) -> None:
    server.reset(default="drop")
    backend = _client(server, max_retries=1)
    try:
        (result,) = backend.score_prompts([short_prompt(weather_items()[0])])
    finally:
        backend.close()
    assert math.isnan(result.score) and result.error == "connect" and server.requests_seen == 2


@pytest.mark.parametrize(("fault", "error"), [("garbage", "parse"), ("not_json", "bad_response"), ("400", "http_4xx")])
def test_bad_answers_are_nan_without_retry(server: FaultyJudgeServer, fault: str, error: str) -> None:
    server.reset(default=fault)
    backend = _client(server, max_retries=3)
    try:
        (result,) = backend.score_prompts([short_prompt(weather_items()[0])])
    finally:
        backend.close()
    assert math.isnan(result.score) and result.error == error
    assert server.requests_seen == 1  # a deterministic bad answer is not asked again


def test_unreachable_endpoint_never_stops_the_run() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = JudgeConfig(
        backend="openai",
        base_url=f"http://127.0.0.1:{port}/v1",
        model="judge",
        max_retries=2,
        backoff_s=0.01,
        timeout_s=5.0,
    )
    with Judge.from_config(config) as judge:
        result = judge.score(weather_items())
    assert np.isnan(result.scores).all() and result.errors == ["connect"] * 3
    assert result.metrics[m.FAILURES] == 3.0 and result.metrics[m.FAILURE_FRAC] == 1.0
    assert math.isnan(result.metrics[m.SCORE_MEAN])


def test_requests_really_overlap(
    server: FaultyJudgeServer, prompts4: list[list[Message]], hf_dists4: list[ScoreDistribution]
) -> None:
    # Each request waits at a 4-party barrier before it is answered: 4 sequential requests would break
    # it (after its timeout) and fail, so 4 successes prove that 4 requests were in flight at once.
    server.reset(default="barrier")
    server.barrier = threading.Barrier(4, timeout=120)
    backend = _client(server, concurrency=4, max_retries=0)
    try:
        results = backend.score_prompts(prompts4)
    finally:
        backend.close()
    assert [r.error for r in results] == [None] * 4
    assert server.max_in_flight >= 4
    # Answered together, so the server batched them: still the hf judge's numbers.
    for d, r in zip(hf_dists4, results, strict=True):
        assert r.score == pytest.approx(_what_the_client_should_compute(d, 0.05)[0], abs=1e-5)


def test_submit_returns_while_the_request_is_in_flight(server: FaultyJudgeServer) -> None:
    # The judge's request waits at a 2-party barrier; the caller, free after submit(), is the other party.
    server.reset(default="barrier")
    server.barrier = threading.Barrier(2, timeout=120)
    with Judge(_client(server, max_retries=0), JudgeConfig(rubric=SHORT_RUBRIC)) as judge:
        future = judge.submit(weather_items()[:1])
        body = {"model": "judge", "messages": short_prompt(weather_items()[1])}
        direct = httpx.post(server.base_url + "/chat/completions", json=body, timeout=300)
        result = future.result(timeout=300)
    assert direct.status_code == 200 and result.errors == [None] and 0.0 <= result.scores[0] <= 1.0


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    backend = OpenAIJudgeBackend("http://127.0.0.1:9/v1", "judge", backoff_s=0.5, backoff_max_s=3.0, seed=1)
    try:
        for retry, base in enumerate([0.5, 1.0, 2.0, 3.0, 3.0]):
            delays = [backend._backoff(retry) for _ in range(50)]
            assert all(0.5 * base <= d < 1.5 * base for d in delays)
            assert len(set(delays)) > 1  # jittered
    finally:
        backend.close()


def test_request_body_and_api_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_JUDGE_KEY", "k-123")
    config = JudgeConfig(
        backend="openai",
        base_url="http://127.0.0.1:9/v1/",
        model="m",
        api_key_env="MY_JUDGE_KEY",
        top_logprobs=5,
        extra_body={"structured_outputs": {"choice": ["0", "1"]}},
    )
    backend = OpenAIJudgeBackend.from_config(config)
    try:
        body = backend.body([{"role": "user", "content": "x"}])
        assert body["logprobs"] is True and body["top_logprobs"] == 5 and body["temperature"] == 0.0
        assert body["structured_outputs"] == {"choice": ["0", "1"]} and body["model"] == "m"
        assert backend._client.headers["Authorization"] == "Bearer k-123"
        assert backend.base_url == "http://127.0.0.1:9/v1"
    finally:
        backend.close()
    monkeypatch.delenv("MY_JUDGE_KEY")
    backend = OpenAIJudgeBackend.from_config(config)
    try:
        assert "Authorization" not in backend._client.headers
    finally:
        backend.close()
