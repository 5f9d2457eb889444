"""Built-in unit conversion."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awpo.tools.builtin.units import _TABLE, convert_units, list_units, lookup


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        (5, "km", "mi", 5000 / 1609.344),  # 3.10686 mi
        (1, "mile", "feet", 5280.0),  # 1609.344 / 0.3048
        (100, "F", "C", (100 - 32) * 5 / 9),  # 37.78 C
        (0, "celsius", "fahrenheit", 32.0),
        (0, "K", "C", -273.15),
        (1, "GiB", "MB", 1073.741824),  # 2**30 / 1e6
        (8, "bit", "B", 1.0),
        (2.5, "h", "min", 150.0),
        (1, "gal", "l", 3.785411784),
        (1, "atm", "kPa", 101.325),
        (1, "kWh", "J", 3.6e6),
        (1, "acre", "m2", 4046.8564224),
        (36, "km/h", "m/s", 10.0),
        (1, "lb", "g", 453.59237),
    ],
)
def test_golden_conversions(value: float, src: str, dst: str, expected: float) -> None:
    assert math.isclose(convert_units(value, src, dst), expected, rel_tol=1e-12, abs_tol=1e-12)


def test_names_are_matched_by_alias_and_case_when_unambiguous() -> None:
    assert lookup("Kilometers") == ("length", "km")
    assert lookup("  nautical   miles ") == ("length", "nmi")
    assert lookup("mb") == ("data", "MB")
    assert lookup("B") == ("data", "B")
    assert lookup("b") == ("data", "bit")  # exact spelling decides between b (bit) and B (byte)
    assert lookup("BITS") == ("data", "bit")
    with pytest.raises(ValueError, match="unknown unit"):
        lookup("furlongs")


def test_refusals() -> None:
    with pytest.raises(ValueError, match="cannot convert length"):
        convert_units(1, "m", "kg")
    with pytest.raises(ValueError, match="below absolute zero"):
        convert_units(-300, "C", "K")
    with pytest.raises(ValueError, match="finite"):
        convert_units(float("inf"), "m", "km")
    with pytest.raises(ValueError, match="out of range"):
        convert_units(1e308, "TiB", "bit")
    with pytest.raises(ValueError, match="unknown kind"):
        list_units("colour")


def test_list_units() -> None:
    everything = list_units()
    assert set(everything) == {*_TABLE, "temperature"}
    assert list_units("temperature") == {"temperature": ["C", "F", "K"]}


@given(
    st.sampled_from([(c, a, b) for c, units in _TABLE.items() for a in units for b in units]),
    st.floats(min_value=-1e9, max_value=1e9),
)
def test_round_trips(pair: tuple[str, str, str], x: float) -> None:
    _, a, b = pair
    back = convert_units(convert_units(x, a, b), b, a)
    assert math.isclose(back, x, rel_tol=1e-9, abs_tol=1e-12)
