"""The KL reference policy (ALGORITHM.md §5): the policy RL starts from, kept across `--resume`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from tiny_model import tiny_overrides

from awpo.config import load_config
from awpo.train.reference import ReferencePolicyError, anchor_reference
from awpo.train.run_dir import REFERENCE_POLICY_FILE
from awpo.train.trainer import Trainer


def _overrides(model_dir: Path, run: Path, *extra: str) -> list[str]:
    return [
        *tiny_overrides(model_dir, run),
        "algo.loss.beta=0.05",
        "warmup.enabled=true",
        "warmup.steps=2",
        "warmup.lr=1e-2",  # large enough that the warm-up visibly moves every weight
        "eval.at_start=false",
        *extra,
    ]


def _params(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def _differs(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return any(not torch.equal(a[name], b[name]) for name in a)


@pytest.fixture(scope="module")
def warmed_run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, torch.Tensor]]:
    """A run of the warm-up and one AWPO step (checkpointed); returns it and the policy right after the warm-up."""
    run = tmp_path_factory.mktemp("reference") / "run"
    trainer = Trainer(load_config(None, _overrides(tiny_model_dir, run, "trainer.steps=1")))
    try:
        assert trainer.reference is not None
        source = _params(trainer.reference)
        assert trainer.warmup() is True
        after_warmup = _params(trainer.model)
        assert _differs(after_warmup, source), "the warm-up moved no weight: the test would prove nothing"
        _assert_same(_params(trainer.reference), after_warmup)
        trainer.state.data_position["warmup_done"] = True  # as `train()` records it
        trainer.train_step(1)  # the KL term runs against the anchored reference
        with torch.no_grad():  # whatever the update did, the anchor is a copy, not a view of the policy
            for param in trainer.model.parameters():
                param.add_(1.0)
        _assert_same(_params(trainer.reference), after_warmup)
        trainer.save(1, {})
    finally:
        trainer.close()
    return run, after_warmup


def test_the_reference_is_the_policy_after_the_warmup_and_is_written(
    warmed_run: tuple[Path, dict[str, torch.Tensor]],
) -> None:
    run, after_warmup = warmed_run
    _assert_same(load_file(str(run / REFERENCE_POLICY_FILE)), after_warmup)


def test_a_resumed_run_keeps_the_warmup_reference(
    tiny_model_dir: Path, warmed_run: tuple[Path, dict[str, torch.Tensor]]
) -> None:
    run, after_warmup = warmed_run
    trainer = Trainer(load_config(None, _overrides(tiny_model_dir, run, "trainer.steps=1")), resume=run)
    try:
        assert trainer.reference is not None
        _assert_same(_params(trainer.reference), after_warmup)
    finally:
        trainer.close()


def test_a_resumed_run_without_its_reference_file_is_refused(
    tiny_model_dir: Path, warmed_run: tuple[Path, dict[str, torch.Tensor]], tmp_path: Path
) -> None:
    run, _ = warmed_run
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "checkpoints").symlink_to(run / "checkpoints")
    with pytest.raises(ReferencePolicyError, match="missing"):
        Trainer(load_config(None, _overrides(tiny_model_dir, broken, "trainer.steps=1")), resume=broken)
    (broken / REFERENCE_POLICY_FILE).write_bytes(b"not a safetensors file")
    with pytest.raises(ReferencePolicyError, match="cannot be read"):
        Trainer(load_config(None, _overrides(tiny_model_dir, broken, "trainer.steps=1")), resume=broken)


def test_without_a_warmup_the_reference_is_the_initial_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    trainer = Trainer(load_config(None, _overrides(tiny_model_dir, run, "warmup.enabled=false")))
    try:
        assert trainer.reference is not None
        initial = load_file(str(tiny_model_dir / "model.safetensors"))
        for name, p in trainer.reference.named_parameters():
            assert torch.equal(p, initial[name]), name
        assert not (run / REFERENCE_POLICY_FILE).exists()
    finally:
        trainer.close()


def test_anchoring_names_a_parameter_the_reference_lacks_or_leaves_unset() -> None:
    reference = torch.nn.Linear(2, 2)
    with pytest.raises(ReferencePolicyError, match="no parameter 'nope'"):
        anchor_reference(reference, [[("nope", torch.zeros(2))]])
    with pytest.raises(ReferencePolicyError, match="1 reference parameters were not set"):
        anchor_reference(reference, [[("weight", torch.ones(2, 2))]])
    anchor_reference(reference, [[("weight", torch.ones(2, 2))], [("bias", torch.full((2,), 3.0))]])
    assert torch.equal(reference.weight, torch.ones(2, 2))
    assert torch.equal(reference.bias, torch.full((2,), 3.0))
