"""`awpo.algo.config`: validation, YAML spellings, and docstrings that match the real defaults."""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from awpo import _native
from awpo.algo import AdvantageSettings, AlgoConfig, LossSettings

DOC_FIELD = re.compile(r"^\s{8}(\w+) \(`[^`]+`(?: or `[^`]+`)?, defaults to `([^`]+)`\):$", re.MULTILINE)


def documented_defaults(model: type[BaseModel]) -> dict[str, str]:
    return dict(DOC_FIELD.findall(model.__doc__ or ""))


@pytest.mark.parametrize("model", [AdvantageSettings, LossSettings, AlgoConfig])
def test_every_field_is_documented_with_its_real_default(model: type[BaseModel]) -> None:
    docs = documented_defaults(model)
    assert set(docs) == set(model.model_fields), f"undocumented or stale: {set(docs) ^ set(model.model_fields)}"
    instance = model()
    for name, text in docs.items():
        actual = getattr(instance, name)
        if isinstance(actual, BaseModel):
            assert text == f"{type(actual).__name__}()"
            assert actual == type(actual)()
        else:
            assert ast.literal_eval(text) == actual, f"{model.__name__}.{name}: doc says {text}, default is {actual!r}"
        assert model.model_fields[name].description, f"{model.__name__}.{name} has no description"


def test_advantage_defaults_equal_the_native_defaults() -> None:
    native = _native.AdvantageConfig()
    settings = AdvantageSettings().to_native((0.0, 1.0))
    for name in ("estimator", "gate", "weight", "clip", "scale", "tau_r", "tau_o", "lam", "w_floor", "kappa"):
        assert getattr(native, name) == getattr(settings, name), name
    assert (native.delta0, native.eps) == (settings.delta0, settings.eps) == (1.0, 1e-6)


def test_option_sets_equal_the_native_ones() -> None:
    options = _native.AdvantageConfig.options()
    for name, values in options.items():
        literal = AdvantageSettings.model_fields[name].annotation
        assert list(literal.__args__) == values, name  # type: ignore[union-attr]


def test_yaml_on_off_booleans_are_read_as_option_names() -> None:
    raw: dict[str, Any] = yaml.safe_load("advantage: {gate: off, weight: off, clip: off}\nloss: {tis: on}")
    assert raw["advantage"]["gate"] is False  # what YAML 1.1 does to a bare `off`
    cfg = AlgoConfig.model_validate(raw)
    assert (cfg.advantage.gate, cfg.advantage.weight, cfg.advantage.clip) == ("off", "off", "off")
    assert cfg.loss.tis == "on"


@pytest.mark.parametrize(
    ("model", "kwargs", "match"),
    [
        (AdvantageSettings, {"gate": "sigmoid"}, "gate"),
        (AdvantageSettings, {"estimator": "ppo"}, "estimator"),
        (AdvantageSettings, {"kappa": -0.1}, "kappa"),
        (AdvantageSettings, {"w_floor": 1.5}, "w_floor"),
        (AdvantageSettings, {"eps": 0.0}, "eps"),
        (AdvantageSettings, {"lam": float("inf")}, "lam"),
        (AdvantageSettings, {"outcome_range": (1.0, 1.0)}, "outcome_range"),
        (AdvantageSettings, {"outcome_range": (-1e308, 1e308)}, "outcome_range"),
        (AdvantageSettings, {"gaet": "soft"}, "gaet"),
        (LossSettings, {"eps_low": 1.0}, "eps_low"),
        (LossSettings, {"clip_c": 1.0}, "clip_c"),
        (LossSettings, {"aggregation": "mean"}, "aggregation"),
        (LossSettings, {"kl_estimator": "k4"}, "kl_estimator"),
        (LossSettings, {"tis_cap": 0.0}, "tis_cap"),
        (LossSettings, {"token_budget": 0}, "token_budget"),
    ],
)
def test_bad_values_name_the_field(model: type[BaseModel], kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        model(**kwargs)


def test_native_config_rejects_what_the_settings_reject() -> None:
    with pytest.raises(ValueError, match='unknown gate "sigmoid"; expected one of: soft, hard, ratio, off'):
        _native.AdvantageConfig(gate="sigmoid")
    with pytest.raises(ValueError, match="kappa"):
        _native.AdvantageConfig(kappa=-1.0)
    with pytest.raises(ValueError, match="outcome range"):
        _native.AdvantageConfig(outcome_min=1.0, outcome_max=0.0)


def test_settings_are_frozen_and_round_trip() -> None:
    cfg = AlgoConfig(advantage=AdvantageSettings(gate="ratio"), loss=LossSettings(beta=0.01))
    assert AlgoConfig.model_validate(cfg.model_dump()) == cfg
    with pytest.raises(ValidationError):
        cfg.advantage.gate = "off"  # type: ignore[misc]
