"""Building blocks of the built-in task templates.

A family's templates turn a seeded `random.Random` into an `Example`: the user's query, the
reasoning (which quotes the user's words), and per step the right calls; or the right text answer
(asking for a missing value, abstaining). Multi-step templates get a `Run` that executes the
family's real tools, so later calls and the final answer use real tool results.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from random import Random
from typing import Any

from awpo.data.schema import FunctionCall
from awpo.tools.registry import Tool

Run = Callable[[str, dict[str, Any]], Any]  # execute one of the family's tools: (name, arguments) → result


def call(name: str, **arguments: Any) -> FunctionCall:
    """A ground-truth call (arguments in the order given)."""
    return FunctionCall(name=name, arguments=arguments)


def q(text: str) -> str:
    """The user's words, quoted for the reasoning."""
    return f'"{text}"'


@dataclass(frozen=True)
class Step:
    """One assistant turn that makes calls (in parallel), with the reasoning before them."""

    reasoning: str
    calls: tuple[FunctionCall, ...]
    results: tuple[Any, ...] = ()  # tool results, for multi-step examples


@dataclass(frozen=True)
class Example:
    """What a template produces: the query, the steps with calls, and the final text answer if any."""

    query: str
    steps: tuple[Step, ...] = ()
    response: str | None = None
    final_reasoning: str = ""  # reasoning before `response`
    quotes: tuple[str, ...] = ()  # the user's words the reasoning cites (each is a substring of `query`)

    def __post_init__(self) -> None:
        for quote in self.quotes:
            if quote not in self.query:
                raise ValueError(f"quote {quote!r} is not in the query {self.query!r}")
        if not self.steps and self.response is None:
            raise ValueError("an example needs calls or a response")

    @property
    def calls(self) -> list[FunctionCall]:
        """All calls of all steps, in order."""
        return [c for s in self.steps for c in s.calls]


def single(query: str, quotes: Sequence[str], reason: str, *calls: FunctionCall) -> Example:
    """A one-step example: quote the user, say why, make the calls."""
    cited = " and ".join(q(x) for x in quotes)
    return Example(query, (Step(f"The user asks for {cited}. {reason}", tuple(calls)),), quotes=tuple(quotes))


def ask(query: str, quotes: Sequence[str], missing: str, tool_name: str, question: str) -> Example:
    """A missing-parameter example: no call; ask the user for the missing value."""
    cited = " and ".join(q(x) for x in quotes)
    reasoning = (
        f"The user asks for {cited}, which {tool_name} can do, but it needs {missing} and the user did not give it. "
        "I must not guess it; I will ask."
    )
    return Example(query, (), response=question, final_reasoning=reasoning, quotes=tuple(quotes))


def chain(query: str, quotes: Sequence[str], steps: Sequence[Step], answer: str, final_reasoning: str) -> Example:
    """A multi-step example whose final answer uses the tools' results.

    Every turn's reasoning quotes the user: a turn whose reasoning does not gets the first quote
    prepended.
    """
    lead = q(quotes[0])
    cited = [
        s if cites_user(s.reasoning, query) else replace(s, reasoning=f"Next, for {lead}: {s.reasoning}")
        for s in steps
    ]
    if not cites_user(final_reasoning, query):
        final_reasoning = f"The user asked about {lead}. {final_reasoning}"
    return Example(query, tuple(cited), response=answer, final_reasoning=final_reasoning, quotes=tuple(quotes))


def cites_user(reasoning: str, query: str) -> bool:
    """Whether `reasoning` quotes (in double quotes) some words of `query`."""
    return any(part in query for part in re.findall(r'"([^"]+)"', reasoning))


def run_step(run: Run, reasoning: str, *calls: FunctionCall) -> Step:
    """Execute `calls` with the real tools and keep their results."""
    return Step(reasoning, tuple(calls), tuple(run(c.name, dict(c.arguments)) for c in calls))


Template = Callable[[Random], Example]
MultiStepTemplate = Callable[[Random, Run], Example]


@dataclass(frozen=True)
class Family:
    """A tool family: its tools module and its task templates.

    `single` makes one call, `parallel` several calls at once, `missing` leaves out a required
    value (the right answer asks for it), `multi_step` needs a tool's result to finish (`None` for
    a family whose tools run only in a sandbox worker: the generator runs multi-step ground truth
    in-process).
    """

    name: str
    module: str  # dotted path of the module defining the family's @tool functions
    single: Template
    parallel: Template
    missing: Template
    multi_step: MultiStepTemplate | None
    topics: tuple[str, ...] = field(default_factory=tuple)  # what the family is about, for abstention text

    def tools(self) -> list[Tool]:
        """The family's tools, in definition order."""
        module = importlib.import_module(self.module)
        return [v for v in vars(module).values() if isinstance(v, Tool) and v.module == self.module]


def pick(rng: Random, items: Sequence[Any]) -> Any:
    """One item, uniformly."""
    return items[rng.randrange(len(items))]


def pick_n(rng: Random, items: Sequence[Any], n: int) -> list[Any]:
    """`n` distinct items, in random order."""
    return rng.sample(list(items), n)


def fmt_num(x: float) -> str:
    """A number as a person writes it: no trailing `.0`."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def pair_template(items: Sequence[Any], texts: str | Sequence[str], reason: str, tool: str, param: str,
                  **fixed: Any) -> Template:  # fmt: skip
    """A `parallel` template: two distinct `items`, one `tool` call for each, with `param` set to the item.

    `texts` formats the query from `{a}` and `{b}`: one format, or several of which the template
    picks one. The quotes are the two items; `fixed` arguments follow `param` in every call.
    """

    def template(rng: Random) -> Example:
        a, b = pick_n(rng, items, 2)
        text = texts if isinstance(texts, str) else pick(rng, texts)
        calls = (call(tool, **{param: x}, **fixed) for x in (a, b))
        return single(text.format(a=a, b=b), [a, b], reason, *calls)

    return template


@dataclass(frozen=True)
class Request:
    """A request that leaves out a required value, so the right answer asks for it."""

    texts: tuple[str, ...]  # the user's words (a template picks one); the reasoning quotes them whole
    missing: str  # what the user did not give
    tool: str  # the tool that needs it
    question: str  # the right answer


def missing_template(*requests: Request) -> Template:
    """A `missing` template: one of the requests' texts, picked uniformly over all texts; ask for the value."""
    choices = [(text, r) for r in requests for text in r.texts]

    def template(rng: Random) -> Example:
        text, r = pick(rng, choices)
        return ask(text, [text], r.missing, r.tool, r.question)

    return template
