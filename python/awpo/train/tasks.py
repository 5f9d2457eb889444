"""Training and held-out tasks, and the deterministic order in which training visits them."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from typing import Any

from awpo.config import DataConfig
from awpo.data.generator import generate
from awpo.data.loaders import check_trainable, load_tasks
from awpo.data.schema import Task
from awpo.errors import ConfigError

logger = logging.getLogger(__name__)

_BUILTIN = "builtin"


def load_train_tasks(cfg: DataConfig) -> list[Task]:
    """The training tasks of `cfg.train`; BFCL-derived tasks are refused."""
    if cfg.train == _BUILTIN:
        tasks = generate(cfg.builtin).train
    else:
        report = load_tasks(cfg.train, cfg.format)
        logger.info(report.summary())
        tasks = report.items
    if not tasks:
        raise ConfigError(f"data.train: {cfg.train!r} gives no tasks")
    return check_trainable(tasks)


def load_eval_tasks(cfg: DataConfig) -> list[Task]:
    """`cfg.eval_size` held-out tasks of `cfg.eval`, stratified over task kinds (`stratified_sample`)."""
    if cfg.eval.startswith(f"{_BUILTIN}:"):
        tasks = generate(cfg.builtin).get(cfg.eval.split(":", 1)[1])
    else:
        report = load_tasks(cfg.eval, cfg.format)
        logger.info(report.summary())
        tasks = report.items
    if not tasks:
        raise ConfigError(f"data.eval: {cfg.eval!r} gives no tasks")
    return stratified_sample(tasks, cfg.eval_size)


def stratified_sample(tasks: Sequence[Task], size: int) -> list[Task]:
    """`size` tasks (all when there are fewer) spread evenly over `meta.kind`, and within a kind over
    `meta.family`: kinds take turns, one task each, in sorted order, and a kind that runs out drops out of
    the rotation; within a kind the families take turns the same way, each in its given order. Every kind
    then has an accuracy of its own (kinds get equal shares, not shares proportional to their frequency),
    and the selection is fixed by the task list alone."""
    by_kind: dict[str, list[Task]] = {}
    for task in tasks:
        by_kind.setdefault(str(task.meta.get("kind", "task")), []).append(task)
    queues = [_round_robin(by_kind[kind], lambda t: str(t.meta.get("family", ""))) for kind in sorted(by_kind)]
    chosen: list[Task] = []
    while len(chosen) < size and any(queues):
        for queue in queues:
            if queue and len(chosen) < size:
                chosen.append(queue.pop(0))
    return chosen


def _round_robin(tasks: Sequence[Task], key: Callable[[Task], str]) -> list[Task]:
    """`tasks` reordered so that the groups of `key` (in sorted order) take turns."""
    groups: dict[str, list[Task]] = {}
    for task in tasks:
        groups.setdefault(key(task), []).append(task)
    ordered = [groups[k] for k in sorted(groups)]
    out: list[Task] = []
    for i in range(max(len(g) for g in ordered)):
        out.extend(g[i] for g in ordered if i < len(g))
    return out


def drop_overlong(tasks: Sequence[Task], prompt_length: Callable[[Task], int], limit: int) -> list[Task]:
    """The tasks whose prompt has at most `limit` tokens (the dropped ones are counted in the log).

    A prompt that fills the token budget leaves the model no room to answer, so its group is all
    truncated, ties and teaches nothing while costing a full forward and backward pass.
    """
    kept = [t for t in tasks if prompt_length(t) <= limit]
    if len(kept) < len(tasks):
        logger.info(
            "data: left out %d of %d training tasks whose prompt is longer than %d tokens (data.max_prompt_tokens)",
            len(tasks) - len(kept),
            len(tasks),
            limit,
        )
    if not kept:
        raise ConfigError(f"data.max_prompt_tokens: no training task has a prompt of at most {limit} tokens")
    return kept


class TaskSampler:
    """Visits tasks in a fresh seeded order each epoch; `state()` makes resume exact.

    `balance_kinds=False`: each epoch is a permutation of the tasks, so a kind is visited as often as it
    occurs. `balance_kinds=True` (`data.balance: kind`): the kinds (`meta.kind`) take turns, each round in
    a fresh seeded order, and a kind that runs out starts a fresh permutation of its own tasks; an epoch
    is as many rounds as the largest kind has tasks. Every kind is then visited equally often, rare ones
    (abstentions) repeating more, as in the stratified held-out sample (`stratified_sample`).
    """

    def __init__(self, tasks: Sequence[Task], seed: int, *, balance_kinds: bool = False) -> None:
        if not tasks:
            raise ValueError("TaskSampler needs at least one task")
        self.tasks = list(tasks)
        self.seed = seed
        self.balance_kinds = balance_kinds
        self.epoch = 0
        self.index = 0
        self._order = self._permutation(0)

    def _permutation(self, epoch: int) -> list[int]:
        rng = random.Random(self.seed * 1_000_003 + epoch)
        order = list(range(len(self.tasks)))
        if not self.balance_kinds:
            rng.shuffle(order)
            return order
        by_kind: dict[str, list[int]] = {}
        for i in order:
            by_kind.setdefault(str(self.tasks[i].meta.get("kind", "task")), []).append(i)
        kinds = sorted(by_kind)
        rounds = max(len(ids) for ids in by_kind.values())
        streams = {kind: _cycled_permutation(by_kind[kind], rounds, rng) for kind in kinds}
        balanced: list[int] = []
        for r in range(rounds):
            rng.shuffle(kinds)
            balanced.extend(streams[kind][r] for kind in kinds)
        return balanced

    def next(self, n: int) -> list[Task]:
        """The next `n` tasks (crossing into the next epoch when needed)."""
        out = []
        for _ in range(n):
            if self.index >= len(self._order):
                self.epoch += 1
                self.index = 0
                self._order = self._permutation(self.epoch)
            out.append(self.tasks[self._order[self.index]])
            self.index += 1
        return out

    def state(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "index": self.index,
            "n_tasks": len(self.tasks),
            "balance_kinds": self.balance_kinds,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        if state.get("n_tasks") != len(self.tasks):
            raise ValueError(
                f"the checkpoint was trained on {state.get('n_tasks')} tasks, this config gives {len(self.tasks)}; "
                "resume with the same data settings"
            )
        if bool(state.get("balance_kinds", False)) != self.balance_kinds:
            raise ValueError("the checkpoint was trained with another data.balance; resume with the same settings")
        self.epoch = int(state["epoch"])
        self.index = int(state["index"])
        self._order = self._permutation(self.epoch)


def _cycled_permutation(ids: Sequence[int], length: int, rng: random.Random) -> list[int]:
    """`length` items of `ids`: fresh shuffles of it, one after the other (the last one cut short)."""
    out: list[int] = []
    while len(out) < length:
        block = list(ids)
        rng.shuffle(block)
        out.extend(block)
    return out[:length]
