"""The training order is seeded, covers every task each epoch, and resumes exactly."""

from __future__ import annotations

import random

import pytest

from awpo.config import DataConfig
from awpo.data.generator import GeneratorConfig
from awpo.data.schema import Task
from awpo.errors import AwpoError
from awpo.train.tasks import TaskSampler, drop_overlong, load_eval_tasks, load_train_tasks


def _tasks(n: int) -> list[Task]:
    return [Task(id=f"t{i}", messages=[{"role": "user", "content": str(i)}]) for i in range(n)]


def test_each_epoch_is_a_permutation_and_seeded() -> None:
    sampler = TaskSampler(_tasks(5), seed=3)
    first = [t.id for t in sampler.next(5)]
    second = [t.id for t in sampler.next(5)]
    assert sorted(first) == sorted(second) == [f"t{i}" for i in range(5)]
    assert first != second  # a fresh order per epoch (holds for this seed)
    again = TaskSampler(_tasks(5), seed=3)
    assert [t.id for t in again.next(10)] == first + second


def test_state_round_trip_resumes_the_same_order() -> None:
    a = TaskSampler(_tasks(7), seed=1)
    a.next(9)
    b = TaskSampler(_tasks(7), seed=1)
    b.load_state(a.state())
    assert [t.id for t in a.next(6)] == [t.id for t in b.next(6)]
    with pytest.raises(ValueError, match="same data settings"):
        TaskSampler(_tasks(3), seed=1).load_state(a.state())


def _kinded(counts: dict[str, int]) -> list[Task]:
    return [
        Task(id=f"{kind}{i}", messages=[{"role": "user", "content": kind}], meta={"kind": kind})
        for kind, n in counts.items()
        for i in range(n)
    ]


def test_balanced_kinds_take_turns_and_rare_kinds_repeat() -> None:
    tasks = _kinded({"single": 6, "irrelevance": 2, "missing": 1})
    sampler = TaskSampler(tasks, seed=0, balance_kinds=True)
    epoch = [str(t.meta["kind"]) for t in sampler.next(18)]  # an epoch: 6 rounds of the 3 kinds
    for r in range(6):
        assert sorted(epoch[3 * r : 3 * r + 3]) == ["irrelevance", "missing", "single"]
    ids = [t.id for t in TaskSampler(tasks, seed=0, balance_kinds=True).next(18)]
    singles = [i for i in ids if i.startswith("single")]
    assert sorted(singles) == [f"single{i}" for i in range(6)]  # the largest kind once each
    assert sorted(i for i in ids if i.startswith("irrelevance")) == ["irrelevance0"] * 3 + ["irrelevance1"] * 3
    assert ids.count("missing0") == 6


def test_balanced_sampler_resumes_exactly_and_refuses_a_mismatched_setting() -> None:
    tasks = _kinded({"single": 5, "parallel": 3, "missing": 2})
    a = TaskSampler(tasks, seed=4, balance_kinds=True)
    a.next(17)  # into the second epoch (15 per epoch)
    b = TaskSampler(tasks, seed=4, balance_kinds=True)
    b.load_state(a.state())
    assert [t.id for t in a.next(20)] == [t.id for t in b.next(20)]
    with pytest.raises(ValueError, match=r"data\.balance"):
        TaskSampler(tasks, seed=4).load_state(a.state())


def test_unbalanced_order_is_unchanged_by_the_balance_option() -> None:
    """`balance_kinds=False` keeps the plain permutation, so existing runs resume in the same order."""
    tasks = _kinded({"single": 4, "missing": 3})
    expected = list(range(7))
    random.Random(2 * 1_000_003).shuffle(expected)
    assert [t.id for t in TaskSampler(tasks, seed=2).next(7)] == [tasks[i].id for i in expected]


def test_builtin_train_and_heldout_tasks_are_disjoint_families() -> None:
    cfg = DataConfig(eval_size=10, builtin=GeneratorConfig(per_family=4))
    train = load_train_tasks(cfg)
    held = load_eval_tasks(cfg)
    assert len(held) == 10
    heldout = set(cfg.builtin.heldout_families)
    assert all(t.meta["family"] not in heldout for t in train)
    assert all(t.meta["family"] in heldout for t in held)
    assert len({t.meta["family"] for t in held}) > 1  # spread over families, not the first one only


def test_bfcl_tasks_are_refused_for_training(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bfcl.jsonl"
    task = Task(id="simple_0", messages=[{"role": "user", "content": "x"}], meta={"source": "bfcl"})
    path.write_text(task.model_dump_json() + "\n")
    with pytest.raises(AwpoError, match="never train"):
        load_train_tasks(DataConfig(train=str(path)))


def test_drop_overlong_keeps_prompts_within_the_limit_and_logs_the_count(caplog: pytest.LogCaptureFixture) -> None:
    tasks = load_train_tasks(DataConfig(builtin=GeneratorConfig(per_family=3)))
    length = {t.id: len(str(t.messages)) + len(str(t.tools)) for t in tasks}  # a stand-in token count
    limit = sorted(length.values())[len(tasks) // 2]
    with caplog.at_level("INFO", logger="awpo.train.tasks"):
        kept = drop_overlong(tasks, lambda t: length[t.id], limit)
    assert kept == [t for t in tasks if length[t.id] <= limit]  # order kept
    assert 0 < len(kept) < len(tasks)
    assert f"left out {len(tasks) - len(kept)} of {len(tasks)}" in caplog.text
    assert drop_overlong(tasks, lambda t: length[t.id], max(length.values())) == tasks
    with pytest.raises(AwpoError, match="max_prompt_tokens"):
        drop_overlong(tasks, lambda t: length[t.id], min(length.values()) - 1)


def test_eval_tasks_are_stratified_over_kinds_then_families() -> None:
    from collections import Counter

    from awpo.train.tasks import stratified_sample

    def task(i: int, kind: str, family: str) -> Task:
        return Task(
            id=f"{kind}-{family}-{i}",
            messages=[{"role": "user", "content": "x"}],
            meta={"kind": kind, "family": family},
        )

    # 6 of kind a (4 in family f, 2 in g), 1 of kind b, 3 of kind c
    tasks = [task(i, "a", "f") for i in range(4)] + [task(i, "a", "g") for i in range(2)]
    tasks += [task(0, "b", "f")] + [task(i, "c", "g") for i in range(3)]
    # kinds take turns a, b, c; b runs out after one; families take turns within a (f, g, f, g, f, f)
    assert [t.id for t in stratified_sample(tasks, 6)] == ["a-f-0", "b-f-0", "c-g-0", "a-g-0", "c-g-1", "a-f-1"]
    assert Counter(t.meta["kind"] for t in stratified_sample(tasks, 7)) == {"a": 3, "b": 1, "c": 3}
    assert len(stratified_sample(tasks, 100)) == len(tasks)  # all of them, each once
    assert {t.id for t in stratified_sample(tasks, 100)} == {t.id for t in tasks}


def test_builtin_heldout_sample_covers_every_kind_evenly() -> None:
    from collections import Counter

    held = load_eval_tasks(DataConfig(eval_size=64))
    counts = Counter(t.meta["kind"] for t in held)
    assert len(held) == 64 and len(counts) >= 5
    assert max(counts.values()) - min(c for c in counts.values()) <= 4  # `missing` has only 8 tasks in all
