"""Benchmark: `awpo eval` throughput (entries/s) on BFCL, split into generation and checking.

Runs the real evaluation (the trainer's renderer, a rollout engine from token ids, awpo decoding,
BFCL's official checkers in-process) on the first `--limit` entries of each category, then re-scores
the same result files with the official `bfcl evaluate` CLI (the baseline: a subprocess, as users run
it). It first asserts that both give the same verdict for every entry, then reports:

- generation s (wall and CPU) and checking s per category, entries/s end to end;
- in-process checking entries/s vs the official CLI's entries/s on the same files.

    python benches/eval_throughput.py [--model DIR] [--engine auto|hf|vllm]
        [--categories simple_python,irrelevance,multi_turn_base] [--limit 8] [--batch-size 8]
        [--max-new-tokens 128] [--decoder awpo|bfcl-hermes] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from awpo.eval.bfcl import expand_categories, import_bfcl, official_verdicts
from awpo.eval.decode import make_decoder
from awpo.eval.generation import load_policy
from awpo.eval.model import resolve_eval_model
from awpo.eval.runner import run_bfcl


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="model (default: the embedded default, SmolLM2-135M-Instruct)")
    p.add_argument("--engine", default="auto", choices=["auto", "hf", "vllm"])
    p.add_argument("--categories", default="simple_python,parallel,irrelevance,live_simple,multi_turn_base")
    p.add_argument("--limit", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--decoder", default="awpo", choices=["awpo", "bfcl-hermes"])
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--json", default=None, help="write the figures here as JSON")
    args = p.parse_args()

    categories = expand_categories(args.categories.split(","))
    t0 = time.perf_counter()
    bfcl = import_bfcl()
    import_s = time.perf_counter() - t0
    decoder = make_decoder(args.decoder)
    t0 = time.perf_counter()
    model = resolve_eval_model(args.model)
    policy = load_policy(
        model, engine=args.engine, device=args.device, threads=args.threads, max_new_tokens=args.max_new_tokens
    )
    load_s = time.perf_counter() - t0
    root = Path(tempfile.mkdtemp(prefix="awpo-eval-bench-"))

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    try:
        report = run_bfcl(
            bfcl, policy, decoder, categories, limit=args.limit, chunk=args.batch_size, results_root=root
        )
    finally:
        policy.close()
    cpu_total = time.process_time() - cpu0
    wall_s = time.perf_counter() - t0
    stats = policy.stats

    t0 = time.perf_counter()
    official = official_verdicts(root, categories)
    official_s = time.perf_counter() - t0
    ours = {e.id: e.verdict.valid for e in report.entries}
    mismatched = sorted(i for i in ours if official.get(i) != ours[i])
    assert not mismatched, f"awpo and the official bfcl evaluate disagree on {mismatched}"

    n = len(report.entries)
    gen_s = sum(s.generation_s for s in report.scores)
    check_s = sum(s.checking_s for s in report.scores)
    rows = [
        {**s.to_json(), "entries_per_s": round(s.total / (s.generation_s + s.checking_s), 3) if s.total else 0.0}
        for s in report.scores
    ]
    figures = {
        "model": model.path,
        "engine": policy.engine.name,
        "decoder": args.decoder,
        "threads": args.threads,
        "entries": n,
        "generations": sum(s.generations for s in report.scores),
        "generated_tokens": stats.generated_tokens,
        "context_overflows": stats.overflows,
        "bfcl_import_s": round(import_s, 2),
        "model_load_s": round(load_s, 2),
        "wall_s": round(wall_s, 2),
        "generation_s": round(gen_s, 2),
        "generation_cpu_s": round(stats.cpu_seconds, 2),  # this process only (vLLM on CPU runs in it too)
        "other_cpu_s": round(cpu_total - stats.cpu_seconds, 3),  # loading BFCL entries, rendering, checking
        "checking_s": round(check_s, 3),
        "entries_per_s": round(n / wall_s, 3),
        "generation_tokens_per_s": round(stats.generated_tokens / gen_s, 1) if gen_s else 0.0,
        "checking_entries_per_s": round(n / check_s, 1) if check_s else 0.0,
        "official_cli_s": round(official_s, 2),
        "official_cli_entries_per_s": round(n / official_s, 2),
        "checking_speedup_vs_official_cli": round(official_s / check_s, 1) if check_s else 0.0,
        "verdicts_agree": True,
        "categories": rows,
    }
    print(json.dumps(figures, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
