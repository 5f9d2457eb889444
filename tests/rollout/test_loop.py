"""The multi-turn loop with the real default model and a real tool: token-in/token-out, budgets, stops.

SmolLM2-135M does not call tools zero-shot, so the tasks carry two worked examples (a user asks for
the weather, the assistant answers with a `<think>` block and a `<tool_call>`); greedy decoding then
calls `get_weather` for the asked city, reads the observation and answers in a second turn.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from rollout_support import requires_vllm
from rollout_test_tools import get_weather

from awpo.data.schema import Task
from awpo.errors import SandboxError
from awpo.rollout.engine import Engine, Generation, SamplingParams
from awpo.rollout.loop import LoopConfig, RolloutLoop, Trajectory, count_finish_reasons
from awpo.rollout.render import Renderer, drift_report
from awpo.rollout.tools import LocalTools, SandboxTools
from awpo.tools import Sandbox, SandboxConfig, SandboxLimits


def _call(city: str) -> str:
    return (
        f"<think>The user asks for the weather in {city}.</think>\n"
        f'<tool_call>\n{{"name": "get_weather", "arguments": {{"city": "{city}"}}}}\n</tool_call>'
    )


SHOTS = [
    m
    for city in ("Rome", "Oslo")
    for m in (
        {"role": "user", "content": f"What is the weather in {city}?"},
        {"role": "assistant", "content": _call(city)},
    )
]


def weather_task(city: str) -> Task:
    return Task(
        id=f"weather-{city}",
        messages=[*SHOTS, {"role": "user", "content": f"What is the weather in {city}?"}],
        tools=[get_weather.schema],
    )


GREEDY_LOOP = {"temperature": 0.0, "max_new_tokens": 56}


class RecordingEngine:
    """Delegates to a real engine and records every batch of prompt ids it is given."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.prompts: list[list[list[int]]] = []

    @property
    def name(self) -> str:
        return self.inner.name

    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams | Sequence[SamplingParams]
    ) -> list[Generation]:
        self.prompts.append([list(p) for p in prompts])
        return self.inner.generate(prompts, params)

    def update_weights(self, named_tensors: Any) -> None:
        self.inner.update_weights(named_tensors)

    def sleep(self) -> None:
        self.inner.sleep()

    def wake(self) -> None:
        self.inner.wake()

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(scope="module")
def renderer(tokenizer: Any) -> Renderer:
    return Renderer(tokenizer)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    try:
        sb = Sandbox([get_weather], SandboxLimits(timeout_s=20), config=SandboxConfig(pool_size=2))
    except SandboxError as exc:
        if os.geteuid() == 0:
            raise
        pytest.skip(f"the tool sandbox refused to start without root: {exc}")
    yield sb
    sb.close()


def _multi_turn(engine: Engine, renderer: Renderer, sandbox: Sandbox) -> tuple[RecordingEngine, list[Trajectory]]:
    recorder = RecordingEngine(engine)
    config = LoopConfig(max_turns=3, max_tool_response_tokens=12, **GREEDY_LOOP)
    loop = RolloutLoop(recorder, renderer, SandboxTools(sandbox), config)
    return recorder, loop.run([weather_task("Paris"), weather_task("Madrid")], seed=1)


@pytest.fixture(scope="module")
def hf_run(hf_engine: Any, renderer: Renderer, sandbox: Sandbox) -> tuple[RecordingEngine, list[Trajectory]]:
    return _multi_turn(hf_engine, renderer, sandbox)


def _assert_token_in_token_out(recorder: RecordingEngine, trajectories: list[Trajectory], renderer: Renderer) -> None:
    """Turn by turn, the sampler saw exactly the sequence so far; the trained ids are its concatenation."""
    assert any(len(t.turns) >= 2 for t in trajectories), "no multi-turn trajectory: the test would prove nothing"
    for i, traj in enumerate(trajectories):
        seen = list(traj.prompt_ids)
        for k, turn in enumerate(traj.turns):
            row = [j for j, t in enumerate(trajectories) if len(t.turns) > k].index(i)  # position in batch k
            assert recorder.prompts[k][row] == seen, f"trajectory {i} turn {k}: the sampler saw other tokens"
            seen += turn.generated_ids + turn.observation_ids
        assert traj.token_ids == seen
        assert len(traj.loss_mask) == len(traj.completion_ids) == len(traj.logprobs)
        for turn in traj.turns:
            # observation ids are the renderer's tokens of the (truncated) results, not the model's
            if turn.observation_ids:
                assert turn.observation_ids == renderer.tokenizer.encode(
                    turn.observation_text, add_special_tokens=False
                )
        masked = [lp for lp, m in zip(traj.logprobs, traj.loss_mask, strict=True) if m == 1]
        assert masked == [lp for t in traj.turns for lp in t.logprobs]
        assert all(math.isnan(lp) for lp, m in zip(traj.logprobs, traj.loss_mask, strict=True) if m == 0)


def test_multi_turn_trajectories_have_no_drift(hf_run: Any, renderer: Renderer) -> None:
    recorder, trajectories = hf_run
    _assert_token_in_token_out(recorder, trajectories, renderer)
    report = drift_report(renderer.tokenizer, [t.drift_case() for t in trajectories], renderer=renderer)
    assert not report.synthetic
    assert {c.strategy for c in report.checks} == {"chat_template", "retokenize", "turn_text"}
    assert all(c.cases == len(trajectories) for c in report.checks)


def test_tools_ran_in_the_sandbox_one_session_per_trajectory(hf_run: Any, sandbox: Sandbox) -> None:
    _, trajectories = hf_run
    first = trajectories[0].turns[0]
    assert first.calls == [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    assert first.failure == "ok"
    (result,) = first.tool_results
    assert result.ok, result.error
    assert result.value == {"city": "Paris", "temperature_c": 15, "sky": "clear", "wind_kmh": 35, "call": 1}
    assert trajectories[1].turns[0].tool_results[0].value["call"] == 1  # a fresh session, not Paris's
    assert sandbox.session_count == 0  # every episode's session was closed


def test_results_were_truncated_to_the_token_budget(hf_run: Any) -> None:
    _, trajectories = hf_run
    first = trajectories[0].turns[0]
    assert '"city": "Paris"' in first.observation_text
    assert "…[truncated" in first.observation_text  # the 30-token result was cut to 12 tokens
    assert "<tool_response>" in first.observation_text
    assert first.observation_text.endswith("<|im_start|>assistant\n")


def test_multi_turn_finish_reasons(hf_run: Any) -> None:
    _, trajectories = hf_run
    counts = count_finish_reasons(trajectories)
    assert sum(counts.values()) == len(trajectories)
    for traj in trajectories:
        last = traj.turns[-1]
        if traj.finish_reason == "answer":
            assert not last.calls and last.answer
        elif traj.finish_reason == "turn_budget":
            assert last.calls and len(traj.turns) == 3


def test_single_turn_stops_on_the_turn_budget(hf_engine: Any, renderer: Renderer) -> None:
    loop = RolloutLoop(hf_engine, renderer, None, LoopConfig(max_turns=1, **GREEDY_LOOP))
    (traj,) = loop.run([weather_task("Paris")])
    assert traj.finish_reason == "turn_budget"
    assert len(traj.turns) == 1
    assert traj.turns[0].calls == [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    assert traj.turns[0].observation_ids == []


def test_stops_on_a_final_answer(hf_engine: Any, renderer: Renderer) -> None:
    task = Task(id="capital", messages=[{"role": "user", "content": "What is the capital of France?"}])
    loop = RolloutLoop(hf_engine, renderer, LocalTools([get_weather]), LoopConfig(max_turns=3, **GREEDY_LOOP))
    (traj,) = loop.run([task])
    assert traj.finish_reason == "answer"
    assert "Paris" in (traj.turns[0].answer or "")
    assert traj.turns[0].calls == []


def test_ignore_eos_generates_the_full_budget(hf_engine: Any, renderer: Renderer) -> None:
    # The same task as above stops at its end-of-turn token after a short answer; with ignore_eos the
    # turn runs on to max_new_tokens (what fixed-length benchmarks need) and ends the trajectory.
    task = Task(id="capital", messages=[{"role": "user", "content": "What is the capital of France?"}])
    config = LoopConfig(max_turns=3, ignore_eos=True, **GREEDY_LOOP)
    (traj,) = RolloutLoop(hf_engine, renderer, LocalTools([get_weather]), config).run([task])
    assert traj.finish_reason == "length_budget"
    assert traj.turns[0].engine_finish == "length"
    assert traj.num_generated == GREEDY_LOOP["max_new_tokens"]
    assert renderer.end_of_turn_id in traj.turns[0].generated_ids[:-1]  # it did emit the token, and went on


def test_stops_when_a_turn_has_neither_call_nor_answer(hf_engine: Any, renderer: Renderer) -> None:
    # The turn is stopped right after its reasoning: a `<think>` block alone is no call and no answer.
    config = LoopConfig(max_turns=3, stop=["</think>"], **GREEDY_LOOP)
    (traj,) = RolloutLoop(hf_engine, renderer, LocalTools([get_weather]), config).run([weather_task("Paris")])
    assert traj.finish_reason == "no_call"
    assert traj.turns[0].engine_finish == "stop"
    assert traj.turns[0].text.endswith("</think>")
    assert traj.turns[0].reasoning and traj.turns[0].answer is None


def test_stops_on_the_turn_length_budget(hf_engine: Any, renderer: Renderer) -> None:
    config = LoopConfig(max_turns=3, temperature=0.0, max_new_tokens=5)
    (traj,) = RolloutLoop(hf_engine, renderer, LocalTools([get_weather]), config).run([weather_task("Paris")])
    assert traj.finish_reason == "length_budget"
    assert len(traj.turns[0].generated_ids) == 5
    assert traj.turns[0].failure in ("truncated", "no_call")  # "<think>The user asks" is cut inside the think block


def test_stops_when_the_observation_does_not_fit(hf_engine: Any, renderer: Renderer) -> None:
    task = weather_task("Paris")
    prompt = len(renderer.prompt_ids(task.messages, task.tools))
    # Room for the ~45-token call turn but not for its ~30-token observation plus another turn.
    config = LoopConfig(max_turns=3, max_total_tokens=prompt + 60, **GREEDY_LOOP)
    (traj,) = RolloutLoop(hf_engine, renderer, LocalTools([get_weather]), config).run([task])
    assert traj.finish_reason == "length_budget"
    assert len(traj.turns) == 1
    assert traj.turns[0].calls and traj.turns[0].tool_results
    assert traj.turns[0].observation_ids == []
    assert len(traj.token_ids) <= prompt + 60


def test_samples_per_task_form_groups_with_distinct_seeds(hf_engine: Any, renderer: Renderer) -> None:
    task = Task(id="colors", messages=[{"role": "user", "content": "Name a color."}])
    config = LoopConfig(max_turns=1, max_new_tokens=6, temperature=1.0)
    loop = RolloutLoop(hf_engine, renderer, None, config)
    trajectories = loop.run([task], samples_per_task=3, seed=4)
    assert [t.sample for t in trajectories] == [0, 1, 2]
    assert len({tuple(t.completion_ids) for t in trajectories}) > 1
    again = loop.run([task], samples_per_task=3, seed=4)
    assert [t.completion_ids for t in again] == [t.completion_ids for t in trajectories]
    assert loop.stats.generated_tokens == sum(t.num_generated for t in again)


def test_config_and_wiring_errors(hf_engine: Any, renderer: Renderer) -> None:
    with pytest.raises(ValueError, match="tool runner"):
        RolloutLoop(hf_engine, renderer, None, LoopConfig(max_turns=2))
    with pytest.raises(ValueError, match="empty string"):
        LoopConfig(stop=[""])
    with pytest.raises(ValueError):
        LoopConfig(max_turns=0)
    with pytest.raises(ValueError, match="samples_per_task"):
        RolloutLoop(hf_engine, renderer, None, LoopConfig(max_turns=1)).run([], samples_per_task=0)


@requires_vllm
def test_vllm_multi_turn_trajectories_have_no_drift(vllm_engine: Any, renderer: Renderer, sandbox: Sandbox) -> None:
    recorder, trajectories = _multi_turn(vllm_engine, renderer, sandbox)
    _assert_token_in_token_out(recorder, trajectories, renderer)
