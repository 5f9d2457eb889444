"""`awpo train` under torchrun (2 ranks, gloo, the tiny model) against 1 rank at the same global batch:
parameters after an update, the engines after the weight sync, the sharded checkpoint, and the rules of
`awpo.train.distributed` (prompt split, micro-batch plan, metric reductions, weight streaming)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tiny_model import tiny_overrides

from awpo import metric_names as m
from awpo.config import load_config
from awpo.errors import ConfigError
from awpo.train import distributed as dp
from awpo.train.checkpoint import load_checkpoint
from awpo.train.trainer import Trainer

WORKER = Path(__file__).with_name("dist_worker.py")
AGGREGATIONS = ("token-mean", "seq-mean-token-sum-norm")


def _ctx(rank: int, world: int) -> dp.DistContext:
    return dp.DistContext(rank=rank, world_size=world, local_rank=rank, device=torch.device("cpu"), launched=False)


def test_prompts_that_cannot_split_across_ranks_are_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    cfg = load_config(None, [*tiny_overrides(tiny_model_dir, tmp_path / "run"), "rollout.prompts_per_step=3"])
    with pytest.raises(ConfigError, match=r"prompts_per_step \(3\).*world size \(2\)"):
        Trainer(cfg, dist_ctx=_ctx(0, 2))


def test_each_rank_gets_a_contiguous_share_of_the_prompts() -> None:
    tasks = list("abcdef")
    assert [dp.rank_prompts(tasks, _ctx(r, 3)) for r in range(3)] == [["a", "b"], ["c", "d"], ["e", "f"]]
    assert dp.rank_prompts(tasks, dp.DistContext.single()) == tasks


def test_micro_batch_plan_gives_every_rank_the_same_number_of_passes() -> None:
    # 8 global rows, 4 per rank; this minibatch has 3 of rank 0's rows and 1 of rank 1's
    rows = [6, 0, 3, 2]
    plan0 = dp.local_micro_batches(rows, n_local=4, micro_batch_size=2, ctx=_ctx(0, 2))
    plan1 = dp.local_micro_batches(rows, n_local=4, micro_batch_size=2, ctx=_ctx(1, 2))
    assert plan0 == [[0, 2], [3]]
    assert plan1 == [[2], []]  # local id 2 is global row 6; one zero-weight pass to match rank 0
    assert dp.local_micro_batches(rows, n_local=8, micro_batch_size=3, ctx=dp.DistContext.single()) == [[0, 2, 3], [6]]


def test_metric_reductions() -> None:
    assert dp.metric_reduction(m.POLICY_LOSS) == "sum"
    assert dp.metric_reduction(m.THROUGHPUT_UPDATE_TOKENS_PER_S) == "sum"
    assert dp.metric_reduction(m.TIME_STEP) == "max"
    assert dp.metric_reduction("rollout/logprob_mismatch/max") == "max"
    assert dp.metric_reduction(m.REWARD_OUTCOME_MEAN) == "mean"
    values = {m.POLICY_LOSS: 0.25, "x": 1.0}
    assert dp.reduce_metrics(values, dp.DistContext.single()) == values


def test_weights_stream_in_bounded_buckets() -> None:
    named = [(f"w{i}", torch.zeros(10, dtype=torch.float32)) for i in range(5)]  # 40 bytes each
    buckets = list(dp.stream_full_weights(named, bucket_bytes=100))
    assert [[n for n, _ in b] for b in buckets] == [["w0", "w1"], ["w2", "w3"], ["w4"]]
    big = [("big", torch.zeros(100)), ("small", torch.zeros(1))]
    assert [[n for n, _ in b] for b in dp.stream_full_weights(big, bucket_bytes=16)] == [["big"], ["small"]]


def _worker_overrides(model_dir: Path) -> list[str]:
    return [
        *(o for o in tiny_overrides(model_dir, Path("unused")) if not o.startswith("output.dir")),
        "rollout.prompts_per_step=4",  # the worker's 8 injected rows: 4 groups of 2
        "algo.loss.tis=off",  # the injected sampler log-probs are placeholders
        "warmup.enabled=false",
        "eval.at_start=false",
        "trainer.minibatch_size=4",  # two minibatches, rows unevenly split between ranks
        "trainer.micro_batch_size=1",
        "trainer.ppo_epochs=2",
    ]


@pytest.fixture(scope="module")
def runs(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The worker's outputs with 1 rank (a plain process) and 2 ranks (torchrun, gloo)."""
    root = tmp_path_factory.mktemp("dist")
    one, two = root / "one", root / "two"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    overrides = _worker_overrides(tiny_model_dir)
    for cmd in (
        [sys.executable, str(WORKER), str(one), *overrides],
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", str(WORKER), str(two), *overrides],
    ):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-4000:]
    return one, two


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_two_ranks_update_the_parameters_as_one_rank(
    runs: tuple[Path, Path], tiny_model_dir: Path, aggregation: str
) -> None:
    one, two = runs
    want = torch.load(one / f"params-{aggregation}.pt")
    got = torch.load(two / f"params-{aggregation}.pt")
    assert sorted(want) == sorted(got)
    for name, tensor in want.items():
        assert torch.allclose(tensor, got[name], atol=1e-5, rtol=0), name
    # Adam's first steps barely depend on the gradient's scale: the loss and the unclipped gradient
    # norm check that the per-rank losses and the FSDP reduction add up to the 1-rank ones exactly
    want_metrics = json.loads((one / f"metrics-{aggregation}.json").read_text())
    got_metrics = json.loads((two / f"metrics-{aggregation}.json").read_text())
    for key in (m.POLICY_LOSS, "train/grad_norm"):
        assert want_metrics[key] == pytest.approx(got_metrics[key], rel=1e-5), key
    from safetensors.torch import load_file

    before = load_file(str(tiny_model_dir / "model.safetensors"))
    assert any(not torch.allclose(before[k], got[k], atol=1e-5) for k in before), "the update changed nothing"


def test_every_rank_engine_matches_the_trainer_model_after_the_sync(
    runs: tuple[Path, Path], tiny_model_dir: Path
) -> None:
    from transformers import AutoModelForCausalLM

    from awpo.model import load_model
    from awpo.rollout.engine import SamplingParams
    from awpo.rollout.hf_engine import HFEngine

    _, two = runs
    aggregation = AGGREGATIONS[0]
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model.load_state_dict(torch.load(two / f"params-{aggregation}.pt"))
    model.eval()
    _, tokenizer = load_model(str(tiny_model_dir))
    probe = [[5, 17, 33, 2, 9, 41]]
    want = HFEngine(model, tokenizer).generate(probe, SamplingParams(temperature=0.0, max_new_tokens=8))[0].token_ids
    with torch.no_grad():
        want_logits = model(torch.tensor(probe)).logits[0, -1]
    for rank in (0, 1):
        got = json.loads((two / f"greedy-{aggregation}-rank{rank}.json").read_text())
        assert got["tokens"] == want, rank
        assert torch.allclose(torch.tensor(got["logits"]), want_logits, atol=1e-5), rank


def test_the_sharded_checkpoint_holds_the_full_model_and_the_optimizer_shards(runs: tuple[Path, Path]) -> None:
    from transformers import AutoModelForCausalLM

    one, two = runs
    path = two / f"run-{AGGREGATIONS[0]}" / "checkpoints" / "step-000001"
    checkpoint = load_checkpoint(path)
    assert checkpoint.world_size == 2 and checkpoint.sharded
    assert checkpoint.rank_rng(0) is not None and checkpoint.rank_rng(1) is not None
    assert checkpoint.rank_rng(0) != checkpoint.rank_rng(1)  # one seed per rank
    loaded = AutoModelForCausalLM.from_pretrained(path).state_dict()
    gathered = torch.load(two / f"params-{AGGREGATIONS[0]}.pt")
    unsharded = torch.load(one / f"params-{AGGREGATIONS[0]}.pt")
    for name, tensor in gathered.items():
        assert torch.equal(loaded[name], tensor), name
        assert torch.allclose(loaded[name], unsharded[name], atol=1e-5, rtol=0), name


def _torchrun_train(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "-m", "awpo", "train", *args]


def _rank_pids(launcher_pid: int) -> list[int]:
    """The worker processes torchrun started (its direct children)."""
    children = Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_sigkill_of_one_rank_fails_the_job_and_resume_reproduces_the_next_step(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    import signal
    import time

    from awpo.train.tracking import read_metrics

    env = {**os.environ, "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}

    def overrides(run: Path) -> list[str]:
        return [
            *tiny_overrides(tiny_model_dir, run),
            "trainer.steps=2",
            "output.save_every=1",
            "warmup.enabled=false",
            "eval.at_start=false",
        ]

    reference, killed = tmp_path / "reference", tmp_path / "killed"
    done = subprocess.run(_torchrun_train(*overrides(reference)), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]

    log_path = tmp_path / "killed.stderr"
    with (
        log_path.open("wb") as log,
        subprocess.Popen(
            _torchrun_train(*overrides(killed)), env=env, stdout=subprocess.DEVNULL, stderr=log
        ) as launcher,
    ):
        deadline = time.monotonic() + 300
        while not (killed / "checkpoints" / "step-000001").exists():
            assert launcher.poll() is None, f"the run ended before step 1: {log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "step 1 never finished"
            time.sleep(0.01)
        os.kill(_rank_pids(launcher.pid)[-1], signal.SIGKILL)  # one rank, in step 2
        assert launcher.wait(timeout=300) != 0, "torchrun must fail the job when a rank dies"
    assert not (killed / "checkpoints" / "step-000002").exists(), "the kill came too late to be mid-step"
    assert load_checkpoint(killed / "checkpoints" / "step-000001").step == 1  # the last checkpoint is intact

    resumed = subprocess.run(_torchrun_train("--resume", str(killed)), env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    def steps(run: Path) -> dict[int, dict[str, object]]:
        return {int(r["step"]): r for r in read_metrics(run / "metrics.jsonl") if m.REWARD_OUTCOME_MEAN in r}

    want, got = steps(reference), steps(killed)
    assert sorted(got) == [1, 2]
    for key in (
        m.REWARD_OUTCOME_MEAN,
        m.REWARD_REASONING_MEAN,
        m.POLICY_LOSS,
        m.AWPO_ADVANTAGE_STD,
        "train/grad_norm",
    ):
        a, b = want[2].get(key), got[2].get(key)
        if isinstance(a, float) and isinstance(b, float):
            assert math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6), key
        else:
            assert a == b, key
    from safetensors.torch import load_file

    final_a = load_file(str(reference / "checkpoints" / "step-000002" / "model.safetensors"))
    final_b = load_file(str(killed / "checkpoints" / "step-000002" / "model.safetensors"))
    for name, tensor in final_a.items():
        assert torch.allclose(tensor, final_b[name], atol=1e-6), name


def test_resume_at_another_world_size_loads_weights_and_optimizer_and_says_what_is_not_exact(
    runs: tuple[Path, Path], tiny_model_dir: Path, tmp_path: Path
) -> None:
    _, two = runs
    source = two / f"run-{AGGREGATIONS[0]}"
    run = tmp_path / "run"
    overrides = [
        *_worker_overrides(tiny_model_dir),
        f"algo.loss.aggregation={AGGREGATIONS[0]}",
        f"output.dir={run}",
        "trainer.steps=2",
    ]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "1", "-m", "awpo", "train"]
    done = subprocess.run(
        [*cmd, "--resume", str(source / "checkpoints" / "step-000001"), *overrides],
        env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    log = " ".join((done.stdout + done.stderr).split())
    assert "checkpoint written by 2 ranks, resumed on 1" in log
    assert load_checkpoint(run / "checkpoints" / "step-000002").world_size == 1
