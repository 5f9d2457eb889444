"""`awpo bench make-rollouts` and `awpo bench run`."""

from __future__ import annotations

import argparse
import os

from awpo.errors import EXIT_OK, EXIT_USAGE


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = sub.add_parser("bench", help="benchmark the native reward pipeline (parse, outcome reward, advantages)")
    actions = bench.add_subparsers(dest="bench_command", metavar="ACTION")
    make = actions.add_parser(
        "make-rollouts", help="write a realistic rollouts JSONL (varied formats, ~10%% malformed)"
    )
    make.add_argument("-n", type=int, default=100_000, help="number of rollouts (default 100000)")
    make.add_argument("--group-size", type=int, default=8)
    make.add_argument("--seed", type=int, default=0)
    make.add_argument("-o", "--output", default="-", help="output file (default stdout)")
    make.set_defaults(handler=run_make)
    run = actions.add_parser("run", help="time each stage on a rollouts file or on generated rollouts")
    run.add_argument("--file", help="rollouts JSONL ({group, text, answer, tools, truncated?} per line)")
    run.add_argument("-n", type=int, default=20_000, help="generated rollouts when no --file (default 20000)")
    run.add_argument("--kind", default="toolrl", choices=["toolrl", "exact", "bfcl"])
    run.add_argument("--repeat", type=int, default=3, help="best of N runs per stage")
    run.add_argument("--serial", action="store_true", help="one thread (AWPO_PARALLELISM=0)")
    run.set_defaults(handler=run_bench)

    def usage(_: argparse.Namespace) -> int:
        bench.print_help()
        return EXIT_USAGE

    bench.set_defaults(handler=usage)


def run_make(args: argparse.Namespace) -> int:
    from awpo.bench.rollouts import main

    return main(["-n", str(args.n), "--group-size", str(args.group_size), "--seed", str(args.seed), "-o", args.output])


def run_bench(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from awpo.bench.pipeline import parallelism, read_rollouts, run_pipeline
    from awpo.bench.rollouts import generate

    rows = read_rollouts(args.file) if args.file else list(generate(args.n))
    parallelism(not args.serial)
    timings = run_pipeline(rows, kind=args.kind, repeat=args.repeat)
    threads = "1 thread" if args.serial else f"rayon, {os.environ.get('RAYON_NUM_THREADS', os.cpu_count())} threads"
    table = Table(title=f"awpo bench: {len(rows)} rollouts, {timings[0].megabytes:.1f} MB, {threads}")
    for column in ("stage", "ms", "rollouts/s", "MB/s"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for t in timings:
        table.add_row(t.stage, f"{t.seconds * 1e3:.1f}", f"{t.rollouts_per_s:,.0f}", f"{t.mb_per_s:,.1f}")
    Console().print(table)
    return EXIT_OK
