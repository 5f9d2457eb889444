"""`awpo train`, `awpo sft` and `awpo check`: argument parsing and error reporting."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from awpo.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ConfigError


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = sub.add_parser("train", help="train a model with AWPO (default: the embedded CPU run)")
    _config_arguments(train)
    train.add_argument("--resume", metavar="DIR", help="continue a run from its directory or a checkpoint")
    _overwrite_argument(train)
    train.set_defaults(handler=run_train)

    sft = sub.add_parser("sft", help="only the supervised warm-up on built-in demonstrations, then save")
    _config_arguments(sft)
    _overwrite_argument(sft)
    sft.set_defaults(handler=run_sft)

    check = sub.add_parser("check", help="check a config end to end in seconds before a long run")
    _config_arguments(check)
    check.add_argument(
        "--world-size", type=int, default=None, help="ranks of the planned torchrun job (default: $WORLD_SIZE or 1)"
    )
    check.add_argument(
        "--device-memory-gib", type=float, default=None, help="memory of one rank's device (default: detected)"
    )
    check.set_defaults(handler=run_check)


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", help="YAML config (default: the embedded configs/default.yaml)")
    parser.add_argument("overrides", nargs="*", help="dotted overrides, e.g. trainer.lr=1e-6 algo.advantage.gate=off")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def _overwrite_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="start over in an output.dir that holds a previous run: delete that run's files first",
    )


def _split(args: argparse.Namespace) -> tuple[str | None, list[str]]:
    """`awpo train key=value` (no file) is an override, not a config path."""
    config, overrides = args.config, list(args.overrides)
    if config is not None and "=" in config and not config.endswith((".yaml", ".yml")):
        overrides.insert(0, config)
        config = None
    return config, overrides


def _setup_logging(verbose: bool) -> None:
    import os

    from rich.logging import RichHandler

    # under torchrun only rank 0 reports progress; the other ranks say only what goes wrong
    quiet_rank = os.environ.get("RANK", "0") != "0"
    logging.basicConfig(
        level=logging.WARNING if quiet_rank else logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        datefmt="%H:%M:%S",
        handlers=[RichHandler(show_path=False, rich_tracebacks=False)],
        force=True,
    )
    for noisy in ("httpx", "urllib3", "filelock", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _load(args: argparse.Namespace, extra: list[str] | None = None) -> object:
    from awpo.config import load_config

    config, overrides = _split(args)
    return load_config(config, overrides + (extra or []))


def run_train(args: argparse.Namespace) -> int:
    _setup_logging(args.verbose)
    try:
        if args.resume and args.config is None and not args.overrides:
            cfg = _config_of_run(Path(args.resume))
        else:
            cfg = _load(args)
    except ConfigError as err:
        print(f"awpo train: invalid config\n{err}", file=sys.stderr)
        return EXIT_USAGE
    return _train(cfg, args, "awpo train")


def _train(cfg: object, args: argparse.Namespace, command: str) -> int:
    """Join the torchrun job when there is one, make the run directory safe, build the trainer, train,
    leave the job."""
    from awpo.train import distributed
    from awpo.train.trainer import Trainer

    ctx = distributed.init_distributed()
    try:
        # rank 0 alone checks (and with --overwrite cleans) the shared run directory; every rank obeys
        refusal = ctx.broadcast(_run_dir_refusal(cfg, args, command) if ctx.rank == 0 else None)
        if refusal is not None:
            print(refusal, file=sys.stderr)
            return EXIT_USAGE
        resume = getattr(args, "resume", None)
        try:
            trainer = Trainer(cfg, resume=resume, dist_ctx=ctx)  # type: ignore[arg-type]
        except ConfigError as err:
            print(f"{command}: invalid config\n{err}", file=sys.stderr)
            return EXIT_USAGE
        if ctx.launched:
            # torchrun's failure summary then names the rank and its exception, not just an exit code
            from torch.distributed.elastic.multiprocessing.errors import record

            record(trainer.train)()
        else:
            trainer.train()
    finally:
        distributed.shutdown(ctx)
    return EXIT_OK


def run_sft(args: argparse.Namespace) -> int:
    _setup_logging(args.verbose)
    try:
        cfg = _load(args, ["warmup.enabled=true", "trainer.steps=0"])
    except ConfigError as err:
        print(f"awpo sft: invalid config\n{err}", file=sys.stderr)
        return EXIT_USAGE
    return _train(cfg, args, "awpo sft")


def _run_dir_refusal(cfg: object, args: argparse.Namespace, command: str) -> str | None:
    """Why the run may not start in `output.dir` (a fresh run never mixes with a previous one's files);
    None when it may."""
    from awpo.config import TrainConfig
    from awpo.train.run_dir import RunDirError, prepare_run_dir

    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"expected a TrainConfig, got {type(cfg).__name__}")
    try:
        prepare_run_dir(
            cfg.output.dir, resume=getattr(args, "resume", None) is not None, overwrite=args.overwrite, command=command
        )
    except RunDirError as err:
        return str(err)
    return None


def run_check(args: argparse.Namespace) -> int:
    _setup_logging(args.verbose)
    try:
        cfg = _load(args)
    except ConfigError as err:
        print(f"awpo check: invalid config\n{err}", file=sys.stderr)
        return EXIT_USAGE
    import os

    from awpo.train.check import run_checks

    world_size = args.world_size or int(os.environ.get("WORLD_SIZE", "1"))
    ok = run_checks(cfg, world_size=world_size, device_memory_gib=args.device_memory_gib)  # type: ignore[arg-type]
    return EXIT_OK if ok else EXIT_FAILED


def _config_of_run(path: Path) -> object:
    """The config saved in a run's newest checkpoint (for `awpo train --resume DIR` without a config)."""
    from awpo.config import TrainConfig
    from awpo.overrides import validate
    from awpo.train.checkpoint import CheckpointManager, load_checkpoint

    if (path / "trainer_state.json").exists():
        checkpoint = load_checkpoint(path)
    else:
        found = CheckpointManager(path / "checkpoints" if (path / "checkpoints").is_dir() else path).latest()
        if found is None:
            raise ConfigError(f"--resume {path}: no valid checkpoint there")
        checkpoint = found
    return validate(TrainConfig, checkpoint.state.config, source=str(checkpoint.path))
