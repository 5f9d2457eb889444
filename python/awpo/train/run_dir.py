"""One run per run directory: a fresh run never writes into a directory that holds another run's files.

`output.dir` holds one run (docs/DESIGN.md "Run directory"). A second fresh run there would append its
metrics to the first run's `metrics.jsonl`, replace its summary and plot, add TensorBoard events beside the
first run's and keep its checkpoints, so a later `--resume` would continue the first run under the second
run's config. `prepare_run_dir` is called by `awpo train` and `awpo sft` before anything is loaded:
- `--resume`: the directory is the run being continued; nothing is checked or removed;
- a directory without run files (missing, empty, or holding only other files): the run starts;
- run files present: `RunDirError` naming `--resume` and `--overwrite`, unless `overwrite` is set, in
  which case exactly those run files are deleted (other files, and whatever a symlink points to, stay).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from awpo.errors import AwpoError
from awpo.train.eval_records import EVALS_DIR
from awpo.train.tracking import METRICS_FILE, TENSORBOARD_DIR

logger = logging.getLogger(__name__)

CHECKPOINTS_DIR = "checkpoints"
SUMMARY_FILE = "summary.json"
PLOT_FILE = "training_curves.png"
REFERENCE_POLICY_FILE = "reference_policy.safetensors"
"""The KL reference policy's weights, written after the warm-up (`awpo.train.reference`)."""
RUN_FILES: tuple[str, ...] = (
    METRICS_FILE,
    TENSORBOARD_DIR,
    CHECKPOINTS_DIR,
    SUMMARY_FILE,
    PLOT_FILE,
    EVALS_DIR,
    REFERENCE_POLICY_FILE,
)
"""What a run writes into its directory, and all that `--overwrite` deletes."""


class RunDirError(AwpoError):
    """A fresh run was pointed at a directory that holds another run's files."""


def run_files(run_dir: str | Path) -> list[Path]:
    """The run files present in `run_dir` (empty directories do not count: they hold nothing to mix)."""
    root = Path(run_dir)
    found = []
    for name in RUN_FILES:
        path = root / name
        if path.is_symlink() or path.is_file() or (path.is_dir() and any(path.iterdir())):
            found.append(path)
    return found


def prepare_run_dir(run_dir: str | Path, *, resume: bool = False, overwrite: bool = False, command: str) -> None:
    """Make `run_dir` safe for a run: see the module docstring.

    Raises:
        RunDirError: run files are present and neither `resume` nor `overwrite` is set, both are set, or
            `run_dir` is a file.
    """
    root = Path(run_dir)
    if resume and overwrite:
        raise RunDirError(f"{command}: --resume and --overwrite contradict each other; use one")
    if root.exists() and not root.is_dir():
        raise RunDirError(f"{command}: output.dir={root} is a file, not a directory; choose another output.dir")
    if resume:
        return
    found = run_files(root)
    if not found:
        return
    if not overwrite:
        names = ", ".join(p.name + ("/" if p.is_dir() and not p.is_symlink() else "") for p in found)
        raise RunDirError(
            f"{command}: output.dir={root} already holds a run ({names}). A new run there would mix with it.\n"
            f"  continue that run:    awpo train --resume {root}\n"
            f"  start over:           add --overwrite (deletes only {', '.join(RUN_FILES)} there)\n"
            f"  or keep both:         choose another output.dir=..."
        )
    for path in found:
        _remove(path)
    logger.info("--overwrite: removed the previous run's files from %s (%s)", root, ", ".join(p.name for p in found))


def _remove(path: Path) -> None:
    """Deletes one run file or directory; a symlink is unlinked, never followed."""
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)


__all__ = ["CHECKPOINTS_DIR", "PLOT_FILE", "RUN_FILES", "SUMMARY_FILE", "RunDirError", "prepare_run_dir", "run_files"]
