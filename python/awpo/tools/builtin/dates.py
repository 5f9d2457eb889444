"""Date arithmetic on ISO dates (YYYY-MM-DD): add days/weeks/months/years, business days,
differences and weekdays. Month and year steps clamp to the last day of the month."""

from __future__ import annotations

import calendar
import datetime as dt

from awpo.tools.registry import tool

MAX_STEP = 10_000_000  # days, weeks, months or years in one step; far past year 9999 anyway


def parse_date(text: str) -> dt.date:
    """An ISO date `YYYY-MM-DD` (a full ISO datetime is accepted and its date taken)."""
    s = text.strip()
    try:
        return dt.date.fromisoformat(s[:10]) if len(s) > 10 and s[10] in "T " else dt.date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def _check(n: int, what: str) -> None:
    if abs(n) > MAX_STEP:
        raise ValueError(f"{what}={n} is out of range")


def _add_months(d: dt.date, months: int) -> dt.date:
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise ValueError("the result is outside years 1..9999")
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


@tool
def add_to_date(date: str, days: int = 0, weeks: int = 0, months: int = 0, years: int = 0) -> str:
    """Add (or, with negative numbers, subtract) a period to a date; returns YYYY-MM-DD.

    Years and months are added first (clamping the day to the month's end, so 2024-01-31 plus
    one month is 2024-02-29), then weeks and days.

    Args:
        date: Start date, YYYY-MM-DD.
        days: Days to add.
        weeks: Weeks to add.
        months: Months to add.
        years: Years to add.
    """
    for n, what in ((days, "days"), (weeks, "weeks"), (months, "months"), (years, "years")):
        _check(n, what)
    d = _add_months(parse_date(date), years * 12 + months)
    try:
        return (d + dt.timedelta(days=days, weeks=weeks)).isoformat()
    except OverflowError:
        raise ValueError("the result is outside years 1..9999") from None


@tool
def days_between(start: str, end: str) -> int:
    """Number of days from start to end (negative when end is earlier).

    Args:
        start: First date, YYYY-MM-DD.
        end: Second date, YYYY-MM-DD.
    """
    return (parse_date(end) - parse_date(start)).days


@tool
def day_of_week(date: str) -> str:
    """The weekday of a date, e.g. "Monday".

    Args:
        date: The date, YYYY-MM-DD.
    """
    return calendar.day_name[parse_date(date).weekday()]


@tool
def add_business_days(date: str, days: int) -> str:
    """Add working days (Monday to Friday; no holidays) to a date; returns YYYY-MM-DD.

    Like a spreadsheet's WORKDAY: the start day itself is not counted, so Friday plus one working
    day is Monday, and Saturday plus one is Monday too.

    Args:
        date: Start date, YYYY-MM-DD.
        days: Working days to add (negative to go back).
    """
    _check(days, "days")
    d = parse_date(date)
    if days == 0:
        return d.isoformat()
    step = 1 if days > 0 else -1
    # A weekend start counts like the Friday before it (going forward) or the Monday after it
    # (going back); from a weekday, whole weeks keep the weekday.
    weeks, rest = divmod(abs(days), 5)
    try:
        while d.weekday() >= 5:
            d -= dt.timedelta(days=step)
        d += dt.timedelta(weeks=weeks * step)
        for _ in range(rest):
            d += dt.timedelta(days=step)
            while d.weekday() >= 5:
                d += dt.timedelta(days=step)
    except OverflowError:
        raise ValueError("the result is outside years 1..9999") from None
    return d.isoformat()
