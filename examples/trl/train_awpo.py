"""Train the embedded default model (SmolLM2-135M-Instruct) on awpo's built-in tool tasks with TRL + AWPO.

    pip install -e ".[train,trl]"
    python examples/trl/train_awpo.py --steps 3                       # CPU, a few steps, local hf judge
    python examples/trl/train_awpo.py --judge none --steps 2          # no judge: outcome-only advantages
    accelerate launch --config_file examples/trl/ddp.yaml examples/trl/train_awpo.py --gpu --steps 200
    accelerate launch --config_file examples/trl/fsdp2.yaml examples/trl/train_awpo.py --gpu --steps 200
    accelerate launch --config_file examples/trl/zero3.yaml examples/trl/train_awpo.py --gpu --steps 200
    # vLLM: colocated in each training process, or a separate `trl vllm-serve` (see docs/INTEGRATIONS.md)
    accelerate launch --config_file examples/trl/ddp.yaml examples/trl/train_awpo.py --gpu --vllm colocate
    CUDA_VISIBLE_DEVICES=0 trl vllm-serve --model <hf dir printed at start> &
    CUDA_VISIBLE_DEVICES=1 accelerate launch --num_processes 1 examples/trl/train_awpo.py --gpu --vllm server

The tasks' tools run through TRL's own `tools=` loop, each call executed in awpo's sandbox. SmolLM2's chat
template has no tool support, so the script gives the tokenizer TRL's Qwen2.5 template (ChatML as
well, with tools and a tool-call parser TRL knows). The raw model rarely emits a well-formed call (awpo's
`awpo train` runs a supervised warm-up first): expect low rewards in a few steps; this shows the wiring.
Measured on the shared 2-core CPU machine (2026-12-03): `--steps 1 --judge none` ran in 7 min 16 s (8
completions of up to 96 tokens behind a long tool prompt, then TRL's tool round), reward -3, no call made.
"""

from __future__ import annotations

import argparse
import logging
import warnings
from pathlib import Path

with warnings.catch_warnings():  # TRL warns at import when vLLM is newer than it was tested with
    warnings.simplefilter("ignore")
    import trl

from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer

from awpo.data.generator import GeneratorConfig, generate
from awpo.integrations.trl import AWPOConfig, AWPOTrainer, JudgeReward, OutcomeReward, sandbox_tools, task_rows
from awpo.integrations.trl import tool_names as task_tool_names
from awpo.model import resolve_model_dir
from awpo.rewards.judge import JudgeConfig
from awpo.tools import Sandbox
from awpo.tools.builtin import FAMILIES, all_tools


def main() -> None:
    p = argparse.ArgumentParser(description="AWPO inside TRL on awpo's built-in tool tasks")
    p.add_argument("--model", default="default", help="awpo model source (default: the embedded SmolLM2-135M)")
    p.add_argument("--families", default="weather,currency", help="built-in task/tool families, comma-separated")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--group", type=int, default=4, help="completions per prompt (num_generations)")
    p.add_argument("--new-tokens", type=int, default=96)
    p.add_argument("--judge", choices=("hf", "openai", "none"), default="hf")
    p.add_argument("--judge-model", default=None, help="hf: a model dir (default: the embedded model); openai: name")
    p.add_argument("--judge-url", default=None, help="openai: base URL up to /v1")
    p.add_argument("--estimator", default="awpo", choices=("awpo", "grpo", "naive_sum", "norm_sum"))
    p.add_argument("--gpu", action="store_true", help="train on GPUs (bf16) instead of the CPU")
    p.add_argument("--vllm", choices=("colocate", "server"), default=None, help="generate with vLLM (GPU)")
    p.add_argument("--output", default="runs/trl-awpo")
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO)

    families = [f.strip() for f in a.families.split(",") if f.strip()]
    splits = generate(GeneratorConfig(families=families, per_family=16, heldout_families=[], kinds={"single": 1.0}))
    tasks = splits.train
    model_dir = str(resolve_model_dir(a.model))
    print(f"model: {model_dir}; {len(tasks)} tasks of {', '.join(families)}")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.chat_template = (Path(trl.__file__).parent / "chat_templates" / "qwen2_5.jinja").read_text()
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="float32")

    rewards: list[object] = [OutcomeReward("toolrl")]
    if a.judge == "hf":
        rewards.append(JudgeReward(JudgeConfig(backend="hf", model=a.judge_model)))
    elif a.judge == "openai":
        rewards.append(JudgeReward(JudgeConfig(backend="openai", model=a.judge_model, base_url=a.judge_url)))

    args = AWPOConfig(
        output_dir=a.output,
        advantage={"estimator": a.estimator},
        eta=0.5,
        num_generations=a.group,
        per_device_train_batch_size=a.group,
        gradient_accumulation_steps=2,  # 2 prompts per step (per device)
        max_completion_length=a.new_tokens,
        max_tool_calling_iterations=2,
        max_steps=a.steps,
        learning_rate=1e-6,
        beta=0.0,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=not a.gpu,
        bf16=a.gpu,
        use_vllm=a.vllm is not None,
        vllm_mode=a.vllm or "colocate",
    )
    # the task families whose tool module has the same name (not python -> python_exec, calendar -> calendar_tools)
    with Sandbox(all_tools([f for f in families if f in FAMILIES])) as sandbox:
        trainer = AWPOTrainer(
            model,
            rewards,
            args=args,
            train_dataset=Dataset.from_list(task_rows(tasks)),
            processing_class=tokenizer,
            tools=sandbox_tools(sandbox, task_tool_names(tasks)),
        )
        trainer.train()
    for row in trainer.state.log_history:
        if "loss" in row:
            keys = (
                "reward",
                "awpo/gate/mean",
                "awpo/reasoning_share/mean",
                "judge/failure_frac",
                "tools/call_frequency",
            )
            print({k: row.get(k) for k in ("step", *keys)})


if __name__ == "__main__":
    main()
