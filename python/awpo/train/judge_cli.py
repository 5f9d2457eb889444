"""`awpo judge calibrate [CONFIG]`: how well the configured judge tells right reasoning from wrong."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from awpo.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ConfigError

EXIT_WEAK = EXIT_FAILED  # the judge falls short of TARGET_AUC on some corruption

logger = logging.getLogger("awpo.judge")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    judge = sub.add_parser("judge", help="reasoning-judge tools (calibrate)")
    judge_sub = judge.add_subparsers(dest="judge_command", metavar="COMMAND", required=True)
    cal = judge_sub.add_parser("calibrate", help="score right vs corrupted reasoning with the configured judge")
    cal.add_argument("config", nargs="?", help="YAML config (default: the embedded configs/default.yaml)")
    cal.add_argument("overrides", nargs="*", help="dotted overrides, e.g. judge.backend=rubric")
    cal.add_argument("--pairs", type=int, default=24, help="probes per corruption kind (default 24)")
    cal.add_argument("--seed", type=int, default=0, help="seed of the probes (default 0)")
    cal.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH ('-': stdout)")
    cal.set_defaults(handler=run_calibrate)


def probe_tasks(cfg: object) -> tuple[list[object], str]:
    """Tasks with recorded reasoning for `cfg`: the user's training data when it has some, else the built-in ones."""
    from awpo.config import TrainConfig
    from awpo.data.generator import generate

    assert isinstance(cfg, TrainConfig)
    if cfg.data.train != "builtin":
        from awpo.train.tasks import load_train_tasks

        tasks = [t for t in load_train_tasks(cfg.data) if t.meta.get("reasoning")]
        if len(tasks) >= 8:
            return list(tasks), f"data.train ({cfg.data.train})"
        logger.warning("data.train has %d task(s) with recorded reasoning; using the built-in tasks", len(tasks))
    splits = generate(cfg.data.builtin)
    return [*splits.train, *splits.validation, *splits.heldout], "built-in generator"


def calibration_table(report: object) -> Table:
    """The report as a rich table, one row per corruption kind and one pooled."""
    from awpo.rewards.judge.calibration import TARGET_AUC, CalibrationReport

    assert isinstance(report, CalibrationReport)
    table = Table(title=f"judge calibration: {report.backend} ({report.model}), {report.source}, seed {report.seed}")
    for col in ("corruption", "pairs", "AUC", "paired acc", "right mean", "wrong mean", "spread"):
        table.add_column(col, justify="left" if col == "corruption" else "right", no_wrap=True)
    for k in report.kinds:
        color = "green" if k.auc >= TARGET_AUC else ("yellow" if k.auc >= 0.6 else "red")
        table.add_row(
            k.kind,
            str(k.pairs),
            f"[{color}]{k.auc:.3f}[/]",
            f"{k.paired_accuracy:.3f}",
            f"{k.right_mean:.3f}",
            f"{k.wrong_mean:.3f}",
            f"{k.spread:.3f}",
        )
    table.add_row("all", str(report.items // 2), f"{report.auc:.3f}", f"{report.paired_accuracy:.3f}", "", "", "")
    digits = 0 if report.items_per_s >= 100 else 2
    table.caption = (
        f"{report.items} items in {report.seconds:.2f} s ({report.items_per_s:,.{digits}f} items/s); "
        f"reliability rho = 2*AUC-1 = {report.rho:.3f}"
    )
    return table


def run_calibrate(args: argparse.Namespace) -> int:
    from awpo.config import load_config
    from awpo.rewards.judge import Judge
    from awpo.rewards.judge.calibration import TARGET_AUC, build_probes, calibrate

    config, overrides = args.config, list(args.overrides)
    if config is not None and "=" in config and not config.endswith((".yaml", ".yml")):
        overrides.insert(0, config)
        config = None
    try:
        cfg = load_config(config, overrides)
    except ConfigError as err:
        print(f"awpo judge calibrate: invalid config\n{err}", file=sys.stderr)
        return EXIT_USAGE
    tasks, source = probe_tasks(cfg)
    probes = build_probes(tasks, pairs_per_kind=args.pairs, seed=args.seed)  # type: ignore[arg-type]
    with Judge.from_config(cfg.judge) as judge:
        report = calibrate(judge, probes, seed=args.seed, source=source)
    console = Console(stderr=args.json == "-")
    console.width = max(console.width, 100)  # the table's columns must not be cut in a pipe or log
    console.print(calibration_table(report))
    for warning in report.warnings:
        console.print(f"[bold red]warning:[/] {warning}")
    if args.json:
        text = json.dumps(report.to_json(), indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return EXIT_OK if report.min_auc >= TARGET_AUC else EXIT_WEAK
