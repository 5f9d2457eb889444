"""Per-step metrics: buffered like TRL (append per step, mean at log time), then written to a JSONL
file, TensorBoard, and Weights & Biases when it is installed and enabled."""

from __future__ import annotations

import json
import logging
import math
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, TextIO

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"
TENSORBOARD_DIR = "tensorboard"


class MetricsBuffer:
    """`buffer.add(name, value)` during a step; `buffer.flush()` returns the means (NaN skipped) and clears."""

    def __init__(self) -> None:
        self._values: dict[str, list[float]] = defaultdict(list)

    def add(self, name: str, value: float) -> None:
        self._values[name].append(float(value))

    def update(self, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            self.add(name, value)

    def flush(self, prefix: str = "") -> dict[str, float]:
        out: dict[str, float] = {}
        for name, values in self._values.items():
            finite = [v for v in values if not math.isnan(v)]
            out[prefix + name] = sum(finite) / len(finite) if finite else math.nan
        self._values.clear()
        return out


class MetricsTracker:
    """Writes each logged step to every enabled sink. Sinks that fail are disabled with a warning;
    the JSONL file is the record of truth and is flushed after every line."""

    def __init__(
        self,
        output_dir: str | Path,
        *,
        tensorboard: bool = True,
        wandb_project: str | None = None,
        run_name: str | None = None,
        config: dict[str, Any] | None = None,
        resume_step: int | None = None,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.output_dir / METRICS_FILE
        if resume_step is not None:
            _truncate_after(self.path, resume_step)
        self._file: TextIO = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._tb: Any = None
        self._wandb: Any = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(log_dir=str(self.output_dir / TENSORBOARD_DIR), purge_step=resume_step)
            except Exception as err:  # tensorboard missing or broken: keep training
                logger.warning("TensorBoard logging disabled: %s", err)
        if wandb_project:
            try:
                import wandb

                self._wandb = wandb.init(project=wandb_project, name=run_name, config=config, resume="allow")
            except Exception as err:
                logger.warning("wandb logging disabled: %s", err)

    def log(self, step: int, metrics: dict[str, float]) -> None:
        record = {"step": step, "time": time.time(), **{k: _json_float(v) for k, v in metrics.items()}}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        if self._tb is not None:
            for name, value in metrics.items():
                if math.isfinite(value):
                    self._tb.add_scalar(name, value, step)
        if self._wandb is not None:
            try:
                self._wandb.log(metrics, step=step)
            except Exception as err:
                logger.warning("wandb logging disabled after an error: %s", err)
                self._wandb = None

    def close(self) -> None:
        self._file.close()
        if self._tb is not None:
            self._tb.close()
        if self._wandb is not None:
            self._wandb.finish()


class NullTracker:
    """The tracker of ranks other than 0 under torchrun: metrics are reduced across ranks and written by
    rank 0 alone (`awpo.train.distributed.reduce_metrics`)."""

    def __init__(self, output_dir: str | Path) -> None:
        self.path = Path(output_dir) / METRICS_FILE

    def log(self, step: int, metrics: dict[str, float]) -> None:
        """Nothing: rank 0 writes."""

    def close(self) -> None:
        """Nothing to release."""


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The records of a metrics JSONL file; a torn last line (a killed run) is ignored."""
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _truncate_after(path: Path, step: int) -> None:
    """On resume, drop records logged after the checkpoint's step so the file has no duplicates."""
    if not path.exists():
        return
    kept = [r for r in read_metrics(path) if int(r.get("step", 0)) <= step]
    path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
