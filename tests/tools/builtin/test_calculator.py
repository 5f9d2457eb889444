"""Built-in calculator: a bounded `ast` evaluator, never `eval`."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awpo.tools.builtin.calculator import MAX_INT_BITS, calculate, evaluate


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2 * (3 + 4) ** 2", 98),  # 7**2 = 49, 2*49 = 98
        ("7 // 2 + 7 % 2", 4),  # 3 + 1
        ("2^10", 1024),  # ^ is read as a power
        ("-3 ** 2", -9),  # Python precedence: -(3**2)
        ("10 / 4", 2.5),
        ("sqrt(16) + abs(-2)", 6.0),  # 4.0 + 2
        ("log(8, 2)", 3.0),
        ("factorial(5)", 120),  # 5*4*3*2*1
        ("gcd(12, 18) + lcm(4, 6)", 18),  # 6 + 12
        ("round(pi, 2)", 3.14),
        ("max(1, 5, 3) - min(4, 2)", 3),
        ("2 ** -1", 0.5),
        ("6 × 7", 42),
    ],
)
def test_golden_values(expression: str, expected: float) -> None:
    got = evaluate(expression)
    assert got == expected and type(got) is type(expected)


def test_it_is_a_tool_with_a_schema() -> None:
    assert calculate.parameters["required"] == ["expression"]
    assert calculate("1 + 1") == 2


@pytest.mark.parametrize(
    ("expression", "needle"),
    [
        ("1 / 0", "division by zero"),
        ("5 % 0", "modulo by zero"),
        ("__import__('os')", "unknown function '__import__'"),
        ("__import__('os').system('id')", "Call is not allowed"),
        ("(1).real", "Attribute is not allowed"),
        ("().__class__", "not allowed"),
        ("x + 1", "unknown name 'x'"),
        ("'a' * 3", "only numbers"),
        ("True + 1", "only numbers"),
        ("[1, 2]", "List is not allowed"),
        ("lambda: 1", "not allowed"),
        ("1 if 1 else 2", "not allowed"),
        ("sqrt(-1)", "sqrt()"),
        ("2 +", "not an arithmetic expression"),
        ("0 ** -1", "negative power"),
        ("(-8) ** (1/3)", "math domain"),
    ],
)
def test_refusals_name_the_problem(expression: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        evaluate(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "9 ** 9 ** 9",  # would be a number with ~3e8 digits
        "2 ** 100000",
        "factorial(100000)",
        "10.0 ** 400",  # float overflow
        "(2 ** 4000) * (2 ** 4000)",
        "exp(1000)",
    ],
)
def test_huge_results_are_refused_before_they_are_computed(expression: str) -> None:
    with pytest.raises(ValueError):
        evaluate(expression)


def test_size_limits() -> None:
    with pytest.raises(ValueError, match="longer than"):
        evaluate("1+" * 300 + "1")
    with pytest.raises(ValueError, match="parts"):
        evaluate("+".join(["1"] * 150))
    assert evaluate(f"2 ** {MAX_INT_BITS - 1}") == 2 ** (MAX_INT_BITS - 1)
    with pytest.raises(ValueError, match="bits"):
        evaluate(f"2 ** {MAX_INT_BITS}")


small = st.integers(min_value=-1000, max_value=1000)


@given(small, small, small, st.sampled_from(["+", "-", "*"]), st.sampled_from(["+", "-", "*"]))
def test_matches_python_arithmetic(a: int, b: int, c: int, op1: str, op2: str) -> None:
    # Reference result with Python's own operators (no eval in the code under test).
    ops = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}
    # Precedence: * binds tighter than + and -.
    expected = ops[op1](a, b * c) if op2 == "*" and op1 != "*" else ops[op2](ops[op1](a, b), c)
    assert evaluate(f"{a} {op1} ({b}) {op2} ({c})") == expected


@given(st.floats(min_value=1e-6, max_value=1e6))
def test_sqrt_squares_back(x: float) -> None:
    assert math.isclose(evaluate(f"sqrt({x!r}) ** 2"), x, rel_tol=1e-9)
