"""A PyTorch (CPU, float64) reference of ALGORITHM.md §1–§4 for the `awpo` estimator.

The benchmark's torch baseline: segment sums with `index_add_`, min/max with `scatter_reduce`, so
ragged groups work. Same decisions as `reference_advantages.py`.
"""

from __future__ import annotations

from typing import Any

import torch
from reference_advantages import DEFAULTS


def _moments(
    x: torch.Tensor, gid: torch.Tensor, k: int, present: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    zeros = torch.zeros(k, dtype=x.dtype)
    n = zeros.index_add(0, gid, present.to(x.dtype))
    total = zeros.index_add(0, gid, torch.where(present, x, 0.0))
    lo = torch.full((k,), torch.inf, dtype=x.dtype).scatter_reduce(
        0, gid, torch.where(present, x, torch.inf), reduce="amin"
    )
    hi = torch.full((k,), -torch.inf, dtype=x.dtype).scatter_reduce(
        0, gid, torch.where(present, x, -torch.inf), reduce="amax"
    )
    tie = lo == hi
    mu = torch.where(tie, lo, total / n)  # (K,)
    dev = torch.where(present, x - mu[gid], 0.0)  # (N,)
    sd = torch.where(tie, 0.0, torch.sqrt(zeros.index_add(0, gid, dev * dev) / n))
    return n, mu, sd


def torch_reference_awpo(
    outcome: torch.Tensor, reasoning: torch.Tensor, offsets: torch.Tensor, **options: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    """`(advantage, reasoning_share)` of the `awpo` estimator with soft|hard|ratio|off gates."""
    c = {**DEFAULTS, **options}
    if c["estimator"] != "awpo":
        raise ValueError("the torch reference implements the awpo estimator only")
    k = len(offsets) - 1
    sizes = offsets[1:] - offsets[:-1]
    gid = torch.repeat_interleave(torch.arange(k), sizes)  # (N,)
    eps = c["eps"]
    present = ~torch.isnan(outcome)
    _, mu_o, sd_o = _moments(outcome, gid, k, present)
    present_r = ~torch.isnan(reasoning)
    n_r, mu_r, sd_r = _moments(reasoning, gid, k, present_r)
    denom_o = sd_o + eps if c["scale"] == "std" else torch.ones_like(sd_o)
    ao = (outcome - mu_o[gid]) / denom_o[gid]
    sd_max = c["outcome_max"] / 2 - c["outcome_min"] / 2
    judge = sd_r > c["tau_r"]
    if c["gate"] == "soft":
        g = torch.where(judge, 1.0 - sd_o / sd_max, 0.0)
    elif c["gate"] == "hard":
        g = ((sd_o <= c["tau_o"]) & judge).to(outcome.dtype)
    elif c["gate"] == "ratio":
        sd_r_n, sd_o_n = sd_r / 0.5, sd_o / sd_max
        g = sd_r_n / (sd_r_n + sd_o_n + eps)
    else:
        g = torch.ones(k, dtype=outcome.dtype)
    g = torch.where(n_r < 2, 0.0, g).clamp(0.0, 1.0)
    if c["weight"] == "linear":
        d = (1.0 - (mu_o - c["outcome_min"]) / (c["outcome_max"] - c["outcome_min"])).clamp(0.0, 1.0)
        w = c["lam"] * (c["w_floor"] + (1.0 - c["w_floor"]) * d)
    else:
        w = torch.full((k,), float(c["lam"]), dtype=outcome.dtype)
    ar = torch.where(present_r, (reasoning - mu_r[gid]) / (sd_r + eps)[gid], 0.0)
    cterm = (g * w)[gid] * ar
    if c["clip"] == "on":
        bound = torch.where(ao.abs() > eps, c["kappa"] * ao.abs(), c["delta0"])
        cterm = torch.minimum(torch.maximum(cterm, -bound), bound)
    adv = ao + cterm
    share = cterm.abs() / (ao.abs() + cterm.abs() + eps)
    return adv, share
