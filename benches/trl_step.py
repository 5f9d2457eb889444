"""One GRPO-style training step, awpo vs TRL's `GRPOTrainer`, on the CPU at equal work (issue 8 §6).

Install TRL into the environment first (the `bench` extra; `--no-deps` keeps torch and transformers
as they are, TRL then needs only `datasets` and its small dependencies):

    pip install --no-deps "trl==1.16.0" && pip install "datasets>=4.7"    # or: pip install -e '.[bench]'
    python benches/trl_step.py                    # 1 warm-up + 4 timed steps each, bf16 autocast
    python benches/trl_step.py --precision fp32   # both sides in float32
    pytest benches/test_trl_step.py --benchmark-only -s

Both trainers live in one process and take turns step by step (TRL step k, awpo step k, TRL step
k+1, ...), so load on the shared machine hits both alike; the first step of each is a warm-up and is
not counted. Equal work, checked by the script (it refuses to report otherwise):
- the same model weights (awpo's `load_model` for both), fp32 weights, the same precision policy
  (`--precision bf16`: awpo `model.autocast=bf16`, TRL `bf16=True`; `fp32`: neither). Note that TRL's
  `bf16=True` also runs its generation under autocast, while awpo's `hf` engine samples in fp32;
- the same prompts in the same order: step k of both uses the k-th pair of tasks drawn by awpo's
  `TaskSampler` from the built-in training tasks whose prompt has <= `--max-prompt-tokens` tokens,
  rendered with awpo's tool system prompt; TRL gets the same messages as conversational prompts and
  its chat-template tokenisation must give exactly awpo's prompt ids;
- the same batch: `prompts` x `group` completions per step, micro-batches of `micro`, one optimizer
  step (AdamW, lr 1e-6, clip 1.0), no reference model (beta 0), transformers generation on both
  sides (awpo's `hf` engine; TRL without vLLM), TRL's gradient checkpointing off like awpo's;
- the same lengths: every completion is exactly `--new-tokens` long (awpo `rollout.loop.ignore_eos`,
  TRL `min_new_tokens` = `max_completion_length`), checked on every completion of both;
- the same outcome reward: TRL's reward function is awpo's outcome reward (`awpo.rewards.outcome`,
  `toolrl`) on the same ground truth.
awpo also recomputes the old log-probabilities with the trainer's model (TRL skips that pass when the
batch is used once), and it has a judge and a sandbox, which TRL has not. The raw model writes no
`<think>` block and fixed-length turns end by length, so inside the step the judge has no reasoning to
score (blank reasoning scores 0 without a forward pass) and no tool call is parsed. So after each awpo
step the script also measures, with the trainer's own objects, (a) its judge scoring all of the step's
trajectories with their generated text as the reasoning and (b) its sandbox running the expected tool
calls of the step's tasks, one episode per trajectory as the rollout loop does. Contenders reported:
`awpo_full` = the step - its judge wait + (a) + (b) (the judge on the CPU runs alone between stages, so
its time adds up); `awpo_step` = the trainer's step as run; `awpo_bare` = the step without its judge
wait; `trl` = TRL's step (callback to callback: generation, rewards, advantages, both micro-batches'
forward/backward, optimizer step, its logging).
Torch runs one thread by default (`--threads`): on this shared 2-core machine two threads were up to
10x slower under load (docs/BENCHMARKS.md, Evaluation).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from awpo.config import load_config
from awpo.data.schema import Task
from awpo.metric_names import JUDGE_FAILURE_FRAC, TIME_STAGES, time_stage
from awpo.model import load_model, resolve_model_dir
from awpo.rewards import outcome
from awpo.rewards.judge.prompt import JudgeItem
from awpo.rollout.loop import Trajectory
from awpo.rollout.tools import SandboxTools
from awpo.train.scoring import expected_turns, judge_items
from awpo.train.tasks import TaskSampler
from awpo.train.trainer import Trainer

TRL_STAGES = ("generate", "rewards", "advantages", "update")
MAX_TOTAL_TOKENS = 4096  # the built-in training prompts have 266-1,335 tokens with the default model


@dataclass
class Args:
    model: str = "default"
    steps: int = 4
    new_tokens: int = 128
    prompts: int = 2
    group: int = 4
    micro: int = 4
    precision: str = "bf16"
    seed: int = 0
    threads: int = 1
    max_prompt_tokens: int = 640
    json_path: str | None = None


def parse_args(argv: Sequence[str] | None = None) -> Args:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--model", default="default", help="awpo model source (default: the embedded SmolLM2-135M)")
    p.add_argument("--steps", type=int, default=4, help="timed steps per contender (after one warm-up step)")
    p.add_argument("--new-tokens", type=int, default=128, help="tokens generated per completion (forced)")
    p.add_argument("--prompts", type=int, default=2, help="prompts per step")
    p.add_argument("--group", type=int, default=4, help="completions per prompt (G)")
    p.add_argument("--micro", type=int, default=4, help="sequences per forward/backward")
    p.add_argument("--precision", choices=("bf16", "fp32"), default="bf16", help="bf16 autocast, or fp32 throughout")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: steadiest on a busy machine; 0: torch's default)"
    )
    p.add_argument("--max-prompt-tokens", type=int, default=640, help="sample tasks with prompts up to this long")
    p.add_argument("--json", dest="json_path", help="also write the figures to this JSON file")
    a = p.parse_args(argv)
    return Args(
        a.model,
        a.steps,
        a.new_tokens,
        a.prompts,
        a.group,
        a.micro,
        a.precision,
        a.seed,
        a.threads,
        a.max_prompt_tokens,
        a.json_path,
    )


def awpo_trainer(args: Args, out_dir: Path) -> Trainer:
    batch = args.prompts * args.group
    overrides = [
        f"model.name_or_path={args.model}",
        f"model.autocast={'bf16' if args.precision == 'bf16' else 'off'}",
        "rollout.engine=hf",
        f"rollout.prompts_per_step={args.prompts}",
        f"rollout.group_size={args.group}",
        f"rollout.loop.max_new_tokens={args.new_tokens}",
        "rollout.loop.ignore_eos=true",
        f"rollout.loop.max_total_tokens={MAX_TOTAL_TOKENS}",  # room for every built-in prompt + completion
        "rollout.loop.temperature=1.0",
        "rollout.loop.top_p=1.0",
        f"trainer.steps={args.steps + 1}",
        f"trainer.minibatch_size={batch}",
        f"trainer.micro_batch_size={args.micro}",
        "trainer.ppo_epochs=1",
        "trainer.lr=1e-6",
        "trainer.max_grad_norm=1.0",
        f"trainer.seed={args.seed}",
        "algo.loss.beta=0.0",
        "warmup.enabled=false",
        "eval.at_start=false",
        f"output.dir={out_dir}",
        "output.tensorboard=false",
        f"output.save_every={10**6}",
    ]
    if args.model not in ("default",):
        overrides.append(f"judge.model={args.model}")
    return Trainer(load_config(None, overrides))


def step_tasks(trainer: Trainer, args: Args) -> tuple[list[list[Task]], dict[str, Any]]:
    """The tasks of each step, drawn exactly as the trainer's own sampler will draw them, and the
    sampler's state after the last step (to check that the trainer drew the same).

    The trainer samples from the built-in training tasks whose prompt has at most `max_prompt_tokens`
    tokens (long multi-tool prompts make both sides' memory peak above what this shared machine has).
    """
    short = [
        t
        for t in trainer.train_tasks
        if len(trainer.renderer.prompt_ids(t.messages, t.tools)) <= args.max_prompt_tokens
    ]
    if len(short) < args.prompts:
        raise ValueError(f"only {len(short)} tasks have prompts of <= {args.max_prompt_tokens} tokens")
    trainer.sampler = TaskSampler(short, trainer.cfg.trainer.seed)
    sampler = TaskSampler(short, trainer.cfg.trainer.seed)
    plan = [sampler.next(args.prompts) for _ in range(args.steps + 1)]
    return plan, sampler.state()


def check_prompt_ids(trainer: Trainer, tasks: Sequence[Task]) -> list[list[dict[str, Any]]]:
    """TRL's conversational prompts for `tasks`; raises unless TRL's tokenisation equals awpo's prompt ids."""
    prompts = []
    for task in tasks:
        messages = trainer.renderer.prompt_messages(task.messages, task.tools)
        trl_ids = trainer.tokenizer.apply_chat_template(  # what GRPOTrainer._tokenize_prompts does
            conversation=[messages], tools=None, add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"][0]
        awpo_ids = trainer.renderer.prompt_ids(task.messages, task.tools)
        if list(trl_ids) != list(awpo_ids):
            raise AssertionError(f"task {task.id}: TRL would tokenise a different prompt than awpo samples from")
        prompts.append(messages)
    return prompts


def outcome_reward(
    tasks_by_id: dict[str, Task], seen: list[tuple[list[str], list[int]]]
) -> Callable[..., list[float]]:
    """TRL reward function: awpo's outcome reward (`toolrl`) against each task's first expected turn."""

    def awpo_outcome(
        prompts: list[Any], completions: list[Any], completion_ids: list[list[int]], task_id: list[str], **_: Any
    ) -> list[float]:
        texts = [c[-1]["content"] if isinstance(c, list) else str(c) for c in completions]
        tasks = [tasks_by_id[t] for t in task_id]
        seen.append((list(task_id), [len(ids) for ids in completion_ids]))
        batch = outcome(
            texts,
            [expected_turns(t)[0] for t in tasks],
            [t.tools for t in tasks],
            kind="toolrl",
            truncated=[True] * len(texts),  # every completion is cut at the forced length, as in awpo
        )
        return [float(x) for x in batch.total]

    return awpo_outcome


class _Timed:
    """Wraps a bound method of `obj` so each call adds its wall seconds to `into[name]` (measuring only)."""

    def __init__(self, obj: Any, method: str, name: str, into: dict[str, float]) -> None:
        inner = getattr(obj, method)

        def timed(*a: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*a, **kw)
            finally:
                into[name] = into.get(name, 0.0) + time.perf_counter() - start

        setattr(obj, method, timed)


def sandbox_seconds(trainer: Trainer, tasks: Sequence[Task], group: int) -> tuple[float, int]:
    """Run each trajectory's expected calls through the trainer's sandbox (one episode per trajectory)."""
    runner = SandboxTools(trainer.sandbox)
    calls = 0
    start = time.perf_counter()
    for task in tasks:
        expected = expected_turns(task)[0].get("tool_calls") or []
        for _ in range(group):
            episode = runner.episode(task)
            try:
                results = episode.run(expected)
            finally:
                episode.close()
            calls += len(results)
    return time.perf_counter() - start, calls


def judge_seconds(trainer: Trainer, trajectories: Sequence[Trajectory]) -> tuple[float, int]:
    """Score the step's trajectories with the trainer's judge, each with its generated text as the
    reasoning (the raw model writes no `<think>` block, and blank reasoning is scored 0 without a
    forward pass). Returns (seconds, items judged)."""
    items: list[JudgeItem] = []
    for item, traj in zip(judge_items(trajectories, trainer.tasks_by_id), trajectories, strict=True):
        text = "\n".join(turn.text for turn in traj.turns)
        items.append(item if item.reasoning.strip() else dataclasses.replace(item, reasoning=text))
    start = time.perf_counter()
    result = trainer.judge.score(items)
    seconds = time.perf_counter() - start
    if result.metrics.get(JUDGE_FAILURE_FRAC, 0.0) > 0:
        raise AssertionError(f"the judge failed on some items: {result.errors}")
    return seconds, sum(1 for i in items if i.reasoning.strip())


class _Capture:
    """Keeps the last value `obj.method` returned (measuring aid: the call itself is unchanged)."""

    def __init__(self, obj: Any, method: str) -> None:
        inner = getattr(obj, method)
        self.value: Any = None

        def capture(*a: Any, **kw: Any) -> Any:
            self.value = inner(*a, **kw)
            return self.value

        setattr(obj, method, capture)


def run(args: Args) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import PrinterCallback, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer
    from trl import __version__ as trl_version

    logging.getLogger("awpo").setLevel(logging.WARNING)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="awpo-trl-step-"))
    load_start = os.getloadavg()
    trainer = awpo_trainer(args, tmp / "awpo")
    plan, sampler_after = step_tasks(trainer, args)
    flat = [t for step in plan for t in step]
    prompts = check_prompt_ids(trainer, flat)
    tasks_by_id = {t.id: t for t in flat}

    model_dir = str(resolve_model_dir(args.model))
    trl_model, trl_tokenizer = load_model(model_dir)
    seen: list[tuple[list[str], list[int]]] = []
    dataset = Dataset.from_list([{"prompt": p, "task_id": t.id} for p, t in zip(prompts, flat, strict=True)])
    batch = args.prompts * args.group
    config = GRPOConfig(
        output_dir=str(tmp / "trl"),
        per_device_train_batch_size=args.micro,
        gradient_accumulation_steps=batch // args.micro,  # one optimizer step per generation batch
        num_generations=args.group,
        max_completion_length=args.new_tokens,
        generation_kwargs={"min_new_tokens": args.new_tokens},  # every completion exactly new_tokens long
        temperature=1.0,
        top_p=1.0,
        top_k=0,
        beta=0.0,
        num_iterations=1,
        learning_rate=1e-6,
        lr_scheduler_type="constant",
        max_grad_norm=1.0,
        max_steps=args.steps + 1,
        shuffle_dataset=False,  # step k takes prompts [k*P, (k+1)*P): the tasks awpo's step k draws
        gradient_checkpointing=False,  # as awpo's default
        bf16=args.precision == "bf16",
        use_cpu=True,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=args.seed,
    )
    trl = GRPOTrainer(
        model=trl_model,
        reward_funcs=[outcome_reward(tasks_by_id, seen)],
        args=config,
        train_dataset=dataset,
        processing_class=trl_tokenizer,
    )
    trl_split: dict[str, float] = {}
    _Timed(trl, "_generate", "generate", trl_split)
    _Timed(trl, "_calculate_rewards", "rewards", trl_split)
    _Timed(trl, "_generate_and_score_completions", "score_total", trl_split)

    rollouts = _Capture(trainer.loop, "run")
    steps: list[dict[str, Any]] = []  # one row per step: both contenders' seconds and splits
    awpo_metrics: list[dict[str, float]] = []
    clock = {"start": 0.0}

    class Alternate(TrainerCallback):  # type: ignore[misc]
        """After each TRL step, record its time, then run awpo's step of the same index."""

        def on_train_begin(self, *a: Any, **kw: Any) -> None:
            clock["start"] = time.perf_counter()

        def on_step_end(self, _args: Any, state: Any, *a: Any, **kw: Any) -> None:
            step = int(state.global_step)
            trl_s = time.perf_counter() - clock["start"]
            split = dict(trl_split)
            trl_split.clear()
            gen, score, rewards = (split.get(k, 0.0) for k in ("generate", "score_total", "rewards"))
            trl_stages = {
                "generate": gen,
                "rewards": rewards,
                "advantages": max(0.0, score - gen - rewards),  # the rest of _generate_and_score_completions
                "update": max(0.0, trl_s - score),  # forward/backward of both micro-batches + optimizer step
            }
            start = time.perf_counter()
            values = trainer.train_step(step)
            awpo_s = time.perf_counter() - start
            judge_s, judged = judge_seconds(trainer, rollouts.value)
            sandbox_s, calls = sandbox_seconds(trainer, plan[step - 1], args.group)
            row = {
                "step": step,
                "load": os.getloadavg()[0],
                "trl_s": trl_s,
                "trl_split": trl_stages,
                "awpo_s": awpo_s,
                "awpo_split": {s: values.get(time_stage(s), 0.0) for s in TIME_STAGES},
                "judge_all_s": judge_s,
                "judged_items": judged,
                "sandbox_s": sandbox_s,
                "sandbox_calls": calls,
            }
            print(
                f"step {step} ({'warm-up' if step == 1 else 'timed'}, load {row['load']:.1f}): TRL {trl_s:.2f}s  "
                f"awpo {awpo_s:.2f}s (judge in step {row['awpo_split']['judge_wait']:.2f}s; judging all "
                f"{judged} items {judge_s:.2f}s; {calls} sandbox calls {sandbox_s * 1e3:.1f}ms)",
                flush=True,
            )
            steps.append(row)
            awpo_metrics.append(values)
            clock["start"] = time.perf_counter()

    trl.remove_callback(PrinterCallback)  # no per-step log dicts on stdout
    trl.add_callback(Alternate())
    trl.train()
    trainer.close()

    check_equal_work(args, plan, seen, awpo_metrics, trl.state.global_step)
    if trainer.sampler.state() != sampler_after:
        raise AssertionError("awpo's sampler drew other tasks than planned")
    figures = summarise(args, steps[1:])  # step 1 of each is the warm-up
    figures.update(
        trl_version=trl_version,
        torch=torch.__version__,
        torch_threads=torch.get_num_threads(),
        load_before=list(load_start),
        load_after=list(os.getloadavg()),
        peak_rss_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        date=time.strftime("%Y-%m-%d"),
    )
    print_figures(figures)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return figures


def check_equal_work(
    args: Args,
    plan: list[list[Task]],
    seen: list[tuple[list[str], list[int]]],
    awpo_metrics: list[dict[str, float]],
    trl_steps: int,
) -> None:
    """Raise unless both sides did the planned work: same steps, tasks, batch and completion lengths."""
    steps = args.steps + 1
    if trl_steps != steps or len(awpo_metrics) != steps or len(seen) != steps:
        raise AssertionError(f"steps: TRL {trl_steps}, awpo {len(awpo_metrics)}, TRL reward calls {len(seen)}")
    for k, ((task_ids, lengths), tasks) in enumerate(zip(seen, plan, strict=True)):
        want = [t.id for t in tasks for _ in range(args.group)]
        if task_ids != want:
            raise AssertionError(f"TRL step {k + 1} trained on {task_ids}, awpo on {want}")
        if lengths != [args.new_tokens] * len(want):
            raise AssertionError(f"TRL step {k + 1}: completion lengths {lengths}, want all {args.new_tokens}")
    for k, values in enumerate(awpo_metrics):
        if values.get("rollout/generated_tokens/mean") != args.new_tokens:
            raise AssertionError(f"awpo step {k + 1}: mean generated {values.get('rollout/generated_tokens/mean')}")
        if values.get("rollout/finish/length_budget_frac") != 1.0:
            raise AssertionError(f"awpo step {k + 1}: not every trajectory ran to the length budget")


def _stats(xs: Sequence[float]) -> dict[str, float]:
    return {"best": min(xs), "median": statistics.median(xs), "mean": statistics.fmean(xs)} if xs else {}


def summarise(args: Args, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Best/median seconds per step of each contender, TRL/awpo ratios and mean splits of the timed steps.

    `awpo_full` is the trainer's step with its judge scoring every trajectory and the sandbox running
    the step's expected calls: the step's time, minus its own judge wait, plus the two measured add-ons
    (the judge on the CPU runs alone between stages, so its time adds up). `awpo_bare` is the step
    without its judge wait (no tool ran inside it).
    """
    series = {
        "awpo_full": [r["awpo_s"] - r["awpo_split"]["judge_wait"] + r["judge_all_s"] + r["sandbox_s"] for r in rows],
        "awpo_step": [r["awpo_s"] for r in rows],
        "awpo_bare": [r["awpo_s"] - r["awpo_split"]["judge_wait"] for r in rows],
        "trl": [r["trl_s"] for r in rows],
    }
    ratios: dict[str, dict[str, float]] = {}  # TRL seconds / awpo seconds: > 1 means awpo's step is faster
    for name, xs in series.items():
        if name == "trl" or not xs:
            continue
        paired = [t / a for t, a in zip(series["trl"], xs, strict=True)]  # the same step index: the same prompts
        ratios[name] = {
            "best": min(series["trl"]) / min(xs),
            "median": statistics.median(series["trl"]) / statistics.median(xs),
            "paired_median": statistics.median(paired),
        }

    def mean(values: Sequence[float]) -> float:
        return statistics.fmean(values) if values else math.nan

    awpo_split = {s: mean([r["awpo_split"][s] for r in rows]) for s in TIME_STAGES}
    awpo_split |= {
        "judge_all_items": mean([r["judge_all_s"] for r in rows]),
        "sandbox_calls": mean([r["sandbox_s"] for r in rows]),
        "step": mean(series["awpo_step"]),
    }
    trl_split = {s: mean([r["trl_split"][s] for r in rows]) for s in TRL_STAGES} | {"step": mean(series["trl"])}
    return {
        "setup": {
            "model": args.model,
            "prompts_x_group": f"{args.prompts}x{args.group}",
            "new_tokens": args.new_tokens,
            "micro_batch": args.micro,
            "precision": args.precision,
            "max_prompt_tokens": args.max_prompt_tokens,
            "timed_steps": len(rows),
        },
        "seconds": {name: _stats(xs) for name, xs in series.items()},
        "trl_over_awpo": ratios,
        "awpo_split_s": awpo_split,
        "trl_split_s": trl_split,
        "judged_items_per_step": mean([r["judged_items"] for r in rows]),
        "sandbox_calls_per_step": mean([r["sandbox_calls"] for r in rows]),
        "load_during": _stats([r["load"] for r in rows]),
        "steps": list(rows),
    }


def print_figures(f: dict[str, Any]) -> None:
    setup = f["setup"]
    load = f["load_during"]
    print(
        f"\nawpo vs TRL {f['trl_version']} GRPOTrainer: {setup['model']}, {setup['prompts_x_group']} completions x "
        f"{setup['new_tokens']} tokens, micro-batch {setup['micro_batch']}, {setup['precision']}, "
        f"{setup['timed_steps']} timed steps each (alternated), {f['torch_threads']} torch thread(s), "
        f"load average {load.get('best', math.nan):.1f}-{max(f['load_after'][0], load.get('best', 0.0)):.1f}"
    )
    print(f"{'contender':<44}{'best s':>9}{'median s':>10}{'TRL/awpo best':>15}{'median':>8}{'paired':>8}")
    rows = (
        ("awpo + judge (all items) + sandbox calls", "awpo_full"),
        ("awpo trainer step as run", "awpo_step"),
        ("awpo without judge and sandbox", "awpo_bare"),
        ("TRL GRPOTrainer", "trl"),
    )
    for label, key in rows:
        s = f["seconds"][key]
        r = f["trl_over_awpo"].get(key)
        ratio = f"{r['best']:>14.2f}x{r['median']:>7.2f}x{r['paired_median']:>7.2f}x" if r else ""
        print(f"{label:<44}{s['best']:>9.2f}{s['median']:>10.2f}{ratio}")
    print("awpo split (mean s/step): " + ", ".join(f"{k} {v:.3f}" for k, v in f["awpo_split_s"].items()))
    print("TRL split (mean s/step):  " + ", ".join(f"{k} {v:.3f}" for k, v in f["trl_split_s"].items()))
    print(
        f"per step: {f['judged_items_per_step']:.1f} items judged, "
        f"{f['sandbox_calls_per_step']:.1f} sandbox calls (both measured after the awpo step)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
