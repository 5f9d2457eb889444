"""`python -m awpo.rewards.judge.serve`: an OpenAI-compatible server the official `openai` client can use."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import time

import httpx
import openai
import pytest
from judge_testlib import FaultyJudgeServer, short_prompt, weather_items

from awpo.rewards.judge import Judge
from awpo.rewards.judge.hf import HFJudgeBackend, ScoreDistribution
from awpo.rewards.judge.parsing import expected_from_logprobs, parse_score
from awpo.rewards.judge.remote import OpenAIJudgeBackend
from awpo.rewards.judge.serve import completion_logprobs


def test_the_openai_client_reads_the_reply(server: FaultyJudgeServer) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)
    assert [model.id for model in client.models.list()] == ["judge"]
    reply = client.chat.completions.create(
        model="judge",
        messages=short_prompt(weather_items()[0]),  # type: ignore[arg-type]
        logprobs=True,
        top_logprobs=5,
    )
    choice = reply.choices[0]
    assert choice.message.content is not None and parse_score(choice.message.content) is not None
    assert choice.logprobs is not None and choice.logprobs.content is not None
    first = choice.logprobs.content[0]
    assert first.token == choice.message.content[: len(first.token)] and len(first.top_logprobs) == 5
    assert all(alt.token.isdigit() and alt.logprob <= 0.0 for alt in first.top_logprobs)
    client.close()


def test_routes_and_bad_requests(server: FaultyJudgeServer) -> None:
    with httpx.Client(base_url=server.base_url.removesuffix("/v1"), timeout=60) as http:
        assert http.get("/health").json() == {"status": "ok"}
        assert http.get("/nope").status_code == 404
        assert http.post("/v1/completions", json={}).status_code == 404
        for body in [
            {"messages": []},
            {"messages": [{"content": "x"}]},
            {"messages": [{"role": "user", "content": 3}]},
        ]:
            response = http.post("/v1/chat/completions", json=body)
            assert response.status_code == 400 and "messages" in response.json()["error"]["message"]
        bad_json = http.post("/v1/chat/completions", content=b"{oops", headers={"Content-Type": "application/json"})
        assert bad_json.status_code == 400
        top = {"messages": [{"role": "user", "content": "x"}], "top_logprobs": 50}
        assert http.post("/v1/chat/completions", json=top).status_code == 400


def _dist(first: dict[str, float], q0: float) -> ScoreDistribution:
    p1 = first["1"]
    probs = [first[str(k)] for k in range(10)] + [p1 * q0]
    probs[1] = p1 * (1 - q0)
    return ScoreDistribution(probs=tuple(probs), first_probs=first, q0=q0, mass=0.5)


def test_logprobs_of_a_split_ten_let_the_client_recover_the_expectation() -> None:
    # First token: "1" 0.7, "9" 0.3 (others 0); after "1": "0" with q0 = 0.8.
    # P(10) = 0.56, P(1) = 0.14, P(9) = 0.3 -> E = 5.6 + 0.14 + 2.7 = 8.44, argmax 10 -> reply "10".
    first = {str(d): 0.0 for d in range(10)} | {"1": 0.7, "9": 0.3}
    dist = _dist(first, 0.8)
    assert dist.expected == pytest.approx(8.44)
    content = completion_logprobs(dist, 10, top=20, end_token="<|im_end|>")
    assert [c["token"] for c in content] == ["1", "0", "<|im_end|>"]
    assert math.exp(content[1]["logprob"]) == pytest.approx(0.8) and content[2]["logprob"] == 0.0
    assert {t["token"] for t in content[1]["top_logprobs"]} == {"0", "<|im_end|>"}
    parsed = parse_score("10")
    assert parsed is not None
    assert expected_from_logprobs(content, parsed) == pytest.approx(8.44)


def test_logprobs_of_a_single_digit_reply() -> None:
    # First token: "7" 0.6, "8" 0.4 -> reply "7", E over {7, 8} = 4.2 + 3.2 = 7.4 ("1" has no mass).
    first = {str(d): 0.0 for d in range(10)} | {"7": 0.6, "8": 0.4}
    content = completion_logprobs(_dist(first, 0.5), 7, top=3, end_token="</s>")
    assert [c["token"] for c in content] == ["7", "</s>"]
    assert [t["token"] for t in content[0]["top_logprobs"]][:2] == ["7", "8"]
    assert expected_from_logprobs(content, parse_score("7")) == pytest.approx(7.4)  # type: ignore[arg-type]


def test_logprobs_of_a_reply_one_split_it_from_ten() -> None:
    # First token: "1" 0.5, "3" 0.5; after "1": q0 = 0.2, so the end token has 0.8.
    # P(1) = 0.4, P(10) = 0.1, P(3) = 0.5 -> argmax 3; as a reply "1": E = 0.4 + 1.0 + 1.5 = 2.9
    first = {str(d): 0.0 for d in range(10)} | {"1": 0.5, "3": 0.5}
    dist = _dist(first, 0.2)
    content = completion_logprobs(dist, 1, top=20, end_token="<|im_end|>")
    assert [c["token"] for c in content] == ["1", "<|im_end|>"] and math.exp(content[1]["logprob"]) == pytest.approx(
        0.8
    )
    assert expected_from_logprobs(content, parse_score("1")) == pytest.approx(2.9) == dist.expected  # type: ignore[arg-type]


def test_the_command_line_server(hf_backend: HFJudgeBackend) -> None:
    # `python -m awpo.rewards.judge.serve` in its own process: port 0, the bound address read from its log.
    cmd = [sys.executable, "-m", "awpo.rewards.judge.serve", "--model", hf_backend.model_id, "--port", "0",
           "--served-model-name", "cli-judge"]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        url = None
        deadline = time.monotonic() + 300
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                pytest.fail(f"the server exited with {proc.wait()}")
            match = re.search(r"on (http://\S+/v1)", line)
            url = match.group(1) if match else None
        assert url is not None
        with Judge(OpenAIJudgeBackend(url, "cli-judge", max_retries=0, timeout_s=300)) as judge:
            result = judge.score(weather_items()[:1])
        assert result.errors == [None] and 0.0 <= result.scores[0] <= 1.0
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if proc.stderr is not None:
            proc.stderr.close()
