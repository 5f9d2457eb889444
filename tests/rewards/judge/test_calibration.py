"""Judge calibration (issue 14): probes are deterministic and really corrupted; the rubric judge reaches
AUC >= 0.85 on every corruption but `unwarranted_call`, which it cannot see (REWARDS.md); a constant judge
sits at AUC 0.5 and gets the near-chance warning."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from awpo.data.generator import GeneratorConfig, generate
from awpo.rewards.judge import BackendResult, Judge, JudgeConfig
from awpo.rewards.judge.calibration import CORRUPTIONS, TARGET_AUC, auc, build_probes, calibrate
from awpo.rewards.judge.prompt import Message


@pytest.fixture(scope="module")
def tasks():  # type: ignore[no-untyped-def]
    splits = generate(GeneratorConfig(per_family=12, seed=0))
    return [*splits.train, *splits.validation, *splits.heldout]


def test_auc_by_hand() -> None:
    # pairs (r, w): (1 > 0), (1 > 0.5), (0.5 == 0.5 -> 1/2), (0.5 > 0): (3 + 0.5) / 4
    assert auc([1.0, 0.5], [0.0, 0.5]) == pytest.approx(0.875)
    assert auc([0.3, 0.3], [0.3]) == 0.5


def test_probes_are_deterministic_and_differ(tasks) -> None:  # type: ignore[no-untyped-def]
    a = build_probes(tasks, pairs_per_kind=10, seed=3)
    b = build_probes(tasks, pairs_per_kind=10, seed=3)
    assert a == b
    assert {p.kind for p in a} == set(CORRUPTIONS)
    for p in a:
        assert p.right != p.wrong
        changed = (p.right.reasoning != p.wrong.reasoning, list(p.right.calls) != list(p.wrong.calls))
        assert any(changed), p.kind
        if p.kind in ("wrong_intent", "boilerplate"):
            assert changed == (True, False)
        if p.kind in ("contradicted_tool", "contradicts_calls"):
            assert changed[1] and p.right.reasoning == p.wrong.reasoning
        if p.kind == "contradicted_tool":
            assert {c["name"] for c in p.right.calls} != {c["name"] for c in p.wrong.calls}
        if p.kind == "unwarranted_call":  # an abstention task answered with an argued call
            assert changed == (True, True) and not p.right.calls and len(p.wrong.calls) == 1
            assert p.wrong.calls[0]["name"] in p.wrong.reasoning
    assert build_probes(tasks, pairs_per_kind=10, seed=4) != a


def test_rubric_judge_reaches_target_auc_on_every_corruption_it_can_see(tasks) -> None:  # type: ignore[no-untyped-def]
    probes = build_probes(tasks, pairs_per_kind=24, seed=0)
    with Judge.from_config(JudgeConfig(backend="rubric")) as judge:
        report = calibrate(judge, probes, seed=0)
    assert [k.kind for k in report.kinds] == list(CORRUPTIONS)
    for k in report.kinds:
        if k.kind == "unwarranted_call":
            # only no-call tasks make this probe (23 among the candidates here); reference-free rules cannot
            # tell that no offered tool fits: both sides are coherent and grounded
            assert k.pairs == 23 and k.auc == 0.5 and k.right_mean == k.wrong_mean, k
            continue
        assert k.pairs == 24
        assert k.auc >= TARGET_AUC, k
        assert k.right_mean > k.wrong_mean
    assert report.rho == pytest.approx(2 * report.auc - 1)
    assert report.warnings == ["near chance on unwarranted_call: the judge does not see these faults"]
    assert report.failures == 0


class _ConstantBackend:
    name = "constant"
    model_id = "constant"

    def score_prompts(self, prompts: Sequence[list[Message]]) -> list[BackendResult]:
        return [BackendResult(score=0.5) for _ in prompts]

    def close(self) -> None:
        pass


def test_constant_judge_is_at_chance_and_warned(tasks) -> None:  # type: ignore[no-untyped-def]
    probes = build_probes(tasks, pairs_per_kind=8, seed=0)
    with Judge(_ConstantBackend()) as judge:
        report = calibrate(judge, probes)
    for k in report.kinds:
        assert k.auc == 0.5 and k.paired_accuracy == 0.0 and k.spread == 0.0
    assert report.auc == 0.5 and report.rho == 0.0
    assert any("AWPO will behave like GRPO" in w for w in report.warnings)
