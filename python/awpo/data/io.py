"""JSON Lines and JSON-array reading with bad-row reporting; Task JSONL writing.

Every reader returns a `LoadReport`: the rows that parsed, and one `BadRow` (line number and
reason) for each row that did not. Bad rows are logged, skipped and counted — never silently
dropped — and `LoadReport.raise_if_bad` turns them into one `DataError` when a caller wants
strictness.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from awpo.data.schema import Task
from awpo.errors import AwpoError

logger = logging.getLogger("awpo.data")

T = TypeVar("T")

_MAX_LOGGED = 20  # bad rows logged one by one; the rest only counted in the summary


class DataError(AwpoError, ValueError):
    """A data file could not be read, or had bad rows where the caller asked for none."""


class RowError(ValueError):
    """Raised by a row converter: the row is skipped and reported with this reason."""


@dataclass(frozen=True)
class BadRow:
    """A row that was skipped: where it is and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class LoadReport(Generic[T]):
    """What a reader produced from one source."""

    source: str
    items: list[T] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    rows: int = 0  # rows seen (good + bad); a row may yield several items or none

    @property
    def skipped(self) -> int:
        """Number of rows skipped as bad."""
        return len(self.bad)

    def summary(self) -> str:
        """One line: how many rows were read, kept and skipped."""
        return f"{self.source}: {self.rows} rows, {len(self.items)} items, {self.skipped} bad rows skipped"

    def add_bad(self, line: int, reason: str) -> None:
        """Record a skipped row and log it (the first few individually)."""
        self.bad.append(BadRow(line, reason))
        if len(self.bad) <= _MAX_LOGGED:
            logger.warning("%s: skipping line %d: %s", self.source, line, reason)
        elif len(self.bad) == _MAX_LOGGED + 1:
            logger.warning("%s: more bad rows; only counting them from now on", self.source)

    def raise_if_bad(self) -> LoadReport[T]:
        """Raise `DataError` listing the bad rows (up to 20) if there is any; else return self."""
        if self.bad:
            shown = "; ".join(str(b) for b in self.bad[:_MAX_LOGGED])
            more = f" (and {len(self.bad) - _MAX_LOGGED} more)" if len(self.bad) > _MAX_LOGGED else ""
            raise DataError(f"{self.source}: {len(self.bad)} bad rows: {shown}{more}")
        return self


@dataclass(frozen=True)
class RawRow:
    """One decoded JSON value and the 1-based line where it starts."""

    line: int
    value: Any


def iter_json_rows(path: str | Path, report: LoadReport[Any]) -> Iterator[RawRow]:
    """Yield the rows of a JSON Lines file or of a top-level JSON array, with their line numbers.

    The format is detected from the first non-blank character (`[` means a JSON array). Rows that
    are not valid JSON are recorded in `report` and skipped; blank lines are ignored.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read {path}: {e}") from e
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from _iter_array(text, report)
    else:
        yield from _iter_lines(text, report)


def _iter_lines(text: str, report: LoadReport[Any]) -> Iterator[RawRow]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        report.rows += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            report.add_bad(lineno, f"invalid JSON: {e.msg} at column {e.colno}")
            continue
        yield RawRow(lineno, value)


def _iter_array(text: str, report: LoadReport[Any]) -> Iterator[RawRow]:
    """Decode a JSON array element by element so each element keeps its line number.

    An element that does not decode ends the scan (the rest of the file cannot be framed); that is
    reported as one bad row at the element's line, with the number of bytes left unread.
    """
    decoder = json.JSONDecoder()
    line_starts = _line_index(text)
    n = len(text)
    pos = _skip_ws(text, text.index("[") + 1)
    if pos < n and text[pos] == "]":
        return
    while True:
        line = _line_of(line_starts, pos)
        report.rows += 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            report.add_bad(line, f"invalid JSON: {e.msg}; {n - e.pos} bytes left unread")
            return
        yield RawRow(line, value)
        pos = _skip_ws(text, pos)
        if pos < n and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
            continue
        if pos < n and text[pos] == "]":
            return
        report.add_bad(_line_of(line_starts, pos), "expected ',' or ']' between array elements")
        return


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_index(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
    return starts


def _line_of(line_starts: list[int], pos: int) -> int:
    lo, hi = 0, len(line_starts)
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if line_starts[mid] <= pos:
            lo = mid
        else:
            hi = mid
    return lo + 1


def read_rows(
    path: str | Path,
    convert: Callable[[Any, int], Iterable[T]],
    *,
    source: str | None = None,
) -> LoadReport[T]:
    """Read a JSON/JSONL file and convert each row with `convert(value, line)`.

    `convert` returns the items one row yields (often one). It raises `RowError`, `KeyError`,
    `TypeError`, `ValueError` or a pydantic `ValidationError` for a bad row; the row is then
    reported with the reason and skipped.
    """
    report: LoadReport[T] = LoadReport(source=source or str(path))
    for row in iter_json_rows(path, report):
        try:
            items = list(convert(row.value, row.line))
        except ValidationError as e:
            report.add_bad(row.line, _validation_reason(e))
            continue
        except (RowError, KeyError, TypeError, ValueError) as e:
            report.add_bad(row.line, _reason(e))
            continue
        report.items.extend(items)
    if report.bad:
        logger.warning("%s", report.summary())
    return report


def _reason(e: Exception) -> str:
    if isinstance(e, KeyError):
        return f"missing field {e.args[0]!r}"
    return str(e) or type(e).__name__


def _validation_reason(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or "row"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def read_tasks(path: str | Path) -> LoadReport[Task]:
    """Read a Task JSONL file (DESIGN.md "Task"); bad rows are reported, skipped and counted."""

    def convert(value: Any, _line: int) -> list[Task]:
        if not isinstance(value, dict):
            raise RowError(f"expected a JSON object, got {type(value).__name__}")
        return [Task.model_validate(value)]

    return read_rows(path, convert)


def write_tasks(path: str | Path, tasks: Iterable[Task]) -> int:
    """Write tasks as JSON Lines (one compact object per line); returns the count written.

    The file is written to a temporary sibling and renamed, so a reader never sees half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as f:
        for task in tasks:
            f.write(task.model_dump_json(exclude_defaults=True))
            f.write("\n")
            count += 1
    tmp.replace(path)
    return count
