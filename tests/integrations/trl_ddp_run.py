"""Run by `test_trl_ddp.py` under `torchrun --nproc-per-node 2` (gloo, CPU): 2 AWPOTrainer steps.

Each rank writes `rank<k>.json` to argv[2]: its gathered reward matrices, its slice and its advantages at
every generation batch, and (rank 0) TRL's log history. Rewards are plain TRL reward functions of the
completion ids, so they differ across completions, ranks and steps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import trl_support  # noqa: F401  (imports TRL quietly)
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer

from awpo.integrations.trl import AWPOConfig, AWPOTrainer


def outcome(prompts: Any, completions: Any, completion_ids: list[list[int]], **_: Any) -> list[float]:
    return [float(sum(ids) % 3) / 2 for ids in completion_ids]  # in {0, 0.5, 1}


outcome.reward_range = (0.0, 1.0)  # type: ignore[attr-defined]


def judge(prompts: Any, completions: Any, completion_ids: list[list[int]], **_: Any) -> list[float | None]:
    return [None if sum(ids) % 5 == 0 else (sum(ids) % 7) / 6 for ids in completion_ids]


class Recorder(AWPOTrainer):
    def _generate_and_score_completions(self, inputs: Any) -> dict[str, Any]:
        out = super()._generate_and_score_completions(inputs)
        assert self.awpo_last is not None
        self.records.append(
            {
                "rewards": self.awpo_last.rewards.tolist(),
                "start": self.awpo_last.local.start,
                "stop": self.awpo_last.local.stop,
                "advantages": out["advantages"].tolist(),
            }
        )
        return out


def main() -> None:
    model_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    prompts = [[{"role": "user", "content": f"Question {k}: what is {k}+3?"}] for k in range(8)]
    args = AWPOConfig(
        output_dir=str(out_dir / "trainer"),
        use_cpu=True,
        bf16=False,
        report_to="none",
        per_device_train_batch_size=2,
        gradient_accumulation_steps=1,  # generation batch: 2 ranks x 2 = 4 = one group of 4
        num_generations=4,  # so the group spans both ranks
        max_completion_length=12,
        max_steps=2,
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        seed=0,
        judge_reward="judge",
        ddp_backend="gloo",
    )
    trainer = Recorder(
        model,
        [outcome, judge],
        args=args,
        train_dataset=Dataset.from_list([{"prompt": p} for p in prompts]),
        processing_class=tok,
    )
    trainer.records = []
    trainer.train()
    rank = dist.get_rank() if dist.is_initialized() else 0
    payload = {
        "rank": rank,
        "world": dist.get_world_size() if dist.is_initialized() else 1,
        "global_step": trainer.state.global_step,
        "records": trainer.records,
        "log_history": trainer.state.log_history,
    }
    (out_dir / f"rank{rank}.json").write_text(json.dumps(payload), encoding="utf-8")


if __name__ == "__main__":
    main()
