"""The `awpo` command line: `awpo train | sft | check | eval | ablate | bench | judge`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from awpo import __version__
from awpo.ablate import cli as ablate_cli
from awpo.bench import cli as bench_cli
from awpo.errors import EXIT_USAGE
from awpo.eval import cli as eval_cli
from awpo.train import cli as train_cli
from awpo.train import judge_cli

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="awpo",
        description="AWPO: reinforcement learning that teaches language models to use tools.",
    )
    parser.add_argument("--version", action="version", version=f"awpo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    train_cli.add_parsers(sub)
    eval_cli.add_parser(sub)
    ablate_cli.add_parser(sub)

    bench_cli.add_parser(sub)
    judge_cli.add_parser(sub)
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse `argv`; for commands that ask for it (`awpo ablate CONFIG --seeds 0 key=value`), dotted
    overrides may also follow the options."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        if getattr(args, "overrides_anywhere", False) and all("=" in e and not e.startswith("-") for e in extra):
            args.overrides = [*args.overrides, *extra]
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse_args(parser, argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
