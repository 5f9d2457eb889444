"""Currency conversion with fixed exchange rates (units of each currency per 1 USD)."""

from __future__ import annotations

from typing import Any

from awpo.tools.registry import tool

PER_USD: dict[str, float] = {
    "USD": 1.0,
    "EUR": 0.92,
    "GBP": 0.79,
    "JPY": 151.0,
    "CHF": 0.88,
    "CAD": 1.36,
    "AUD": 1.52,
    "CNY": 7.2,
    "INR": 83.0,
    "BRL": 5.0,
    "MXN": 17.0,
    "SEK": 10.5,
    "NOK": 10.6,
    "KRW": 1340.0,
}
NAMES: dict[str, str] = {
    "USD": "US dollars",
    "EUR": "euros",
    "GBP": "British pounds",
    "JPY": "Japanese yen",
    "CHF": "Swiss francs",
    "CAD": "Canadian dollars",
    "AUD": "Australian dollars",
    "CNY": "Chinese yuan",
    "INR": "Indian rupees",
    "BRL": "Brazilian reais",
    "MXN": "Mexican pesos",
    "SEK": "Swedish kronor",
    "NOK": "Norwegian kroner",
    "KRW": "South Korean won",
}


def _code(code: str) -> str:
    c = code.strip().upper()
    if c not in PER_USD:
        raise ValueError(f"unknown currency {code!r}; use an ISO code such as {', '.join(PER_USD)}")
    return c


def rate(base: str, quote: str) -> float:
    """Units of `quote` per 1 `base`, rounded to 6 significant decimals."""
    return round(PER_USD[_code(quote)] / PER_USD[_code(base)], 6)


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> dict[str, Any]:
    """Convert an amount of money from one currency to another.

    Args:
        amount: Amount of money to convert.
        from_currency: ISO code of the source currency, e.g. "USD".
        to_currency: ISO code of the target currency, e.g. "EUR".
    """
    r = rate(from_currency, to_currency)
    return {
        "amount": amount,
        "from": _code(from_currency),
        "to": _code(to_currency),
        "rate": r,
        "converted": round(amount * r, 2),
    }


@tool
def get_exchange_rate(base: str, quote: str) -> dict[str, Any]:
    """Get the exchange rate between two currencies (units of quote per one base).

    Args:
        base: ISO code of the base currency.
        quote: ISO code of the quote currency.
    """
    return {"base": _code(base), "quote": _code(quote), "rate": rate(base, quote)}
