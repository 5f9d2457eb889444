"""One update of the trainer on fixed, injected rollouts; run by `test_distributed.py`, under torchrun
(`torchrun --nproc-per-node N dist_worker.py OUT CONFIG_OVERRIDES...`) or as a plain process (1 rank).

Writes to OUT: `params-<aggregation>.pt` (the full parameters after the update, from rank 0),
`metrics-<aggregation>.json` (the update's metrics, reduced across ranks),
`greedy-<aggregation>-rank<r>.json` (each rank's engine after the weight sync: greedy tokens, their
log-probs and, for the hf engine, the last position's logits)
and, for the first aggregation, a checkpoint under OUT/run-<aggregation>. An `algo.loss.aggregation=`
override runs that aggregation alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from awpo.algo.advantages import advantages, uniform_offsets
from awpo.config import load_config
from awpo.rollout.engine import SamplingParams
from awpo.train import distributed as dp
from awpo.train.sequences import SequenceBatch, pack
from awpo.train.trainer import Trainer

GLOBAL_ROWS = 8
GROUP = 2
AGGREGATIONS = ("token-mean", "seq-mean-token-sum-norm")
PROBE = [[5, 17, 33, 2, 9, 41]]


def fixed_rollouts(vocab: int, pad_id: int) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
    """The global batch: groups of GROUP rows share a prompt; completions of varied lengths, and masks
    with a tool-observation gap, so the normalisers differ between ranks."""
    gen = torch.Generator().manual_seed(1234)
    prompts, completions, masks = [], [], []
    for row in range(GLOBAL_ROWS):
        if row % GROUP == 0:
            prompt = torch.randint(3, vocab, (5 + row,), generator=gen).tolist()
        length = 3 + (row * 5) % 7
        completion = torch.randint(3, vocab, (length,), generator=gen).tolist()
        mask = [1] * length
        if length > 4:
            mask[1:3] = [0, 0]  # a tool observation inside the completion
        prompts.append(prompt)
        completions.append(completion)
        masks.append(mask)
    return prompts, completions, masks


def local_batch(trainer: Trainer) -> tuple[SequenceBatch, object]:
    ctx = trainer.dist
    prompts, completions, masks = fixed_rollouts(len(trainer.tokenizer), trainer.pad_id)
    per_rank = GLOBAL_ROWS // ctx.world_size
    rows = range(ctx.rank * per_rank, (ctx.rank + 1) * per_rank)
    batch = pack(
        [prompts[i] for i in rows],
        [completions[i] for i in rows],
        [masks[i] for i in rows],
        [[-1.0] * len(completions[i]) for i in rows],
        pad_id=trainer.pad_id,
    )
    outcome = [0.1 * ((i * 7) % 5) for i in rows]
    reasoning = [0.2 * ((i * 3) % 4) for i in rows]
    adv = advantages(
        outcome,
        reasoning,
        uniform_offsets(per_rank, GROUP),
        trainer.cfg.algo.advantage,
        outcome_range=(0.0, 1.0),
    )
    return batch, adv


def main() -> None:
    out = Path(sys.argv[1])
    overrides = sys.argv[2:]
    ctx = dp.init_distributed()
    asked = [o.split("=", 1)[1] for o in overrides if o.startswith("algo.loss.aggregation=")]
    for n, aggregation in enumerate(asked or AGGREGATIONS):
        run = out / f"run-{aggregation}"
        cfg = load_config(None, [*overrides, f"algo.loss.aggregation={aggregation}", f"output.dir={run}"])
        trainer = Trainer(cfg, dist_ctx=ctx)
        batch, adv = local_batch(trainer)
        logp_old = None if trainer.single_update else trainer._logprobs(trainer.model, batch)
        update_metrics, _ = trainer._update(1, batch, logp_old, None, adv)  # type: ignore[arg-type]
        update_metrics = dp.reduce_metrics(update_metrics, ctx)
        trainer._sync_weights()
        probe = trainer.engine.generate(PROBE, SamplingParams(temperature=0.0, max_new_tokens=8))
        engine_model = getattr(trainer.engine, "model", None)  # the hf engine's torch model (vLLM: a path)
        logits = None
        if isinstance(engine_model, torch.nn.Module):
            with torch.no_grad():
                logits = engine_model(torch.tensor(PROBE)).logits[0, -1].tolist()
        (out / f"greedy-{aggregation}-rank{ctx.rank}.json").write_text(
            json.dumps({"tokens": probe[0].token_ids, "logprobs": probe[0].logprobs, "logits": logits})
        )
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        full = (
            get_model_state_dict(trainer.model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
            if ctx.launched
            else {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
        )
        if ctx.is_main:
            torch.save(full, out / f"params-{aggregation}.pt")
            (out / f"metrics-{aggregation}.json").write_text(json.dumps(update_metrics))
        if n == 0:
            trainer.save(1, {})
        trainer.close()
    dp.shutdown(ctx)


if __name__ == "__main__":
    main()
