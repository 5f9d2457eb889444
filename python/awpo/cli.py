"""The `awpo` command line: `awpo train | sft | eval | check | bench`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from awpo import __version__
from awpo.eval import cli as eval_cli

EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


def _not_built(command: str) -> Handler:
    def run(_: argparse.Namespace) -> int:
        print(f"awpo {command}: not available in awpo {__version__} yet.", file=sys.stderr)
        return EXIT_USAGE

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="awpo",
        description="AWPO: reinforcement learning that teaches language models to use tools.",
    )
    parser.add_argument("--version", action="version", version=f"awpo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = sub.add_parser("train", help="train a model with AWPO (default: the embedded CPU run)")
    train.add_argument("config", nargs="?", help="YAML config (default: the embedded configs/default.yaml)")
    train.add_argument("overrides", nargs="*", help="dotted overrides, e.g. trainer.lr=1e-6 algo.gate=off")
    train.set_defaults(handler=_not_built("train"))

    eval_cli.add_parser(sub)

    check = sub.add_parser("check", help="check a config end to end in seconds before a long run")
    check.add_argument("config", nargs="?")
    check.set_defaults(handler=_not_built("check"))

    bench = sub.add_parser("bench", help="benchmark the reward pipeline")
    bench.set_defaults(handler=_not_built("bench"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
