"""`awpo ablate CONFIG --estimators awpo,grpo,naive_sum --seeds 0,1,2 [--out DIR] [key=value ...]`."""

from __future__ import annotations

import argparse
import logging
import shlex
import sys

from awpo.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ConfigError

DEFAULT_EVAL_SIZE = 64


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ablate",
        help="compare advantage estimators on equal terms over seeds, with confidence intervals",
        description=(
            "Per seed: one warm-up (awpo sft), then each estimator's AWPO run from its checkpoint with the same "
            "data order, budget and held-out tasks. Writes results.json, results.md and curves.png in --out. "
            "Rerunning the same command skips finished runs and continues interrupted ones."
        ),
    )
    parser.add_argument("config", nargs="?", help="YAML config (default: the embedded configs/default.yaml)")
    parser.add_argument("overrides", nargs="*", help="dotted overrides for every run, e.g. trainer.steps=4")
    parser.add_argument(
        "--estimators", default="awpo,grpo,naive_sum", help="comma-separated algo.advantage.estimator values"
    )
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated trainer.seed values")
    parser.add_argument("--out", default="runs/ablate", help="ablation directory (default: runs/ablate)")
    parser.add_argument(
        "--eval-size",
        type=int,
        default=DEFAULT_EVAL_SIZE,
        help=f"held-out tasks, stratified over task kinds (data.eval_size; default {DEFAULT_EVAL_SIZE})",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: write results.md/.json and curves.png from the runs finished so far",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.set_defaults(handler=run_ablate, overrides_anywhere=True)


def run_ablate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from awpo.ablate.report import RESULTS_MD, write_results
    from awpo.ablate.runner import Ablation, AblationError, parse_list, parse_seeds

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s", force=True)
    config, overrides = args.config, list(args.overrides)
    if config is not None and "=" in config and not config.endswith((".yaml", ".yml")):
        overrides.insert(0, config)
        config = None
    if args.eval_size < 1:
        print("awpo ablate: --eval-size must be >= 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        ablation = Ablation(
            config=config,
            overrides=[f"data.eval_size={args.eval_size}", *overrides],  # an explicit data.eval_size= wins
            estimators=parse_list(args.estimators, "--estimators"),
            seeds=parse_seeds(args.seeds),
            out=Path(args.out),
        )
        outcomes = [] if args.report_only else ablation.run()
    except (AblationError, ConfigError) as err:
        print(err, file=sys.stderr)
        return EXIT_USAGE
    command = shlex.join(
        [
            *("awpo", "ablate", *([config] if config else []), *overrides),
            *("--estimators", ",".join(ablation.estimators), "--seeds", ",".join(map(str, ablation.seeds))),
            *("--out", str(args.out), "--eval-size", str(args.eval_size)),
        ]
    )
    write_results(ablation, command=command, outcomes=outcomes)
    print((ablation.out / RESULTS_MD).read_text(encoding="utf-8"))
    bad = [o for o in outcomes if o.status in ("failed", "stopped", "not run")]
    for o in bad:
        print(f"awpo ablate: seed {o.seed} {o.name}: {o.status}. {o.message}", file=sys.stderr)
    if bad:
        print("awpo ablate: rerun the same command to continue the unfinished runs", file=sys.stderr)
    return EXIT_FAILED if bad else EXIT_OK
