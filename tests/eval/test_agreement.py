"""Issue 6 §4: awpo's verdict equals the official `bfcl evaluate` verdict on the same result files.

BFCL entries get scripted outputs with known outcomes (right answer, wrong value, wrong function,
no call, a call where none fits, multi-turn oracle and a broken multi-turn run). awpo scores them
in-process and writes official result files; the official CLI (`python -m bfcl_eval evaluate`,
a subprocess) scores the same files. Every verdict must agree, and the known outcomes must hold.
Outputs are decoded by awpo's native parser (the one the rewards use). The scripted outputs go through
the real engine protocol and the trainer's renderer (token ids in and out, see `bfcl_helpers`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bfcl_helpers import bfcl_engine, gt_calls, hermes, scripted_policy, turn_and_step

from awpo.data.schema import FunctionCall
from awpo.eval.bfcl import Bfcl, BfclEntry, category_kind, load_entries, official_verdicts
from awpo.eval.decode import make_decoder
from awpo.eval.runner import run_bfcl
from awpo.rollout.render import Renderer

SINGLE = {
    "simple_python": 5,
    "multiple": 5,
    "parallel": 5,
    "parallel_multiple": 5,
    "live_simple": 5,
    "live_multiple": 5,
    "live_parallel": 5,
    "irrelevance": 4,
    "live_irrelevance": 4,
    "live_relevance": 4,
}
MULTI = {"multi_turn_base": 2, "multi_turn_miss_func": 2}
SINGLE["parallel"] = 9  # entry 8 answers in ToolRL style (one block, JSON lines), which awpo's parser reads


def _perturb(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 7
    if isinstance(value, str):
        return value + " zz"
    if isinstance(value, list):
        return [*value, "zz"]
    return "zz"


def _variant(entry: BfclEntry) -> int:
    return int(entry.id.replace("-", "_").split("_")[-3 if "-" in entry.id else -1])


def _single_turn_output(entry: BfclEntry) -> tuple[str, bool]:
    """(output, expected verdict) for a single-turn entry, chosen by its index."""
    v = _variant(entry)
    if category_kind(entry.category) == "relevance":
        call = hermes([{"name": entry.task.tools[0]["function"]["name"], "arguments": {}}])
        makes_call = v % 2 == 1
        expected = makes_call != ("irrelevance" in entry.category)
        return (
            call if makes_call else "<think>No tool fits.</think>\n<response>I cannot do that.</response>"
        ), expected
    calls = list(entry.task.answer.tool_calls)
    if v % 4 == 0 and len(calls) > 1 and v % 8 == 0:  # ToolRL style: one block, one JSON object per line
        lines = "\n".join(json.dumps({"name": c.name, "arguments": c.arguments}) for c in calls)
        return f"<think>Several calls.</think>\n<tool_call>\n{lines}\n</tool_call>", True
    if v % 4 == 0:
        return hermes(calls), True
    if v % 4 == 1:  # wrong value in the first argument of the first call
        first = calls[0]
        key = next(iter(first.arguments))
        calls[0] = FunctionCall(name=first.name, arguments={**first.arguments, key: _perturb(first.arguments[key])})
        return hermes(calls), False
    if v % 4 == 2:
        return "<think>Hmm.</think>\n<response>Let me think about that.</response>", False
    return hermes([FunctionCall(name="not_a_function", arguments={}), *calls]), False


def _multi_turn_script(bfcl: Bfcl):  # type: ignore[no-untyped-def]
    def script(entry: BfclEntry, continuation: str) -> str:
        turn, step = turn_and_step(continuation)
        truth = entry.ground_truth[turn]
        if step > 0 or not truth:
            return "<think>Done.</think>"
        calls = gt_calls(bfcl, entry, truth)
        if _variant(entry) % 2 == 1:
            calls = calls[:-1]  # the run leaves the state wrong
        return hermes(calls)

    return script


def test_awpo_verdicts_equal_official_bfcl_evaluate(bfcl: Bfcl, renderer: Renderer, tmp_path: Path) -> None:
    decoder = make_decoder("awpo")  # awpo's native parser, as in training
    expected: dict[str, bool] = {}
    awpo: dict[str, bool] = {}
    for category, limit in SINGLE.items():
        entries = load_entries(bfcl, category, limit)
        outputs = {e.id: _single_turn_output(e) for e in entries}
        expected.update({i: o[1] for i, o in outputs.items()})
        engine = bfcl_engine(renderer, entries, lambda e, _c, outputs=outputs: outputs[e.id][0])
        report = run_bfcl(bfcl, scripted_policy(engine), decoder, [category], limit=limit, results_root=tmp_path)
        awpo.update({r.id: r.verdict.valid for r in report.entries})
    for category, limit in MULTI.items():
        entries = load_entries(bfcl, category, limit)
        expected.update({e.id: _variant(e) % 2 == 0 for e in entries})
        engine = bfcl_engine(renderer, entries, _multi_turn_script(bfcl))
        report = run_bfcl(bfcl, scripted_policy(engine), decoder, [category], limit=limit, results_root=tmp_path)
        awpo.update({r.id: r.verdict.valid for r in report.entries})

    official = official_verdicts(tmp_path, [*SINGLE, *MULTI])

    assert set(official) == set(awpo) == set(expected)
    disagreements = {i: (awpo[i], official[i]) for i in awpo if awpo[i] != official[i]}
    assert disagreements == {}, json.dumps(disagreements)
    wrong = {i: (awpo[i], expected[i]) for i in awpo if awpo[i] != expected[i]}
    assert wrong == {}, json.dumps(wrong)
    assert 0 < sum(awpo.values()) < len(awpo)  # both outcomes occur


REWARD_CATEGORIES = (
    "simple_python", "multiple", "parallel", "parallel_multiple", "live_simple", "live_multiple",
    "live_parallel", "live_parallel_multiple", "irrelevance", "live_irrelevance",
)  # fmt: skip


def _reward_outputs(entry: BfclEntry) -> list[str]:
    """The right answer and a wrong value for AST entries; no call and a call for irrelevance entries."""
    calls = list(entry.task.answer.tool_calls)
    if not calls:
        outs = ["<think>No tool fits.</think>\n<response>I cannot do that.</response>"]
        if entry.task.tools:
            outs.append(hermes([{"name": entry.task.tools[0]["function"]["name"], "arguments": {}}]))
        return outs
    outs = [hermes(calls)]
    first = calls[0]
    if first.arguments:
        key = next(iter(first.arguments))
        wrong = FunctionCall(name=first.name, arguments={**first.arguments, key: _perturb(first.arguments[key])})
        outs.append(hermes([wrong, *calls[1:]]))
    return outs


def _reward_agreement(bfcl: Bfcl, limit: int | None) -> int:
    from awpo.eval.bfcl import check_ast, check_relevance
    from awpo.rewards import outcome

    decoder = make_decoder("awpo")
    scored = 0
    for category in REWARD_CATEGORIES:
        texts, answers, tools, official = [], [], [], []
        for entry in load_entries(bfcl, category, limit):
            for text in _reward_outputs(entry):
                calls = decoder(text, entry.task.tools).calls
                relevance = category_kind(category) == "relevance"
                verdict = check_relevance(entry, calls) if relevance else check_ast(bfcl, entry, calls)
                texts.append(text)
                answers.append(entry.task.answer)
                tools.append(entry.task.tools)
                official.append(verdict.valid)
        reward = outcome(texts, answers, tools, kind="bfcl")
        differ = [(texts[i][:160], official[i]) for i, t in enumerate(reward.total) if (t == 1.0) != official[i]]
        assert differ == [], (category, differ[:5])
        assert 0 < sum(official) < len(official)
        scored += len(texts)
    return scored


def test_bfcl_reward_agrees_with_the_official_checker(bfcl: Bfcl) -> None:
    """REWARDS.md `bfcl`: awpo's native reward gives BFCL's own checker's verdict (first 40 entries of each
    category, right and wrong outputs)."""
    assert _reward_agreement(bfcl, 40) > 600


@pytest.mark.slow
def test_bfcl_reward_agrees_with_the_official_checker_on_all_entries(bfcl: Bfcl) -> None:
    """The same over every entry of every single-turn category (about 7,000 outputs)."""
    assert _reward_agreement(bfcl, None) > 6000
