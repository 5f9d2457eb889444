"""Metric names: what the code really emits against what `awpo.metric_names` and docs/ALGORITHM.md §7 list.

The lists are checked against emitted metrics (a real training step of the tiny model, the real judge, the
real policy loss), not against themselves: a name that is listed but never logged, or logged but never
declared, fails here.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from tiny_model import tiny_overrides

from awpo import metric_names as m
from awpo.algo.config import LossSettings
from awpo.algo.loss import LossNormalizer, policy_loss
from awpo.config import load_config
from awpo.rewards.judge import Judge, JudgeConfig, JudgeItem
from awpo.train.trainer import Trainer

ROOT = Path(__file__).parents[2]
NAME = re.compile(r"^[a-z][a-z0-9_]*(/[a-z0-9_]+)+$")
# Names built by a function of `awpo.metric_names`, one lowercase segment filled in.
PATTERNS = (
    re.compile(r"^reward/outcome/[a-z0-9_]+/mean$"),  # reward_outcome_component
    re.compile(r"^rollout/finish/[a-z0-9_]+_frac$"),  # rollout_finish_frac
    re.compile(r"^parse/[a-z0-9_]+_frac$"),  # parse_failure_frac
    re.compile(r"^eval/exact_call_acc/kind/[a-z0-9_]+$"),  # eval_exact_call_acc_kind
)


def _declared(name: str) -> bool:
    if name in m.ALL_METRICS or any(p.match(name) for p in PATTERNS):
        return True
    # held-out evaluation logs training names under the prefix `eval/`
    return name.startswith(m.EVAL_PREFIX) and _declared(name.removeprefix(m.EVAL_PREFIX))


def _section_7_rows() -> dict[str, list[str]]:
    """docs/ALGORITHM.md §7's table: item -> the backticked metric names of its row."""
    doc = (ROOT / "docs" / "ALGORITHM.md").read_text(encoding="utf-8")
    section = doc.split("\n## 7.")[1].split("\n## ")[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("what", "---"):
            continue
        rows[cells[0].replace("`", "").lower()] = re.findall(r"`([a-z0-9_/<>]+)`", cells[1])
    return rows


# ---------------------------------------------------------------------------- the lists themselves


def test_names_are_well_formed_and_unique() -> None:
    assert len(set(m.ALL_METRICS)) == len(m.ALL_METRICS)
    for name in m.ALL_METRICS:
        assert NAME.match(name), name
    for _, names in m.SECTION_7:
        assert names
        for name in names:
            assert name in m.ALL_METRICS, name


def test_the_algorithm_doc_lists_exactly_the_section_7_names() -> None:
    rows = _section_7_rows()
    assert list(rows) == [item for item, _ in m.SECTION_7]
    for item, names in m.SECTION_7:
        documented = [n for n in rows[item] if "<" not in n]
        assert documented == list(names), item
    assert rows["outcome-reward components"][-1] == "reward/outcome/<component>/mean"


def test_function_built_names() -> None:
    assert m.reward_outcome_component("format") == "reward/outcome/format/mean"
    assert m.rollout_finish_frac("length_budget") == "rollout/finish/length_budget_frac"
    assert m.parse_failure_frac("malformed_json") == "parse/malformed_json_frac"
    assert m.time_stage("rollout") == "time/rollout_s"
    assert m.eval_exact_call_acc_kind("multi_step") == "eval/exact_call_acc/kind/multi_step"
    for bad in ("", "Format", "a/b", "a b", "é"):
        with pytest.raises(ValueError, match="component name"):
            m.reward_outcome_component(bad)


# ---------------------------------------------------------------------------- layering


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_the_algorithm_never_imports_the_trainer() -> None:
    files = sorted((ROOT / "python" / "awpo" / "algo").rglob("*.py"))
    assert files
    for path in files:
        bad = [name for name in _imports(path) if name == "awpo.train" or name.startswith("awpo.train.")]
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_metric_names_imports_nothing_of_awpo() -> None:
    names = list(_imports(ROOT / "python" / "awpo" / "metric_names.py"))
    assert not [n for n in names if n == "awpo" or n.startswith("awpo.")]


# ---------------------------------------------------------------------------- what the code emits


@pytest.fixture(scope="module")
def emitted(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, float]]:
    """One real AWPO step of the tiny model (dual clip and a reference policy on, so the optional loss
    metrics appear), one held-out evaluation and one warm-up step: the metrics each returned."""
    run = tmp_path_factory.mktemp("metric-names") / "run"
    overrides = [
        *tiny_overrides(tiny_model_dir, run),
        "trainer.steps=1",
        "warmup.steps=1",
        "algo.loss.dual_clip=true",
        "algo.loss.beta=0.01",
        "reward.kind=toolrl",  # its components (format, correctness) are checked below, whatever the default
    ]
    trainer = Trainer(load_config(None, overrides))  # type: ignore[arg-type]
    sft: dict[str, float] = {}
    try:
        trainer.warmup()
        for record in _records(run):
            sft.update(record)
        step = trainer.train_step(1)
        evaluation = trainer.evaluate(step=1)
    finally:
        trainer.close()
    return {"step": step, "eval": evaluation, "sft": sft}


def _records(run: Path) -> list[dict[str, float]]:
    from awpo.train.tracking import read_metrics

    return [dict(r) for r in read_metrics(run / "metrics.jsonl")]


def test_a_real_step_emits_every_listed_step_metric(emitted: dict[str, dict[str, float]]) -> None:
    step = emitted["step"]
    # the hf engine is the trainer's own model, so TIS stays off: its names are checked on the loss below
    expected = set(m.STEP_METRICS) | set(m.LOSS_METRICS_DUAL_CLIP) | set(m.LOSS_METRICS_KL)
    missing = sorted(expected - set(step))
    assert not missing, f"listed but not emitted by a training step: {missing}"
    for item, names in m.SECTION_7:
        absent = [n for n in names if n not in step and n not in m.LOSS_METRICS_TIS]
        assert not absent, f"docs/ALGORITHM.md §7 '{item}' not logged: {absent}"
    for component in ("format", "correctness"):  # toolrl, set in the fixture
        assert m.reward_outcome_component(component) in step
    assert any(k.startswith("parse/") for k in step) and any(k.startswith("rollout/finish/") for k in step)
    for name in (m.REWARD_OUTCOME_MEAN, m.AWPO_ADVANTAGE_STD, m.POLICY_KL, m.TIME_STEP, m.TRAIN_LR):
        assert math.isfinite(step[name]), name


def test_everything_emitted_is_declared(emitted: dict[str, dict[str, float]]) -> None:
    for stage, metrics in emitted.items():
        undeclared = sorted(name for name in metrics if name != "step" and name != "time" and not _declared(name))
        assert not undeclared, f"{stage} emits names awpo.metric_names does not declare: {undeclared}"


def test_evaluation_and_warmup_emit_their_listed_metrics(emitted: dict[str, dict[str, float]]) -> None:
    assert not sorted(set(m.EVAL_METRICS) - set(emitted["eval"]))
    assert not sorted(set(m.SFT_METRICS) - set(emitted["sft"]))


def test_the_judge_emits_its_listed_metrics_with_a_real_backend(tiny_model_dir: Path) -> None:
    judge = Judge.from_config(JudgeConfig(backend="hf", model=str(tiny_model_dir), batch_size=2))
    item = JudgeItem(
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        reasoning="The user asks for the weather in Paris, so I call get_weather with city Paris.",
        calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}],
    )
    blank = JudgeItem(messages=[{"role": "user", "content": "Hi"}], reasoning="  ")
    try:
        result = judge.score([item, item, blank])
    finally:
        judge.close()
    assert set(result.metrics) == set(m.JUDGE_METRICS)
    mean, worst = result.metrics[m.JUDGE_LATENCY_S_MEAN], result.metrics[m.JUDGE_LATENCY_S_MAX]
    assert math.isfinite(worst) and worst >= mean > 0.0
    assert result.metrics[m.JUDGE_EMPTY_REASONING_FRAC] == pytest.approx(1 / 3)


def test_the_loss_emits_the_tis_metrics_under_the_mismatch_name_the_trainer_uses() -> None:
    # Sampler log-probs 0.5 nats below the trainer's on 3 of 4 valid tokens, 1.5 nats below on the last:
    # mismatch |logp_old - logp_sampler| = [0.5, 0.5, 0.5, 1.5] -> mean 0.75; weights exp(.) capped at 2:
    # [e^0.5, e^0.5, e^0.5, 2] (one token capped).
    logp = torch.full((1, 5), -1.0, requires_grad=True)
    logp_old = torch.full((1, 5), -1.0)
    sampler = torch.tensor([[-1.5, -1.5, -1.5, -2.5, 0.0]])
    mask = torch.tensor([[1, 1, 1, 1, 0]])
    out = policy_loss(
        logp,
        logp_old,
        torch.tensor([1.0]),
        mask,
        LossNormalizer.from_masks(mask),
        LossSettings(tis="on"),
        logp_sampler=sampler,
    )
    assert set(m.LOSS_METRICS_TIS) <= set(out.metrics)
    assert out.metrics[m.ROLLOUT_LOGPROB_MISMATCH_ABS_MEAN] == pytest.approx(0.75)
    assert out.metrics[m.POLICY_TIS_CAPPED_FRAC] == pytest.approx(0.25)
    assert out.metrics[m.POLICY_TIS_WEIGHT_MEAN] == pytest.approx((3 * math.exp(0.5) + 2.0) / 4)
    assert all(_declared(name) for name in out.metrics)
