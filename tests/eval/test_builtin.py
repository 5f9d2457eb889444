"""Evaluation on the built-in tasks, through the trainer's rollout loop: an oracle scores 100%, wrong or
missing calls do not, and multi-step tasks really run their tools."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from bfcl_helpers import ScriptedEngine, scripted_policy, turn_and_step

from awpo.data.generator import GeneratorConfig, demonstration, generate
from awpo.data.schema import Task
from awpo.eval.builtin import run_builtin
from awpo.rollout.render import Renderer
from awpo.rollout.tools import LocalTools, SandboxTools
from awpo.tools.builtin import all_tools
from awpo.tools.sandbox import Sandbox

SPLITS = generate(GeneratorConfig(per_family=12, seed=3))
DONE = "<think>I have what the user asked for.</think>\n<response>Done.</response>"


def oracle_engine(renderer: Renderer, tasks: Sequence[Task], *, hermes: bool) -> ScriptedEngine[int]:
    """Answers each task with its demonstration's assistant turns, then with a final answer. With
    `hermes`, calls are written one per `<tool_call>` block instead of JSON lines in one block."""

    def script(index: int, continuation: str) -> str:
        turns = [t["content"] for t in demonstration(tasks[index]) if t["role"] == "assistant"]
        _, done = turn_and_step(continuation)
        text = turns[done] if done < len(turns) else DONE
        if hermes and "<tool_call>" in text:
            head, block = text.split("<tool_call>\n")
            lines = block.split("\n</tool_call>")[0].splitlines()
            text = head + "\n".join(f"<tool_call>\n{line}\n</tool_call>" for line in lines)
        return text

    prompts = {i: renderer.prompt_ids(t.messages, t.tools) for i, t in enumerate(tasks)}
    return ScriptedEngine(renderer, prompts, script)


def _unique(tasks: Sequence[Task]) -> list[Task]:
    # the same query can appear twice (as a request of its family and as an irrelevant one elsewhere, with
    # the same tools); the scripted engine tells conversations apart by their first prompt
    seen: set[str] = set()
    out = []
    for t in tasks:
        key = json.dumps([t.messages, t.tools], sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def test_oracle_scores_every_kind_right(renderer: Renderer) -> None:
    tasks = _unique(SPLITS.heldout + SPLITS.validation)
    engine = oracle_engine(renderer, tasks, hermes=True)
    report = run_builtin(scripted_policy(engine), tasks, LocalTools(all_tools()), chunk=16)
    assert report.accuracy == 1.0, [r.id for r in report.results if not r.correct]
    assert {s.category for s in report.scores} >= {"single", "multi_step", "irrelevance"}
    assert sum(s.total for s in report.scores) == len(tasks)
    # the tools really ran: the observations appended equal the results recorded at generation time
    recorded = {r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                for t in tasks for s in t.meta.get("steps", []) for r in s["results"]}  # fmt: skip
    seen = {
        content
        for chunks in engine.appended.values()
        for ids in chunks
        for content in re.findall(r"<tool_response>\n(.*?)\n</tool_response>", renderer.tokenizer.decode(ids), re.S)
    }
    assert recorded and recorded <= seen


def test_sandbox_runs_the_tools_as_in_training(renderer: Renderer) -> None:
    """The CLI's tool runner (the trainer's: one sandbox session per task) gives the same verdicts."""
    tasks = [t for t in SPLITS.validation if t.env is not None][:4]
    with Sandbox(all_tools()) as sandbox:
        report = run_builtin(
            scripted_policy(oracle_engine(renderer, tasks, hermes=False)), tasks, SandboxTools(sandbox)
        )
    assert report.accuracy == 1.0 and len(report.results) == 4
    assert all(len(r.outputs) >= 2 and r.finish_reason == "answer" for r in report.results)


def test_wrong_answers_are_wrong(renderer: Renderer) -> None:
    tasks = _unique([t for t in SPLITS.validation if t.meta["kind"] in ("single", "missing")][:6])
    wrong = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Nowhere"}}\n</tool_call>'
    engine = ScriptedEngine(
        renderer,
        {i: renderer.prompt_ids(t.messages, t.tools) for i, t in enumerate(tasks)},
        lambda i, continuation: wrong if not continuation else DONE,
    )
    report = run_builtin(scripted_policy(engine), tasks, LocalTools(all_tools()))
    assert report.accuracy == 0.0
    assert all(r.rewards for r in report.results)  # single-turn tasks get the outcome rewards


def test_demonstrations_in_json_lines_score_right(renderer: Renderer) -> None:
    """The demonstrations themselves (one block, JSON lines), read by the loop's native parser, score 100%."""
    tasks = _unique(SPLITS.validation)
    report = run_builtin(scripted_policy(oracle_engine(renderer, tasks, hermes=False)), tasks, LocalTools(all_tools()))
    assert report.accuracy == 1.0, [r.id for r in report.results if not r.correct]
