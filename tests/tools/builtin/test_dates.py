"""Built-in date arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awpo.tools.builtin.dates import add_business_days, add_to_date, day_of_week, days_between


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"date": "2024-01-31", "months": 1}, "2024-02-29"),  # leap February: clamp to the 29th
        ({"date": "2023-01-31", "months": 1}, "2023-02-28"),
        ({"date": "2024-02-29", "years": 1}, "2025-02-28"),
        ({"date": "2024-03-15", "days": -15}, "2024-02-29"),
        ({"date": "2024-12-31", "days": 1}, "2025-01-01"),
        ({"date": "2024-01-01", "weeks": 2, "days": 3}, "2024-01-18"),  # 1 + 14 + 3
        ({"date": "2024-05-31", "months": -3}, "2024-02-29"),
        ({"date": "2024-01-01T09:30:00", "days": 1}, "2024-01-02"),
    ],
)
def test_add_to_date_golden(kwargs: dict[str, object], expected: str) -> None:
    assert add_to_date(**kwargs) == expected


def test_days_between_and_weekdays() -> None:
    assert days_between("2024-01-01", "2024-12-31") == 365  # leap year: 366 days, 365 between
    assert days_between("2024-03-01", "2024-02-01") == -29
    assert day_of_week("2024-01-01") == "Monday"
    assert day_of_week("2000-02-29") == "Tuesday"


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2024-01-05", 1, "2024-01-08"),  # Friday + 1 → Monday
        ("2024-01-05", 5, "2024-01-12"),  # Friday + 5 → next Friday
        ("2024-01-06", 1, "2024-01-08"),  # Saturday + 1 → Monday (WORKDAY)
        ("2024-01-06", 5, "2024-01-12"),  # Saturday counts like Friday
        ("2024-01-08", -1, "2024-01-05"),  # Monday - 1 → Friday
        ("2024-01-07", -1, "2024-01-05"),  # Sunday - 1 → Friday
        ("2024-01-10", 0, "2024-01-10"),
        ("2024-01-01", 23, "2024-02-01"),  # January 2024 has 23 working days
    ],
)
def test_business_days_golden(start: str, days: int, expected: str) -> None:
    assert add_business_days(start, days) == expected


def test_refusals() -> None:
    with pytest.raises(ValueError, match="not an ISO date"):
        add_to_date("31/01/2024", days=1)
    with pytest.raises(ValueError, match="not an ISO date"):
        day_of_week("2024-02-30")
    with pytest.raises(ValueError, match="outside years"):
        add_to_date("9999-12-31", days=1)
    with pytest.raises(ValueError, match="outside years"):
        add_to_date("0001-01-01", months=-1)
    with pytest.raises(ValueError, match="out of range"):
        add_to_date("2024-01-01", days=10**12)
    with pytest.raises(ValueError, match="outside years"):
        add_business_days("9999-12-30", 10)


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@given(dates, st.integers(min_value=-20000, max_value=20000))
def test_adding_days_agrees_with_days_between(d: dt.date, n: int) -> None:
    assert days_between(d.isoformat(), add_to_date(d.isoformat(), days=n)) == n


@given(dates, st.integers(min_value=-300, max_value=300))
def test_business_days_land_on_weekdays_and_count_right(d: dt.date, n: int) -> None:
    end = dt.date.fromisoformat(add_business_days(d.isoformat(), n))
    if n == 0:
        assert end == d
        return
    assert end.weekday() < 5
    lo, hi = (d, end) if n > 0 else (end, d)
    # Working days strictly after lo up to and including hi (forward), mirrored going back.
    span = [lo + dt.timedelta(days=i) for i in range(1, (hi - lo).days + 1)]
    if n < 0:
        span = [lo + dt.timedelta(days=i) for i in range(0, (hi - lo).days)]
    assert sum(1 for x in span if x.weekday() < 5) == abs(n)
