"""The built-in tool families and their task templates (25 families, see `ALL`)."""

from __future__ import annotations

from awpo.data.families import core, info, mathtext, productivity, travel
from awpo.data.families.base import Example, Family, Step

ALL: tuple[Family, ...] = core.FAMILIES + info.FAMILIES + travel.FAMILIES + productivity.FAMILIES + mathtext.FAMILIES
BY_NAME: dict[str, Family] = {f.name: f for f in ALL}

__all__ = ["ALL", "BY_NAME", "Example", "Family", "Step"]
