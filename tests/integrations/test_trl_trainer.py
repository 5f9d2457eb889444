"""AWPOTrainer on the tiny test model, one process on the CPU: grpo parity with TRL, awpo equality with
`awpo.algo.advantages`, the §5 per-sample clip in TRL's loss, bad inputs, and 2 training steps with tools
run in awpo's sandbox."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
import torch
import trl_test_tools
from trl_support import TOOL_ANSWER, ScriptedReward, tool_calling_model

from awpo import metric_names as m
from awpo.algo import AdvantageSettings, advantages, uniform_offsets
from awpo.integrations.trl import (
    OUTCOME_MISSING_FRAC,
    REASONING_SHARE_KEY,
    AWPOConfig,
    AWPOTrainer,
    JudgeReward,
    OutcomeReward,
    sandbox_tool,
    sandbox_tools,
)
from awpo.rewards.judge import JudgeConfig

PROMPTS = [
    [{"role": "user", "content": "What is 2+3?"}],
    [{"role": "user", "content": "Add two and three."}],
]
G = 4
NAN = float("nan")
TOOLS_JSON = json.dumps([trl_test_tools.add.schema])
ROWS = [{"prompt": p, "task_answer": json.dumps(TOOL_ANSWER), "task_tools": TOOLS_JSON} for p in PROMPTS]


def add_tools() -> list[Any]:
    """The TRL tool function of the test's `add` tool (rendering only: no sandbox behind it)."""
    return [sandbox_tool(cast(Any, None), trl_test_tools.add)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tool_calling_model(tmp_path_factory.mktemp("trl-tiny"), PROMPTS, add_tools())


def test_tool_functions_render_awpo_schema() -> None:
    from transformers.utils import get_json_schema

    from awpo.tools.builtin import tools_of

    for t in tools_of("calculator"):
        schema = get_json_schema(sandbox_tool(cast(Any, None), t))["function"]
        assert schema["name"] == t.name
        assert schema["parameters"]["required"] == t.parameters["required"]
        for name, prop in t.parameters["properties"].items():
            assert schema["parameters"]["properties"][name]["type"] == prop["type"]


def base_kwargs(out: Path, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "output_dir": str(out),
        "use_cpu": True,
        "bf16": False,
        "report_to": "none",
        "per_device_train_batch_size": G,
        "gradient_accumulation_steps": 2,  # one generation batch = 2 prompts x G completions
        "num_generations": G,
        "max_completion_length": 160,
        "logging_steps": 1,
        "save_strategy": "no",
        "disable_tqdm": True,
        "seed": 0,
    }
    return base | kw


def config(out: Path, **kw: Any) -> AWPOConfig:
    return AWPOConfig(**base_kwargs(out, **kw))


def dataset() -> Any:
    from datasets import Dataset

    return Dataset.from_list(ROWS)


def generation_batch() -> list[dict[str, Any]]:
    """What TRL's sampler hands `_generate_and_score_completions`: each prompt G times in a row."""
    return [dict(row) for row in ROWS for _ in range(G)]


def load(model_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32), AutoTokenizer.from_pretrained(
        model_dir
    )


OUTCOME = [[1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]]
JUDGE = [[0.9, 0.2, NAN, 0.6, 0.3, 0.3, 0.8, 0.1]]


def test_grpo_estimator_reproduces_trl_advantages(model_dir: Path, tmp_path: Path) -> None:
    from trl import GRPOConfig, GRPOTrainer

    outs = []
    for kind in ("trl", "awpo"):
        model, tok = load(model_dir)
        outcome = ScriptedReward("outcome", OUTCOME, (0.0, 1.0))
        if kind == "trl":
            args = GRPOConfig(**base_kwargs(tmp_path / kind))
            trainer: Any = GRPOTrainer(model, [outcome], args=args, train_dataset=dataset(), processing_class=tok)
        else:
            judge = ScriptedReward("judge", JUDGE, (0.0, 1.0))
            args = config(tmp_path / kind, advantage={"estimator": "grpo"}, judge_reward="judge")
            trainer = AWPOTrainer(model, [outcome, judge], args=args, train_dataset=dataset(), processing_class=tok)
        trainer.model.train()
        outs.append(trainer._generate_and_score_completions(generation_batch()))
    trl_adv, awpo_adv = outs[0]["advantages"], outs[1]["advantages"]
    assert torch.equal(trl_adv, awpo_adv)  # exactly: the judge does not enter TRL's sum
    ro = torch.tensor(OUTCOME[0]).view(2, G)
    golden = (ro - ro.mean(1, keepdim=True)) / (ro.std(1, keepdim=True) + 1e-4)  # TRL: unbiased std + 1e-4
    torch.testing.assert_close(awpo_adv, golden.flatten(), rtol=0, atol=1e-6)
    assert REASONING_SHARE_KEY not in outs[1]


def test_awpo_estimator_equals_awpo_algo(model_dir: Path, tmp_path: Path) -> None:
    model, tok = load(model_dir)
    rewards = [ScriptedReward("outcome", OUTCOME, (0.0, 1.0)), ScriptedReward("judge", JUDGE, (0.0, 1.0))]
    settings = {"estimator": "awpo", "gate": "soft", "kappa": 0.5}
    args = config(tmp_path, advantage=settings, judge_reward="judge")
    trainer = AWPOTrainer(model, rewards, args=args, train_dataset=dataset(), processing_class=tok)
    trainer.model.train()
    out = trainer._generate_and_score_completions(generation_batch())
    ro, rr = (np.asarray(x[0], dtype=np.float32).astype(np.float64) for x in (OUTCOME, JUDGE))  # TRL's float32
    want = advantages(ro, rr, uniform_offsets(8, G), AdvantageSettings(**settings), outcome_range=(0, 1))
    assert torch.equal(out["advantages"], torch.tensor(want.advantage, dtype=torch.float32))
    assert torch.equal(out[REASONING_SHARE_KEY], torch.tensor(want.reasoning_share, dtype=torch.float32))
    assert want.reasoning_share.max() > 0  # the judge moved some advantages
    logged = trainer._metrics["train"]
    for name, value in want.metrics().items():
        assert logged[name] == [value] or (math.isnan(value) and math.isnan(logged[name][0]))
    assert logged[m.JUDGE_FAILURE_FRAC] == [1 / 8]
    assert trainer.reward_weights.tolist() == [1.0, 0.0]  # TRL's own `reward` metric is the outcome's


def test_golden_section5_per_sample_clip_in_trl_loss(model_dir: Path, tmp_path: Path) -> None:
    # ALGORITHM.md §5: r = 1.25 on every token, A = 1, eps_high = 0.2, eta = 0.5:
    # s = 0 -> clip at 1 + 0.2 = 1.2, loss -1.2; s = 1 -> clip at 1 + 0.2 * (1 - 0.5) = 1.1, loss -1.1
    model, tok = load(model_dir)
    rewards = [ScriptedReward("outcome", OUTCOME, (0.0, 1.0))]
    args = config(tmp_path, loss_type="bnpo", epsilon=0.2, eta=0.5)
    trainer = AWPOTrainer(model, rewards, args=args, train_dataset=dataset(), processing_class=tok)
    trainer.model.train()
    batch = trainer._generate_and_score_completions(generation_batch())
    trainer.model.eval()  # eval: TRL does not divide by the gradient-accumulation steps
    ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], 1)
    mask = torch.cat([batch["prompt_mask"], batch["completion_mask"]], 1)
    with torch.no_grad():
        logp, _, _ = trainer._get_per_token_logps_and_entropies(model, ids, mask, batch["completion_ids"].size(1))
    batch["old_per_token_logps"] = logp - math.log(1.25)
    batch["advantages"] = torch.ones(8)
    tokens = batch["completion_mask"].sum(1).double()  # (B,)
    for shares in ([0.0] * 8, [1.0] * 8, [0.0, 1.0] * 4):
        batch[REASONING_SHARE_KEY] = torch.tensor(shares)
        with torch.no_grad():
            loss = trainer._compute_loss(model, batch)
        per_seq = torch.tensor([-(1 + 0.2 * (1 - 0.5 * s)) for s in shares], dtype=torch.float64)
        want = float((per_seq * tokens).sum() / tokens.sum())  # bnpo: token mean of the micro-batch
        assert float(loss) == pytest.approx(want, abs=1e-5)
    assert trainer.epsilon_low == 0.2 and trainer.epsilon_high == 0.2  # restored after each call


def test_missing_outcomes_and_a_judge_that_is_down(model_dir: Path, tmp_path: Path) -> None:
    model, tok = load(model_dir)
    outcome = ScriptedReward("outcome", [[1.0, None, 0.0, 1.0, None, None, None, None]], (0.0, 1.0))
    judge = JudgeReward(  # nothing listens on port 9: every item fails after one attempt
        JudgeConfig(backend="openai", model="judge", base_url="http://127.0.0.1:9/v1", max_retries=0, timeout_s=2)
    )
    trainer = AWPOTrainer(
        model, [outcome, judge], args=config(tmp_path), train_dataset=dataset(), processing_class=tok
    )
    trainer.model.train()
    out = trainer._generate_and_score_completions(generation_batch())
    logged = trainer._metrics["train"]
    assert trainer.awpo_last is not None
    judged = trainer.awpo_last.result.reasoning
    # every item with reasoning failed (NaN); blank reasoning scores 0 without a request
    assert np.all(np.isnan(judged) | (judged == 0.0)) and np.isnan(judged).sum() >= 4
    assert logged[m.JUDGE_FAILURE_FRAC] == [np.isnan(judged).mean()]
    assert logged[OUTCOME_MISSING_FRAC] == [5 / 8]
    want = advantages([1.0, 0.0, 1.0], None, [0, 3], AdvantageSettings(estimator="grpo"), outcome_range=(0, 1))
    adv = out["advantages"].numpy()
    np.testing.assert_array_equal(adv[[0, 2, 3]], want.advantage.astype(np.float32))  # gate closed: outcome only
    assert np.all(adv[[1, 4, 5, 6, 7]] == 0.0)
    judge.close()


def test_config_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale_rewards"):
        config(tmp_path, scale_rewards="none")
    with pytest.raises(ValueError, match="no PPO clip"):
        config(tmp_path, loss_type="cispo")
    assert config(tmp_path, loss_type="cispo", eta=0.0).eta == 0.0
    with pytest.raises(ValueError, match="estimator"):
        config(tmp_path, advantage={"estimator": "ppo"})


def test_outcome_range_must_be_known(model_dir: Path, tmp_path: Path) -> None:
    model, tok = load(model_dir)

    def plain(prompts: Any, completions: Any, **_: Any) -> list[float]:
        return [0.0] * len(completions)

    with pytest.raises(ValueError, match="has no `reward_range`"):
        AWPOTrainer(model, [plain], args=config(tmp_path), train_dataset=dataset(), processing_class=tok)


def test_two_steps_with_sandboxed_tools(model_dir: Path, tmp_path: Path) -> None:
    from awpo.tools import Sandbox

    model, tok = load(model_dir)
    judge = JudgeReward(JudgeConfig(backend="hf", model=str(model_dir)))
    args = config(tmp_path, max_steps=2, max_tool_calling_iterations=1, learning_rate=1e-4, temperature=0.3)
    with Sandbox([trl_test_tools.add]) as sandbox:
        trainer = AWPOTrainer(
            model,
            [OutcomeReward("toolrl"), judge],
            args=args,
            train_dataset=dataset(),
            processing_class=tok,
            tools=sandbox_tools(sandbox),
        )
        trainer.train()
        workers = sandbox.workers_started
    judge.close()
    assert trainer.state.global_step == 2
    logs = [h for h in trainer.state.log_history if "loss" in h]
    assert len(logs) == 2
    for h in logs:
        for name in (
            m.AWPO_GATE_MEAN,
            m.AWPO_WEIGHT_MEAN,
            m.AWPO_REASONING_SHARE_MEAN,
            m.AWPO_CLIP_BOUND_HIT_FRAC,
            m.AWPO_TIED_OUTCOME_FRAC,
            m.JUDGE_FAILURE_FRAC,
            m.REWARD_OUTCOME_MEAN,
            "reward/outcome/format/mean",
        ):
            assert name in h, name
        assert h["tools/call_frequency"] > 0
        assert h["tools/failure_frequency"] == 0.0
    assert workers >= 1
    tool_messages = [msg for c in trainer._logs["completion"] for msg in c if msg.get("role") == "tool"]
    assert tool_messages and all(msg["content"] == "5" for msg in tool_messages)  # add(2, 3), computed in the sandbox
