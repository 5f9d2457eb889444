"""Calculator: a safe arithmetic evaluator (an `ast` walker over a whitelist, never `eval`).

Bounded: expressions up to 500 characters and 200 syntax nodes, integers up to 4096 bits (about
1233 digits), exponents and factorials checked before they are computed, so no input can make it
allocate or loop without bound.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from awpo.tools.registry import tool

MAX_CHARS = 500
MAX_NODES = 200
MAX_INT_BITS = 4096
MAX_FACTORIAL = 500

Number = int | float

_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _log(x: Number, base: Number | None = None) -> float:
    return math.log(x) if base is None else math.log(x, base)


def _factorial(n: Number) -> int:
    if isinstance(n, float):
        if not n.is_integer():
            raise ValueError("factorial() needs an integer")
        n = int(n)
    if n < 0 or n > MAX_FACTORIAL:
        raise ValueError(f"factorial() is limited to 0..{MAX_FACTORIAL}")
    return math.factorial(n)


def _round(x: Number, ndigits: Number | None = None) -> Number:
    if ndigits is None:
        return round(x)
    if not isinstance(ndigits, int) or not -20 <= ndigits <= 20:
        raise ValueError("round() digits must be an integer in -20..20")
    return round(x, ndigits)


def _int_args(name: str, f: Callable[..., int]) -> Callable[..., int]:
    def g(*xs: Number) -> int:
        if not all(isinstance(x, int) or (isinstance(x, float) and x.is_integer()) for x in xs):
            raise ValueError(f"{name}() needs integers")
        return f(*(int(x) for x in xs))

    return g


_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": _log,
    "ln": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "floor": math.floor,
    "ceil": math.ceil,
    "factorial": _factorial,
    "gcd": _int_args("gcd", math.gcd),
    "lcm": _int_args("lcm", math.lcm),
    "hypot": math.hypot,
    "degrees": math.degrees,
    "radians": math.radians,
}


def _check_int(x: Number) -> Number:
    if isinstance(x, int) and x.bit_length() > MAX_INT_BITS:
        raise ValueError(f"result exceeds {MAX_INT_BITS} bits")
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError("result is not a finite number")
    return x


def _pow(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int) and b > 0:
        # |a**b| has about b * bits(a) bits: refuse before computing it.
        if a not in (-1, 0, 1) and b * max(1, abs(a).bit_length() - 1) > MAX_INT_BITS:
            raise ValueError(f"result exceeds {MAX_INT_BITS} bits")
        power: int = a**b
        return power
    if isinstance(b, int) and b < 0 and a == 0:
        raise ValueError("zero cannot be raised to a negative power")
    try:
        result = math.pow(a, b) if isinstance(a, float) or isinstance(b, float) or b < 0 else a**b
    except OverflowError:
        raise ValueError("result is too large") from None
    if isinstance(result, complex):
        raise ValueError("result is not a real number")
    return result


def _mul(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
        raise ValueError(f"result exceeds {MAX_INT_BITS} bits")
    return a * b


def _div(a: Number, b: Number) -> Number:
    if b == 0:
        raise ValueError("division by zero")
    return a / b


def _floordiv(a: Number, b: Number) -> Number:
    if b == 0:
        raise ValueError("division by zero")
    return a // b


def _mod(a: Number, b: Number) -> Number:
    if b == 0:
        raise ValueError("modulo by zero")
    return a % b


_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: _mul,
    ast.Div: _div,
    ast.FloorDiv: _floordiv,
    ast.Mod: _mod,
    ast.Pow: _pow,
}

_UNARY: dict[type[ast.unaryop], Callable[[Number], Number]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def evaluate(expression: str) -> Number:
    """Evaluates an arithmetic expression; raises `ValueError` naming what is not allowed."""
    if len(expression) > MAX_CHARS:
        raise ValueError(f"expression longer than {MAX_CHARS} characters")
    text = expression.strip().replace("^", "**").replace("×", "*").replace("÷", "/")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        raise ValueError(f"not an arithmetic expression: {e}") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ValueError(f"expression has {nodes} parts, more than {MAX_NODES}")
    return _check_int(_eval(tree.body))


def _eval(node: ast.AST) -> Number:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ValueError(f"only numbers are allowed, not {node.value!r}")
        return _check_int(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _check_int(_BINARY[type(node.op)](_eval(node.left), _eval(node.right)))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ValueError(f"unknown name {node.id!r} (constants: {', '.join(_CONSTANTS)})")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        func = _FUNCTIONS.get(node.func.id)
        if func is None:
            raise ValueError(f"unknown function {node.func.id!r}")
        args = [_eval(a) for a in node.args]
        try:
            result: Any = func(*args)
        except (TypeError, ValueError, OverflowError) as e:
            raise ValueError(f"{node.func.id}(): {e}") from None
        if not isinstance(result, (int, float)) or isinstance(result, bool):
            raise ValueError(f"{node.func.id}() did not give a number")
        return _check_int(result)
    raise ValueError(f"{type(node).__name__} is not allowed in an arithmetic expression")


@tool
def calculate(expression: str) -> Number:
    """Evaluate an arithmetic expression, e.g. "2 * (3 + 4) ** 2" or "sqrt(2) / 3".

    Supports + - * / // % ** (or ^), parentheses, unary minus, the constants pi, e and tau, and
    the functions abs, round, min, max, sqrt, exp, log (natural, or log(x, base)), ln, log10,
    log2, sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh, floor, ceil, factorial, gcd,
    lcm, hypot, degrees and radians (angles in radians).

    Args:
        expression: The arithmetic expression to evaluate.
    """
    return evaluate(expression)
