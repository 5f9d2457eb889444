"""YAML + dotted overrides, and error messages that name every bad field."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from awpo.errors import ConfigError
from awpo.overrides import apply_overrides, load, load_yaml, parse_scalar


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lr: float = 1e-5
    gate: Literal["soft", "hard", "off"] = "soft"
    flag: bool = False


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trainer: Inner = Field(default_factory=Inner)
    name: str = "run"


def test_scalars_read_as_yaml_but_off_stays_a_word() -> None:
    assert parse_scalar("1e-6") == 1e-6
    assert parse_scalar("fast") == "fast"
    assert parse_scalar("3") == 3
    assert parse_scalar("[1, 2]") == [1, 2]
    assert parse_scalar("null") is None
    assert parse_scalar("off") == "off"
    assert parse_scalar("true") is True


def test_overrides_set_nested_keys_without_touching_input() -> None:
    data = {"trainer": {"lr": 1.0}}
    out = apply_overrides(data, ["trainer.lr=0.5", "trainer.gate=off", "name=x"])
    assert out == {"trainer": {"lr": 0.5, "gate": "off"}, "name": "x"}
    assert data == {"trainer": {"lr": 1.0}}


@pytest.mark.parametrize("bad", ["trainer.lr", "=3", "trainer..lr=1", "name.sub=1"])
def test_malformed_overrides_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        apply_overrides({"name": "x"}, [bad])


def test_yaml_off_is_the_option_not_false(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("trainer:\n  gate: off\n  flag: true\n")
    assert load_yaml(path) == {"trainer": {"gate": "off", "flag": True}}
    cfg = load(Outer, path, ["trainer.lr=1e-6"], default=path)
    assert cfg.trainer.gate == "off" and cfg.trainer.flag is True
    assert cfg.trainer.lr == pytest.approx(1e-6)


def test_every_bad_field_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("trainer:\n  lr: fast\n  gate: sideways\n  typo: 1\n")
    with pytest.raises(ConfigError) as info:
        load(Outer, path, default=path)
    message = str(info.value)
    assert "3 invalid field(s)" in message
    assert "trainer.lr:" in message and "'fast'" in message
    assert "trainer.gate:" in message and "'sideways'" in message
    assert "trainer.typo: unknown key" in message


def test_missing_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_yaml(tmp_path / "nope.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_yaml(path)
