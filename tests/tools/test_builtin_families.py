"""The built-in tool families: golden values (worked by hand), errors, episode state, schemas."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import awpo.tools.builtin as builtin
from awpo.tools.builtin import (
    calendar_tools,
    currency,
    flights,
    geometry,
    hotels,
    maps,
    nutrition,
    shopping,
    sports,
    stats,
    timezones,
    todo,
    weather,
)
from awpo.tools.context import EpisodeStateError, bind_episode_state
from awpo.tools.registry import Tool


def _tools() -> list[Tool]:
    out = []
    for info in pkgutil.iter_modules(builtin.__path__):
        module = importlib.import_module(f"awpo.tools.builtin.{info.name}")
        out += [v for v in vars(module).values() if isinstance(v, Tool) and v.module == module.__name__]
    return out


def test_every_tool_is_documented() -> None:
    tools = _tools()
    assert len(tools) >= 50
    assert len({t.name for t in tools}) == len(tools)  # names unique across families
    for t in tools:
        assert t.description, t.name
        for name, prop in t.parameters["properties"].items():
            assert prop.get("description"), (t.name, name)


def test_golden_values() -> None:
    # 14 °C → 14 * 9/5 + 32 = 57.2 °F
    assert weather.get_weather(city="paris", unit="fahrenheit")["temperature"] == 57.2
    # 100 USD at 0.92 EUR per USD = 92.0; EUR→GBP = 0.79 / 0.92 = 0.858696 (6 decimals)
    assert currency.convert_currency(amount=100, from_currency="usd", to_currency="EUR")["converted"] == 92.0
    assert currency.get_exchange_rate(base="EUR", quote="GBP")["rate"] == 0.858696
    # 10 * 5 / 2 = 25; pi * 2^2 = 12.5664; hypot(3, 4) = 5
    assert geometry.triangle_area(base=10, height=5)["area"] == 25
    assert geometry.circle_area(radius=2)["area"] == 12.5664
    assert geometry.distance_2d(x1=0, y1=0, x2=3, y2=4)["distance"] == 5
    # population sd of 2,4,4,4,5,5,7,9: mean 5, squared deviations sum 32, 32/8 = 4, sqrt = 2
    assert stats.std_dev(numbers=[2, 4, 4, 4, 5, 5, 7, 9])["std_dev"] == 2.0
    assert stats.median(numbers=[3, 1, 2, 10])["median"] == 2.5
    assert stats.percentile(numbers=[1, 2, 3, 4], q=50)["percentile"] == 2.5  # position 1.5 → 2 + 0.5 * 1
    # Tokyo (+9) 09:00 → Paris (+1): 8 hours earlier, same day; New York (-5) 23:30 → London: +5 h, next day
    assert timezones.convert_time(time="09:00", from_city="Tokyo", to_city="Paris") == {
        "from_city": "Tokyo", "to_city": "Paris", "time": "01:00", "day_offset": 0,
    }  # fmt: skip
    assert timezones.convert_time(time="23:30", from_city="New York", to_city="London")["time"] == "04:30"
    assert timezones.convert_time(time="23:30", from_city="New York", to_city="London")["day_offset"] == 1
    # 150 g of salmon: 208 kcal / 100 g * 1.5 = 312; protein 20 * 1.5 = 30
    assert nutrition.get_nutrition(food="Salmon", grams=150)["calories"] == 312
    assert nutrition.get_nutrition(food="Salmon", grams=150)["protein_g"] == 30
    # Premier League: Arsenal beat Chelsea (3), Liverpool beat Everton (3) and drew Chelsea (1) → Liverpool 4
    table = sports.get_standings(league="Premier League")["table"]
    assert table[0] == {"rank": 1, "team": "Liverpool", "points": 4}
    # Paris–London great-circle distance is about 344 km
    assert 340 < maps.get_distance(origin="Paris", destination="London")["distance"] < 348


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown city 'Atlantis'"):
        weather.get_weather(city="Atlantis")
    with pytest.raises(ValueError, match="days must be between 1 and 7"):
        weather.get_forecast(city="Paris", days=9)
    with pytest.raises(ValueError, match="unknown currency"):
        currency.convert_currency(amount=1, from_currency="XYZ", to_currency="USD")
    with pytest.raises(ValueError, match="date must be YYYY-MM-DD"):
        flights.search_flights(origin="CDG", destination="JFK", date="tomorrow")
    with pytest.raises(ValueError, match="numbers must not be empty"):
        stats.mean(numbers=[])


def test_flight_timetable_is_fixed_and_sorted() -> None:
    a = flights.search_flights(origin="CDG", destination="JFK", date="2025-05-02")["flights"]
    b = flights.search_flights(origin="Paris", destination="jfk", date="2025-05-02")["flights"]
    assert a == b and len(a) == 3
    assert [f["price_usd"] for f in a] == sorted(f["price_usd"] for f in a)


def test_stateful_tools_need_a_session_and_keep_state_per_episode() -> None:
    with pytest.raises(EpisodeStateError):
        todo.add_todo(task="x")
    with bind_episode_state({}) as state:
        assert todo.add_todo(task="buy milk")["todo_id"] == "T1"
        assert todo.add_todo(task="pay rent", due_date="2025-01-31")["todo_id"] == "T2"
        todo.complete_todo(todo_id="T1")
        assert [t["task"] for t in todo.list_todos()["todos"]] == ["pay rent"]
        assert state["todo"]["items"]["T1"]["done"] is True
        booking = hotels.book_hotel(hotel_id="h-par-2", nights=3, guest_name="Ana")
        assert booking["total_usd"] == 285  # 95 per night * 3
        shopping.add_to_cart(product_id="P302", quantity=2)
        shopping.add_to_cart(product_id="P301")
        assert shopping.view_cart()["total"] == 13.15  # 2 * 3.2 + 6.75
        calendar_tools.create_event(title="B", date="2025-02-01", time="14:00")
        calendar_tools.create_event(title="A", date="2025-02-01", time="09:30")
        assert [e["title"] for e in calendar_tools.list_events(date="2025-02-01")["events"]] == ["A", "B"]
    with bind_episode_state({}):  # a new episode starts empty
        assert todo.list_todos(status="all")["todos"] == []
        assert flights.book_flight(flight_id="sk101", passenger_name="Tom")["booking_id"] == "BK0001"
