"""The multi-turn tool loop: render → generate (batched) → parse → run tools → append → repeat.

Every trajectory's sequence is built from token ids only: the prompt ids rendered once, then per
turn the sampled ids (loss mask 1, with the sampler's logprobs) and the tool observation ids (loss
mask 0). Text is decoded for parsing and records but never encoded back into the sequence, so the
trained sequence is exactly what the sampler conditioned on (token-in/token-out).

A trajectory stops on the first of:
- `answer`: a turn without tool calls that has a final answer;
- `no_call`: a turn with neither calls nor an answer (including unparseable output);
- `turn_budget`: a turn with calls when `max_turns` turns have been generated;
- `length_budget`: a turn cut by its token limit, or no room left in `max_total_tokens`
  for the observation and another turn.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from awpo.data.schema import Task
from awpo.rewards import ToolSet, parse, toolset
from awpo.rollout.engine import Engine, FinishReason, Generation, SamplingParams
from awpo.rollout.render import DriftCase, DriftTurn, Renderer, ToolObservation, decode
from awpo.rollout.tools import ToolEpisode, ToolRunner
from awpo.tools.sandbox import ToolResult

if TYPE_CHECKING:
    from awpo.rewards import FailureClass

logger = logging.getLogger(__name__)

StopReason = Literal["answer", "no_call", "turn_budget", "length_budget"]
STOP_REASONS: tuple[StopReason, ...] = ("answer", "no_call", "turn_budget", "length_budget")


class LoopConfig(BaseModel):
    """Budgets and sampling of the multi-turn loop.

    Parameters:
        > Parameters that control the turn and length budgets

        max_turns (`int`, defaults to `4`): most generated turns per trajectory (>= 1); 1 is single-turn
            (calls are parsed, not executed).
        max_new_tokens (`int`, defaults to `256`): most tokens generated per turn.
        max_total_tokens (`int`, defaults to `2048`): most tokens in a whole trajectory (prompt, turns and
            observations); also bounds each turn's generation.
        max_tool_response_tokens (`int`, defaults to `256`): each tool result is cut to this many tokens
            (plus a short truncation marker) before it is appended.

        > Parameters that control sampling

        temperature (`float`, defaults to `1.0`): sampling temperature (0 = greedy).
        top_p (`float`, defaults to `1.0`): nucleus mass (1.0 = off).
        stop (`list[str]`, defaults to `[]`): extra stop strings; the model's end-of-turn token always stops a turn.
        ignore_eos (`bool`, defaults to `False`): never stop at the end-of-turn token, so every turn generates
            its full token budget (and ends the trajectory by length). For benchmarks at fixed lengths only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_turns: int = Field(4, ge=1, description="Most generated turns per trajectory (>= 1).")
    max_new_tokens: int = Field(256, ge=1, description="Most tokens generated per turn.")
    max_total_tokens: int = Field(2048, ge=2, description="Most tokens in a whole trajectory.")
    max_tool_response_tokens: int = Field(256, ge=1, description="Each tool result is cut to this many tokens.")
    temperature: float = Field(1.0, ge=0.0, description="Sampling temperature (0 = greedy).")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus mass (1.0 = off).")
    stop: list[str] = Field(default_factory=list, description="Extra stop strings.")
    ignore_eos: bool = Field(False, description="Never stop at end-of-turn (fixed-length benchmarks only).")

    @model_validator(mode="after")
    def _budgets(self) -> LoopConfig:
        if any(not s for s in self.stop):
            raise ValueError("stop contains an empty string; remove it")
        return self


@dataclass(frozen=True)
class Turn:
    """One assistant turn and the tool observation that followed it (if any)."""

    generated_ids: list[int]  # loss mask 1
    logprobs: list[float]  # sampler logprob of each generated id
    text: str  # the generated ids decoded (without the closing end-of-turn token)
    engine_finish: FinishReason
    calls: list[dict[str, Any]]
    failure: FailureClass
    reasoning: str | None
    answer: str | None
    tool_results: list[ToolResult] = field(default_factory=list)
    observation_ids: list[int] = field(default_factory=list)  # loss mask 0
    observation_text: str = ""
    observation_messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Trajectory:
    """One sampled episode (DESIGN.md "Trajectory")."""

    task_id: str
    sample: int  # index within its task's group
    prompt_ids: list[int]
    prompt_messages: list[dict[str, Any]]  # what was rendered (with the tool system prompt, if any)
    tools: list[dict[str, Any]]
    turns: list[Turn]
    finish_reason: StopReason

    @property
    def completion_ids(self) -> list[int]:
        """Everything after the prompt: generated and observation ids, in order."""
        out: list[int] = []
        for turn in self.turns:
            out += turn.generated_ids + turn.observation_ids
        return out

    @property
    def token_ids(self) -> list[int]:
        """The whole sequence the sampler conditioned on: prompt + completion."""
        return self.prompt_ids + self.completion_ids

    @property
    def loss_mask(self) -> list[int]:
        """Per completion token: 1 for sampled ids, 0 for observation ids."""
        out: list[int] = []
        for turn in self.turns:
            out += [1] * len(turn.generated_ids) + [0] * len(turn.observation_ids)
        return out

    @property
    def logprobs(self) -> list[float]:
        """Per completion token: the sampler's logprob for sampled ids, NaN for observation ids."""
        out: list[float] = []
        for turn in self.turns:
            out += turn.logprobs + [math.nan] * len(turn.observation_ids)
        return out

    @property
    def num_generated(self) -> int:
        return sum(len(t.generated_ids) for t in self.turns)

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every parsed call of every turn, in order."""
        return [c for t in self.turns for c in t.calls]

    def drift_case(self) -> DriftCase:
        """This trajectory as `render.drift_report` input."""
        return DriftCase(
            messages=self.prompt_messages,
            tools=self.tools,
            prompt_ids=self.prompt_ids,
            turns=[DriftTurn(t.generated_ids, t.observation_ids, t.observation_messages) for t in self.turns],
        )


@dataclass
class LoopStats:
    """Where the time of the last `run` went."""

    trajectories: int = 0
    turns: int = 0
    generated_tokens: int = 0
    engine_s: float = 0.0
    parse_s: float = 0.0
    tools_s: float = 0.0
    total_s: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.generated_tokens / self.total_s if self.total_s > 0 else 0.0


@dataclass
class _Live:
    index: int
    task: Task
    sample: int
    tools: ToolSet | None
    prompt_ids: list[int]
    messages: list[dict[str, Any]]
    ids: list[int]
    turns: list[Turn] = field(default_factory=list)
    episode: ToolEpisode | None = None
    finish: StopReason | None = None


def turn_seed(seed: int, trajectory: int, turn: int) -> int:
    """Deterministic per-(trajectory, turn) sampler seed in [0, 2^31)."""
    return (seed * 1_000_003 + trajectory * 7_919 + turn * 104_729) % (2**31 - 1)


class RolloutLoop:
    """Runs batches of multi-turn tool-use trajectories.

    `tools` opens one episode per trajectory (fresh tool state); `None` means calls are parsed but
    never executed, so `max_turns` must be 1.
    """

    def __init__(
        self, engine: Engine, renderer: Renderer, tools: ToolRunner | None = None, config: LoopConfig | None = None
    ) -> None:
        self.engine = engine
        self.renderer = renderer
        self.tokenizer = renderer.tokenizer
        self.tools = tools
        self.config = config or LoopConfig()
        if self.tools is None and self.config.max_turns > 1:
            raise ValueError("max_turns > 1 needs a tool runner to execute calls (tools=...); or set max_turns=1")
        self.stats = LoopStats()

    def run(self, tasks: Sequence[Task], *, samples_per_task: int = 1, seed: int = 0) -> list[Trajectory]:
        """`samples_per_task` trajectories per task (a group), task-major: task 0's samples first."""
        if samples_per_task < 1:
            raise ValueError(f"samples_per_task must be >= 1, got {samples_per_task}")
        start = time.perf_counter()
        self.stats = LoopStats()
        cfg = self.config
        compiled: dict[str, ToolSet | None] = {}
        live: list[_Live] = []
        for task in tasks:
            if task.id not in compiled:
                compiled[task.id] = toolset(task.tools) if task.tools else None
            messages = self.renderer.prompt_messages(task.messages, task.tools)
            prompt = self.renderer.prompt_ids(task.messages, task.tools)
            for k in range(samples_per_task):
                state = _Live(len(live), task, k, compiled[task.id], prompt, messages, list(prompt))
                if len(prompt) >= cfg.max_total_tokens:
                    logger.warning(
                        "task %s: its prompt has %d tokens, max_total_tokens is %d; nothing generated",
                        task.id,
                        len(prompt),
                        cfg.max_total_tokens,
                    )
                    state.finish = "length_budget"
                live.append(state)
        try:
            self._loop([s for s in live if s.finish is None], seed)
        finally:
            for s in live:
                if s.episode is not None:
                    s.episode.close()
        self.stats.trajectories = len(live)
        self.stats.total_s = time.perf_counter() - start
        return [
            Trajectory(
                s.task.id, s.sample, s.prompt_ids, s.messages, list(s.task.tools), s.turns, s.finish or "no_call"
            )
            for s in live
        ]

    def _loop(self, active: list[_Live], seed: int) -> None:
        cfg = self.config
        turn = 0
        while active:
            limits = [min(cfg.max_new_tokens, cfg.max_total_tokens - len(s.ids)) for s in active]
            params = [
                SamplingParams(
                    temperature=cfg.temperature,
                    top_p=cfg.top_p,
                    max_new_tokens=limit,
                    stop=tuple(cfg.stop),
                    ignore_eos=cfg.ignore_eos,
                    seed=turn_seed(seed, s.index, turn),
                )
                for s, limit in zip(active, limits, strict=True)
            ]
            t0 = time.perf_counter()
            outputs = self.engine.generate([s.ids for s in active], params)
            t1 = time.perf_counter()
            self.stats.engine_s += t1 - t0
            turns = [self._parse(s, out) for s, out in zip(active, outputs, strict=True)]
            self.stats.parse_s += time.perf_counter() - t1
            self.stats.turns += len(active)
            self.stats.generated_tokens += sum(len(o.token_ids) for o in outputs)
            to_run: list[tuple[_Live, Turn]] = []
            for s, parsed in zip(active, turns, strict=True):
                s.ids += parsed.generated_ids
                if parsed.engine_finish == "length":
                    s.finish = "length_budget"
                elif not parsed.calls:
                    s.finish = "answer" if parsed.answer else "no_call"
                elif len(s.turns) + 1 >= cfg.max_turns:
                    s.finish = "turn_budget"
                else:
                    to_run.append((s, parsed))
                    continue
                s.turns.append(parsed)
            t2 = time.perf_counter()
            for s, parsed in zip([s for s, _ in to_run], self._run_tools(to_run), strict=True):
                s.turns.append(parsed)
                if parsed.observation_ids and len(s.ids) + len(parsed.observation_ids) < cfg.max_total_tokens:
                    s.ids += parsed.observation_ids
                else:
                    s.finish = "length_budget"  # no room to show the results and generate again
                    s.turns[-1] = _without_observation(parsed)
            self.stats.tools_s += time.perf_counter() - t2
            active = [s for s in active if s.finish is None]
            turn += 1

    def _parse(self, s: _Live, out: Generation) -> Turn:
        return parse_turn(self.renderer, out, s.tools)

    def _run_tools(self, batch: list[tuple[_Live, Turn]]) -> list[Turn]:
        if not batch:
            return []
        runner = self.tools
        if runner is None:  # guarded in __init__: max_turns == 1 never reaches here
            raise RuntimeError("no tool runner")
        for s, _ in batch:
            if s.episode is None:
                s.episode = runner.episode(s.task)

        def run_one(item: tuple[_Live, Turn]) -> list[ToolResult]:
            s, parsed = item
            episode = s.episode
            if episode is None:
                raise RuntimeError("episode not opened")
            results = episode.run(parsed.calls)
            if len(results) != len(parsed.calls):
                raise RuntimeError(f"tool runner returned {len(results)} results for {len(parsed.calls)} calls")
            return results

        if len(batch) == 1:
            all_results = [run_one(batch[0])]
        else:
            with ThreadPoolExecutor(max_workers=min(8, len(batch))) as pool:
                all_results = list(pool.map(run_one, batch))
        budget = self.config.max_tool_response_tokens
        return [
            with_observation(self.renderer, parsed, results, budget)
            for (_, parsed), results in zip(batch, all_results, strict=True)
        ]


def turn_closed(renderer: Renderer, generated_ids: Sequence[int]) -> bool:
    """Whether a generated turn ended with the model's end-of-turn token."""
    return bool(generated_ids) and generated_ids[-1] == renderer.end_of_turn_id


def parse_turn(renderer: Renderer, out: Generation, tools: ToolSet | None = None) -> Turn:
    """One engine output as the loop records it: the ids exactly as sampled, their text without the
    closing end-of-turn token, and the native parse of that text (against `tools`' schemas if given)."""
    ids = out.token_ids
    text = decode(renderer.tokenizer, ids[:-1] if turn_closed(renderer, ids) else ids)
    result = parse(text, tools, truncated=out.finish_reason == "length")
    return Turn(
        generated_ids=list(ids),
        logprobs=list(out.logprobs),
        text=text,
        engine_finish=out.finish_reason,
        calls=result.calls,
        failure=result.failure,
        reasoning=result.reasoning,
        answer=result.answer,
    )


def with_observation(
    renderer: Renderer, turn: Turn, results: Sequence[ToolResult], max_tool_response_tokens: int
) -> Turn:
    """`turn` followed by its tool results, as the loop appends them: each result cut to
    `max_tool_response_tokens`, rendered after the turn's end-of-turn token (added when the turn did
    not emit it) and tokenized on their own (loss mask 0); the sampled ids are never re-encoded."""
    observations = [
        ToolObservation(r.name, renderer.truncate(r.observation(), max_tool_response_tokens)) for r in results
    ]
    closed = turn_closed(renderer, turn.generated_ids)
    return replace(
        turn,
        tool_results=list(results),
        observation_ids=renderer.observation_ids(observations, turn_closed=closed),
        observation_text=renderer.observation_text(observations, turn_closed=closed),
        observation_messages=renderer.observation_messages(observations),
    )


def _without_observation(turn: Turn) -> Turn:
    return replace(turn, observation_ids=[], observation_text="", observation_messages=[])


def count_finish_reasons(trajectories: Sequence[Trajectory]) -> Mapping[StopReason, int]:
    """How many trajectories ended for each reason (all reasons present, zeros included)."""
    counts: dict[StopReason, int] = dict.fromkeys(STOP_REASONS, 0)
    for t in trajectories:
        counts[t.finish_reason] += 1
    return counts
