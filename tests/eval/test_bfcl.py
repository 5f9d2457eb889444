"""awpo's wiring of BFCL's official checkers: categories, AST, relevance, multi-turn, result files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bfcl_helpers import Scripted, gt_calls, hermes, turn_and_step

from awpo.data.schema import FunctionCall
from awpo.eval.bfcl import (
    Bfcl,
    category_kind,
    check_ast,
    check_relevance,
    expand_categories,
    load_entries,
    result_text,
    safe_calls,
    write_result_file,
)
from awpo.eval.decode import bfcl_hermes_decoder
from awpo.eval.generation import Conversation
from awpo.eval.runner import run_bfcl


def test_expand_categories() -> None:
    assert expand_categories(["multi_turn", "simple_python", "multi_turn_base"]) == [
        "multi_turn_base",
        "multi_turn_miss_func",
        "multi_turn_miss_param",
        "multi_turn_long_context",
        "simple_python",
    ]
    with pytest.raises(ValueError, match="unknown BFCL category 'simple_java'"):
        expand_categories(["simple_java"])
    assert category_kind("live_irrelevance") == "relevance"


def test_project_root_is_not_site_packages(bfcl: Bfcl) -> None:
    assert "site-packages" not in str(bfcl.project_root)
    assert (bfcl.project_root / "result").is_dir()


def test_load_entries_matches_bfcl(bfcl: Bfcl) -> None:
    entries = load_entries(bfcl, "simple_python", limit=3)
    assert [e.id for e in entries] == ["simple_python_0", "simple_python_1", "simple_python_2"]
    first = entries[0]
    # the model sees BFCL's Python hint in descriptions; the checker gets the docs without it
    assert first.task.tools[0]["function"]["description"].endswith(
        "Note that the provided function is in Python 3 syntax."
    )
    assert "Python 3 syntax" not in first.functions[0]["description"]
    assert first.task.answer.acceptable == first.ground_truth


def test_check_ast_right_and_wrong(bfcl: Bfcl) -> None:
    entry = load_entries(bfcl, "simple_python", limit=1)[0]  # triangle area, base 10, height 5
    right = [FunctionCall(name="calculate_triangle_area", arguments={"base": 10, "height": 5})]
    assert check_ast(bfcl, entry, right).valid
    wrong = [FunctionCall(name="calculate_triangle_area", arguments={"base": 10, "height": 6})]
    verdict = check_ast(bfcl, entry, wrong)
    assert not verdict.valid and verdict.error_type == "value_error:others"
    assert check_ast(bfcl, entry, []).error_type == "simple_function_checker:wrong_count"


def test_check_ast_parallel_order_free(bfcl: Bfcl) -> None:
    entry = load_entries(bfcl, "parallel", limit=1)[0]
    calls = list(entry.task.answer.tool_calls)
    assert len(calls) > 1
    assert check_ast(bfcl, entry, calls).valid
    assert check_ast(bfcl, entry, calls[::-1]).valid
    assert not check_ast(bfcl, entry, calls[:-1]).valid


def test_check_relevance(bfcl: Bfcl) -> None:
    irrelevant = load_entries(bfcl, "irrelevance", limit=1)[0]
    assert check_relevance(irrelevant, []).valid
    call = [FunctionCall(name="anything", arguments={})]
    assert check_relevance(irrelevant, call).error_type == "irrelevance_error:decoder_success"
    relevant = load_entries(bfcl, "live_relevance", limit=1)[0]
    assert check_relevance(relevant, call).valid and not check_relevance(relevant, []).valid


def test_multi_turn_oracle_passes_and_state_does_not_leak(bfcl: Bfcl) -> None:
    entries = load_entries(bfcl, "multi_turn_base", limit=2)

    def oracle(entry, conv: Conversation) -> str:  # type: ignore[no-untyped-def]
        turn, step = turn_and_step(conv)
        truth = entry.ground_truth[turn]
        return hermes(gt_calls(bfcl, entry, truth)) if step == 0 and truth else "<think>Done.</think>"

    for _ in range(2):  # a second run in the same process must start from the initial state again
        report = run_bfcl(bfcl, Scripted(entries, oracle), bfcl_hermes_decoder(), ["multi_turn_base"], limit=2)
        assert [e.verdict.valid for e in report.entries] == [True, True]
        first = report.entries[0]
        assert len(first.outputs) == len(entries[0].ground_truth)  # one list of steps per turn


def test_multi_turn_wrong_state_fails(bfcl: Bfcl) -> None:
    entries = load_entries(bfcl, "multi_turn_base", limit=1)

    def skip_last_call(entry, conv: Conversation) -> str:  # type: ignore[no-untyped-def]
        turn, step = turn_and_step(conv)
        truth = entry.ground_truth[turn]
        return hermes(gt_calls(bfcl, entry, truth)[:-1]) if step == 0 and truth else ""

    report = run_bfcl(bfcl, Scripted(entries, skip_last_call), bfcl_hermes_decoder(), ["multi_turn_base"], limit=1)
    assert not report.entries[0].verdict.valid
    assert report.entries[0].verdict.error_type.startswith("multi_turn:")


def test_multi_turn_step_limit_force_quits(bfcl: Bfcl) -> None:
    entries = load_entries(bfcl, "multi_turn_base", limit=1)

    def loop_forever(entry, conv: Conversation) -> str:  # type: ignore[no-untyped-def]
        return hermes([{"name": "pwd", "arguments": {}}])

    gen = Scripted(entries, loop_forever)
    report = run_bfcl(bfcl, gen, bfcl_hermes_decoder(), ["multi_turn_base"], limit=1)
    verdict = report.entries[0].verdict
    assert not verdict.valid and verdict.error_type == "multi_turn:force_terminated"
    assert gen.calls == bfcl.max_steps + 1  # BFCL quits once the step count exceeds its limit


def test_unsafe_names_never_reach_eval(bfcl: Bfcl) -> None:
    calls = [
        FunctionCall(name="__import__('os').system", arguments={}),
        FunctionCall(name="os.system", arguments={"cmd": "true"}),
        FunctionCall(name="ls", arguments={"a": True}),
    ]
    assert [c.name for c in safe_calls(calls)] == ["ls"]


def test_result_text_and_file(tmp_path: Path) -> None:
    calls = [FunctionCall(name="m.f", arguments={"x": 1}), FunctionCall(name="g", arguments={})]
    assert result_text(calls) == (
        '<tool_call>\n{"name": "m.f", "arguments": {"x": 1}}\n</tool_call>\n'
        '<tool_call>\n{"name": "g", "arguments": {}}\n</tool_call>'
    )
    assert result_text([]) == ""
    path = write_result_file(
        tmp_path,
        "live_simple",
        [{"id": "live_simple_10-1-0", "result": ""}, {"id": "live_simple_2-0-0", "result": "x"}],
    )
    assert path == tmp_path / "result" / "Qwen_Qwen3-0.6B-FC" / "live" / "BFCL_v4_live_simple_result.json"
    ids = [json.loads(line)["id"] for line in path.read_text().splitlines()]
    assert ids == ["live_simple_2-0-0", "live_simple_10-1-0"]  # BFCL's numeric id order


# BFCL v4 possible answers that no call can satisfy (a required parameter whose acceptable list is
# empty, a required parameter the answer omits, or a parameter the docs lack that the answer requires);
# BFCL's own checker rejects every call for them.
UNSATISFIABLE = {"live_simple_106-63-0", "live_simple_112-68-0", "live_multiple_507-149-4", "live_multiple_862-181-3",
                 "live_multiple_964-207-0"}  # fmt: skip


def test_every_representative_answer_passes_the_official_checker(bfcl: Bfcl) -> None:
    """The loader's representative right call (answer.tool_calls) is right by BFCL's own checker."""
    failures = {}
    for category in ("simple_python", "multiple", "parallel", "parallel_multiple", "live_simple", "live_multiple",
                     "live_parallel", "live_parallel_multiple"):  # fmt: skip
        for entry in load_entries(bfcl, category):
            verdict = check_ast(bfcl, entry, entry.task.answer.tool_calls)
            if not verdict.valid:
                failures[entry.id] = verdict.error[:200]
    assert set(failures) == UNSATISFIABLE, failures
