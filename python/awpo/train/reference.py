"""The frozen reference policy of the KL term (ALGORITHM.md §5, `algo.loss.beta > 0`).

The KL term anchors the policy to where RL started: the warm-up's result when the warm-up runs, else the
initial model (`model.name_or_path`). The warm-up's weights exist only in memory when RL starts, so they are
copied into the reference then (`anchor_reference`) and written once into the run directory
(`awpo.train.run_dir.REFERENCE_POLICY_FILE`), from which `--resume` loads them: a resumed run keeps the same anchor.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from awpo.errors import AwpoError
from awpo.model import load_model


class ReferencePolicyError(AwpoError):
    """The reference policy of a resumed run is missing or does not fit the model."""


def load_reference(source: str, anchored: Path | None, *, dtype: torch.dtype, device: torch.device) -> torch.nn.Module:
    """The frozen reference: the model at `source`, with the weights of `anchored` (a file written by
    `save_reference`) when given.

    Raises:
        ReferencePolicyError: `anchored` is missing, unreadable, or names other parameters than the model's.
    """
    reference, _ = load_model(source, dtype=dtype, device=device)
    reference.requires_grad_(False)
    if anchored is not None:
        if not anchored.is_file():
            raise ReferencePolicyError(
                f"{anchored} is missing: the run's KL reference (the policy after its warm-up) cannot be restored; "
                "start the run again with --overwrite"
            )
        try:
            weights = load_file(str(anchored))
        except Exception as exc:  # safetensors raises its own error types for a torn or foreign file
            raise ReferencePolicyError(f"{anchored} cannot be read: {exc}") from exc
        anchor_reference(reference, [list(weights.items())])
    return reference


@torch.no_grad()
def anchor_reference(reference: torch.nn.Module, buckets: Iterable[Sequence[tuple[str, torch.Tensor]]]) -> None:
    """Copy the full weights in `buckets` (name, tensor) into `reference`; every parameter must be set once.

    Raises:
        ReferencePolicyError: a name the reference does not have, or a parameter left unset.
    """
    params = dict(reference.named_parameters())
    unset = set(params)
    for bucket in buckets:
        for name, tensor in bucket:
            if name not in params:
                raise ReferencePolicyError(f"the reference policy has no parameter {name!r}")
            params[name].copy_(tensor.to(params[name].dtype))
            unset.discard(name)
    if unset:
        raise ReferencePolicyError(f"{len(unset)} reference parameters were not set, e.g. {sorted(unset)[0]!r}")


def save_reference(reference: torch.nn.Module, path: Path) -> None:
    """Write the reference's parameters to `path` atomically (a torn write never replaces a good file)."""
    tmp = path.with_name(path.name + ".tmp")
    save_file({name: p.detach().contiguous() for name, p in reference.named_parameters()}, str(tmp))
    os.replace(tmp, path)


__all__ = ["ReferencePolicyError", "anchor_reference", "load_reference", "save_reference"]
