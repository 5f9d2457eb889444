"""Judge calibration: does the judge tell right reasoning from wrong? (`awpo judge calibrate`)

Paired probes come from tasks whose right reasoning is known (the built-in generator records it in
`meta.reasoning`, with the calls and tool results of each step). Each probe keeps one task's right trajectory
and a corrupted copy of it; the corruptions (`CORRUPTIONS`):

- `wrong_intent`: the reasoning of another task (another request), with this task's calls;
- `ungrounded_value`: one argument value replaced by an invented one, in the call and in the reasoning
  (the model made it up and says so consistently);
- `contradicted_tool`: the one call to a tool the reasoning names goes to another offered tool it does not name;
- `boilerplate`: one generic text, the same for every task;
- `contradicts_calls`: the calls are dropped although the reasoning plans them, or, where the right answer is
  no call, a call is made although the reasoning argues against any;
- `unwarranted_call`: where the right answer is no call (irrelevance, missing parameter), an offered tool is
  called with reasoning that argues for it, consistently (the fault a tool-use policy learns when a reward
  pays for calling: the reasoning and the call agree, but the request gives no grounds for the call).

Both sides are scored by the judge. Per corruption: the AUC (probability that a right item scores above a
corrupted one, over all right x corrupted pairs, ties counting 1/2), the paired accuracy (share of probes
whose right side scores strictly higher), the score spread (std over both sides) and the mean score of each
side. `rho = max(0, 2 * AUC - 1)` over all probes pooled is the judge's reliability (the `reliability` gate of
ALGORITHM.md §2 scales the reasoning term by it). Everything is deterministic given the seed (and the judge).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from random import Random
from typing import Any

import numpy as np
import numpy.typing as npt

from awpo.data.schema import Task
from awpo.rewards.judge.judge import Judge
from awpo.rewards.judge.prompt import JudgeItem

CORRUPTIONS: tuple[str, ...] = (
    "wrong_intent",
    "ungrounded_value",
    "contradicted_tool",
    "boilerplate",
    "contradicts_calls",
    "unwarranted_call",
)

NEAR_CHANCE_AUC = 0.6
"""Below this AUC a corruption counts as near chance (the judge barely tells the two sides apart)."""

TARGET_AUC = 0.85
"""The AUC a judge should reach on every corruption to steer training (issue 14)."""

BOILERPLATE = "I read the request carefully and will use the most appropriate tool with the right arguments."

# Made-up words no tool family uses: an invented argument value cannot be grounded by chance.
_INVENTED = ("Zorblat", "Quenmire", "Vastrello", "Plimbury", "Krandovek", "Oswintery", "Drumblefax", "Yarrowick")


@dataclass(frozen=True)
class Probe:
    """One task's right trajectory and a corrupted copy of it."""

    kind: str
    task_id: str
    right: JudgeItem
    wrong: JudgeItem


@dataclass(frozen=True)
class CorruptionStats:
    """Calibration figures of one corruption kind."""

    kind: str
    pairs: int
    auc: float
    paired_accuracy: float
    right_mean: float
    wrong_mean: float
    spread: float


@dataclass(frozen=True)
class CalibrationReport:
    """The judge's calibration: per corruption, pooled, and speed."""

    backend: str
    model: str
    seed: int
    source: str
    kinds: list[CorruptionStats]
    auc: float
    paired_accuracy: float
    rho: float
    items: int
    items_per_s: float
    seconds: float
    failures: int
    warnings: list[str] = field(default_factory=list)

    @property
    def min_auc(self) -> float:
        """The lowest per-corruption AUC (NaN when there is none)."""
        values = [k.auc for k in self.kinds if math.isfinite(k.auc)]
        return min(values) if values else math.nan

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole report."""
        out = asdict(self)
        out["min_auc"] = self.min_auc
        return out


# ------------------------------------------------------------------------------------------- probes


def right_item(task: Task) -> JudgeItem | None:
    """The task's right trajectory as the judge sees it, or `None` when the task records no reasoning."""
    reasoning = [str(r) for r in task.meta.get("reasoning") or [] if str(r).strip()]
    if not reasoning:
        return None
    steps: list[Mapping[str, Any]] = list(task.meta.get("steps") or [])
    if steps:
        calls = [dict(c) for s in steps for c in s.get("calls", [])]
        observations = tuple(json.dumps(r, ensure_ascii=False) for s in steps for r in s.get("results", []))
    else:
        calls = [c.model_dump() for c in task.answer.tool_calls]
        observations = ()
    return JudgeItem(
        messages=task.messages,
        tools=task.tools,
        reasoning="\n\n".join(reasoning),
        calls=calls,
        answer=task.answer.response,
        observations=observations,
    )


def _request(task: Task) -> str:
    return str(task.messages[-1].get("content", "")) if task.messages else ""


def _tool_names(item: JudgeItem) -> list[str]:
    names = []
    for tool in item.tools:
        function = tool.get("function", tool)
        if isinstance(function, Mapping) and function.get("name"):
            names.append(str(function["name"]))
    return names


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """`(path, value)` of every string and number leaf (booleans excluded)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [(path, value)] if str(value).strip() else []
    if isinstance(value, Mapping):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, (list, tuple)):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return []


def _set_leaf(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, Mapping):
        return {k: (_set_leaf(v, rest, new) if k == head else v) for k, v in value.items()}
    return [(_set_leaf(v, rest, new) if i == head else v) for i, v in enumerate(value)]


def _invented(original: Any, context: str, rng: Random) -> Any:
    """A value of the original's type that does not occur in `context`."""
    for attempt in range(100):
        if isinstance(original, str):
            candidate: Any = rng.choice(_INVENTED) + ("" if attempt < 8 else str(attempt))
        elif isinstance(original, int):
            candidate = original * 10 + 7 + attempt * 13
        else:
            candidate = round(float(original) * 3.7 + 1.3 + attempt, 2)
        if str(candidate).lower() not in context.lower():
            return candidate
    return f"{_INVENTED[0]}{rng.randrange(10**9)}"


def _context_text(item: JudgeItem) -> str:
    parts = [json.dumps(list(item.messages), ensure_ascii=False), json.dumps(list(item.tools), ensure_ascii=False)]
    return "\n".join([*parts, *item.observations])


def _ungrounded(item: JudgeItem, rng: Random) -> JudgeItem | None:
    calls = [dict(c) for c in item.calls]
    spots = [(k, path, v) for k, c in enumerate(calls) for path, v in _leaves(c.get("arguments", {}))]
    if not spots:
        return None
    k, path, original = rng.choice(spots)
    new = _invented(original, _context_text(item), rng)
    calls[k] = {**calls[k], "arguments": _set_leaf(calls[k].get("arguments", {}), path, new)}
    return replace(item, calls=calls, reasoning=item.reasoning.replace(str(original), str(new)))


def _contradicted_tool(item: JudgeItem, rng: Random) -> JudgeItem | None:
    if not item.calls:
        return None
    called = {str(c["name"]) for c in item.calls}
    reasoning = item.reasoning.lower()
    others = [n for n in _tool_names(item) if n not in called and n.lower() not in reasoning]
    # the reasoning's chosen tool (named, called once) is replaced: the calls no longer include it
    counts: dict[str, int] = {}
    for c in item.calls:
        counts[str(c["name"])] = counts.get(str(c["name"]), 0) + 1
    chosen = [
        k for k, c in enumerate(item.calls) if str(c["name"]).lower() in reasoning and counts[str(c["name"])] == 1
    ]
    if not others or not chosen:
        return None
    calls = [dict(c) for c in item.calls]
    k = rng.choice(chosen)
    calls[k] = {**calls[k], "name": rng.choice(others)}
    return replace(item, calls=calls)


def _contradicts_calls(item: JudgeItem) -> JudgeItem | None:
    if item.calls:
        return replace(item, calls=[], observations=())
    names = _tool_names(item)
    if not names:
        return None
    return replace(item, calls=[{"name": names[0], "arguments": {}}], answer=None)


def _unwarranted_call(item: JudgeItem, task: Task, rng: Random) -> JudgeItem | None:
    names = _tool_names(item)
    if item.calls or not names:
        return None
    tool = rng.choice(names)
    reasoning = f'The user asks "{_request(task)}". {tool} does this, so I will call {tool}.'
    return replace(item, reasoning=reasoning, calls=[{"name": tool, "arguments": {}}], answer=None)


def build_probes(tasks: Sequence[Task], *, pairs_per_kind: int = 24, seed: int = 0) -> list[Probe]:
    """Paired probes of every corruption kind, at most `pairs_per_kind` each, deterministic by `seed`.

    Tasks without recorded reasoning are skipped. Half the tasks (in a seeded order) are probe candidates,
    the other half only lend their reasoning to `wrong_intent` (so no donor text is also a right side).
    """
    usable = [(t, item) for t in tasks if (item := right_item(t)) is not None]
    if len(usable) < 4:
        raise ValueError(f"calibration needs at least 4 tasks with recorded reasoning, got {len(usable)}")
    rng = Random(f"awpo-calibrate:{seed}")
    order = list(range(len(usable)))
    rng.shuffle(order)
    half = len(order) // 2
    candidates = [usable[i] for i in order[:half]]
    donors = [usable[i] for i in order[half:]]
    probes: list[Probe] = []
    for kind in CORRUPTIONS:
        kind_rng = Random(f"awpo-calibrate:{seed}:{kind}")
        pool = list(candidates)
        kind_rng.shuffle(pool)
        made = 0
        for task, item in pool:
            if made >= pairs_per_kind:
                break
            wrong: JudgeItem | None
            if kind == "wrong_intent":
                others = [d for d in donors if _request(d[0]) != _request(task) and d[1].reasoning != item.reasoning]
                wrong = replace(item, reasoning=kind_rng.choice(others)[1].reasoning) if others else None
            elif kind == "ungrounded_value":
                wrong = _ungrounded(item, kind_rng)
            elif kind == "contradicted_tool":
                wrong = _contradicted_tool(item, kind_rng)
            elif kind == "boilerplate":
                wrong = replace(item, reasoning=BOILERPLATE)
            elif kind == "contradicts_calls":
                wrong = _contradicts_calls(item)
            else:
                wrong = _unwarranted_call(item, task, kind_rng)
            if wrong is None or wrong == item:
                continue
            probes.append(Probe(kind, task.id, item, wrong))
            made += 1
    return probes


# ------------------------------------------------------------------------------------------ figures


def auc(right: npt.ArrayLike, wrong: npt.ArrayLike) -> float:
    """P(right > wrong) + P(right == wrong) / 2 over all pairs (Mann-Whitney); NaN scores are dropped."""
    r = np.asarray(right, dtype=np.float64)
    w = np.asarray(wrong, dtype=np.float64)
    r, w = r[~np.isnan(r)], w[~np.isnan(w)]
    if r.size == 0 or w.size == 0:
        return math.nan
    diff = r[:, None] - w[None, :]
    return float((np.sum(diff > 0) + 0.5 * np.sum(diff == 0)) / diff.size)


def _stats(kind: str, right: npt.NDArray[np.float64], wrong: npt.NDArray[np.float64]) -> CorruptionStats:
    both = np.concatenate([right, wrong])
    present = ~(np.isnan(right) | np.isnan(wrong))
    nan = math.nan
    return CorruptionStats(
        kind=kind,
        pairs=int(right.size),
        auc=auc(right, wrong),
        paired_accuracy=float(np.mean(right[present] > wrong[present])) if present.any() else nan,
        right_mean=float(np.nanmean(right)) if np.isfinite(right).any() else nan,
        wrong_mean=float(np.nanmean(wrong)) if np.isfinite(wrong).any() else nan,
        spread=float(np.nanstd(both)) if np.isfinite(both).any() else nan,
    )


def _warnings(kinds: Sequence[CorruptionStats], pooled_auc: float, failures: int, items: int) -> list[str]:
    out = []
    if not math.isfinite(pooled_auc) or pooled_auc < NEAR_CHANCE_AUC:
        out.append(
            f"the judge is near chance (AUC {pooled_auc:.2f} over all probes): its scores carry no reasoning "
            "signal, so AWPO will behave like GRPO (plus noise). Use a stronger judge (e.g. judge.backend=rubric, "
            "or a larger model) before spending compute."
        )
    weak = [k.kind for k in kinds if not (math.isfinite(k.auc) and k.auc >= NEAR_CHANCE_AUC)]
    if weak and len(weak) < len(kinds):
        out.append(f"near chance on {', '.join(weak)}: the judge does not see these faults")
    if failures:
        out.append(f"{failures} of {items} item(s) got no score (judge failures)")
    return out


def calibrate(judge: Judge, probes: Sequence[Probe], *, seed: int = 0, source: str = "") -> CalibrationReport:
    """Scores both sides of every probe with `judge` (one batch) and computes the figures."""
    if not probes:
        raise ValueError("no probes to score")
    items = [p.right for p in probes] + [p.wrong for p in probes]
    t0 = time.perf_counter()
    result = judge.score(items)
    seconds = time.perf_counter() - t0
    n = len(probes)
    right, wrong = result.scores[:n], result.scores[n:]
    kinds = []
    for kind in CORRUPTIONS:
        idx = np.array([i for i, p in enumerate(probes) if p.kind == kind], dtype=np.int64)
        if idx.size:
            kinds.append(_stats(kind, right[idx], wrong[idx]))
    pooled = auc(right, wrong)
    present = ~(np.isnan(right) | np.isnan(wrong))
    return CalibrationReport(
        backend=judge.backend.name,
        model=judge.backend.model_id,
        seed=seed,
        source=source,
        kinds=kinds,
        auc=pooled,
        paired_accuracy=float(np.mean(right[present] > wrong[present])) if present.any() else math.nan,
        rho=max(0.0, 2.0 * pooled - 1.0) if math.isfinite(pooled) else 0.0,
        items=len(items),
        items_per_s=len(items) / seconds if seconds > 0 else math.nan,
        seconds=seconds,
        failures=result.failures,
        warnings=_warnings(kinds, pooled, result.failures, len(items)),
    )


__all__ = [
    "BOILERPLATE",
    "CORRUPTIONS",
    "NEAR_CHANCE_AUC",
    "TARGET_AUC",
    "CalibrationReport",
    "CorruptionStats",
    "Probe",
    "auc",
    "build_probes",
    "calibrate",
    "right_item",
]
