"""`awpo ablate`: the arms of an ablation on equal terms, one run directory each, resumable.

Layout of the ablation directory (`--out`):
- `ablation.json`: the resolved base config every run derives from (a rerun with another config is refused);
- `seed-<s>/warmup/`: `awpo sft` with `trainer.seed=s`, evaluated at start and after the warm-up; its
  checkpoint is the starting point of every arm of seed `s`;
- `seed-<s>/<estimator>/`: `awpo train` from that checkpoint with `algo.advantage.estimator=<estimator>`,
  no warm-up, the same seed (so the same task order), budget and held-out set, evaluated after its last step;
- `seed-<s>/<name>.log`: the output of every attempt of that run;
- `results.json`, `results.md`, `curves.png` (`awpo.ablate.report`).

Every run is a subprocess (`python -m awpo train ...`): a crash is reported with its log and the other
runs go on. A run is finished when its `summary.json` records its last step and its final evaluation. On
a rerun a finished run is skipped, a run with a checkpoint is continued with `awpo train --resume` (the
config saved in the checkpoint, so nothing mixes), and a run killed before its first checkpoint starts
over (`--overwrite`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awpo.config import TrainConfig, load_config
from awpo.errors import AwpoError
from awpo.train.checkpoint import Checkpoint, CheckpointManager
from awpo.train.eval_records import EVALS_DIR, label_file
from awpo.train.run_dir import CHECKPOINTS_DIR, SUMMARY_FILE, run_files

logger = logging.getLogger("awpo.ablate")

SPEC_FILE = "ablation.json"
WARMUP = "warmup"
WARMUP_LABEL = "after warm-up"
START_LABEL = "start"
FINAL_LABEL = "after AWPO"
LOG_TAIL_CHARS = 3000


class AblationError(AwpoError):
    """The ablation cannot run as asked (another ablation in the directory, bad arguments)."""


@dataclass(frozen=True)
class RunPlan:
    """One run of the ablation: the warm-up of a seed, or one arm of a seed."""

    seed: int
    name: str  # WARMUP or the estimator
    run_dir: Path
    overrides: tuple[str, ...]  # on top of the ablation's config (a fresh start)
    final_label: str  # the evaluation that marks the run finished

    @property
    def log_path(self) -> Path:
        return self.run_dir.parent / f"{self.name}.log"

    @property
    def is_warmup(self) -> bool:
        return self.name == WARMUP


@dataclass
class RunOutcome:
    """What happened to one run in this invocation."""

    seed: int
    name: str
    status: str  # "skipped" (finished before), "finished", "failed", "stopped", "not run"
    attempt: str = ""  # "fresh", "resume", "overwrite"
    returncode: int | None = None
    seconds: float = 0.0
    log: str = ""
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "arm": self.name,
            "status": self.status,
            "attempt": self.attempt,
            "returncode": self.returncode,
            "seconds": round(self.seconds, 1),
            "log": self.log,
            "message": self.message,
        }


@dataclass
class Ablation:
    """The arms x seeds of one ablation and where they live."""

    config: str | None
    overrides: list[str]
    estimators: list[str]
    seeds: list[int]
    out: Path
    outcomes: list[RunOutcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.estimators or not self.seeds:
            raise AblationError("awpo ablate: give at least one estimator (--estimators) and one seed (--seeds)")
        if len(set(self.estimators)) != len(self.estimators) or len(set(self.seeds)) != len(self.seeds):
            raise AblationError("awpo ablate: --estimators and --seeds must not repeat a value")
        if WARMUP in self.estimators:
            raise AblationError(f"awpo ablate: {WARMUP!r} is the warm-up's directory, not an estimator")
        self.base = load_config(self.config, self.overrides)  # validates the config and overrides now
        if self.base.trainer.steps < 1:
            raise AblationError("awpo ablate: trainer.steps must be >= 1 (the arms are AWPO runs)")
        for estimator in self.estimators:  # validates each arm's estimator before anything runs
            load_config(self.config, [*self.overrides, f"algo.advantage.estimator={estimator}"])

    # ------------------------------------------------------------------------------------------
    def seed_dir(self, seed: int) -> Path:
        return self.out / f"seed-{seed}"

    def warmup_plan(self, seed: int) -> RunPlan:
        run_dir = self.seed_dir(seed) / WARMUP
        overrides = (
            "warmup.enabled=true",
            "trainer.steps=0",
            f"trainer.seed={seed}",
            "eval.at_start=true",
            f"output.dir={run_dir}",
        )
        return RunPlan(seed, WARMUP, run_dir, overrides, WARMUP_LABEL)

    def arm_plan(self, seed: int, estimator: str, warm_checkpoint: Path) -> RunPlan:
        run_dir = self.seed_dir(seed) / estimator
        overrides = (
            f"model.name_or_path={warm_checkpoint}",
            "warmup.enabled=false",
            f"algo.advantage.estimator={estimator}",
            f"trainer.seed={seed}",
            # the warm-up's evaluation is this arm's starting point: evaluate only at the end
            "eval.at_start=false",
            "eval.at_end=true",
            f"output.dir={run_dir}",
        )
        return RunPlan(seed, estimator, run_dir, overrides, FINAL_LABEL)

    def check_spec(self) -> None:
        """Write `ablation.json`, or refuse when the directory holds an ablation of another config."""
        spec = {"config": self.config, "overrides": self.overrides, "base": _defining(self.base)}
        path = self.out / SPEC_FILE
        if path.exists():
            previous = json.loads(path.read_text(encoding="utf-8"))
            if previous.get("base") != spec["base"]:
                raise AblationError(
                    f"awpo ablate: {self.out} holds an ablation of another config "
                    f"({previous.get('config')} {' '.join(previous.get('overrides', []))}); its runs would mix "
                    "with these. Rerun that command to continue it, or choose another --out."
                )
        self.out.mkdir(parents=True, exist_ok=True)
        recorded = {**spec, "estimators": self.estimators, "seeds": self.seeds}
        path.write_text(json.dumps(recorded, indent=1), encoding="utf-8")

    # ------------------------------------------------------------------------------------------
    def run(self) -> list[RunOutcome]:
        """Every warm-up and arm not finished yet, seed by seed; returns what happened to each."""
        self.check_spec()
        self.outcomes = []
        for seed in self.seeds:
            warm = self.warmup_plan(seed)
            outcome = self._run(warm)
            if outcome.status == "stopped":
                break
            checkpoint = _latest_checkpoint(warm.run_dir) if outcome.status in ("skipped", "finished") else None
            if checkpoint is None:
                for estimator in self.estimators:
                    reason = f"the warm-up of seed {seed} did not finish"
                    self.outcomes.append(RunOutcome(seed, estimator, "not run", message=reason))
                continue
            stopped = False
            for estimator in self.estimators:
                if self._run(self.arm_plan(seed, estimator, checkpoint)).status == "stopped":
                    stopped = True
                    break
            if stopped:
                break
        return self.outcomes

    def _run(self, plan: RunPlan) -> RunOutcome:
        if is_finished(plan.run_dir, plan.final_label):
            outcome = RunOutcome(plan.seed, plan.name, "skipped", log=str(plan.log_path))
            logger.info("seed %d %s: finished before, skipped", plan.seed, plan.name)
            self.outcomes.append(outcome)
            return outcome
        command, attempt = self._command(plan)
        logger.info("seed %d %s: %s run in %s (log: %s)", plan.seed, plan.name, attempt, plan.run_dir, plan.log_path)
        plan.log_path.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        interrupted = False
        with plan.log_path.open("a", encoding="utf-8") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {attempt}: {' '.join(command)}\n")
            log.flush()
            env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
            with subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env) as proc:
                try:
                    returncode = proc.wait()
                except KeyboardInterrupt:
                    # the run got the same signal: it stops after a checkpoint; wait for it, then stop too
                    interrupted = True
                    returncode = _wait_through_interrupts(proc)
        seconds = time.perf_counter() - start
        finished = returncode == 0 and is_finished(plan.run_dir, plan.final_label)
        status = "finished" if finished else "stopped" if interrupted else "failed"
        message = "" if finished else _failure_message(plan, returncode)
        outcome = RunOutcome(plan.seed, plan.name, status, attempt, returncode, seconds, str(plan.log_path), message)
        if status == "finished":
            logger.info("seed %d %s: finished (%.0f s)", plan.seed, plan.name, seconds)
        else:
            logger.error("seed %d %s: %s\n%s", plan.seed, plan.name, status, message)
        self.outcomes.append(outcome)
        return outcome

    def _command(self, plan: RunPlan) -> tuple[list[str], str]:
        """The `awpo train` command that continues or starts `plan`, and which of the two it is."""
        base = [sys.executable, "-m", "awpo", "train"]
        if _latest_checkpoint(plan.run_dir) is not None:
            return [*base, "--resume", str(plan.run_dir)], "resume"
        if plan.is_warmup:
            base[-1] = "sft"
        config = [self.config] if self.config is not None else []
        attempt = "overwrite" if run_files(plan.run_dir) else "fresh"
        flags = ["--overwrite"] if attempt == "overwrite" else []
        return [*base, *config, *self.overrides, *plan.overrides, *flags], attempt


def is_finished(run_dir: Path, final_label: str) -> bool:
    """Whether the run in `run_dir` ran to its end: `summary.json` holds `final_label`'s evaluation and the
    run's last step, and the evaluation's per-task records are on disk."""
    summary_path = run_dir / SUMMARY_FILE
    if not summary_path.is_file() or not (run_dir / EVALS_DIR / label_file(final_label)).is_file():
        return False
    checkpoint = _latest(run_dir)
    if checkpoint is None:
        return False
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        target = int(checkpoint.state.config["trainer"]["steps"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return final_label in summary.get("evals", {}) and int(summary.get("steps", -1)) >= target


def _latest(run_dir: Path) -> Checkpoint | None:
    """The run's newest checkpoint that verifies."""
    return CheckpointManager(run_dir / CHECKPOINTS_DIR).latest() if (run_dir / CHECKPOINTS_DIR).is_dir() else None


def _latest_checkpoint(run_dir: Path) -> Path | None:
    found = _latest(run_dir)
    return found.path if found is not None else None


def _wait_through_interrupts(proc: subprocess.Popen[bytes]) -> int:
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue


def _failure_message(plan: RunPlan, returncode: int | None) -> str:
    tail = (
        plan.log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:] if plan.log_path.exists() else ""
    )
    how = f"exit code {returncode}" if returncode else "it ended before its last step or final evaluation"
    return f"{how}; rerun the same command to continue it. Last lines of {plan.log_path}:\n{tail}"


def _defining(cfg: TrainConfig) -> dict[str, Any]:
    """The config minus what differs between the runs of one ablation: where each run writes, its seed and
    its estimator."""
    data = cfg.model_dump(mode="json")
    data["output"].pop("dir")
    data["trainer"].pop("seed")
    data["algo"]["advantage"].pop("estimator")
    return data


def parse_list(text: str, what: str) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise AblationError(f"awpo ablate: {what} is empty")
    return items


def parse_seeds(text: str) -> list[int]:
    try:
        return [int(x) for x in parse_list(text, "--seeds")]
    except ValueError as err:
        raise AblationError(f"awpo ablate: --seeds takes integers separated by commas, got {text!r}") from err


__all__ = ["Ablation", "AblationError", "RunOutcome", "RunPlan", "is_finished"]
