"""The overhead of AWPO inside TRL: the same training step with `GRPOTrainer` and `AWPOTrainer` (CPU).

    pip install -e ".[train,trl]"
    python benches/trl_awpo_overhead.py                 # embedded SmolLM2-135M, 2 prompts x 4, 64 tokens
    python benches/trl_awpo_overhead.py --steps 3 --json out.json

Both trainers get the same model weights (two copies), the same prompts in the same order (awpo's built-in
tasks, `shuffle_dataset=False`), the same batch (2 prompts x 4 completions, micro-batches of 4, one
optimizer step), the same lengths (every completion exactly `--new-tokens` long: `min_new_tokens`), fp32,
the same outcome reward (`OutcomeReward("toolrl")`). AWPOTrainer also has the judge (`JudgeReward`, the
`hf` backend on the same model); the judge's own time is measured inside its reward call and subtracted,
as the target excludes it. The first step of each trainer is a warm-up. The trainers run one after the
other (TRL's `train()` loop cannot be interleaved step by step), so the machine's load can differ between
them: the script also measures the time AWPO's own code takes inside each step (native advantages,
metrics, slicing and the per-sample clip, i.e. the overridden methods minus the parent calls they wrap),
which does not depend on the load, and reports both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import trl
    from trl.trainer.grpo_trainer import GRPOTrainer

import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback, TrainerCallback

from awpo.data.generator import GeneratorConfig, generate
from awpo.integrations.trl import AWPOConfig, AWPOTrainer, JudgeReward, OutcomeReward, task_rows
from awpo.model import resolve_model_dir
from awpo.rewards.judge import JudgeConfig


class StepClock(TrainerCallback):  # type: ignore[misc]
    """Seconds of each optimizer step, callback to callback."""

    def __init__(self) -> None:
        self.start = 0.0
        self.steps: list[float] = []

    def on_step_begin(self, *a: Any, **kw: Any) -> None:
        self.start = time.perf_counter()

    def on_step_end(self, *a: Any, **kw: Any) -> None:
        self.steps.append(time.perf_counter() - self.start)


class ParentTimer(GRPOTrainer):  # type: ignore[misc]
    """Sits between AWPOTrainer and GRPOTrainer in the MRO: times TRL's own methods that AWPO wraps."""

    parent_s: list[float]

    def _calculate_rewards(self, *a: Any) -> Any:
        t = time.perf_counter()
        try:
            return super()._calculate_rewards(*a)
        finally:
            self.parent_s.append(time.perf_counter() - t)

    def _generate_and_score_completions(self, *a: Any) -> Any:
        t = time.perf_counter()
        try:
            return super()._generate_and_score_completions(*a)
        finally:
            self.parent_s.append(time.perf_counter() - t)

    def _compute_loss(self, *a: Any) -> Any:
        t = time.perf_counter()
        try:
            return super()._compute_loss(*a)
        finally:
            self.parent_s.append(time.perf_counter() - t)


class TimedAWPO(AWPOTrainer, ParentTimer):
    """AWPOTrainer whose overrides are timed: own = total - parent, summed per step (AWPO's added work)."""

    total_s: list[float]

    def _calculate_rewards(self, *a: Any) -> Any:
        t = time.perf_counter()
        try:
            return super()._calculate_rewards(*a)
        finally:
            self.total_s.append(time.perf_counter() - t)

    def _generate_and_score_completions(self, *a: Any) -> Any:
        t = time.perf_counter()
        try:
            return super()._generate_and_score_completions(*a)
        finally:
            self.total_s.append(time.perf_counter() - t)

    def _compute_loss(self, *a: Any) -> Any:
        t = time.perf_counter()
        try:
            return super()._compute_loss(*a)
        finally:
            self.total_s.append(time.perf_counter() - t)


class TimedJudge(JudgeReward):
    """The judge reward with its own seconds recorded (excluded from the overhead)."""

    seconds: list[float]

    def __call__(self, *a: Any, **kw: Any) -> list[float | None]:
        t = time.perf_counter()
        try:
            return super().__call__(*a, **kw)
        finally:
            self.seconds.append(time.perf_counter() - t)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--model", default="default")
    p.add_argument("--steps", type=int, default=3, help="timed steps per trainer (after one warm-up)")
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", dest="json_path")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    tmp = Path(tempfile.mkdtemp(prefix="awpo-trl-overhead-"))
    model_dir = str(resolve_model_dir(a.model))
    tasks = generate(
        GeneratorConfig(families=["weather", "currency"], per_family=16, heldout_families=[], kinds={"single": 1.0})
    ).train
    rows = task_rows(tasks[: 2 * (a.steps + 1)])
    common: dict[str, Any] = {
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 2,
        "num_generations": 4,
        "max_completion_length": a.new_tokens,
        "generation_kwargs": {"min_new_tokens": a.new_tokens},
        "max_steps": a.steps + 1,
        "learning_rate": 1e-6,
        "beta": 0.0,
        "shuffle_dataset": False,
        "gradient_checkpointing": False,
        "use_cpu": True,
        "bf16": False,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "disable_tqdm": True,
        "seed": 0,
    }
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    judge_seconds: list[float] = []
    own_s = 0.0
    for kind in ("trl", "awpo"):
        tok = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        clock = StepClock()
        if kind == "trl":
            args = trl.GRPOConfig(output_dir=str(tmp / kind), **common)
            trainer: Any = GRPOTrainer(
                model,
                [OutcomeReward("toolrl")],
                args=args,
                train_dataset=Dataset.from_list(rows),
                processing_class=tok,
            )
            trainer.reward_funcs[0].bind_tokenizer(tok)
        else:
            args = AWPOConfig(output_dir=str(tmp / kind), **common)
            judge = TimedJudge(JudgeConfig(backend="hf", model=model_dir))
            judge.seconds = judge_seconds
            trainer = TimedAWPO(
                model,
                [OutcomeReward("toolrl"), judge],
                args=args,
                train_dataset=Dataset.from_list(rows),
                processing_class=tok,
            )
            trainer.parent_s, trainer.total_s = [], []
        trainer.remove_callback(PrinterCallback)
        trainer.add_callback(clock)
        trainer.train()
        results[kind] = clock.steps
        if kind == "awpo":
            own_s = sum(trainer.total_s) - sum(trainer.parent_s)  # every step, warm-up included
        print(f"{kind}: step seconds {[round(s, 2) for s in clock.steps]}", flush=True)
    steps = a.steps + 1
    judge_per_step = judge_seconds[-steps:]  # one judge call per generation batch = per step here
    awpo_net = [s - j for s, j in zip(results["awpo"], judge_per_step, strict=True)]
    trl_t, awpo_t = results["trl"][1:], awpo_net[1:]
    figures = {
        "setup": {"model": a.model, "batch": "2x4", "new_tokens": a.new_tokens, "threads": a.threads, "fp32": True},
        "trl_step_s": {"best": min(trl_t), "median": statistics.median(trl_t)},
        "awpo_step_minus_judge_s": {"best": min(awpo_t), "median": statistics.median(awpo_t)},
        "judge_s_per_step": statistics.fmean(judge_per_step[1:]),
        "ratio_best": min(awpo_t) / min(trl_t),
        "ratio_median": statistics.median(awpo_t) / statistics.median(trl_t),
        "awpo_own_code_s_per_step": own_s / steps,
        "trl_version": trl.__version__,
        "torch": torch.__version__,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d"),
    }
    figures["awpo_own_code_frac_of_trl_step"] = figures["awpo_own_code_s_per_step"] / figures["trl_step_s"]["median"]
    print(json.dumps(figures, indent=2))
    if a.json_path:
        Path(a.json_path).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
