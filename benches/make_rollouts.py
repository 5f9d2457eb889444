"""Writes the benchmark rollouts JSONL (see `awpo.bench.rollouts`); same as `awpo bench make-rollouts`."""

from awpo.bench.rollouts import generate, main

__all__ = ["generate", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
