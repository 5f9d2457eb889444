"""The exact-call rule (REWARDS.md "`exact`"): one rule for the `exact` reward, training's
exact-call accuracy and held-out evaluation.

Calls are equal as multisets of `(name, arguments)`, arguments compared with JSON equality: key
order is ignored, numbers compare by value (`1 == 1.0`), strings are not numbers (`"1" != 1`) and
booleans are not numbers (`true != 1`). The rule is awpo-core's (`reward::exact::calls_match`);
this module only hands it the calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from awpo import _native
from awpo.data.schema import FunctionCall, Task

CallLike = Mapping[str, Any] | FunctionCall


def calls_match(made: Sequence[CallLike], expected: Sequence[CallLike]) -> bool:
    """Whether `made` and `expected` (`{"name", "arguments"}` dicts or `FunctionCall`s) are equal
    as multisets of `(name, arguments)` under JSON equality.

    Raises `ValueError` / `TypeError` naming the item when a call is not `{name: str, arguments:
    object}` or holds a value that is not JSON.
    """
    return _native.calls_match(list(made), list(expected))


def expected_calls(task: Task) -> list[CallLike]:
    """Every call the task expects, over all turns: the recorded steps' calls for a multi-step task
    (`env` set, `meta.steps`), else the answer's calls (none for a no-call or response-only answer)."""
    steps = task.meta.get("steps") or []
    if task.env and steps:
        return [c for s in steps for c in s["calls"]]
    return list(task.answer.tool_calls)


def exact_call_correct(made: Sequence[CallLike], task: Task) -> bool:
    """Whether the calls made over all turns equal `expected_calls(task)` as a multiset (so, for a
    task whose answer is no call, whether no call was made)."""
    return calls_match(made, expected_calls(task))
