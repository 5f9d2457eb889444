"""Python code execution: the riskiest tool, so it gets the tightest limits.

The code runs only inside a sandbox worker (never in the trainer: the tool refuses elsewhere), in
a process forked for that call alone (`fresh_process`), so nothing it does (patching modules,
starting threads, filling memory) reaches later calls. The sandbox around it gives no network, a
read-only filesystem except a private working directory, and bounded time, memory and
processes; this module only adds a bound on the code size and on what it may print.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import traceback
from typing import Any

from awpo.tools.context import in_sandbox_worker
from awpo.tools.registry import tool

MAX_CODE_CHARS = 20_000
MAX_OUTPUT_CHARS = 16_000
MAX_REPR_CHARS = 4_000

#: Read by `awpo.tools.Sandbox`: each call in its own forked process, with tight limits.
SANDBOX_POLICY: dict[str, dict[str, Any]] = {
    "python_exec": {"fresh_process": True, "timeout_s": 5.0, "cpu_s": 5, "memory_mb": 512},
}


class CodeError(Exception):
    """The executed code raised; the message is its traceback (frames of the code only)."""


class _CappedText(io.StringIO):
    """A text sink that keeps the first `cap` characters and counts the rest."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.dropped = 0

    def write(self, s: str) -> int:
        room = self.cap - self.tell()
        if room > 0:
            super().write(s[:room])
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self) -> str:
        out = self.getvalue()
        return out + f"\n... [{self.dropped} more characters dropped]" if self.dropped else out


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_REPR_CHARS else text[:MAX_REPR_CHARS] + "..."


@tool
def python_exec(code: str) -> dict[str, Any]:
    """Run Python code and return what it printed and the value of its last expression.

    The code runs in an isolated process with no network, no access to files outside its working
    directory and limits on time and memory. Use print() to show results.

    Args:
        code: Python source code to run.
    """
    if not in_sandbox_worker():
        raise RuntimeError("python_exec runs only inside an awpo sandbox worker (use awpo.tools.Sandbox)")
    if len(code) > MAX_CODE_CHARS:
        raise ValueError(f"code is longer than {MAX_CODE_CHARS} characters")
    try:
        tree = ast.parse(code, filename="<code>", mode="exec")
    except SyntaxError as e:
        raise CodeError(f"SyntaxError: {e.msg} (line {e.lineno})") from None
    last: ast.expr | None = None
    final = tree.body[-1] if tree.body else None
    if isinstance(final, ast.Expr):
        tree.body.pop()
        last = final.value
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    out = _CappedText(MAX_OUTPUT_CHARS)
    value: Any = None
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(tree, "<code>", "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last), "<code>", "eval"), namespace)
    except MemoryError:
        raise
    except BaseException as e:
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == "<code>"]
        lines = ["Traceback (most recent call last):", *traceback.format_list(frames)]
        lines.append("".join(traceback.format_exception_only(type(e), e)).strip())
        printed = out.text()
        if printed:
            lines.append(f"stdout before the error:\n{printed[-2000:]}")
        raise CodeError("\n".join(line.rstrip() for line in lines)) from None
    return {"stdout": out.text(), "result": None if value is None else _short_repr(value)}
