"""`awpo eval`: BFCL v4 (official checkers) and the built-in held-out tasks, on one model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from awpo.data.convert import JsonDict
from awpo.errors import AwpoError

EXIT_USAGE = 2
EXIT_FAILURE = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `eval` subcommand."""
    p = sub.add_parser(
        "eval",
        help="evaluate a model on BFCL and the built-in held-out tasks",
        description=(
            "Evaluate a model (Hugging Face directory or awpo checkpoint) on BFCL v4 with BFCL's official "
            "checkers, and on awpo's built-in held-out tool families. BFCL data is never used for training."
        ),
    )
    p.add_argument("model", help="Hugging Face model directory or awpo checkpoint directory")
    p.add_argument(
        "--categories",
        default="single_turn",
        help="comma-separated BFCL categories or groups (all, single_turn, non_live, live, multi_turn); "
        "'none' skips BFCL (default: single_turn)",
    )
    p.add_argument("--limit", type=int, default=None, help="evaluate only the first N entries of each category/split")
    p.add_argument("--builtin", default="heldout", help="built-in split to evaluate (heldout, validation, none)")
    p.add_argument("--builtin-per-family", type=int, default=20, help="built-in tasks generated per family")
    p.add_argument("--seed", type=int, default=0, help="seed of the built-in task generator")
    p.add_argument("--output", default="awpo-eval.json", help="JSON report path (default: awpo-eval.json)")
    p.add_argument("--results-dir", default=None, help="also write official BFCL result files here")
    p.add_argument(
        "--official",
        action="store_true",
        help="re-score the result files with the official `bfcl evaluate` and report any disagreement",
    )
    p.add_argument("--decoder", default="awpo", choices=["awpo", "bfcl-hermes"], help="how outputs become calls")
    p.add_argument("--batch-size", type=int, default=8, help="generation batch size")
    p.add_argument("--max-new-tokens", type=int, default=256, help="generation budget per assistant turn")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own choice)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The `awpo eval` handler."""
    console = Console(stderr=True)
    try:
        return _run(args, console)
    except (AwpoError, ValueError) as e:
        console.print(f"[red]awpo eval: {e}[/red]")
        return EXIT_USAGE if isinstance(e, ValueError) and not isinstance(e, AwpoError) else EXIT_FAILURE


def _run(args: argparse.Namespace, console: Console) -> int:
    from awpo.data.generator import GeneratorConfig, generate
    from awpo.eval.bfcl import expand_categories, import_bfcl, official_verdicts
    from awpo.eval.builtin import run_builtin
    from awpo.eval.decode import make_decoder
    from awpo.eval.generation import HFGenerator
    from awpo.eval.report import print_tables, write_json
    from awpo.eval.runner import run_bfcl

    if args.limit is not None and args.limit < 1:
        raise ValueError(f"--limit must be >= 1, got {args.limit}")
    names = [c.strip() for c in args.categories.split(",") if c.strip() and c.strip() != "none"]
    categories = expand_categories(names)
    if args.builtin not in ("heldout", "validation", "none"):
        raise ValueError(f"--builtin must be heldout, validation or none, got {args.builtin!r}")
    if not Path(args.model).is_dir():
        raise ValueError(f"model directory {args.model!r} does not exist")
    bfcl = import_bfcl() if categories else None
    decoder = make_decoder(args.decoder)
    console.print(f"loading {args.model} ...")
    generator = HFGenerator(
        args.model, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, device=args.device
    )
    report: JsonDict = {"model": str(args.model), "decoder": args.decoder, "limit": args.limit}
    with _progress(console) as progress:
        tasks: dict[str, TaskID] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=total)
            progress.update(tasks[name], completed=done)
            if progress.disable:  # no terminal (CI logs): one line per finished chunk
                console.print(f"{name}: {done}/{total}")

        if bfcl is not None:
            results_root = Path(args.results_dir) if args.results_dir else None
            if args.official and results_root is None:
                results_root = bfcl.project_root
            bfcl_report = run_bfcl(
                bfcl, generator, decoder, categories, limit=args.limit, progress=update, results_root=results_root
            )
            report["bfcl"] = bfcl_report.to_json()
            if args.official and results_root is not None:
                official = official_verdicts(results_root, [s.category for s in bfcl_report.scores])
                ours = {e.id: e.verdict.valid for e in bfcl_report.entries}
                report["bfcl"]["official_disagreements"] = sorted(i for i in ours if official.get(i) != ours[i])
        if args.builtin != "none":
            splits = generate(GeneratorConfig(seed=args.seed, per_family=args.builtin_per_family))
            tasks_to_run = splits.get(args.builtin)[: args.limit] if args.limit else splits.get(args.builtin)
            report["builtin"] = run_builtin(generator, decoder, tasks_to_run, progress=update).to_json()
            report["builtin"]["split"] = args.builtin
    report["generation"] = {"generated_tokens": generator.generated_tokens, "context_overflows": generator.overflows}
    if generator.overflows:
        console.print(
            f"[yellow]{generator.overflows} prompts exceeded the model's context and were answered with ''[/yellow]"
        )
    print_tables(report, Console())
    path = write_json(args.output, report)
    console.print(f"report written to {path}")
    disagreements = report.get("bfcl", {}).get("official_disagreements")
    if disagreements:
        console.print(
            f"[red]{len(disagreements)} verdicts differ from the official bfcl evaluate: {disagreements[:10]}[/red]"
        )
        return EXIT_FAILURE
    return 0


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not sys.stderr.isatty(),
    )
