"""Times each native stage of the reward pipeline on a batch of rollouts, as `awpo bench run` prints it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from awpo import _native
from awpo.algo.advantages import advantages
from awpo.rewards import outcome, parse_batch, reward_range


@dataclass(frozen=True)
class StageTiming:
    stage: str
    seconds: float
    rollouts: int
    megabytes: float

    @property
    def rollouts_per_s(self) -> float:
        return self.rollouts / self.seconds if self.seconds > 0 else float("inf")

    @property
    def mb_per_s(self) -> float:
        return self.megabytes / self.seconds if self.seconds > 0 else float("inf")


def read_rollouts(path: str | Path) -> list[dict[str, Any]]:
    """Rollout rows `{group, text, answer, tools, truncated?}` of a JSONL file; bad lines raise with their number."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict) or not {"group", "text", "answer", "tools"} <= row.keys():
                    raise ValueError("needs group, text, answer and tools")
            except ValueError as err:
                raise ValueError(f"{path}: line {number}: {err}") from err
            rows.append(row)
    return rows


def run_pipeline(rows: Sequence[dict[str, Any]], *, kind: str = "toolrl", repeat: int = 3) -> list[StageTiming]:
    """Best-of-`repeat` seconds of each stage: parse, outcome reward (parse included), advantages."""
    texts = [r["text"] for r in rows]
    answers = _shared_by_group(rows, "answer")
    tools = _shared_by_group(rows, "tools")
    truncated = [bool(r.get("truncated", False)) for r in rows]
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    n = len(rows)
    groups = [r["group"] for r in rows]
    offsets = np.flatnonzero(np.r_[True, np.asarray(groups[1:]) != np.asarray(groups[:-1]), True]).astype(np.int64)
    offsets[-1] = n

    def best(fn: Any) -> tuple[float, Any]:
        times, result = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        return min(times), result

    by_group: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)

    def parse_all() -> None:
        for idx in by_group.values():  # one task's tools per group
            parse_batch([texts[i] for i in idx], tools[idx[0]], truncated=[truncated[i] for i in idx])

    parse_s, _ = best(parse_all)
    outcome_s, batch = best(lambda: outcome(texts, answers, tools, kind=kind, truncated=truncated))  # type: ignore[arg-type]
    lo, hi = reward_range(kind)  # type: ignore[arg-type]
    reasoning = np.random.default_rng(0).uniform(0, 1, n)
    adv_s, _ = best(lambda: advantages(batch.total, reasoning, offsets, outcome_range=(lo, hi)))
    return [
        StageTiming("parse", parse_s, n, megabytes),
        StageTiming(f"outcome ({kind}, parse included)", outcome_s, n, megabytes),
        StageTiming("advantages (awpo)", adv_s, n, megabytes),
        StageTiming("total (outcome + advantages)", outcome_s + adv_s, n, megabytes),
    ]


def _shared_by_group(rows: Iterable[dict[str, Any]], key: str) -> list[Any]:
    """Per row, the group's object (one object per group, so each is converted to Rust once)."""
    first: dict[int, Any] = {}
    return [first.setdefault(r["group"], r[key]) for r in rows]


def parallelism(on: bool) -> None:
    _native.set_parallelism(on)
