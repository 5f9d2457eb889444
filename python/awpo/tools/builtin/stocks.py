"""Stock quotes on a fixed table (prices in USD); history follows a fixed pattern."""

from __future__ import annotations

from typing import Any

from awpo.tools.registry import tool

QUOTES: dict[str, tuple[str, float, float]] = {  # symbol → (company, price, change %)
    "AAPL": ("Apple", 189.5, 0.8),
    "MSFT": ("Microsoft", 415.2, -0.4),
    "GOOGL": ("Alphabet", 152.1, 1.2),
    "AMZN": ("Amazon", 178.3, -1.1),
    "NVDA": ("Nvidia", 880.0, 2.5),
    "TSLA": ("Tesla", 171.4, -2.3),
    "META": ("Meta", 493.7, 0.3),
    "NFLX": ("Netflix", 610.9, 1.7),
    "IBM": ("IBM", 187.2, -0.2),
    "INTC": ("Intel", 43.1, -0.9),
    "ORCL": ("Oracle", 124.6, 0.6),
    "SAP": ("SAP", 192.8, 0.4),
}
_PATTERN = (0.0, -0.6, 0.4, -1.1, 0.9, 0.2, -0.3, 1.4, -0.8, 0.5)


def _symbol(symbol: str) -> str:
    s = symbol.strip().upper()
    if s not in QUOTES:
        raise ValueError(f"unknown symbol {symbol!r}; known: {', '.join(QUOTES)}")
    return s


@tool
def get_stock_quote(symbol: str) -> dict[str, Any]:
    """Get the latest price of a stock.

    Args:
        symbol: Ticker symbol, e.g. "AAPL".
    """
    s = _symbol(symbol)
    company, price, change = QUOTES[s]
    return {"symbol": s, "company": company, "price": price, "currency": "USD", "change_percent": change}


@tool
def get_stock_history(symbol: str, days: int) -> dict[str, Any]:
    """Get a stock's closing prices for the last few days (most recent last).

    Args:
        symbol: Ticker symbol.
        days: Number of trading days (1 to 10).
    """
    if not 1 <= days <= 10:
        raise ValueError("days must be between 1 and 10")
    s = _symbol(symbol)
    price = QUOTES[s][1]
    closes = []
    for d in range(days):
        closes.append(round(price * (1 + _PATTERN[d] / 100), 2))
    return {"symbol": s, "closes": closes[::-1]}
