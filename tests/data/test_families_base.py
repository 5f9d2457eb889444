"""The shared template builders of `awpo.data.families.base`."""

from __future__ import annotations

from random import Random

from awpo.data.families.base import Request, missing_template, pair_template


def test_pair_template_calls_once_per_distinct_item_with_fixed_arguments_after() -> None:
    template = pair_template(["x", "y", "z"], "Do {a} and {b}.", "Two items.", "lookup", "item", limit=3)
    for seed in range(20):
        ex = template(Random(seed))
        a, b = (c.arguments["item"] for c in ex.calls)
        assert a != b
        assert ex.query == f"Do {a} and {b}."
        assert ex.quotes == (a, b)
        assert [list(c.arguments) for c in ex.calls] == [["item", "limit"], ["item", "limit"]]
        assert {c.name for c in ex.calls} == {"lookup"}


def test_pair_template_picks_among_several_formats() -> None:
    template = pair_template(["x", "y"], ["One {a} {b}.", "Two {b} {a}."], "Two items.", "lookup", "item")
    queries = {template(Random(seed)).query.split()[0] for seed in range(40)}
    assert queries == {"One", "Two"}


def test_missing_template_asks_with_the_picked_requests_tool() -> None:
    template = missing_template(
        Request(("Book it.", "Reserve it."), "a date", "book", "Which date?"),
        Request(("Cancel it.",), "an id", "cancel", "Which booking?"),
    )
    seen: dict[str, str | None] = {}
    for seed in range(60):
        ex = template(Random(seed))
        assert not ex.calls and ex.quotes == (ex.query,)
        assert ex.final_reasoning.count("needs") == 1
        seen[ex.query] = ex.response
    assert seen == {"Book it.": "Which date?", "Reserve it.": "Which date?", "Cancel it.": "Which booking?"}
