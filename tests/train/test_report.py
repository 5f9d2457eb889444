"""The end-of-run time split: mean seconds per stage, `other` = the step's wall time outside the stages."""

from __future__ import annotations

import io
import math

from rich.console import Console

from awpo.train.report import print_table, time_split, time_split_table

STEP_1 = {"step": 1, "time/rollout_s": 6.0, "time/tools_s": 1.0, "time/judge_wait_s": 2.0, "time/rewards_s": 0.5}
STEP_1 |= {"time/old_logprobs_s": 1.0, "time/advantages_s": 0.0, "time/update_s": 3.0, "time/sync_s": 0.5}
STEP_1 |= {"time/step_s": 14.0}
STEP_2 = {**STEP_1, "step": 2, "time/rollout_s": 8.0, "time/tools_s": 3.0, "time/step_s": 16.0}


def test_time_split_means_and_other() -> None:
    eval_record = {"step": 2, "time/eval_s": 50.0}  # no step time: not an AWPO step, ignored
    split = time_split([STEP_1, STEP_2, eval_record])
    assert split["rollout"] == 7.0  # (6 + 8) / 2
    assert split["tools"] == 2.0  # (1 + 3) / 2, inside the rollout: not added again
    assert split["step"] == 15.0  # (14 + 16) / 2
    # stages without tools: 7 + 2 + 0.5 + 1 + 0 + 3 + 0.5 = 14.0, so 15 - 14 = 1.0 s elsewhere
    assert math.isclose(split["other"], 1.0)
    assert time_split([eval_record]) == {}


def test_time_split_table_prints_every_stage_with_its_share() -> None:
    out = io.StringIO()
    print_table(time_split_table(time_split([STEP_1]), steps=1), Console(file=out, width=120))
    text = out.getvalue()
    for label in ("rollout", "of which tools", "judge (wait)", "rewards", "old log-probs", "advantages", "update"):
        assert label in text
    assert "42.9%" in text  # rollout 6 s of a 14 s step
    assert "mean of 1 steps" in text
