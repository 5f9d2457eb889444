"""AWPOTrainer under `torchrun --nproc-per-node 2` (gloo, `use_cpu=True`): 2 steps on the tiny model.

Both ranks finish; at every generation batch each rank's advantages are the slice of the advantages of
the *full* gathered group (the group of 4 spans both ranks: 2 completions each), identical to `awpo.algo.advantages` on
the gathered rewards; the §7 metrics are in TRL's log history.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trl_support  # noqa: F401  (imports TRL quietly)

from awpo import metric_names as m
from awpo.algo import AdvantageSettings, advantages, uniform_offsets

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(HERE.parent))
    from tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("trl-ddp-model"))


def test_two_ranks_two_steps(model_dir: Path, tmp_path: Path) -> None:
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    with socket.socket() as sock:  # a free port for the rendezvous (port 0 hangs torchrun's static rendezvous)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [
        torchrun,
        "--nproc-per-node",
        "2",
        "--master-port",
        str(port),
        str(HERE / "trl_ddp_run.py"),
        str(model_dir),
        str(tmp_path),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    ranks = [json.loads((tmp_path / f"rank{k}.json").read_text()) for k in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2]
    assert [r["global_step"] for r in ranks] == [2, 2]
    assert len(ranks[0]["records"]) == len(ranks[1]["records"]) == 2
    for step in range(2):
        a, b = (r["records"][step] for r in ranks)
        assert a["rewards"] == b["rewards"]  # both ranks see every rank's rewards
        rewards = np.array(a["rewards"])  # (4, 2): outcome, judge
        assert rewards.shape == (4, 2)
        full = advantages(
            rewards[:, 0], rewards[:, 1], uniform_offsets(4, 4), AdvantageSettings(), outcome_range=(0, 1)
        )
        for rec in (a, b):
            assert rec["stop"] - rec["start"] == 2
            want = full.advantage[rec["start"] : rec["stop"]].astype(np.float32)
            np.testing.assert_array_equal(np.array(rec["advantages"], dtype=np.float32), want)
        assert {a["start"], b["start"]} == {0, 2}
    logs = [h for h in ranks[0]["log_history"] if "loss" in h]
    assert len(logs) == 2
    for h in logs:
        for name in (
            m.AWPO_GATE_MEAN,
            m.AWPO_WEIGHT_MEAN,
            m.AWPO_REASONING_SHARE_MEAN,
            m.AWPO_CLIP_BOUND_HIT_FRAC,
            m.AWPO_TIED_OUTCOME_FRAC,
            m.JUDGE_FAILURE_FRAC,
        ):
            assert name in h, name
