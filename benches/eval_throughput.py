"""Benchmark: `awpo eval` throughput (entries/s) on BFCL, split into generation and checking.

Runs the real evaluation (HF generation, awpo decoding, BFCL's official checkers in-process) on the
first `--limit` entries of each category, then re-scores the same result files with the official
`bfcl evaluate` CLI (the baseline: a subprocess, as users run it). It first asserts that both give
the same verdict for every entry, then reports:

- generation s and checking s per category, entries/s end to end;
- in-process checking entries/s vs the official CLI's entries/s on the same files.

    python benches/eval_throughput.py --model DIR [--categories simple_python,irrelevance,multi_turn_base]
        [--limit 8] [--batch-size 8] [--max-new-tokens 128] [--decoder awpo|bfcl-hermes]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from awpo.eval.bfcl import expand_categories, import_bfcl, official_verdicts
from awpo.eval.decode import make_decoder
from awpo.eval.generation import Conversation, HFGenerator
from awpo.eval.runner import run_bfcl


class CpuTimed:
    """Wraps a generator to add up the process CPU time spent generating (steadier than wall time
    on a shared machine)."""

    def __init__(self, generator: HFGenerator) -> None:
        self.generator = generator
        self.cpu_s = 0.0

    def generate(self, conversations: Sequence[Conversation]) -> list[str]:
        start = time.process_time()
        try:
            return self.generator.generate(conversations)
        finally:
            self.cpu_s += time.process_time() - start


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="HF model directory (the default model: SmolLM2-135M-Instruct)")
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
    generator = HFGenerator(
        args.model, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, device=args.device
    )
    load_s = time.perf_counter() - t0
    root = Path(tempfile.mkdtemp(prefix="awpo-eval-bench-"))

    t0 = time.perf_counter()
    timed = CpuTimed(generator)
    cpu0 = time.process_time()
    report = run_bfcl(bfcl, timed, decoder, categories, limit=args.limit, chunk=args.batch_size, results_root=root)
    cpu_total = time.process_time() - cpu0
    wall_s = time.perf_counter() - t0

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
        "model": args.model,
        "decoder": args.decoder,
        "threads": args.threads,
        "entries": n,
        "generations": sum(s.generations for s in report.scores),
        "generated_tokens": generator.generated_tokens,
        "context_overflows": generator.overflows,
        "bfcl_import_s": round(import_s, 2),
        "model_load_s": round(load_s, 2),
        "wall_s": round(wall_s, 2),
        "generation_s": round(gen_s, 2),
        "generation_cpu_s": round(timed.cpu_s, 2),
        "other_cpu_s": round(cpu_total - timed.cpu_s, 3),  # loading BFCL entries, decoding, checking
        "checking_s": round(check_s, 3),
        "entries_per_s": round(n / wall_s, 3),
        "generation_tokens_per_s": round(generator.generated_tokens / gen_s, 1) if gen_s else 0.0,
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
