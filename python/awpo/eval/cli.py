"""`awpo eval`: BFCL v4 (official checkers) and the built-in held-out tasks, on one model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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
from awpo.errors import EXIT_FAILED, EXIT_USAGE, AwpoError

if TYPE_CHECKING:
    from awpo.eval.bfcl import Bfcl
    from awpo.eval.decode import Decoder
    from awpo.eval.generation import EvalPolicy


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `eval` subcommand."""
    p = sub.add_parser(
        "eval",
        help="evaluate a model on BFCL and the built-in held-out tasks",
        description=(
            "Evaluate a model (the embedded default, a Hugging Face directory, an awpo checkpoint or run "
            "directory, or a GGUF file) on BFCL v4 with BFCL's official checkers, and on awpo's built-in "
            "held-out tool families. Prompts are rendered and generated exactly as in training (the trainer's "
            "renderer, a rollout engine, token ids in and out). BFCL data is never used for training."
        ),
    )
    p.add_argument(
        "model_arg",
        nargs="?",
        default=None,
        metavar="MODEL",
        help="the model (same as --model)",
    )
    p.add_argument(
        "--model",
        default=None,
        help="Hugging Face model directory, awpo checkpoint (runs/NAME/checkpoints/step-000012), awpo run "
        "directory (runs/NAME: its latest checkpoint), .gguf file, or hub id (default: the embedded default "
        "model, SmolLM2-135M-Instruct)",
    )
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
    p.add_argument("--decoder", default="awpo", choices=["awpo", "bfcl-hermes"], help="how BFCL outputs become calls")
    p.add_argument(
        "--engine",
        default="auto",
        choices=["auto", "hf", "vllm"],
        help="rollout engine: vllm, hf (transformers), or auto (vllm when it imports, else hf; default)",
    )
    p.add_argument("--batch-size", type=int, default=8, help="conversations per engine call (default: 8)")
    p.add_argument("--max-new-tokens", type=int, default=256, help="generation budget per assistant turn")
    p.add_argument(
        "--max-total-tokens",
        type=int,
        default=None,
        help="most tokens in a conversation (default: the model's context, max_position_embeddings)",
    )
    p.add_argument(
        "--max-tool-response-tokens",
        type=int,
        default=256,
        help="each tool result is cut to this many tokens, as in training (default: 256)",
    )
    p.add_argument("--max-turns", type=int, default=4, help="most generated turns of a built-in task (default: 4)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto, for the hf engine")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own choice)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The `awpo eval` handler."""
    console = Console(stderr=True)
    try:
        return _run(args, console)
    except (AwpoError, ValueError, ImportError) as e:  # ImportError: --engine vllm without vllm
        console.print(f"awpo eval: {e}", style="red", markup=False, soft_wrap=True)
        return EXIT_USAGE if isinstance(e, ValueError) and not isinstance(e, AwpoError) else EXIT_FAILED


def _run(args: argparse.Namespace, console: Console) -> int:
    from awpo.eval.bfcl import expand_categories, import_bfcl
    from awpo.eval.decode import make_decoder
    from awpo.eval.generation import load_policy
    from awpo.eval.model import resolve_eval_model
    from awpo.eval.report import print_tables, write_json

    for flag in ("limit", "batch_size", "max_new_tokens", "max_total_tokens", "max_tool_response_tokens", "max_turns"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be >= 1, got {value}")
    if args.model_arg is not None and args.model is not None and args.model_arg != args.model:
        raise ValueError(f"two models given: {args.model_arg!r} and --model {args.model!r}; give one")
    names = [c.strip() for c in args.categories.split(",") if c.strip() and c.strip() != "none"]
    categories = expand_categories(names)
    if args.builtin not in ("heldout", "validation", "none"):
        raise ValueError(f"--builtin must be heldout, validation or none, got {args.builtin!r}")
    bfcl = import_bfcl() if categories else None
    decoder = make_decoder(args.decoder)
    model = resolve_eval_model(args.model if args.model is not None else args.model_arg)
    for skipped in model.skipped:
        console.print(f"skipped a damaged checkpoint: {skipped}", style="yellow", markup=False, soft_wrap=True)
    step = f" (step {model.step})" if model.step is not None else ""
    console.print(f"loading {model.source}{step} from {model.path} with engine {args.engine} ...", markup=False)
    policy = load_policy(
        model,
        engine=args.engine,
        device=args.device,
        threads=args.threads,
        max_new_tokens=args.max_new_tokens,
        max_total_tokens=args.max_total_tokens,
        max_tool_response_tokens=args.max_tool_response_tokens,
        max_turns=args.max_turns,
    )
    try:
        console.print(
            f"engine {policy.engine.name}, tools via {policy.renderer.tool_mode}, "
            f"context {policy.config.max_total_tokens} tokens"
        )
        report: JsonDict = {
            "model": model.to_json(),
            "engine": policy.engine.name,
            "tool_mode": policy.renderer.tool_mode,
            "decoder": args.decoder,
            "limit": args.limit,
            "budgets": {
                "max_new_tokens": policy.config.max_new_tokens,
                "max_total_tokens": policy.config.max_total_tokens,
                "max_tool_response_tokens": policy.config.max_tool_response_tokens,
                "max_turns": policy.config.max_turns,
            },
        }
        _evaluate(args, console, policy, bfcl, decoder, categories, report)
    finally:
        policy.close()
    report["generation"] = policy.stats.to_json()
    if policy.stats.overflows:
        console.print(
            f"[yellow]{policy.stats.overflows} conversations outgrew the context "
            f"({policy.config.max_total_tokens} tokens) and were stopped there[/yellow]"
        )
    print_tables(report, Console())
    path = write_json(args.output, report)
    console.print(f"report written to {path}")
    disagreements = report.get("bfcl", {}).get("official_disagreements")
    if disagreements:
        console.print(
            f"[red]{len(disagreements)} verdicts differ from the official bfcl evaluate: {disagreements[:10]}[/red]"
        )
        return EXIT_FAILED
    return 0


def _evaluate(
    args: argparse.Namespace,
    console: Console,
    policy: EvalPolicy,
    bfcl: Bfcl | None,
    decoder: Decoder,
    categories: list[str],
    report: JsonDict,
) -> None:
    from awpo.data.generator import GeneratorConfig, generate
    from awpo.eval.bfcl import official_verdicts
    from awpo.eval.builtin import run_builtin
    from awpo.eval.runner import run_bfcl
    from awpo.rollout.tools import SandboxTools
    from awpo.tools.builtin import all_tools
    from awpo.tools.sandbox import Sandbox

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
                bfcl,
                policy,
                decoder,
                categories,
                limit=args.limit,
                chunk=args.batch_size,
                progress=update,
                results_root=results_root,
            )
            report["bfcl"] = bfcl_report.to_json()
            if args.official and results_root is not None:
                official = official_verdicts(results_root, [s.category for s in bfcl_report.scores])
                ours = {e.id: e.verdict.valid for e in bfcl_report.entries}
                report["bfcl"]["official_disagreements"] = sorted(i for i in ours if official.get(i) != ours[i])
        if args.builtin != "none":
            splits = generate(GeneratorConfig(seed=args.seed, per_family=args.builtin_per_family))
            tasks_to_run = splits.get(args.builtin)[: args.limit] if args.limit else splits.get(args.builtin)
            with Sandbox(all_tools()) as sandbox:  # the trainer's tool runner: one sandbox session per task
                builtin = run_builtin(
                    policy, tasks_to_run, SandboxTools(sandbox), chunk=args.batch_size, progress=update
                )
            report["builtin"] = builtin.to_json()
            report["builtin"]["split"] = args.builtin


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
