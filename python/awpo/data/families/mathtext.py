"""Task templates of the computation families: geometry, statistics, strings, translation."""

from __future__ import annotations

from random import Random

from awpo.data.families.base import (
    Example,
    Family,
    Request,
    Run,
    ask,
    call,
    chain,
    fmt_num,
    missing_template,
    pair_template,
    pick,
    pick_n,
    q,
    run_step,
    single,
)
from awpo.tools.builtin import translate

# ----------------------------------------------------------------------------- geometry


def _len(rng: Random) -> int | float:
    return pick(rng, [1, 2, 3, 4, 5, 6, 7.5, 8, 10, 12, 2.5])  # type: ignore[no-any-return]


def _geometry_single(rng: Random) -> Example:
    kind = rng.randrange(4)
    if kind == 0:
        r = _len(rng)
        text = pick(
            rng, [f"What's the area of a circle with radius {fmt_num(r)}?", f"Area of a circle, r = {fmt_num(r)}?"]
        )
        frag = f"radius {fmt_num(r)}" if "radius" in text else f"r = {fmt_num(r)}"
        return single(
            text,
            ["area of a circle" if "area of" in text else "Area of a circle", frag],
            "circle_area with that radius.",
            call("circle_area", radius=r),
        )
    if kind == 1:
        w, h = _len(rng), _len(rng)
        text = f"Area of a {fmt_num(w)} by {fmt_num(h)} rectangle?"
        return single(
            text,
            [f"{fmt_num(w)} by {fmt_num(h)} rectangle"],
            "rectangle_area with width and height.",
            call("rectangle_area", width=w, height=h),
        )
    if kind == 2:
        b, h = _len(rng), _len(rng)
        text = f"A triangle has base {fmt_num(b)} and height {fmt_num(h)}. What is its area?"
        return single(
            text,
            [f"base {fmt_num(b)}", f"height {fmt_num(h)}"],
            "triangle_area with base and height.",
            call("triangle_area", base=b, height=h),
        )
    x1, y1, x2, y2 = (rng.randint(-9, 9) for _ in range(4))
    text = f"Distance between ({x1}, {y1}) and ({x2}, {y2})?"
    return single(
        text,
        [f"({x1}, {y1})", f"({x2}, {y2})"],
        "distance_2d with both points.",
        call("distance_2d", x1=x1, y1=y1, x2=x2, y2=y2),
    )


def _geometry_parallel(rng: Random) -> Example:
    r1, r2 = pick_n(rng, [1, 2, 3, 4, 5, 6, 8, 10], 2)
    text = f"Give me the areas of circles with radius {r1} and radius {r2}."
    return single(
        text,
        [f"radius {r1}", f"radius {r2}"],
        "Two circles, two circle_area calls.",
        call("circle_area", radius=r1),
        call("circle_area", radius=r2),
    )


def _geometry_missing(rng: Random) -> Example:
    w = _len(rng)
    text = pick(rng, [f"What's the area of a rectangle {fmt_num(w)} wide?", "Compute the area of my circle."])
    if "circle" in text:
        return ask(text, [text], "the radius", "circle_area", "What is the circle's radius?")
    return ask(text, [f"{fmt_num(w)} wide"], "the height", "rectangle_area", "How tall is the rectangle?")


def _geometry_multi(rng: Random, run: Run) -> Example:
    r = pick(rng, [1, 2, 3, 4, 5])
    w, h = pick_n(rng, [2, 3, 4, 5, 6, 8], 2)
    text = f"Which is bigger: a circle of radius {r} or a {w} by {h} rectangle?"
    step = run_step(
        run,
        f"The user compares {q(f'a circle of radius {r}')} with {q(f'a {w} by {h} rectangle')}; compute both areas.",
        call("circle_area", radius=r),
        call("rectangle_area", width=w, height=h),
    )
    ca, ra = step.results[0]["area"], step.results[1]["area"]
    bigger = "circle" if ca > ra else "rectangle"
    answer = f"The {bigger} is bigger: the circle's area is {ca} and the rectangle's is {fmt_num(ra)}."
    return chain(
        text, [f"a circle of radius {r}", f"a {w} by {h} rectangle"], [step], answer, f"Areas {ca} and {fmt_num(ra)}."
    )


GEOMETRY = Family(
    name="geometry",
    module="awpo.tools.builtin.geometry",
    single=_geometry_single,
    parallel=_geometry_parallel,
    missing=_geometry_missing,
    multi_step=_geometry_multi,
    topics=("geometry",),
)

# ----------------------------------------------------------------------------- statistics


def _numbers(rng: Random) -> list[int]:
    return [rng.randint(1, 60) for _ in range(rng.randint(3, 7))]


def _listed(xs: list[int]) -> str:
    return ", ".join(str(x) for x in xs)


def _stats_single(rng: Random) -> Example:
    xs = _numbers(rng)
    which = pick(rng, ["mean", "median", "std_dev", "percentile"])
    listed = _listed(xs)
    if which == "percentile":
        pct = pick(rng, [25, 75, 90])
        text = f"What's the {pct}th percentile of {listed}?"
        return single(
            text, [f"{pct}th percentile", listed], f"percentile with q={pct}.", call("percentile", numbers=xs, q=pct)
        )
    word = {"mean": "average", "median": "median", "std_dev": "standard deviation"}[which]
    text = pick(rng, [f"What's the {word} of {listed}?", f"Compute the {word} of these numbers: {listed}"])
    return single(text, [word, listed], f"{which} over the numbers as given.", call(which, numbers=xs))


def _stats_parallel(rng: Random) -> Example:
    xs = _numbers(rng)
    listed = _listed(xs)
    text = f"Give me both the mean and the median of {listed}."
    return single(
        text,
        ["mean", "median", listed],
        "Two statistics of the same numbers: mean and median.",
        call("mean", numbers=xs),
        call("median", numbers=xs),
    )


def _stats_missing(rng: Random) -> Example:
    word = pick(rng, ["average", "median", "standard deviation"])
    text = f"Compute the {word} of my test scores."
    tool_name = {"average": "mean", "median": "median", "standard deviation": "std_dev"}[word]
    return ask(
        text, [f"{word} of my test scores"], "the numbers", tool_name, "Which scores should I use? Please list them."
    )


def _stats_multi(rng: Random, run: Run) -> Example:
    xs = _numbers(rng)
    listed = _listed(xs)
    text = f"Is the mean of {listed} above or below its median?"
    step = run_step(
        run,
        f"The user compares {q('the mean')} with the median of {q(listed)}.",
        call("mean", numbers=xs),
        call("median", numbers=xs),
    )
    mu, med = step.results[0]["mean"], step.results[1]["median"]
    rel = "above" if mu > med else ("below" if mu < med else "equal to")
    answer = f"The mean ({fmt_num(mu)}) is {rel} the median ({fmt_num(med)})."
    return chain(text, ["the mean", listed], [step], answer, f"mean {fmt_num(mu)}, median {fmt_num(med)}.")


STATS = Family(
    name="stats",
    module="awpo.tools.builtin.stats",
    single=_stats_single,
    parallel=_stats_parallel,
    missing=_stats_missing,
    multi_step=_stats_multi,
    topics=("statistics",),
)

# ----------------------------------------------------------------------------- strings

_PHRASES = (
    "the quick brown fox",
    "hello world",
    "a man a plan a canal panama",
    "reinforcement learning is fun",
    "tools make models useful",
)


_PASTE_TEXT = "Which text do you mean? Please paste it."


def _strings_single(rng: Random) -> Example:
    text_in = pick(rng, _PHRASES)
    kind = rng.randrange(4)
    if kind == 0:
        text = f"How many words are in '{text_in}'?"
        return single(
            text, ["How many words", text_in], "count_words on that text.", call("count_words", text=text_in)
        )
    if kind == 1:
        text = f"Reverse the text '{text_in}'."
        return single(text, ["Reverse", text_in], "reverse_text on that text.", call("reverse_text", text=text_in))
    if kind == 2:
        case = pick(rng, ["upper", "lower", "title"])
        text = f"Convert '{text_in}' to {case} case."
        return single(
            text,
            [text_in, f"{case} case"],
            f"change_case with case {case}.",
            call("change_case", text=text_in, case=case),
        )
    sub = pick(rng, [w for w in text_in.split() if len(w) > 1] or ["a"])
    text = f"How often does '{sub}' appear in '{text_in}'?"
    return single(
        text,
        [sub, text_in],
        "count_occurrences of the substring.",
        call("count_occurrences", text=text_in, substring=sub),
    )


def _strings_multi(rng: Random, run: Run) -> Example:
    a, b = pick_n(rng, _PHRASES, 2)
    text = f"Which has more words: '{a}' or '{b}'?"
    step = run_step(
        run,
        f"The user compares {q(a)} with {q(b)}; count both.",
        call("count_words", text=a),
        call("count_words", text=b),
    )
    na, nb = step.results[0]["words"], step.results[1]["words"]
    if na == nb:
        answer = f"They have the same number of words ({na})."
    else:
        answer = f"'{a if na > nb else b}' has more words: {max(na, nb)} against {min(na, nb)}."
    return chain(text, [a, b], [step], answer, f"{na} and {nb} words.")


STRINGS = Family(
    name="strings",
    module="awpo.tools.builtin.strings",
    single=_strings_single,
    parallel=pair_template(
        _PHRASES, "Count the words in '{a}' and in '{b}'.", "Two texts, two count_words calls.", "count_words", "text"
    ),
    missing=missing_template(
        Request(("Reverse my sentence.",), "the text", "reverse_text", _PASTE_TEXT),
        Request(("Convert the title to upper case.",), "the text", "change_case", _PASTE_TEXT),
    ),
    multi_step=_strings_multi,
    topics=("text utilities",),
)

# ----------------------------------------------------------------------------- translation

_WORDS = list(translate.DICTIONARY)
_LANGS = {"fr": "French", "es": "Spanish", "de": "German", "it": "Italian"}


def _translate_single(rng: Random) -> Example:
    word = pick(rng, _WORDS)
    if rng.random() < 0.25:
        lang = pick(rng, list(_LANGS))
        foreign = translate.DICTIONARY[word][lang]
        text = f"What language is '{foreign}'?"
        return single(text, [foreign], "detect_language on that word.", call("detect_language", text=foreign))
    lang = pick(rng, list(_LANGS))
    text = pick(rng, [f"How do you say '{word}' in {_LANGS[lang]}?", f"Translate '{word}' into {_LANGS[lang]}."])
    return single(
        text,
        [word, _LANGS[lang]],
        f"translate_word with target_language {lang} ({_LANGS[lang]}).",
        call("translate_word", word=word, target_language=lang),
    )


def _translate_parallel(rng: Random) -> Example:
    word = pick(rng, _WORDS)
    a, b = pick_n(rng, list(_LANGS), 2)
    text = f"Translate '{word}' into {_LANGS[a]} and {_LANGS[b]}."
    return single(
        text,
        [word, _LANGS[a], _LANGS[b]],
        "Two target languages, two translate_word calls.",
        call("translate_word", word=word, target_language=a),
        call("translate_word", word=word, target_language=b),
    )


def _translate_missing(rng: Random) -> Example:
    word = pick(rng, _WORDS)
    text = f"Translate '{word}' for me."
    return ask(
        text, [word], "the target language", "translate_word", f"Into which language should I translate '{word}'?"
    )


def _translate_multi(rng: Random, run: Run) -> Example:
    word = pick(rng, _WORDS)
    a, b = pick_n(rng, list(_LANGS), 2)
    text = f"Is '{word}' spelled the same in {_LANGS[a]} and {_LANGS[b]}?"
    step = run_step(
        run,
        f"The user asks about {q(word)} in {q(_LANGS[a])} and {q(_LANGS[b])}; translate into both.",
        call("translate_word", word=word, target_language=a),
        call("translate_word", word=word, target_language=b),
    )
    ta, tb = step.results[0]["translation"], step.results[1]["translation"]
    same = "Yes" if ta.lower() == tb.lower() else "No"
    answer = f"{same}: it is '{ta}' in {_LANGS[a]} and '{tb}' in {_LANGS[b]}."
    return chain(text, [word, _LANGS[a], _LANGS[b]], [step], answer, f"{ta} vs {tb}.")


TRANSLATE = Family(
    name="translate",
    module="awpo.tools.builtin.translate",
    single=_translate_single,
    parallel=_translate_parallel,
    missing=_translate_missing,
    multi_step=_translate_multi,
    topics=("translation",),
)

FAMILIES = (GEOMETRY, STATS, STRINGS, TRANSLATE)
