"""Hotels on a fixed list, with bookings kept in the episode state."""

from __future__ import annotations

from typing import Any

from awpo.tools.context import episode_state
from awpo.tools.registry import tool

HOTELS: list[dict[str, Any]] = [
    {"hotel_id": "H-PAR-1", "name": "Hotel Lumiere", "city": "Paris", "price_per_night": 210, "stars": 4},
    {"hotel_id": "H-PAR-2", "name": "Le Petit Nid", "city": "Paris", "price_per_night": 95, "stars": 2},
    {"hotel_id": "H-LON-1", "name": "The Thames View", "city": "London", "price_per_night": 240, "stars": 5},
    {"hotel_id": "H-LON-2", "name": "Camden Rooms", "city": "London", "price_per_night": 120, "stars": 3},
    {"hotel_id": "H-ROM-1", "name": "Albergo Sole", "city": "Rome", "price_per_night": 130, "stars": 3},
    {"hotel_id": "H-ROM-2", "name": "Palazzo Verde", "city": "Rome", "price_per_night": 260, "stars": 5},
    {"hotel_id": "H-BER-1", "name": "Spree Haus", "city": "Berlin", "price_per_night": 110, "stars": 3},
    {"hotel_id": "H-TOK-1", "name": "Sakura Inn", "city": "Tokyo", "price_per_night": 150, "stars": 4},
    {"hotel_id": "H-TOK-2", "name": "Capsule One", "city": "Tokyo", "price_per_night": 45, "stars": 1},
    {"hotel_id": "H-NYC-1", "name": "Hudson Lofts", "city": "New York", "price_per_night": 320, "stars": 4},
    {"hotel_id": "H-NYC-2", "name": "Queens Budget", "city": "New York", "price_per_night": 140, "stars": 2},
    {"hotel_id": "H-LIS-1", "name": "Casa Azul", "city": "Lisbon", "price_per_night": 105, "stars": 3},
    {"hotel_id": "H-MAD-1", "name": "Hostal Prado", "city": "Madrid", "price_per_night": 80, "stars": 2},
]


def hotels_in(city: str, max_price: float | None = None) -> list[dict[str, Any]]:
    """Hotels in `city` (case-insensitive), cheapest first, optionally under `max_price`."""
    found = [h for h in HOTELS if h["city"].lower() == city.strip().lower()]
    if not found:
        raise ValueError(f"no hotels known in {city!r}")
    if max_price is not None:
        found = [h for h in found if h["price_per_night"] <= max_price]
    return sorted(found, key=lambda h: h["price_per_night"])


@tool
def search_hotels(city: str, max_price: float | None = None) -> dict[str, Any]:
    """Search hotels in a city, cheapest first.

    Args:
        city: City name.
        max_price: Highest acceptable price per night in USD.
    """
    return {"hotels": hotels_in(city, max_price)}


@tool
def book_hotel(hotel_id: str, nights: int, guest_name: str) -> dict[str, Any]:
    """Book a hotel room.

    Args:
        hotel_id: The hotel's id from search_hotels.
        nights: Number of nights (1 to 30).
        guest_name: Full name of the guest.
    """
    hotel = next((h for h in HOTELS if h["hotel_id"] == hotel_id.strip().upper()), None)
    if hotel is None:
        raise ValueError(f"unknown hotel {hotel_id!r}")
    if not 1 <= nights <= 30:
        raise ValueError("nights must be between 1 and 30")
    bookings: dict[str, Any] = episode_state("hotels").setdefault("bookings", {})
    booking_id = f"HB{len(bookings) + 1:04d}"
    total = hotel["price_per_night"] * nights
    bookings[booking_id] = {"hotel_id": hotel["hotel_id"], "nights": nights, "guest": guest_name, "total_usd": total}
    return {"booking_id": booking_id, "hotel": hotel["name"], "nights": nights, "total_usd": total}


@tool
def cancel_hotel_booking(booking_id: str) -> dict[str, Any]:
    """Cancel a hotel booking made in this conversation.

    Args:
        booking_id: The booking id returned by book_hotel.
    """
    bookings = episode_state("hotels").get("bookings", {})
    if booking_id not in bookings:
        raise ValueError(f"no booking {booking_id!r}")
    del bookings[booking_id]
    return {"booking_id": booking_id, "cancelled": True}
