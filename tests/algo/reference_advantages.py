"""A NumPy reference of ALGORITHM.md §1–§4 and §6, written independently of the Rust engine.

Vectorised over ragged groups with `ufunc.reduceat`, so it also serves as the benchmark's NumPy
baseline. It follows the same documented decisions as the engine (`awpo.algo.advantages`), but not
its overflow fallbacks: inputs must keep `(x - mu)^2` finite (normal reward scales).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

DEFAULTS: dict[str, Any] = {
    "estimator": "awpo",
    "gate": "soft",
    "weight": "linear",
    "clip": "on",
    "scale": "std",
    "tau_r": 0.05,
    "tau_o": 1e-6,
    "lam": 1.0,
    "w_floor": 0.25,
    "kappa": 0.5,
    "delta0": 1.0,
    "eps": 1e-6,
    "outcome_min": 0.0,
    "outcome_max": 1.0,
}


def group_moments(
    x: F64, starts: npt.NDArray[np.int64], gid: npt.NDArray[np.int64], present: npt.NDArray[np.bool_] | None = None
) -> tuple[npt.NDArray[np.int64], F64, F64]:
    """Per group: count, mean and population std of the present values; exact (x, 0) for equal values."""
    if present is None:
        present = np.ones(x.shape, dtype=bool)
    n = np.add.reduceat(present.astype(np.int64), starts)
    total = np.add.reduceat(np.where(present, x, 0.0), starts)
    lo = np.minimum.reduceat(np.where(present, x, np.inf), starts)
    hi = np.maximum.reduceat(np.where(present, x, -np.inf), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = total / n  # (K,)
        tie = lo == hi
        mu = np.where(tie, lo, mu)
        dev = np.where(present, x - mu[gid], 0.0)  # (N,)
        sd = np.where(tie, 0.0, np.sqrt(np.add.reduceat(dev * dev, starts) / n))
    return n, mu, sd


def reference_advantages(
    outcome: npt.ArrayLike, reasoning: npt.ArrayLike, offsets: npt.ArrayLike, **options: Any
) -> dict[str, npt.NDArray[Any]]:
    """The engine's outputs (`advantage`, `reasoning_share`, `gate`, `weight`, `tied`, `bound_hit`)."""
    c = {**DEFAULTS, **options}
    ro = np.asarray(outcome, dtype=np.float64)
    rr = np.asarray(reasoning, dtype=np.float64)
    off = np.asarray(offsets, dtype=np.int64)
    k_groups = len(off) - 1
    if k_groups == 0:
        empty = np.zeros(0)
        return {
            "advantage": empty,
            "reasoning_share": empty,
            "gate": empty,
            "weight": empty,
            "tied": np.zeros(0, dtype=bool),
            "bound_hit": np.zeros(0, dtype=np.uint32),
        }
    starts = off[:-1]
    sizes = np.diff(off)
    gid = np.repeat(np.arange(k_groups), sizes)  # (N,) group of each row
    eps = c["eps"]

    _, mu_o, sd_o = group_moments(ro, starts, gid)
    tied = sd_o <= c["tau_o"]
    present = ~np.isnan(rr)
    n_r, mu_r, sd_r = group_moments(rr, starts, gid, present)

    def denom(sd: F64) -> F64:  # §1: sd + eps, or 1 with scale: none
        return sd + eps if c["scale"] == "std" else np.ones_like(sd)

    ao = (ro - mu_o[gid]) / denom(sd_o)[gid]  # (N,)
    nan_k = np.full(k_groups, np.nan)
    zeros_n = np.zeros_like(ro)
    no_hits = np.zeros(k_groups, dtype=np.uint32)

    if c["estimator"] == "grpo":  # §6: A = Ao
        return {
            "advantage": ao,
            "reasoning_share": zeros_n,
            "gate": nan_k,
            "weight": nan_k,
            "tied": tied,
            "bound_hit": no_hits,
        }
    if c["estimator"] == "naive_sum":  # §6: R = Ro + lam * Rr (missing -> mu_r; all missing -> Ro)
        fill = np.where(n_r > 0, mu_r, 0.0)[gid]
        r_sum = ro + c["lam"] * np.where(present, rr, fill)
        _, mu, sd = group_moments(r_sum, starts, gid)
        adv = (r_sum - mu[gid]) / denom(sd)[gid]
        return {
            "advantage": adv,
            "reasoning_share": zeros_n,
            "gate": nan_k,
            "weight": nan_k,
            "tied": tied,
            "bound_hit": no_hits,
        }

    gate, weight, clip = ("off", "off", "off") if c["estimator"] == "norm_sum" else (c["gate"], c["weight"], c["clip"])
    sd_max = c["outcome_max"] / 2 - c["outcome_min"] / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        judge = sd_r > c["tau_r"]
        if gate == "soft":  # §2
            g = np.where(judge, 1.0 - sd_o / sd_max, 0.0)
        elif gate == "hard":
            g = np.where((sd_o <= c["tau_o"]) & judge, 1.0, 0.0)
        elif gate == "ratio":
            sd_r_n, sd_o_n = sd_r / 0.5, sd_o / sd_max
            g = sd_r_n / (sd_r_n + sd_o_n + eps)
        else:
            g = np.ones(k_groups)
    g = np.clip(np.where(n_r < 2, 0.0, g), 0.0, 1.0)
    if weight == "linear":  # §3
        d = np.clip(1.0 - (mu_o - c["outcome_min"]) / (c["outcome_max"] - c["outcome_min"]), 0.0, 1.0)
        w = c["lam"] * (c["w_floor"] + (1.0 - c["w_floor"]) * d)
    else:
        w = np.full(k_groups, float(c["lam"]))

    with np.errstate(invalid="ignore"):
        ar = np.where(present, (rr - mu_r[gid]) / (sd_r + eps)[gid], 0.0)  # §1
    cterm = (g * w)[gid] * ar  # §4: c_i = g * w * Ar_i
    hits = no_hits
    if clip == "on":
        bound = np.where(np.abs(ao) > eps, c["kappa"] * np.abs(ao), c["delta0"])
        hit = np.abs(cterm) > bound
        hits = np.add.reduceat(hit.astype(np.int64), starts).astype(np.uint32)
        cterm = np.clip(cterm, -bound, bound)
    adv = ao + cterm
    share = np.abs(cterm) / (np.abs(ao) + np.abs(cterm) + eps)
    return {"advantage": adv, "reasoning_share": share, "gate": g, "weight": w, "tied": tied, "bound_hit": hits}
