"""Metric-name constants: well formed, unique, and covering ALGORITHM.md §7."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from awpo.train import metrics as m

# ALGORITHM.md §7, verbatim (the spec lives outside the package; a test below re-reads it when present).
SECTION_7_TEXT = (
    "Mean and distribution of `g`, `w`, `s_i`; fraction of samples where the clip bound binds; share of "
    "groups with tied outcomes; judge failures and latency; outcome-reward components; ratio-clip "
    "fraction; KL; tokens/s for rollout, scoring and update."
)
NAME = re.compile(r"^[a-z][a-z0-9_]*(/[a-z0-9_]+)+$")


def section_7_items(text: str) -> list[str]:
    """Splits §7 into the items `SECTION_7` names (lists like "g, w, s_i" become one item each)."""
    text = text.replace("`", "").rstrip(".").lower()
    items: list[str] = []
    for part in (p.strip() for p in text.split(";")):
        if part.startswith("mean and distribution of "):
            items += [
                f"mean and distribution of {x.strip()}"
                for x in part.removeprefix("mean and distribution of ").split(",")
            ]
        elif part == "judge failures and latency":
            items += ["judge failures", "judge latency"]
        elif part.startswith("tokens/s for "):
            kinds = part.removeprefix("tokens/s for ").replace(" and ", ", ").split(",")
            items += [f"tokens/s for {k.strip()}" for k in kinds]
        else:
            items.append(part)
    return items


def test_names_are_well_formed_and_unique() -> None:
    assert len(set(m.ALL_METRICS)) == len(m.ALL_METRICS)
    for name in m.ALL_METRICS:
        assert NAME.match(name), name


def test_section_7_is_covered() -> None:
    covered = dict(m.SECTION_7)
    assert section_7_items(SECTION_7_TEXT) == list(covered)
    for item, names in m.SECTION_7:
        assert names, item
        for name in names:
            assert name in m.ALL_METRICS or name == m.REWARD_OUTCOME_COMPONENT_PREFIX, (item, name)


def test_the_algorithm_doc_lists_the_same_items() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "ALGORITHM.md").read_text(encoding="utf-8")
    section = doc.split("## 7.")[1]
    rows = [
        line.split("|")[1].strip().replace("`", "").lower() for line in section.splitlines() if line.startswith("| ")
    ]
    assert rows[0] == "what"
    assert set(dict(m.SECTION_7)) <= set(rows[1:])


def test_reward_component_names() -> None:
    assert m.reward_outcome_component("format") == "reward/outcome/format/mean"
    assert NAME.match(m.reward_outcome_component("tool_name_match"))
    for bad in ("", "Format", "a/b", "a b"):
        with pytest.raises(ValueError, match="component name"):
            m.reward_outcome_component(bad)
