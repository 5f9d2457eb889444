"""Task templates of the sandbox's core families: calculator, units, dates, key-value store, Python.

The Python executor runs only inside a sandbox worker, so its family has no multi-step template
(the generator computes multi-step ground truth by running the tools in-process).
"""

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

# ----------------------------------------------------------------------------- calculator

_EXPRESSIONS = (
    "17 * 23",
    "(45 + 55) / 4",
    "2 ** 10 - 1",
    "sqrt(144) + 3",
    "1234 - 567 + 89",
    "3.5 * 4.2",
    "100 / 8",
    "(12 + 8) * (7 - 2)",
    "19 % 4",
    "factorial(6)",
)


def _calc_single(rng: Random) -> Example:
    expr = pick(rng, _EXPRESSIONS)
    text = pick(rng, [f"What is {expr}?", f"Calculate {expr} for me.", f"Can you work out {expr}?"])
    return single(
        text, [expr], "calculate evaluates the expression exactly as written.", call("calculate", expression=expr)
    )


def _calc_multi(rng: Random, run: Run) -> Example:
    price, qty = pick(rng, [12.5, 8, 19.99, 4.25]), rng.randint(2, 9)
    text = f"I buy {qty} items at {fmt_num(price)} each. What do I pay in total?"
    expr = f"{qty} * {fmt_num(price)}"
    step = run_step(
        run,
        f"The user buys {q(f'{qty} items at {fmt_num(price)} each')}; the total is {expr}.",
        call("calculate", expression=expr),
    )
    total = step.results[0]
    return chain(
        text,
        [f"{qty} items at {fmt_num(price)} each"],
        [step],
        f"You pay {fmt_num(total)} in total.",
        f"calculate returned {fmt_num(total)}.",
    )


CALCULATOR = Family(
    name="calculator",
    module="awpo.tools.builtin.calculator",
    single=_calc_single,
    parallel=pair_template(
        _EXPRESSIONS,
        "Compute {a} and also {b}.",
        "Two independent expressions, two calculate calls.",
        "calculate",
        "expression",
    ),
    missing=missing_template(
        Request(
            ("Can you calculate my total?", "Work out the sum for me."),
            "the numbers or the expression",
            "calculate",
            "Which numbers should I calculate with?",
        )
    ),
    multi_step=_calc_multi,
    topics=("arithmetic",),
)

# ----------------------------------------------------------------------------- units

_CONVERSIONS = (
    (5, "km", "mi"),
    (10, "mi", "km"),
    (100, "F", "C"),
    (30, "C", "F"),
    (2.5, "kg", "lb"),
    (12, "oz", "g"),
    (3, "gal", "l"),
    (500, "ml", "cup"),
    (6, "ft", "m"),
    (90, "min", "h"),
    (1, "day", "s"),
    (250, "g", "oz"),
)


def _units_single(rng: Random) -> Example:
    value, a, b = pick(rng, _CONVERSIONS)
    if rng.random() < 0.15:
        kind = pick(rng, ["length", "mass", "volume", "temperature"])
        text = f"Which {kind} units can you convert?"
        return single(text, [f"{kind} units"], "list_units for that kind.", call("list_units", category=kind))
    text = pick(rng, [f"Convert {fmt_num(value)} {a} to {b}.", f"How many {b} is {fmt_num(value)} {a}?"])
    return single(
        text,
        [f"{fmt_num(value)} {a}", b],
        f"convert_units with value {fmt_num(value)}, from {a}, to {b}.",
        call("convert_units", value=value, from_unit=a, to_unit=b),
    )


def _units_parallel(rng: Random) -> Example:
    (v1, a1, b1), (v2, a2, b2) = pick_n(rng, _CONVERSIONS, 2)
    text = f"Convert {fmt_num(v1)} {a1} to {b1}, and {fmt_num(v2)} {a2} to {b2}."
    return single(
        text,
        [f"{fmt_num(v1)} {a1} to {b1}", f"{fmt_num(v2)} {a2} to {b2}"],
        "Two conversions, two calls.",
        call("convert_units", value=v1, from_unit=a1, to_unit=b1),
        call("convert_units", value=v2, from_unit=a2, to_unit=b2),
    )


def _units_missing(rng: Random) -> Example:
    value, a, _ = pick(rng, _CONVERSIONS)
    text = f"Convert {fmt_num(value)} {a} for me."
    return ask(
        text,
        [f"{fmt_num(value)} {a}"],
        "the target unit",
        "convert_units",
        f"Into which unit should I convert {fmt_num(value)} {a}?",
    )


def _units_multi(rng: Random, run: Run) -> Example:
    km = pick(rng, [5, 10, 21.0975, 42.195])
    text = f"My run was {fmt_num(km)} km. How many miles is that, roughly?"
    step = run_step(
        run,
        f"The user ran {q(f'{fmt_num(km)} km')} and wants miles.",
        call("convert_units", value=km, from_unit="km", to_unit="mi"),
    )
    miles = round(step.results[0], 1)
    return chain(
        text,
        [f"{fmt_num(km)} km"],
        [step],
        f"That is about {fmt_num(miles)} miles.",
        f"convert_units gave {step.results[0]}.",
    )


UNITS = Family(
    name="units",
    module="awpo.tools.builtin.units",
    single=_units_single,
    parallel=_units_parallel,
    missing=_units_missing,
    multi_step=_units_multi,
    topics=("unit conversion",),
)

# ----------------------------------------------------------------------------- dates


def _date(rng: Random) -> str:
    return f"20{rng.randint(24, 27)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _dates_single(rng: Random) -> Example:
    d = _date(rng)
    kind = rng.randrange(4)
    if kind == 0:
        text = f"What day of the week is {d}?"
        return single(text, [d], "day_of_week on that date.", call("day_of_week", date=d))
    if kind == 1:
        e = _date(rng)
        text = f"How many days are there between {d} and {e}?"
        return single(
            text, [d, e], "days_between from the first date to the second.", call("days_between", start=d, end=e)
        )
    if kind == 2:
        n = rng.randint(3, 30)
        text = f"What date is {n} business days after {d}?"
        return single(
            text,
            [f"{n} business days", d],
            "add_business_days with that count.",
            call("add_business_days", date=d, days=n),
        )
    n = rng.randint(2, 20)
    unit = pick(rng, ["days", "weeks", "months"])
    text = f"What's the date {n} {unit} after {d}?"
    return single(text, [f"{n} {unit}", d], f"add_to_date with {unit}={n}.", call("add_to_date", date=d, **{unit: n}))


def _dates_parallel(rng: Random) -> Example:
    a, b = _date(rng), _date(rng)
    text = f"Which weekdays are {a} and {b}?"
    return single(
        text, [a, b], "Two dates, two day_of_week calls.", call("day_of_week", date=a), call("day_of_week", date=b)
    )


def _dates_missing(rng: Random) -> Example:
    n = rng.randint(2, 30)
    text = f"What date will it be in {n} days?"
    return ask(text, [f"in {n} days"], "a start date", "add_to_date", "From which date should I count (YYYY-MM-DD)?")


def _dates_multi(rng: Random, run: Run) -> Example:
    d, n = _date(rng), rng.randint(10, 90)
    text = f"If I start on {d}, what weekday is it {n} days later?"
    first = run_step(
        run, f"The user starts {q(d)} and adds {q(f'{n} days')}; first the date.", call("add_to_date", date=d, days=n)
    )
    later = first.results[0]
    second = run_step(run, f"{n} days later is {later}; now its weekday.", call("day_of_week", date=later))
    return chain(
        text,
        [d, f"{n} days"],
        [first, second],
        f"{n} days after {d} is {later}, a {second.results[0]}.",
        f"{later} is a {second.results[0]}.",
    )


DATES = Family(
    name="dates",
    module="awpo.tools.builtin.dates",
    single=_dates_single,
    parallel=_dates_parallel,
    missing=_dates_missing,
    multi_step=_dates_multi,
    topics=("date arithmetic",),
)

# ----------------------------------------------------------------------------- key-value store

_KEYS = ("wifi_password", "locker_code", "favorite_color", "parking_spot", "dentist_phone")
_VALUES = ("blue-fox-42", "1234", "teal", "B17", "555-0143")


def _kv_single(rng: Random) -> Example:
    key, value = pick(rng, _KEYS), pick(rng, _VALUES)
    if rng.random() < 0.35:  # a fresh episode's store is empty, so reading a key would fail: list instead
        prefix = pick(rng, ["wifi", "locker", "park", "dent"])
        text = f"Which of my saved keys start with '{prefix}'?"
        return single(text, [prefix], "kv_list with that prefix.", call("kv_list", prefix=prefix))
    text = f"Remember '{value}' as my {key}."
    return single(text, [value, key], "kv_set stores the value under that key.", call("kv_set", key=key, value=value))


def _kv_parallel(rng: Random) -> Example:
    (k1, k2), (v1, v2) = pick_n(rng, _KEYS, 2), pick_n(rng, _VALUES, 2)
    text = f"Save {k1} = '{v1}' and {k2} = '{v2}'."
    return single(
        text,
        [f"{k1} = '{v1}'", f"{k2} = '{v2}'"],
        "Two keys, two kv_set calls.",
        call("kv_set", key=k1, value=v1),
        call("kv_set", key=k2, value=v2),
    )


def _kv_missing(rng: Random) -> Example:
    key = pick(rng, _KEYS)
    text = f"Update my {key}."
    return ask(text, [text], "the new value", "kv_set", f"What should the new {key} be?")


def _kv_multi(rng: Random, run: Run) -> Example:
    key, (old, new) = pick(rng, _KEYS), pick_n(rng, _VALUES, 2)
    text = f"Store '{old}' as {key}, then change it to '{new}' and show me what is stored now."
    first = run_step(run, f"First store {q(old)} under {q(key)}.", call("kv_set", key=key, value=old))
    second = run_step(run, f"Now replace it with {q(new)}.", call("kv_set", key=key, value=new))
    third = run_step(run, "Read it back.", call("kv_get", key=key))
    return chain(
        text,
        [old, key, new],
        [first, second, third],
        f"{key} now holds '{third.results[0]}'.",
        f"kv_get returned {third.results[0]!r}.",
    )


KVSTORE = Family(
    name="kvstore",
    module="awpo.tools.builtin.kvstore",
    single=_kv_single,
    parallel=_kv_parallel,
    missing=_kv_missing,
    multi_step=_kv_multi,
    topics=("a key-value store",),
)

# ----------------------------------------------------------------------------- python

_SNIPPETS = (
    ("sum the numbers from 1 to 100", "print(sum(range(1, 101)))"),
    ("list the squares of 1 to 5", "print([i * i for i in range(1, 6)])"),
    ("sort the words 'pear apple fig'", "print(sorted('pear apple fig'.split()))"),
    ("count the vowels in 'reinforcement'", "print(sum(c in 'aeiou' for c in 'reinforcement'))"),
    ("reverse the list [3, 1, 2]", "print([3, 1, 2][::-1])"),
)


def _py_single(rng: Random) -> Example:
    task, code = pick(rng, _SNIPPETS)
    text = f"Run some Python to {task}."
    return single(text, [task], "python_exec runs code; print the result.", call("python_exec", code=code))


def _py_parallel(rng: Random) -> Example:
    (t1, c1), (t2, c2) = pick_n(rng, _SNIPPETS, 2)
    text = f"Use Python to {t1}, and separately to {t2}."
    return single(
        text,
        [t1, t2],
        "Two independent snippets, two python_exec calls.",
        call("python_exec", code=c1),
        call("python_exec", code=c2),
    )


PYTHON = Family(
    name="python",
    module="awpo.tools.builtin.python_exec",
    single=_py_single,
    parallel=_py_parallel,
    missing=missing_template(
        Request(
            ("Run my script.", "Execute this code for me."),
            "the code",
            "python_exec",
            "Which code should I run? Please paste it.",
        )
    ),
    multi_step=None,
    topics=("running Python code",),
)

FAMILIES = (CALCULATOR, UNITS, DATES, KVSTORE, PYTHON)
