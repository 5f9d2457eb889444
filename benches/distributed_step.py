"""The update and weight-sync part of an AWPO step with 1 and 2 ranks (torchrun, FSDP2) at equal per-rank
work, with the share of the time spent in collectives (issue 12).

    python benches/distributed_step.py                       # CPU: gloo, 1 thread per rank
    python benches/distributed_step.py --rows-per-rank 8 --json runs/distributed_step.json

The script launches itself under `torchrun --nproc-per-node N` for each N of `--ranks`. Each rank builds
the real trainer (`awpo.train.trainer.Trainer`, FSDP2 per decoder layer) and then, per step, runs on
`--rows-per-rank` injected rollouts of its own (prompt `--prompt-tokens`, completion `--new-tokens`, the
same lengths on every rank, groups of 2, fixed advantages): the policy update (`Trainer._update`: one
optimizer step over the global batch, micro-batches of `--micro`) and the weight sync to the rank's own
hf engine (`Trainer._sync_weights`, parameters gathered one at a time). Rollouts, judge and rewards are
left out: they are per rank and communicate nothing. Equal per-rank work means the global batch grows
with N, so perfect scaling keeps the step time constant: `scaling` = t(1 rank) / t(N ranks).

The communication share is the time of the c10d collectives (all-gather, reduce-scatter, all-reduce,
their waits) measured by the torch profiler on rank 0, over the step's wall time. On this 2-core machine
two ranks share the cores, so no speed-up is possible here; the figures show the overhead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMM_MARKERS = ("all_gather", "allgather", "reduce_scatter", "allreduce", "all_reduce", "c10d::", "gloo", "nccl")


def _worker(args: argparse.Namespace) -> None:
    import numpy as np
    import torch
    from torch.profiler import ProfilerActivity, profile

    from awpo.algo.advantages import advantages, uniform_offsets
    from awpo.config import load_config
    from awpo.train import distributed as dp
    from awpo.train.sequences import pack
    from awpo.train.trainer import Trainer

    torch.set_num_threads(args.threads)
    ctx = dp.init_distributed()
    rows = args.rows_per_rank * ctx.world_size
    cfg = load_config(
        None,
        [
            f"model.name_or_path={args.model}",
            "model.autocast=off",
            "rollout.engine=hf",
            f"rollout.prompts_per_step={rows // 2}",
            "rollout.group_size=2",
            f"trainer.minibatch_size={rows}",
            f"trainer.micro_batch_size={args.micro}",
            "judge.backend=openai",
            "judge.model=unused",
            "judge.base_url=http://127.0.0.1:9/v1",
            "warmup.enabled=false",
            "eval.at_start=false",
            "output.tensorboard=false",
            f"output.dir={args.out}/run-{ctx.world_size}",
            f"data.max_prompt_tokens={args.prompt_tokens + 400}",
            "rollout.loop.max_total_tokens=4096",
        ],
    )
    trainer = Trainer(cfg, dist_ctx=ctx)
    gen = torch.Generator().manual_seed(ctx.rank)
    vocab = len(trainer.tokenizer)
    prompts = [torch.randint(3, vocab, (args.prompt_tokens,), generator=gen).tolist() for _ in range(rows // 2)]
    local = [prompts[i // 2] for i in range(args.rows_per_rank)]
    completions = [torch.randint(3, vocab, (args.new_tokens,), generator=gen).tolist() for _ in local]
    batch = pack(
        local,
        completions,
        [[1] * args.new_tokens for _ in local],
        [[-1.0] * args.new_tokens for _ in local],
        pad_id=trainer.pad_id,
    )
    outcome = np.linspace(0.0, 1.0, args.rows_per_rank)
    adv = advantages(
        outcome,
        outcome[::-1].copy(),
        uniform_offsets(args.rows_per_rank, 2),
        cfg.algo.advantage,
        outcome_range=(0.0, 1.0),
    )
    walls, comms = [], []
    for step in range(args.steps + 1):
        ctx.barrier()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            start = time.perf_counter()
            trainer._update(step + 1, batch, None, None, adv)
            trainer._sync_weights()
            ctx.barrier()
            wall = time.perf_counter() - start
        comm_us = sum(
            e.self_cpu_time_total for e in prof.key_averages() if any(k in e.key.lower() for k in COMM_MARKERS)
        )
        if step > 0:  # the first step is a warm-up
            walls.append(wall)
            comms.append(comm_us / 1e6)
    if ctx.is_main:
        result = {
            "ranks": ctx.world_size,
            "rows_per_rank": args.rows_per_rank,
            "step_s": float(np.mean(walls)),
            "step_s_all": walls,
            "comm_s": float(np.mean(comms)),
            "comm_share": float(np.mean(comms) / np.mean(walls)),
            "tokens_per_s": rows * (args.prompt_tokens + args.new_tokens) / float(np.mean(walls)),
        }
        Path(args.out, f"result-{ctx.world_size}.json").write_text(json.dumps(result))
    trainer.close()
    dp.shutdown(ctx)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default", help="policy (default: the embedded SmolLM2-135M-Instruct)")
    parser.add_argument("--ranks", default="1,2", help="world sizes to measure")
    parser.add_argument("--rows-per-rank", type=int, default=4)
    parser.add_argument("--micro", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3, help="timed steps (after one warm-up)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per rank")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if "WORLD_SIZE" in os.environ:
        _worker(args)
        return
    results = []
    with tempfile.TemporaryDirectory() as out:
        for n in [int(x) for x in args.ranks.split(",")]:
            cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(n), __file__]
            for name in ("model", "rows_per_rank", "micro", "prompt_tokens", "new_tokens", "steps", "threads"):
                cmd += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
            cmd += ["--out", out]
            subprocess.run(cmd, check=True, env={**os.environ, "OMP_NUM_THREADS": str(args.threads)})
            results.append(json.loads(Path(out, f"result-{n}.json").read_text()))
    base = results[0]["step_s"]
    print(f"{'ranks':>5} {'rows/rank':>9} {'step s':>8} {'comm s':>8} {'comm %':>7} {'tokens/s':>9} {'scaling':>8}")
    for r in results:
        r["scaling"] = base / r["step_s"]
        print(
            f"{r['ranks']:>5} {r['rows_per_rank']:>9} {r['step_s']:>8.2f} {r['comm_s']:>8.2f} "
            f"{100 * r['comm_share']:>6.1f}% {r['tokens_per_s']:>9.0f} {r['scaling']:>8.2f}"
        )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
