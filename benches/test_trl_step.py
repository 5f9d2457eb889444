"""pytest-benchmark wrapper of `benches/trl_step.py`: one training step, awpo vs TRL's GRPOTrainer (CPU).

    pip install --no-deps "trl==1.16.0" && pip install "datasets>=4.7"    # or: pip install -e '.[bench]'
    pytest benches/test_trl_step.py --benchmark-only -s

The two trainers take turns step by step inside one comparison (see `trl_step.py`), so the whole
comparison is one pytest-benchmark round; its figures (best and median seconds per step of each
contender, TRL/awpo ratios, both time splits) go to `extra_info` and are printed. The script checks
that both sides did the same work (prompts, batch, completion lengths, steps) before reporting.
Knobs: `AWPO_BENCH_STEPS` (timed steps, default 4), `AWPO_BENCH_NEW_TOKENS` (default 128),
`AWPO_BENCH_PRECISION` (`bf16` or `fp32`, default `bf16`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest.importorskip("trl", reason="install the bench extra: pip install --no-deps trl==1.16.0 datasets")

from trl_step import parse_args, run


def test_trainer_step_awpo_vs_trl(benchmark: Any) -> None:
    args = parse_args(
        [
            "--steps",
            os.environ.get("AWPO_BENCH_STEPS", "4"),
            "--new-tokens",
            os.environ.get("AWPO_BENCH_NEW_TOKENS", "128"),
            "--precision",
            os.environ.get("AWPO_BENCH_PRECISION", "bf16"),
        ]
    )
    benchmark.group = "trainer-step"
    figures = benchmark.pedantic(run, args=(args,), rounds=1, iterations=1)
    benchmark.extra_info.update(
        {
            "trl_version": figures["trl_version"],
            "seconds": figures["seconds"],
            "trl_over_awpo": figures["trl_over_awpo"],
            "awpo_split_s": figures["awpo_split_s"],
            "trl_split_s": figures["trl_split_s"],
        }
    )
