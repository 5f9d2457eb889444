"""Flight search on a fixed timetable, and bookings kept in the episode state."""

from __future__ import annotations

import zlib
from typing import Any

from awpo.tools.context import episode_state
from awpo.tools.registry import tool

AIRPORTS: dict[str, str] = {
    "CDG": "Paris",
    "LHR": "London",
    "FCO": "Rome",
    "BER": "Berlin",
    "MAD": "Madrid",
    "LIS": "Lisbon",
    "OSL": "Oslo",
    "HND": "Tokyo",
    "JFK": "New York",
    "ORD": "Chicago",
    "YYZ": "Toronto",
    "SYD": "Sydney",
}
AIRLINES = ("Skylark", "Aerona", "BlueJet", "Nordwind")


def _airport(code: str) -> str:
    c = code.strip().upper()
    if c not in AIRPORTS:
        for k, city in AIRPORTS.items():
            if city.lower() == code.strip().lower():
                return k
        raise ValueError(f"unknown airport {code!r}; use an IATA code such as {', '.join(AIRPORTS)}")
    return c


def _check_date(date: str) -> str:
    parts = date.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise ValueError(f"date must be YYYY-MM-DD, got {date!r}")
    month, day = int(parts[1]), int(parts[2])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError(f"invalid date {date!r}")
    return date


def flights_for(origin: str, destination: str, date: str) -> list[dict[str, Any]]:
    """The fixed timetable: three flights per route and date, derived from a checksum of the key."""
    o, d = _airport(origin), _airport(destination)
    if o == d:
        raise ValueError("origin and destination must differ")
    _check_date(date)
    seed = zlib.crc32(f"{o}-{d}-{date}".encode())
    flights = []
    for i in range(3):
        h = (seed >> (i * 5)) & 0xFFFF
        flights.append(
            {
                "flight_id": f"{AIRLINES[(h + i) % len(AIRLINES)][:2].upper()}{100 + h % 900}",
                "airline": AIRLINES[(h + i) % len(AIRLINES)],
                "origin": o,
                "destination": d,
                "date": date,
                "departure": f"{6 + (h % 14):02d}:{(h // 14 % 4) * 15:02d}",
                "price_usd": 90 + h % 410,
            }
        )
    return sorted(flights, key=lambda f: f["price_usd"])


@tool
def search_flights(origin: str, destination: str, date: str) -> dict[str, Any]:
    """Search flights between two airports on a date, cheapest first.

    Args:
        origin: IATA code of the departure airport, e.g. "CDG".
        destination: IATA code of the arrival airport, e.g. "JFK".
        date: Departure date as YYYY-MM-DD.
    """
    return {"flights": flights_for(origin, destination, date)}


@tool
def book_flight(flight_id: str, passenger_name: str) -> dict[str, Any]:
    """Book a seat on a flight found by search_flights.

    Args:
        flight_id: The flight's id from search_flights.
        passenger_name: Full name of the passenger.
    """
    if not passenger_name.strip():
        raise ValueError("passenger_name must not be empty")
    state = episode_state("flights")
    bookings: dict[str, Any] = state.setdefault("bookings", {})
    booking_id = f"BK{len(bookings) + 1:04d}"
    bookings[booking_id] = {"flight_id": flight_id.strip().upper(), "passenger": passenger_name.strip()}
    return {"booking_id": booking_id, "flight_id": flight_id.strip().upper(), "passenger": passenger_name.strip()}


@tool
def get_flight_booking(booking_id: str) -> dict[str, Any]:
    """Look up a flight booking made in this conversation.

    Args:
        booking_id: The booking id returned by book_flight.
    """
    bookings = episode_state("flights").get("bookings", {})
    if booking_id not in bookings:
        raise ValueError(f"no booking {booking_id!r}")
    return {"booking_id": booking_id, **bookings[booking_id]}
