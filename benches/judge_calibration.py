"""Judge calibration and throughput per backend (issue 14): a benchmark script, not a test.

    python benches/judge_calibration.py --backends rubric hf --pairs 24 --seed 0
    python benches/judge_calibration.py --backends openai --base-url http://127.0.0.1:8000/v1 --model judge

For each backend: the calibration of `awpo judge calibrate` on the default config's built-in tasks (AUC per
corruption kind, pooled AUC, rho) and items/s over the whole probe batch; for `rubric` also items/s on a
large batch (`--rubric-items`, probes repeated), where the native batch and its rayon pool dominate.
Prints one markdown row per backend.
"""

from __future__ import annotations

import argparse
import time

from awpo.config import load_config
from awpo.rewards.judge import Judge, JudgeConfig
from awpo.rewards.judge.calibration import CORRUPTIONS, build_probes, calibrate
from awpo.train.judge_cli import probe_tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", nargs="+", default=["rubric"], choices=["rubric", "hf", "openai"])
    parser.add_argument("--pairs", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rubric-items", type=int, default=20_000)
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    tasks, source = probe_tasks(load_config())
    probes = build_probes(tasks, pairs_per_kind=args.pairs, seed=args.seed)  # type: ignore[arg-type]
    header = ["backend", "items", "items/s", *CORRUPTIONS, "all", "rho"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for backend in args.backends:
        config = JudgeConfig(backend=backend, base_url=args.base_url, model=args.model)
        with Judge.from_config(config) as judge:
            report = calibrate(judge, probes, seed=args.seed, source=source)
            aucs = {k.kind: f"{k.auc:.3f}" for k in report.kinds}
            row = [backend, str(report.items), f"{report.items_per_s:,.1f}"]
            row += [aucs.get(kind, "-") for kind in CORRUPTIONS] + [f"{report.auc:.3f}", f"{report.rho:.3f}"]
            print("| " + " | ".join(row) + " |", flush=True)
            if backend == "rubric":
                items = [p.right for p in probes] + [p.wrong for p in probes]
                batch = (items * (args.rubric_items // len(items) + 1))[: args.rubric_items]
                best = float("inf")
                for _ in range(5):
                    t0 = time.perf_counter()
                    judge.score(batch)
                    best = min(best, time.perf_counter() - t0)
                print(f"rubric, {len(batch):,} items in one batch: {len(batch) / best:,.0f} items/s (best of 5)")


if __name__ == "__main__":
    main()
