"""Rollouts: engines (`hf`, `vllm`), chat rendering and the multi-turn tool loop (model loading, re-exported
here, is `awpo.model`)."""

from __future__ import annotations

from awpo.model import load_model, load_tokenizer, resolve_model_dir
from awpo.rollout.engine import Engine, FinishReason, Generation, SamplingParams
from awpo.rollout.factory import ENGINE_KINDS, make_engine
from awpo.rollout.hf_engine import HFEngine
from awpo.rollout.loop import STOP_REASONS, LoopConfig, LoopStats, RolloutLoop, StopReason, Trajectory, Turn
from awpo.rollout.render import DriftReport, Renderer, drift_report
from awpo.rollout.tools import LocalTools, SandboxTools, ToolEpisode, ToolRunner

__all__ = [
    "ENGINE_KINDS",
    "STOP_REASONS",
    "DriftReport",
    "Engine",
    "FinishReason",
    "Generation",
    "HFEngine",
    "LocalTools",
    "LoopConfig",
    "LoopStats",
    "Renderer",
    "RolloutLoop",
    "SamplingParams",
    "SandboxTools",
    "StopReason",
    "ToolEpisode",
    "ToolRunner",
    "Trajectory",
    "Turn",
    "drift_report",
    "load_model",
    "load_tokenizer",
    "make_engine",
    "resolve_model_dir",
]
