"""The training config: every shipped YAML validates, docs match defaults, presets inherit, errors are clear."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from awpo import config as c
from awpo.config import CONFIG_DIR, TrainConfig, load_config
from awpo.errors import ConfigError
from awpo.overrides import load_yaml

DOC_FIELD = re.compile(r"^\s+(\w+) \(`[^`]+`(?: or `[^`]+`)?, defaults to `([^`]+)`\):", re.MULTILINE)
SECTIONS = [
    c.LoraConfig,
    c.ModelConfig,
    c.DataConfig,
    c.RolloutConfig,
    c.RewardConfig,
    c.OptimConfig,
    c.WarmupConfig,
    c.EvalConfig,
    c.OutputConfig,
    c.TrainConfig,
]


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_validates(path: Path) -> None:
    cfg = load_config(path)
    assert isinstance(cfg, TrainConfig)


def test_top_level_configs_dir_is_the_packaged_one() -> None:
    top = Path(__file__).resolve().parents[1] / "configs"
    assert sorted(p.name for p in top.glob("*.yaml")) == sorted(p.name for p in CONFIG_DIR.glob("*.yaml"))


@pytest.mark.parametrize("model", SECTIONS, ids=lambda m: m.__name__)
def test_every_field_is_documented_with_its_real_default(model: type[BaseModel]) -> None:
    docs = dict(DOC_FIELD.findall(model.__doc__ or ""))
    assert set(docs) == set(model.model_fields), f"undocumented or stale: {set(docs) ^ set(model.model_fields)}"
    instance = model()
    for name, text in docs.items():
        actual = getattr(instance, name)
        if isinstance(actual, BaseModel):
            assert text == f"{type(actual).__name__}()" and actual == type(actual)()
        else:
            assert ast.literal_eval(text) == actual, f"{model.__name__}.{name}: doc says {text}, default is {actual!r}"
        assert model.model_fields[name].description, f"{model.__name__}.{name} has no description"


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [
        ("grpo", "estimator", "grpo"),
        ("naive_sum", "estimator", "naive_sum"),
        ("norm_sum", "estimator", "norm_sum"),
        ("no_gate", "gate", "off"),
        ("no_weight", "weight", "off"),
        ("no_clip", "clip", "off"),
    ],
)
def test_each_ablation_is_the_default_run_with_one_change(name: str, key: str, value: str) -> None:
    default = load_config()
    ablation = load_config(CONFIG_DIR / f"ablation_{name}.yaml")
    assert getattr(ablation.algo.advantage, key) == value
    changed = ablation.model_copy(
        update={
            "algo": ablation.algo.model_copy(
                update={
                    "advantage": ablation.algo.advantage.model_copy(update={key: getattr(default.algo.advantage, key)})
                }
            ),
            "output": default.output,
        }
    )
    assert changed == default


def test_base_cycles_and_bad_overrides_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(ConfigError, match="include each other"):
        load_yaml(tmp_path / "a.yaml")
    with pytest.raises(ConfigError) as info:
        load_config(None, ["trainer.lr=-1", "rollout.engine=tpu", "trainer.minibatch_size=3"])
    message = str(info.value)
    assert "trainer.lr" in message and "rollout.engine" in message


def test_cross_field_errors_name_the_field_and_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"trainer\.minibatch_size \(3\) must divide"):
        load_config(None, ["trainer.minibatch_size=3", "trainer.micro_batch_size=1"])


def test_cli_invalid_config_exits_2_listing_every_bad_field() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "awpo", "train", "trainer.lr=fast", "judge.backend=telepathy", "trainer.typo=1"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    for field in ("trainer.lr", "judge.backend", "trainer.typo"):
        assert field in out.stderr


def test_reliability_gate_ablation_changes_only_the_gate_and_its_rho() -> None:
    default = load_config()
    ablation = load_config(CONFIG_DIR / "ablation_reliability_gate.yaml")
    assert ablation.algo.advantage.gate == "reliability" and 0.0 < ablation.algo.advantage.rho <= 1.0
    reverted = ablation.algo.advantage.model_copy(update={"gate": "soft", "rho": default.algo.advantage.rho})
    changed = ablation.model_copy(
        update={"algo": ablation.algo.model_copy(update={"advantage": reverted}), "output": default.output}
    )
    assert changed == default
