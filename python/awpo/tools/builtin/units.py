"""Unit conversion: length, mass, time, volume, area, speed, data, energy, pressure and
temperature, by exact factors to SI (temperatures are affine)."""

from __future__ import annotations

import math

from awpo.tools.registry import tool

# category → unit → (factor to the category's base unit, aliases)
_TABLE: dict[str, dict[str, tuple[float, tuple[str, ...]]]] = {
    "length": {
        "m": (1.0, ("meter", "meters", "metre", "metres")),
        "km": (1e3, ("kilometer", "kilometers", "kilometre", "kilometres")),
        "cm": (1e-2, ("centimeter", "centimeters", "centimetre", "centimetres")),
        "mm": (1e-3, ("millimeter", "millimeters", "millimetre", "millimetres")),
        "um": (1e-6, ("µm", "micrometer", "micrometers", "micron", "microns")),
        "nm": (1e-9, ("nanometer", "nanometers")),
        "mi": (1609.344, ("mile", "miles")),
        "yd": (0.9144, ("yard", "yards")),
        "ft": (0.3048, ("foot", "feet")),
        "in": (0.0254, ("inch", "inches")),
        "nmi": (1852.0, ("nautical mile", "nautical miles")),
    },
    "mass": {
        "kg": (1.0, ("kilogram", "kilograms")),
        "g": (1e-3, ("gram", "grams")),
        "mg": (1e-6, ("milligram", "milligrams")),
        "ug": (1e-9, ("µg", "microgram", "micrograms")),
        "t": (1e3, ("tonne", "tonnes", "metric ton", "metric tons")),
        "lb": (0.45359237, ("lbs", "pound", "pounds")),
        "oz": (0.028349523125, ("ounce", "ounces")),
        "st": (6.35029318, ("stone", "stones")),
    },
    "time": {
        "s": (1.0, ("sec", "second", "seconds")),
        "ms": (1e-3, ("millisecond", "milliseconds")),
        "us": (1e-6, ("µs", "microsecond", "microseconds")),
        "ns": (1e-9, ("nanosecond", "nanoseconds")),
        "min": (60.0, ("minute", "minutes")),
        "h": (3600.0, ("hr", "hour", "hours")),
        "day": (86400.0, ("d", "days")),
        "week": (604800.0, ("wk", "weeks")),
        "year": (31557600.0, ("yr", "years")),  # Julian year, 365.25 days
    },
    "volume": {
        "m3": (1.0, ("cubic meter", "cubic meters")),
        "l": (1e-3, ("L", "liter", "liters", "litre", "litres")),
        "ml": (1e-6, ("mL", "milliliter", "milliliters", "millilitre", "millilitres")),
        "gal": (3.785411784e-3, ("gallon", "gallons", "us gallon", "us gallons")),
        "qt": (9.46352946e-4, ("quart", "quarts")),
        "pt": (4.73176473e-4, ("pint", "pints")),
        "cup": (2.365882365e-4, ("cups",)),
        "floz": (2.95735295625e-5, ("fl oz", "fluid ounce", "fluid ounces")),
        "tbsp": (1.478676478125e-5, ("tablespoon", "tablespoons")),
        "tsp": (4.92892159375e-6, ("teaspoon", "teaspoons")),
    },
    "area": {
        "m2": (1.0, ("square meter", "square meters")),
        "km2": (1e6, ("square kilometer", "square kilometers")),
        "cm2": (1e-4, ("square centimeter", "square centimeters")),
        "ha": (1e4, ("hectare", "hectares")),
        "acre": (4046.8564224, ("acres",)),
        "ft2": (0.09290304, ("sq ft", "square foot", "square feet")),
        "in2": (6.4516e-4, ("sq in", "square inch", "square inches")),
        "mi2": (2589988.110336, ("sq mi", "square mile", "square miles")),
    },
    "speed": {
        "m/s": (1.0, ("mps", "meters per second")),
        "km/h": (1 / 3.6, ("kph", "kmh", "kilometers per hour")),
        "mph": (0.44704, ("mi/h", "miles per hour")),
        "knot": (1852 / 3600, ("knots", "kn", "kt")),
        "ft/s": (0.3048, ("fps", "feet per second")),
    },
    "data": {
        "bit": (0.125, ("b", "bits")),
        "B": (1.0, ("byte", "bytes")),
        "kB": (1e3, ("KB", "kilobyte", "kilobytes")),
        "MB": (1e6, ("megabyte", "megabytes")),
        "GB": (1e9, ("gigabyte", "gigabytes")),
        "TB": (1e12, ("terabyte", "terabytes")),
        "KiB": (1024.0, ("kibibyte", "kibibytes")),
        "MiB": (1024.0**2, ("mebibyte", "mebibytes")),
        "GiB": (1024.0**3, ("gibibyte", "gibibytes")),
        "TiB": (1024.0**4, ("tebibyte", "tebibytes")),
    },
    "energy": {
        "J": (1.0, ("joule", "joules")),
        "kJ": (1e3, ("kilojoule", "kilojoules")),
        "cal": (4.184, ("calorie", "calories")),
        "kcal": (4184.0, ("kilocalorie", "kilocalories", "Cal")),
        "Wh": (3600.0, ("watt hour", "watt hours")),
        "kWh": (3.6e6, ("kilowatt hour", "kilowatt hours")),
        "eV": (1.602176634e-19, ("electronvolt", "electronvolts")),
        "BTU": (1055.05585262, ("btu",)),
    },
    "pressure": {
        "Pa": (1.0, ("pascal", "pascals")),
        "kPa": (1e3, ("kilopascal", "kilopascals")),
        "bar": (1e5, ("bars",)),
        "atm": (101325.0, ("atmosphere", "atmospheres")),
        "psi": (6894.757293168361, ("pounds per square inch",)),
        "mmHg": (133.322387415, ("torr",)),
    },
}

_TEMPERATURE: dict[str, tuple[str, ...]] = {
    "C": ("°C", "celsius", "degC", "degrees celsius"),
    "F": ("°F", "fahrenheit", "degF", "degrees fahrenheit"),
    "K": ("kelvin", "kelvins"),
}


def _index() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    exact: dict[str, tuple[str, str]] = {}
    folded: dict[str, list[tuple[str, str]]] = {}
    for category, units in [*_TABLE.items(), ("temperature", {k: (0.0, v) for k, v in _TEMPERATURE.items()})]:
        for unit, (_, aliases) in units.items():
            for name in (unit, *aliases):
                exact[name] = (category, unit)
                folded.setdefault(name.lower(), []).append((category, unit))
    # A case-folded name is usable only when it is unambiguous (MB vs mb would be, b vs B is not).
    unique = {k: v[0] for k, v in folded.items() if len(set(v)) == 1}
    return exact, unique


_EXACT, _FOLDED = _index()


def lookup(unit: str) -> tuple[str, str]:
    """(category, canonical unit) of a unit name or alias; `ValueError` if unknown."""
    key = " ".join(unit.strip().split())
    if key in _EXACT:
        return _EXACT[key]
    if key.lower() in _FOLDED:
        return _FOLDED[key.lower()]
    raise ValueError(f"unknown unit {unit!r}; see list_units() for the supported ones")


def _to_kelvin(v: float, unit: str) -> float:
    return v + 273.15 if unit == "C" else (v - 32) * 5 / 9 + 273.15 if unit == "F" else v


def _from_kelvin(k: float, unit: str) -> float:
    return k - 273.15 if unit == "C" else (k - 273.15) * 9 / 5 + 32 if unit == "F" else k


@tool
def convert_units(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a quantity from one unit to another of the same kind, e.g. 5 km to mi or 100 F to C.

    Kinds: length, mass, time, volume, area, speed, data, energy, pressure, temperature.

    Args:
        value: The quantity to convert.
        from_unit: Unit of the value (symbol or name, e.g. "km" or "kilometers").
        to_unit: Unit to convert to.
    """
    if not math.isfinite(value):
        raise ValueError("value must be a finite number")
    cat_from, src = lookup(from_unit)
    cat_to, dst = lookup(to_unit)
    if cat_from != cat_to:
        raise ValueError(f"cannot convert {cat_from} ({from_unit}) to {cat_to} ({to_unit})")
    if cat_from == "temperature":
        kelvin = _to_kelvin(value, src)
        if kelvin < 0:
            raise ValueError(f"{value} {from_unit} is below absolute zero")
        result = _from_kelvin(kelvin, dst)
    else:
        result = value * _TABLE[cat_from][src][0] / _TABLE[cat_from][dst][0]
    if not math.isfinite(result):
        raise ValueError("result is out of range")
    return result


@tool
def list_units(category: str | None = None) -> dict[str, list[str]]:
    """List the supported units by kind (or of one kind).

    Args:
        category: One kind (length, mass, time, volume, area, speed, data, energy, pressure,
            temperature), or omit for all.
    """
    all_units = {c: list(u) for c, u in _TABLE.items()} | {"temperature": list(_TEMPERATURE)}
    if category is None:
        return all_units
    if category not in all_units:
        raise ValueError(f"unknown kind {category!r}; kinds: {', '.join(all_units)}")
    return {category: all_units[category]}
