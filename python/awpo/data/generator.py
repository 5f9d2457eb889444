"""The built-in task generator: tool-use tasks with ground truth, deterministic by seed.

Kinds of task (DESIGN.md "Task"; `meta.kind`):

| kind          | the user ...                                   | the right answer                                 |
|---------------|------------------------------------------------|--------------------------------------------------|
| `single`      | asks for one thing                             | one call                                         |
| `parallel`    | asks for several independent things            | several calls in one turn                        |
| `multiple`    | asks for one thing; other families' tools too  | one call, the distractors left alone             |
| `missing`     | leaves out a required value                    | no call; a question asking for it                |
| `irrelevance` | asks for something no offered tool does        | no call; say so                                  |
| `multi_step`  | asks for something that needs a tool's result  | calls over several turns (`env` set), then text |

A `multi_step` task's final text uses the tools' results (recorded in `meta.steps`).

Splits (`meta.split`): the `heldout_families` form `heldout` (their tools never appear in the other
splits, not even as distractors); the remaining tasks are split by item into `train` and
`validation`, on a hash of the query text, so the same query never lands in both.

Every task can render a demonstration (`demonstration`): reasoning in `<think>` that quotes the
user's words, then the right `<tool_call>` JSON lines or `<response>`, and for multi-step tasks the
tool results between the turns; the supervised warm-up trains on it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from awpo.data.convert import JsonDict
from awpo.data.families import ALL, BY_NAME
from awpo.data.families.base import Example, Family, pick, q
from awpo.data.schema import Answer, FunctionCall, Task
from awpo.tools.context import bind_episode_state

KINDS = ("single", "parallel", "multiple", "missing", "irrelevance", "multi_step")
SPLITS = ("train", "validation", "heldout")

# Requests no tool family serves (irrelevance), besides other families' requests.
OFF_DOMAIN = (
    "Write a haiku about autumn leaves.",
    "Tell me a joke about penguins.",
    "Who wrote Pride and Prejudice?",
    "What is the capital of Australia?",
    "Explain photosynthesis in one sentence.",
    "Suggest a name for my new puppy.",
    "How do I tie a bowline knot?",
    "What's a good way to start learning the guitar?",
    "Summarise the plot of Hamlet in two lines.",
    "Why is the sky blue?",
)
# Family pairs whose requests could look servable by the other's tools; never used for irrelevance.
_CONFUSABLE = {frozenset({"maps", "geometry"}), frozenset({"flights", "hotels"}), frozenset({"currency", "shopping"})}


class GeneratorConfig(BaseModel):
    """Parameters of the built-in task generator.

    Parameters:
        > Parameters that control what is generated
        seed (`int`, defaults to `0`):
            Seed of every random choice; the same config gives the same tasks.
        per_family (`int`, defaults to `60`):
            Tasks per family (distinct ones; a family with few distinct queries of a kind may give
            fewer).
        families (`list[str]` or `None`, defaults to `None`):
            Families to use (`None`: all 20, see `awpo.data.families.ALL`).
        kinds (`dict[str, float]`):
            Relative weight of each kind of task; a kind with weight 0 is not generated.
        distractor_families (`int`, defaults to `2`):
            Other families whose tools are added to a `multiple` task (1 or more).

        > Parameters that control the splits
        heldout_families (`list[str]`, defaults to `["movies", "timezones", "strings"]`):
            Families kept out of training entirely (the `heldout` split measures generalisation).
        validation_fraction (`float`, defaults to `0.1`):
            Fraction of the remaining tasks put in `validation` (by a hash of the query).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(0, description="Seed of every random choice.")
    per_family: int = Field(60, ge=1, description="Tasks per family.")
    families: list[str] | None = Field(None, description="Families to use (None: all).")
    kinds: dict[str, float] = Field(
        default_factory=lambda: {
            "single": 0.25,
            "parallel": 0.15,
            "multiple": 0.2,
            "missing": 0.1,
            "irrelevance": 0.1,
            "multi_step": 0.2,
        },
        description="Relative weight of each kind of task.",
    )
    distractor_families: int = Field(2, ge=1, description="Other families whose tools a `multiple` task adds.")
    heldout_families: list[str] = Field(
        default_factory=lambda: ["movies", "timezones", "strings"], description="Families kept out of training."
    )
    validation_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="Fraction of tasks put in validation.")

    @model_validator(mode="after")
    def _check(self) -> GeneratorConfig:
        unknown = [f for f in (self.families or []) + self.heldout_families if f not in BY_NAME]
        if unknown:
            raise ValueError(f"unknown families {unknown}; choose from {sorted(BY_NAME)}")
        bad_kinds = [k for k in self.kinds if k not in KINDS]
        if bad_kinds:
            raise ValueError(f"kinds: unknown {bad_kinds}; choose from {list(KINDS)}")
        if any(w < 0 for w in self.kinds.values()) or sum(self.kinds.values()) <= 0:
            raise ValueError(f"kinds: weights must be >= 0 with a positive sum, got {self.kinds}")
        if len(self.selected()) - len([f for f in self.selected() if f.name in self.heldout_families]) < 2:
            raise ValueError("heldout_families leaves fewer than 2 training families")
        return self

    def selected(self) -> list[Family]:
        """The families in use, in the canonical order."""
        return [f for f in ALL if self.families is None or f.name in self.families]


@dataclass(frozen=True)
class Splits:
    """Tasks by split."""

    train: list[Task]
    validation: list[Task]
    heldout: list[Task]

    def get(self, name: str) -> list[Task]:
        """A split by name (`train`, `validation`, `heldout`)."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; choose from {list(SPLITS)}")
        tasks: list[Task] = getattr(self, name)
        return tasks


def generate(config: GeneratorConfig | None = None) -> Splits:
    """Generate all tasks of `config`, split into train / validation / held-out families."""
    config = config or GeneratorConfig()
    families = config.selected()
    heldout = {f.name for f in families if f.name in config.heldout_families}
    splits: dict[str, list[Task]] = {s: [] for s in SPLITS}
    for family in families:
        is_heldout = family.name in heldout
        # tools and requests of held-out families never reach the training splits
        others = [f for f in families if f.name != family.name and (is_heldout or f.name not in heldout)]
        for task in _family_tasks(config, family, others):
            split = "heldout" if is_heldout else _item_split(task, config)
            splits[split].append(task.model_copy(update={"meta": {**task.meta, "split": split}}))
    return Splits(splits["train"], splits["validation"], splits["heldout"])


def _item_split(task: Task, config: GeneratorConfig) -> str:
    key = json.dumps(task.messages, sort_keys=True) + str(config.seed)
    return "validation" if zlib.crc32(key.encode()) % 10_000 < config.validation_fraction * 10_000 else "train"


def _family_tasks(config: GeneratorConfig, family: Family, others: list[Family]) -> list[Task]:
    kinds = [k for k in KINDS if config.kinds.get(k, 0) > 0]
    weights = [config.kinds[k] for k in kinds]
    seen: set[str] = set()
    tasks: list[Task] = []
    attempt = 0
    while len(tasks) < config.per_family and attempt < config.per_family * 6:
        rng = Random(f"{config.seed}:{family.name}:{attempt}")
        kind = rng.choices(kinds, weights)[0]
        if kind == "multi_step" and family.multi_step is None:
            kind = "single"
        task = make_task(family, kind, rng, others, task_id=f"awpo-{family.name}-{kind}-{config.seed}-{attempt}",
                         distractor_families=config.distractor_families)  # fmt: skip
        attempt += 1
        key = json.dumps([task.messages, [t["function"]["name"] for t in task.tools], kind], sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        tasks.append(task)
    return tasks


def make_task(
    family: Family, kind: str, rng: Random, others: Sequence[Family], *, task_id: str, distractor_families: int = 2
) -> Task:
    """One task of `kind` from `family` (`others` supply distractor tools and off-family requests)."""
    tools = family.tools()
    meta: JsonDict = {"source": "awpo", "family": family.name, "kind": kind}
    env: str | None = None
    if kind in ("single", "multiple"):
        ex = family.single(rng)
    elif kind == "parallel":
        ex = family.parallel(rng)
    elif kind == "missing":
        ex = family.missing(rng)
    elif kind == "irrelevance":
        ex = _irrelevant(family, rng, others)
    elif kind == "multi_step":
        ex = _run_multi_step(family, rng)
        env = family.name
        meta["steps"] = [{"calls": [c.model_dump() for c in s.calls], "results": list(s.results)} for s in ex.steps]
    else:
        raise ValueError(f"unknown kind {kind!r}; choose from {list(KINDS)}")
    offered = list(tools)
    if kind == "multiple":
        pool = [f for f in others if frozenset({f.name, family.name}) not in _CONFUSABLE]
        for other in rng.sample(pool, min(distractor_families, len(pool))):
            offered.extend(other.tools())
        rng.shuffle(offered)
    schemas = [t.schema for t in offered]
    meta["tool_paths"] = {t.name: t.path for t in offered}
    meta["reasoning"] = [s.reasoning for s in ex.steps] + ([ex.final_reasoning] if ex.response is not None else [])
    if ex.steps and ex.response is not None:
        answer = Answer(tool_calls=ex.calls, response=ex.response)
    elif ex.steps:
        answer = Answer(tool_calls=ex.calls)
    else:
        answer = Answer(no_call=True, response=ex.response)
    return Task(
        id=task_id,
        messages=[{"role": "user", "content": ex.query}],
        tools=schemas,
        answer=answer,
        env=env,
        meta=meta,
    )


def _irrelevant(family: Family, rng: Random, others: Sequence[Family]) -> Example:
    pool = [f for f in others if frozenset({f.name, family.name}) not in _CONFUSABLE]
    query = pick(rng, pool).single(rng).query if pool and rng.random() < 0.7 else pick(rng, OFF_DOMAIN)
    names = ", ".join(t.name for t in family.tools())
    topics = " and ".join(family.topics) or family.name
    reasoning = (
        f"The user asks {q(query)}. The tools I have ({names}) are about {topics}; "
        "none of them does this, so I will not call any."
    )
    response = f"I can't help with that using the tools I have here; they only cover {topics}."
    return Example(query, (), response=response, final_reasoning=reasoning, quotes=(query,))


def _run_multi_step(family: Family, rng: Random) -> Example:
    if family.multi_step is None:
        raise ValueError(f"family {family.name!r} has no multi-step tasks")
    tools = {t.name: t for t in family.tools()}

    def run(name: str, arguments: dict[str, Any]) -> Any:
        return tools[name](**arguments)

    with bind_episode_state({}):  # a fresh episode, as the sandbox gives each trajectory
        return family.multi_step(rng, run)


# ----------------------------------------------------------------------------- demonstrations


def tool_call_block(calls: Sequence[FunctionCall]) -> str:
    """`<tool_call>` with one JSON object per line (`{"name", "arguments"}`)."""
    lines = [json.dumps({"name": c.name, "arguments": c.arguments}, ensure_ascii=False) for c in calls]
    return "<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"


def demonstration(task: Task) -> list[JsonDict]:
    """The right assistant turns for `task` (and tool results between them, for multi-step tasks).

    Each assistant turn is `<think>reasoning</think>` then a `<tool_call>` block or a `<response>`.
    Tasks without recorded reasoning (from loaders) get a short one quoting the user's last turn.
    """
    reasoning: list[str] = list(task.meta.get("reasoning") or [])
    steps: list[JsonDict] = list(task.meta.get("steps") or [])
    calls = list(task.answer.tool_calls)
    if not steps and calls:
        steps = [{"calls": [c.model_dump() for c in calls], "results": []}]
    needed = len(steps) + (1 if task.answer.response is not None else 0)
    if len(reasoning) != needed:
        reasoning = _generic_reasoning(task, steps, needed)
    out: list[JsonDict] = []
    for i, step in enumerate(steps):
        step_calls = [FunctionCall.model_validate(c) for c in step["calls"]]
        out.append({"role": "assistant", "content": f"<think>{reasoning[i]}</think>\n{tool_call_block(step_calls)}"})
        for call_, result in zip(step_calls, step.get("results", []), strict=False):
            out.append({"role": "tool", "name": call_.name, "content": json.dumps(result, ensure_ascii=False)})
    if task.answer.response is not None:
        final = f"<think>{reasoning[-1]}</think>\n<response>{task.answer.response}</response>"
        if not steps or step_results_recorded(steps):
            out.append({"role": "assistant", "content": final})
        else:  # calls and a response in one turn (ToolRL style): the response follows the block
            out[-1]["content"] = f"{out[-1]['content']}\n<response>{task.answer.response}</response>"
    if not out:  # no call and no response (rare in loaded data): abstain silently
        out.append({"role": "assistant", "content": f"<think>{_generic_reasoning(task, [], 1)[0]}</think>"})
    return out


def step_results_recorded(steps: Sequence[JsonDict]) -> bool:
    """Whether the steps carry tool results (multi-step tasks), so the response is a later turn."""
    return bool(steps) and all(s.get("results") for s in steps)


def demonstration_text(task: Task) -> str:
    """The first assistant turn of `demonstration(task)` (the whole answer for single-turn tasks)."""
    return str(demonstration(task)[0]["content"])


def _generic_reasoning(task: Task, steps: Sequence[JsonDict], needed: int) -> list[str]:
    user = str(task.messages[-1].get("content", "")).strip()
    quoted = q(user if len(user) <= 120 else user[:117] + "...")
    out = []
    for step in steps:
        names = ", ".join(dict.fromkeys(c["name"] for c in step["calls"]))
        out.append(f"The user wrote {quoted}. {names} fits this request, with the values the user gave.")
    while len(out) < needed:
        if task.answer.no_call:
            out.append(f"The user wrote {quoted}. No tool call is right here; I answer in words.")
        else:
            out.append(f"The user wrote {quoted}. I can answer now.")
    return out
