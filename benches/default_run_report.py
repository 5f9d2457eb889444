"""Held-out results of the embedded default run over several seeds (issue 8 §1). Not a test.

Runs `awpo train` (configs/default.yaml, any overrides you pass) once per seed, reads each run's
`summary.json`, and reports held-out exact-call accuracy, outcome reward and reasoning reward at
start, after the supervised warm-up and after AWPO: per seed, then mean and standard deviation.

    python benches/default_run_report.py                      # seeds 0 1 2, runs under runs/report
    python benches/default_run_report.py --seeds 0 1 2 --out runs/report -- rollout.engine=hf

Writes `<out>/report.json` and `<out>/report.md` (the table pasted into docs/BENCHMARKS.md).
A seed whose run fails is reported with its exit status; the others still count.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from awpo import metric_names as m

STAGES = ("start", "after warm-up", "after AWPO")
COLUMNS = {
    m.EVAL_EXACT_CALL_ACC: "exact-call acc",
    m.EVAL_EXACT_CALL_ACC_CALL_TASKS: "exact-call acc (call tasks)",
    m.EVAL_REWARD_OUTCOME_MEAN: "outcome",
    m.EVAL_REWARD_REASONING_MEAN: "reasoning",
    m.EVAL_WELL_FORMED_CALL_FRAC: "well-formed",
}


def run_seed(seed: int, out: Path, overrides: list[str]) -> dict[str, Any]:
    run_dir = out / f"seed-{seed}"
    cmd = [
        sys.executable,
        "-m",
        "awpo",
        "train",
        "--overwrite",  # a re-run of the report measures afresh
        f"trainer.seed={seed}",
        f"output.dir={run_dir}",
        "output.progress=false",
        *overrides,
    ]
    print("$", " ".join(cmd), flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False)
    wall = time.perf_counter() - start
    summary_path = run_dir / "summary.json"
    if proc.returncode != 0 or not summary_path.exists():
        return {"seed": seed, "returncode": proc.returncode, "wall_s": wall, "evals": {}}
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    return {"seed": seed, "returncode": 0, "wall_s": wall, "evals": summary.get("evals", {})}


def _fmt(values: list[float]) -> str:
    finite = [v for v in values if isinstance(v, float) and math.isfinite(v)]
    if not finite:
        return "n/a"
    if len(finite) == 1:
        return f"{finite[0]:.3f}"
    return f"{statistics.mean(finite):.3f} ± {statistics.stdev(finite):.3f}"


def markdown(results: list[dict[str, Any]]) -> str:
    ok = [r for r in results if r["returncode"] == 0]
    lines = [
        f"| stage | {' | '.join(COLUMNS.values())} |",
        f"|---|{'---:|' * len(COLUMNS)}",
    ]
    for stage in STAGES:
        cells = [_fmt([float(r["evals"].get(stage, {}).get(key, math.nan)) for r in ok]) for key in COLUMNS]
        lines.append(f"| {stage} (mean ± sd, {len(ok)} seeds) | {' | '.join(cells)} |")
    lines.append("")
    lines.append("| seed | wall (s) | " + " | ".join(f"{s}: exact / outcome" for s in STAGES) + " |")
    lines.append("|---:|---:|" + "---|" * len(STAGES))
    for r in results:
        if r["returncode"] != 0:
            lines.append(f"| {r['seed']} | {r['wall_s']:.0f} | failed (exit {r['returncode']}) |")
            continue
        cells = []
        for stage in STAGES:
            e = r["evals"].get(stage, {})
            cells.append(
                f"{e.get('eval/exact_call_acc', math.nan):.3f} / {e.get('eval/reward/outcome/mean', math.nan):.3f}"
            )
        lines.append(f"| {r['seed']} | {r['wall_s']:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("runs/report"))
    parser.add_argument("overrides", nargs="*", help="config overrides passed to every run (after --)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = [run_seed(seed, args.out, args.overrides) for seed in args.seeds]
    (args.out / "report.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    table = markdown(results)
    (args.out / "report.md").write_text(table, encoding="utf-8")
    print(table)
    return 0 if any(r["returncode"] == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
