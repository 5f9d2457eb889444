"""Fixtures of the judge tests: the real judge model (SmolLM2-135M-Instruct, HF format), sample items and a
real OpenAI-compatible judge server with injectable faults (see `judge_testlib`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from judge_testlib import FaultyJudgeServer, judge_model_dir, weather_items

from awpo.errors import ModelLoadError
from awpo.rewards.judge.hf import HFJudgeBackend
from awpo.rewards.judge.prompt import JudgeItem


@pytest.fixture()
def items() -> list[JudgeItem]:
    return weather_items()


@pytest.fixture(scope="session")
def hf_backend() -> HFJudgeBackend:
    try:
        path = judge_model_dir()
    except ModelLoadError as e:
        pytest.fail(f"no judge test model: {e} (or set AWPO_TEST_JUDGE_MODEL to a Hugging Face model directory)")
    return HFJudgeBackend.from_pretrained(path, batch_size=4)


@pytest.fixture(scope="session")
def judge_server(hf_backend: HFJudgeBackend) -> Iterator[FaultyJudgeServer]:
    server = FaultyJudgeServer(hf_backend).start()
    yield server
    server.stop()


@pytest.fixture()
def server(judge_server: FaultyJudgeServer) -> FaultyJudgeServer:
    judge_server.reset()
    return judge_server
