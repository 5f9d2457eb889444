"""The algorithm: AWPO advantages (native, ALGORITHM.md §1–§4, §6) and the policy loss (PyTorch, §5).

`awpo.algo.loss` needs torch (the `train` extra) and is imported on its own:
`from awpo.algo.loss import policy_loss`.
"""

from __future__ import annotations

from awpo.algo.advantages import AdvantageBatch, advantages, uniform_offsets
from awpo.algo.config import AdvantageSettings, AlgoConfig, LossSettings

__all__ = ["AdvantageBatch", "AdvantageSettings", "AlgoConfig", "LossSettings", "advantages", "uniform_offsets"]
