"""awpo's wiring of BFCL's official checkers: categories, AST, relevance, multi-turn, result files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bfcl_helpers import bfcl_engine, gt_calls, hermes, scripted_policy, turn_and_step

from awpo.data.schema import FunctionCall
from awpo.eval.bfcl import (
    Bfcl,
    BfclEntry,
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
from awpo.eval.runner import run_bfcl
from awpo.rollout.render import Renderer, ToolObservation


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


def test_multi_turn_oracle_passes_and_state_does_not_leak(bfcl: Bfcl, renderer: Renderer) -> None:
    entries = load_entries(bfcl, "multi_turn_base", limit=2)

    def oracle(entry: BfclEntry, continuation: str) -> str:
        turn, step = turn_and_step(continuation)
        truth = entry.ground_truth[turn]
        return hermes(gt_calls(bfcl, entry, truth)) if step == 0 and truth else "<think>Done.</think>"

    for _ in range(2):  # a second run in the same process must start from the initial state again
        policy = scripted_policy(bfcl_engine(renderer, entries, oracle))
        report = run_bfcl(bfcl, policy, bfcl_hermes_decoder(), ["multi_turn_base"], limit=2)
        assert [e.verdict.valid for e in report.entries] == [True, True]
        first = report.entries[0]
        assert len(first.outputs) == len(entries[0].ground_truth)  # one list of steps per turn


def test_multi_turn_appends_observations_and_user_turns_token_in_token_out(bfcl: Bfcl, renderer: Renderer) -> None:
    """After an output, the ids appended are exactly the rollout loop's observation ids (tool results) or the
    next user turn's ids, both rendered after the sampled ids; nothing sampled is re-encoded (the engine
    asserts that every prompt extends the previous prompt plus its output)."""
    entry = load_entries(bfcl, "multi_turn_base", limit=1)[0]

    def oracle(e: BfclEntry, continuation: str) -> str:
        turn, step = turn_and_step(continuation)
        truth = e.ground_truth[turn]
        return hermes(gt_calls(bfcl, e, truth)) if step == 0 and truth else "<think>Done.</think>"

    engine = bfcl_engine(renderer, [entry], oracle)
    report = run_bfcl(bfcl, scripted_policy(engine), bfcl_hermes_decoder(), ["multi_turn_base"], limit=1)
    assert report.entries[0].verdict.valid
    appended = engine.appended[entry.id]
    observations = [a for a in appended if "<tool_response>" in renderer.tokenizer.decode(a)]
    user_turns = [a for a in appended if a not in observations]
    assert len(user_turns) == len(entry.ground_truth) - 1 and observations
    for turn, ids in zip(entry.task.meta["bfcl"]["turns"], user_turns, strict=True):
        # the output ended with the end-of-turn token, so the continuation starts after it
        assert ids == renderer.continuation_ids(turn, turn_closed=True)
        assert renderer.tokenizer.decode(ids).startswith("\n<|im_start|>user\n")
    # each observation is the rollout loop's rendering of BFCL's execution results, one block per call
    with_calls = [text for turn in report.entries[0].outputs for text in turn if "<tool_call>" in text]
    assert len(observations) == len(with_calls)
    for ids, text in zip(observations, with_calls, strict=True):
        contents = re.findall(r"<tool_response>\n(.*?)\n</tool_response>", renderer.tokenizer.decode(ids), re.S)
        assert len(contents) == text.count("<tool_call>")
        assert ids == renderer.observation_ids([ToolObservation("f", c) for c in contents], turn_closed=True)


def test_multi_turn_context_overflow_stops_the_entry(bfcl: Bfcl, renderer: Renderer) -> None:
    entry = load_entries(bfcl, "multi_turn_base", limit=1)[0]
    first = len(renderer.prompt_ids(entry.task.messages, entry.task.tools))
    engine = bfcl_engine(renderer, [entry], lambda e, c: hermes([{"name": "pwd", "arguments": {}}]))
    policy = scripted_policy(engine, max_total_tokens=first + 200)
    report = run_bfcl(bfcl, policy, bfcl_hermes_decoder(), ["multi_turn_base"], limit=1)
    verdict = report.entries[0].verdict
    assert not verdict.valid and verdict.error_type == "multi_turn:context_overflow"
    assert policy.stats.overflows == 1
    assert all(len(ids) < first + 200 for ids in engine.seen)


def test_multi_turn_wrong_state_fails(bfcl: Bfcl, renderer: Renderer) -> None:
    entries = load_entries(bfcl, "multi_turn_base", limit=1)

    def skip_last_call(entry: BfclEntry, continuation: str) -> str:
        turn, step = turn_and_step(continuation)
        truth = entry.ground_truth[turn]
        return hermes(gt_calls(bfcl, entry, truth)[:-1]) if step == 0 and truth else ""

    policy = scripted_policy(bfcl_engine(renderer, entries, skip_last_call))
    report = run_bfcl(bfcl, policy, bfcl_hermes_decoder(), ["multi_turn_base"], limit=1)
    assert not report.entries[0].verdict.valid
    assert report.entries[0].verdict.error_type.startswith("multi_turn:")


def test_multi_turn_step_limit_force_quits(bfcl: Bfcl, renderer: Renderer) -> None:
    entries = load_entries(bfcl, "multi_turn_base", limit=1)
    engine = bfcl_engine(renderer, entries, lambda e, c: hermes([{"name": "pwd", "arguments": {}}]))
    report = run_bfcl(bfcl, scripted_policy(engine), bfcl_hermes_decoder(), ["multi_turn_base"], limit=1)
    verdict = report.entries[0].verdict
    assert not verdict.valid and verdict.error_type == "multi_turn:force_terminated"
    assert engine.calls == bfcl.max_steps + 1  # BFCL quits once the step count exceeds its limit


def test_miss_func_lists_the_added_functions_in_a_user_turn(bfcl: Bfcl, renderer: Renderer) -> None:
    """The prompt, already sampled from, is never re-rendered: BFCL's prompting-mode notice lists the
    held-out functions (as the tool system prompt lists tools), and the decoder is given them."""
    entry = load_entries(bfcl, "multi_turn_miss_func", limit=1)[0]
    missed = entry.raw["missed_function"]
    turn_index = int(next(iter(missed)))
    names = [f["name"] for f in missed[str(turn_index)]]
    first_prompt = renderer.tokenizer.decode(renderer.prompt_ids(entry.task.messages, entry.task.tools))
    assert not any(f'"name": "{n}"' in first_prompt for n in names)
    engine = bfcl_engine(renderer, [entry], lambda e, c: "<think>Done.</think>")
    run_bfcl(bfcl, scripted_policy(engine), bfcl_hermes_decoder(), ["multi_turn_miss_func"], limit=1)
    notice = renderer.tokenizer.decode(engine.appended[entry.id][turn_index - 1])
    assert all(f'"name": "{n}"' in notice for n in names)
    assert "I have updated some more functions you can choose from. What about now?" in notice


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
