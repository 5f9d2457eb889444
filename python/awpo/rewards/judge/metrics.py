"""The judge's metric names, under the short names the judge's code uses.

Each is defined once, in `awpo.metric_names` (docs/DESIGN.md "Conventions"); see the docstrings there.
"""

from __future__ import annotations

from awpo.metric_names import JUDGE_CACHE_HIT_FRAC as CACHE_HIT_FRAC
from awpo.metric_names import JUDGE_EMPTY_REASONING_FRAC as EMPTY_REASONING_FRAC
from awpo.metric_names import JUDGE_FAILURE_FRAC as FAILURE_FRAC
from awpo.metric_names import JUDGE_FAILURES as FAILURES
from awpo.metric_names import JUDGE_ITEMS_PER_S as ITEMS_PER_S
from awpo.metric_names import JUDGE_LATENCY_S_MAX as LATENCY_S_MAX
from awpo.metric_names import JUDGE_LATENCY_S_MEAN as LATENCY_S_MEAN
from awpo.metric_names import JUDGE_LOGPROB_WEIGHTED_FRAC as LOGPROB_WEIGHTED_FRAC
from awpo.metric_names import JUDGE_METRICS as ALL
from awpo.metric_names import JUDGE_SCORE_MEAN as SCORE_MEAN
from awpo.metric_names import JUDGE_SCORE_TOKEN_MASS_MEAN as SCORE_TOKEN_MASS_MEAN

__all__ = [
    "ALL",
    "CACHE_HIT_FRAC",
    "EMPTY_REASONING_FRAC",
    "FAILURES",
    "FAILURE_FRAC",
    "ITEMS_PER_S",
    "LATENCY_S_MAX",
    "LATENCY_S_MEAN",
    "LOGPROB_WEIGHTED_FRAC",
    "SCORE_MEAN",
    "SCORE_TOKEN_MASS_MEAN",
]
