"""Names of the judge's metrics (docs/DESIGN.md "Conventions": `area/name[/stat]`, unit suffixes)."""

from __future__ import annotations

FAILURES = "judge/failures"
"""Items whose score is missing (NaN) in the batch: unreachable judge, timeouts, garbage replies."""
FAILURE_FRAC = "judge/failure_frac"
"""`FAILURES` over the batch size."""
LATENCY_S_MEAN = "judge/latency_s/mean"
"""Mean seconds per judged item (one request with its retries, or a forward-pass call); NaN if all cached."""
CACHE_HIT_FRAC = "judge/cache_hit_frac"
"""Items answered by the cache over the items that needed a judge (non-empty reasoning)."""
ITEMS_PER_S = "judge/items_per_s"
"""Batch size over the wall-clock seconds of the whole `score` call."""
SCORE_MEAN = "judge/score/mean"
"""Mean reasoning reward in [0, 1] over the scored items."""
LOGPROB_WEIGHTED_FRAC = "judge/logprob_weighted_frac"
"""Scored items whose score is an expectation over score-token probabilities (not a parsed integer)."""
EMPTY_REASONING_FRAC = "judge/empty_reasoning_frac"
"""Items with blank reasoning (scored 0 without a judge call)."""
SCORE_TOKEN_MASS_MEAN = "judge/score_token_mass/mean"
"""`hf` only: mean probability of the score tokens at the reply's first position (low = the judge model does
not answer with a bare score, and the expectation rests on little mass); NaN for other backends."""

ALL = (
    FAILURES,
    FAILURE_FRAC,
    LATENCY_S_MEAN,
    CACHE_HIT_FRAC,
    ITEMS_PER_S,
    SCORE_MEAN,
    LOGPROB_WEIGHTED_FRAC,
    EMPTY_REASONING_FRAC,
    SCORE_TOKEN_MASS_MEAN,
)
