"""`awpo eval` on BFCL: generate, decode with awpo's parser, score with BFCL's official checkers.

Single-turn categories take one generation per entry. Multi-turn categories run BFCL's loop: per
user turn, generate; if the output has calls, execute them on BFCL's API classes, append the
results as `tool` messages and generate again (at most BFCL's step limit); an output without
calls ends the turn. Entries of a category advance together, so each generation call is batched.

Time is split into generation (inside the generator) and checking (decoding, executing tools,
checkers); both are reported per category.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awpo.data.convert import JsonDict
from awpo.eval.bfcl import (
    Bfcl,
    BfclEntry,
    Verdict,
    category_kind,
    check_ast,
    check_multi_turn,
    check_relevance,
    executable_calls,
    execute_step,
    load_entries,
    missed_function_tools,
    multi_turn_scope,
    result_text,
    safe_calls,
    write_result_file,
)
from awpo.eval.decode import Decoded, Decoder
from awpo.eval.generation import ChatGenerator, Conversation

Progress = Callable[[str, int, int], None]  # (category, entries done, entries total)


@dataclass
class EntryResult:
    """One entry's outcome, with what the model said and what awpo decoded."""

    id: str
    category: str
    verdict: Verdict
    outputs: Any  # str (single-turn) or list[list[str]] (multi-turn: per turn, per step)
    result: Any  # the official result-file value (canonical `<tool_call>` text, same nesting)

    def to_json(self) -> JsonDict:
        """JSON form for the report file."""
        return {"id": self.id, "category": self.category, **self.verdict.to_json(), "outputs": self.outputs}


@dataclass
class CategoryScore:
    """Accuracy and time of one category."""

    category: str
    total: int = 0
    correct: int = 0
    generation_s: float = 0.0
    checking_s: float = 0.0
    generations: int = 0  # generator outputs produced (multi-turn entries take several)

    @property
    def accuracy(self) -> float:
        """Fraction of entries judged valid (0 when empty)."""
        return self.correct / self.total if self.total else 0.0

    def to_json(self) -> JsonDict:
        """JSON form for the report file."""
        return {
            "category": self.category,
            "accuracy": self.accuracy,
            "correct": self.correct,
            "total": self.total,
            "generations": self.generations,
            "generation_s": round(self.generation_s, 3),
            "checking_s": round(self.checking_s, 3),
        }


@dataclass
class BfclReport:
    """All categories of one run."""

    scores: list[CategoryScore] = field(default_factory=list)
    entries: list[EntryResult] = field(default_factory=list)

    @property
    def overall(self) -> float:
        """Unweighted mean of the category accuracies (BFCL's summary style)."""
        return sum(s.accuracy for s in self.scores) / len(self.scores) if self.scores else 0.0

    def to_json(self) -> JsonDict:
        """JSON form for the report file."""
        return {
            "overall_accuracy": self.overall,
            "categories": [s.to_json() for s in self.scores],
            "entries": [e.to_json() for e in self.entries],
        }


class _Timed:
    """Wraps a generator to count its wall time and outputs."""

    def __init__(self, generator: ChatGenerator) -> None:
        self.generator = generator
        self.seconds = 0.0
        self.count = 0

    def __call__(self, conversations: Sequence[Conversation]) -> list[str]:
        if not conversations:
            return []
        start = time.perf_counter()
        texts = self.generator.generate(conversations)
        self.seconds += time.perf_counter() - start
        self.count += len(texts)
        if len(texts) != len(conversations):
            raise ValueError(f"generator returned {len(texts)} texts for {len(conversations)} conversations")
        return texts


def run_bfcl(
    bfcl: Bfcl,
    generator: ChatGenerator,
    decoder: Decoder,
    categories: Sequence[str],
    *,
    limit: int | None = None,
    chunk: int = 64,
    progress: Progress | None = None,
    results_root: Path | None = None,
) -> BfclReport:
    """Evaluate `generator` on BFCL `categories` (first `limit` entries each).

    `chunk` entries are generated per call (multi-turn entries advance together within a chunk).
    With `results_root`, official result files are written there for `bfcl evaluate`.
    """
    report = BfclReport()
    for category in categories:
        entries = load_entries(bfcl, category, limit)
        score = CategoryScore(category)
        timed = _Timed(generator)
        wall = time.perf_counter()  # after loading: checking time is decoding, tool execution and checkers
        results: list[EntryResult] = []
        for start in range(0, len(entries), chunk):
            part = entries[start : start + chunk]
            if category_kind(category) == "multi_turn":
                results.extend(_run_multi_turn(bfcl, timed, decoder, part))
            else:
                results.extend(_run_single_turn(bfcl, timed, decoder, part))
            if progress is not None:
                progress(category, len(results), len(entries))
        score.total = len(results)
        score.correct = sum(r.verdict.valid for r in results)
        score.generation_s = timed.seconds
        score.checking_s = time.perf_counter() - wall - timed.seconds
        score.generations = timed.count
        report.scores.append(score)
        report.entries.extend(results)
        if results_root is not None and results:
            write_result_file(results_root, category, [{"id": r.id, "result": r.result} for r in results])
    return report


def _run_single_turn(bfcl: Bfcl, generate: _Timed, decoder: Decoder, entries: list[BfclEntry]) -> list[EntryResult]:
    texts = generate([Conversation(e.task.messages, e.task.tools) for e in entries])
    out = []
    for entry, text in zip(entries, texts, strict=True):
        decoded = decoder(text, entry.task.tools)
        if category_kind(entry.category) == "relevance":
            verdict = check_relevance(entry, decoded.calls)
        else:
            verdict = check_ast(bfcl, entry, decoded.calls)
        out.append(EntryResult(entry.id, entry.category, verdict, text, result_text(decoded.calls)))
    return out


@dataclass
class _Episode:
    """One multi-turn entry in progress."""

    entry: BfclEntry
    model_name: str
    messages: list[JsonDict]
    tools: list[JsonDict]
    turn: int = 0
    step: int = 0
    done: bool = False
    decoded: list[list[list[str]]] = field(default_factory=list)  # per finished turn: per step with calls
    results: list[list[str]] = field(default_factory=list)  # official result text per turn, per step
    outputs: list[list[str]] = field(default_factory=list)  # raw model text per turn, per step

    def begin_turn(self, turns: list[list[JsonDict]], additional_prompt: str) -> None:
        """Append the user message(s) of `self.turn` (or the miss_func notice with its new tools)."""
        added = missed_function_tools(self.entry, self.turn)
        if added:
            self.tools = [*self.tools, *added]
            self.messages.append({"role": "user", "content": additional_prompt})
        else:
            self.messages.extend(turns[self.turn])
        self.step = 0
        self.decoded.append([])
        self.results.append([])
        self.outputs.append([])


def _run_multi_turn(bfcl: Bfcl, generate: _Timed, decoder: Decoder, entries: list[BfclEntry]) -> list[EntryResult]:
    with ExitStack() as stack:
        names = [stack.enter_context(multi_turn_scope(bfcl, e.id)) for e in entries]
        episodes = []
        for entry, name in zip(entries, names, strict=True):
            ep = _Episode(entry, name, messages=[], tools=list(entry.task.tools))
            ep.begin_turn(_all_turns(entry), bfcl.additional_function_prompt)
            episodes.append(ep)
        while active := [ep for ep in episodes if not ep.done]:
            texts = generate([Conversation(list(ep.messages), ep.tools) for ep in active])
            for ep, text in zip(active, texts, strict=True):
                _advance(bfcl, ep, text, decoder(text, ep.tools))
        return [
            EntryResult(
                ep.entry.id,
                ep.entry.category,
                check_multi_turn(bfcl, ep.entry, ep.model_name, [[s for s in turn if s] for turn in ep.decoded]),
                ep.outputs,
                ep.results,
            )
            for ep in episodes
        ]


def _all_turns(entry: BfclEntry) -> list[list[JsonDict]]:
    return [entry.task.messages, *entry.task.meta["bfcl"]["turns"]]


def _advance(bfcl: Bfcl, ep: _Episode, text: str, decoded: Decoded) -> None:
    """BFCL's inner loop: execute the step's calls, or end the turn when there are none."""
    safe = safe_calls(decoded.calls)
    exec_calls = executable_calls(bfcl, safe)
    ep.outputs[-1].append(text)
    ep.results[-1].append(result_text(safe))
    ep.messages.append({"role": "assistant", "content": text})
    if exec_calls:
        ep.decoded[-1].append(exec_calls)
        observations = execute_step(bfcl, ep.entry, ep.model_name, exec_calls)
        for call, observation in zip(safe, observations, strict=True):
            ep.messages.append({"role": "tool", "name": call.name, "content": observation})
        ep.step += 1
        if ep.step > bfcl.max_steps:  # BFCL force-quits the whole entry
            ep.done = True
        return
    ep.turn += 1
    turns = _all_turns(ep.entry)
    if ep.turn >= len(turns):
        ep.done = True
        return
    ep.begin_turn(turns, bfcl.additional_function_prompt)
