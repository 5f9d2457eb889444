"""Task templates of the travel families: flights, hotels, maps, time zones, currency."""

from __future__ import annotations

from random import Random

from awpo.data.families.base import (
    Example,
    Family,
    Run,
    ask,
    call,
    chain,
    fmt_num,
    pair_template,
    pick,
    pick_n,
    q,
    run_step,
    single,
)
from awpo.tools.builtin import currency, flights, hotels, maps, timezones

_NAMES = (
    "Ana Lima",
    "Tom Berg",
    "Priya Nair",
    "Lucas Moreau",
    "Mei Tanaka",
    "Omar Haddad",
    "Sofia Rossi",
    "Jonas Weber",
)
_MONTHS = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")


def _date(rng: Random) -> str:
    return f"2025-{pick(rng, _MONTHS)}-{rng.randint(1, 28):02d}"


# ----------------------------------------------------------------------------- flights


def _route(rng: Random) -> tuple[str, str]:
    a, b = pick_n(rng, list(flights.AIRPORTS), 2)
    return a, b


def _flights_single(rng: Random) -> Example:
    o, d = _route(rng)
    date = _date(rng)
    text = pick(
        rng,
        [
            f"Find flights from {o} to {d} on {date}.",
            f"Are there any flights {o} to {d} on {date}?",
            f"Search {o}-{d} flights for {date}.",
        ],
    )
    frag = f"{o}-{d}" if f"{o}-{d}" in text else (f"from {o} to {d}" if "from" in text else f"{o} to {d}")
    return single(
        text,
        [frag, date],
        f"search_flights takes origin {o}, destination {d} and date {date}.",
        call("search_flights", origin=o, destination=d, date=date),
    )


def _flights_parallel(rng: Random) -> Example:
    o, d = _route(rng)
    date1, date2 = _date(rng), _date(rng)
    while date2 == date1:
        date2 = _date(rng)
    text = f"Check flights from {o} to {d} on {date1}, and the way back on {date2}."
    return single(
        text,
        [f"from {o} to {d} on {date1}", f"the way back on {date2}"],
        "Two independent searches: outbound, then return with the airports swapped.",
        call("search_flights", origin=o, destination=d, date=date1),
        call("search_flights", origin=d, destination=o, date=date2),
    )


def _flights_missing(rng: Random) -> Example:
    o, d = _route(rng)
    text = pick(rng, [f"Find me a flight from {o} to {d}.", f"I need to fly {o} to {d}, what is there?"])
    return ask(text, [f"{o} to {d}"], "a travel date", "search_flights", "On which date do you want to fly?")


def _flights_multi(rng: Random, run: Run) -> Example:
    o, d = _route(rng)
    date, name = _date(rng), pick(rng, _NAMES)
    text = f"Book the cheapest flight from {o} to {d} on {date} for {name}."
    first = run_step(
        run,
        f"The user wants {q('the cheapest flight')} {q(f'from {o} to {d}')} on {date}; search first.",
        call("search_flights", origin=o, destination=d, date=date),
    )
    cheapest = first.results[0]["flights"][0]
    second = run_step(
        run,
        f"The cheapest is {cheapest['flight_id']} at {cheapest['price_usd']} USD; book it for {name}.",
        call("book_flight", flight_id=cheapest["flight_id"], passenger_name=name),
    )
    booking = second.results[0]["booking_id"]
    answer = (
        f"Booked {cheapest['airline']} flight {cheapest['flight_id']} ({o} to {d}, {date}, departing "
        f"{cheapest['departure']}, {cheapest['price_usd']} USD) for {name}; booking id {booking}."
    )
    return chain(
        text, ["the cheapest flight", f"from {o} to {d}"], [first, second], answer, f"The booking id is {booking}."
    )


FLIGHTS = Family(
    name="flights",
    module="awpo.tools.builtin.flights",
    single=_flights_single,
    parallel=_flights_parallel,
    missing=_flights_missing,
    multi_step=_flights_multi,
    topics=("flights",),
)

# ----------------------------------------------------------------------------- hotels

_HOTEL_CITIES = sorted({h["city"] for h in hotels.HOTELS})


def _hotels_single(rng: Random) -> Example:
    city = pick(rng, _HOTEL_CITIES)
    if rng.random() < 0.5:
        price = pick(rng, [100, 150, 200, 250])
        text = f"Find a hotel in {city} under {price} dollars a night."
        return single(
            text,
            [city, f"under {price} dollars"],
            f"search_hotels filters by city and max price; {city}, {price}.",
            call("search_hotels", city=city, max_price=price),
        )
    text = pick(rng, [f"What hotels are there in {city}?", f"Show me hotels in {city}."])
    return single(text, [city], f"search_hotels lists hotels in {city}.", call("search_hotels", city=city))


def _hotels_missing(rng: Random) -> Example:
    h = pick(rng, hotels.HOTELS)
    name = pick(rng, _NAMES)
    text = f"Book {h['hotel_id']} for {name}."
    return ask(text, [text], "the number of nights", "book_hotel", "For how many nights should I book it?")


def _hotels_multi(rng: Random, run: Run) -> Example:
    city = pick(rng, _HOTEL_CITIES)
    nights, name = rng.randint(1, 6), pick(rng, _NAMES)
    text = f"Book the cheapest hotel in {city} for {nights} nights for {name}, and tell me the total."
    first = run_step(
        run,
        f"The user wants {q(f'the cheapest hotel in {city}')}; search_hotels sorts cheapest first.",
        call("search_hotels", city=city),
    )
    cheapest = first.results[0]["hotels"][0]
    second = run_step(
        run,
        f"{cheapest['name']} ({cheapest['hotel_id']}) is cheapest; book {nights} nights for {name}.",
        call("book_hotel", hotel_id=cheapest["hotel_id"], nights=nights, guest_name=name),
    )
    r = second.results[0]
    answer = (
        f"Booked {r['hotel']} in {city} for {nights} nights for {name}: {r['total_usd']} USD in total "
        f"(booking {r['booking_id']})."
    )
    return chain(
        text, [f"the cheapest hotel in {city}"], [first, second], answer, f"book_hotel confirms {r['total_usd']} USD."
    )


HOTELS = Family(
    name="hotels",
    module="awpo.tools.builtin.hotels",
    single=_hotels_single,
    parallel=pair_template(
        _HOTEL_CITIES,
        "List hotels in {a} and in {b}.",
        "Two cities, two search_hotels calls.",
        "search_hotels",
        "city",
    ),
    missing=_hotels_missing,
    multi_step=_hotels_multi,
    topics=("hotels",),
)

# ----------------------------------------------------------------------------- maps

_MAP_CITIES = list(maps.COORDS)


def _maps_single(rng: Random) -> Example:
    a, b = pick_n(rng, _MAP_CITIES, 2)
    if rng.random() < 0.5:
        mode = pick(rng, list(maps.SPEED_KMH))
        text = f"How long does it take from {a} to {b} by {mode}?"
        return single(
            text,
            [f"from {a} to {b}", f"by {mode}"],
            f"get_travel_time with origin {a}, destination {b}, mode {mode}.",
            call("get_travel_time", origin=a, destination=b, mode=mode),
        )
    if rng.random() < 0.4:
        text = f"How many miles is it from {a} to {b}?"
        return single(
            text,
            ["How many miles", f"from {a} to {b}"],
            "get_distance in miles.",
            call("get_distance", origin=a, destination=b, unit="miles"),
        )
    text = pick(rng, [f"How far is {b} from {a}?", f"Distance between {a} and {b}?"])
    frag = f"{b} from {a}" if "far" in text else f"{a} and {b}"
    return single(
        text, [frag], "get_distance gives the distance in km.", call("get_distance", origin=a, destination=b)
    )


def _maps_parallel(rng: Random) -> Example:
    a, b = pick_n(rng, _MAP_CITIES, 2)
    text = f"From {a} to {b}: how long by train and how long by car?"
    return single(
        text,
        [f"From {a} to {b}", "by train", "by car"],
        "Two modes, two get_travel_time calls.",
        call("get_travel_time", origin=a, destination=b, mode="train"),
        call("get_travel_time", origin=a, destination=b, mode="car"),
    )


def _maps_missing(rng: Random) -> Example:
    b = pick(rng, _MAP_CITIES)
    text = pick(rng, [f"How far is {b}?", f"How long to get to {b} by train?"])
    return ask(
        text,
        [text],
        "a starting city",
        "get_distance" if "far" in text else "get_travel_time",
        "Where would you start from?",
    )


def _maps_multi(rng: Random, run: Run) -> Example:
    a, b = pick_n(rng, _MAP_CITIES, 2)
    text = f"Is the train or the car faster from {a} to {b}, and by how much?"
    step = run_step(
        run,
        f"The user compares {q('the train or the car')} {q(f'from {a} to {b}')}; I need both times.",
        call("get_travel_time", origin=a, destination=b, mode="train"),
        call("get_travel_time", origin=a, destination=b, mode="car"),
    )
    train, car = step.results[0]["minutes"], step.results[1]["minutes"]
    faster = "train" if train < car else "car"
    answer = (
        f"The {faster} is faster: {min(train, car)} minutes against {max(train, car)}, "
        f"{abs(train - car)} minutes less."
    )
    return chain(
        text, ["the train or the car", f"from {a} to {b}"], [step], answer, f"Train {train} min, car {car} min."
    )


MAPS = Family(
    name="maps",
    module="awpo.tools.builtin.maps",
    single=_maps_single,
    parallel=_maps_parallel,
    missing=_maps_missing,
    multi_step=_maps_multi,
    topics=("distances and travel times",),
)

# ----------------------------------------------------------------------------- time zones

_TZ_CITIES = list(timezones.OFFSETS)


def _clock(rng: Random) -> str:
    return f"{rng.randint(0, 23):02d}:{pick(rng, ['00', '15', '30', '45'])}"


def _tz_single(rng: Random) -> Example:
    a, b = pick_n(rng, _TZ_CITIES, 2)
    if rng.random() < 0.3:
        text = f"What is the UTC offset of {a}?"
        return single(text, [f"UTC offset of {a}"], "get_utc_offset answers directly.", call("get_utc_offset", city=a))
    t = _clock(rng)
    text = pick(rng, [f"If it's {t} in {a}, what time is it in {b}?", f"Convert {t} {a} time to {b} time."])
    return single(
        text,
        [t, a, b],
        f"convert_time with time {t}, from {a}, to {b}.",
        call("convert_time", time=t, from_city=a, to_city=b),
    )


def _tz_parallel(rng: Random) -> Example:
    a, b, c = pick_n(rng, _TZ_CITIES, 3)
    t = _clock(rng)
    text = f"My call is at {t} in {a}. What time is that in {b} and in {c}?"
    return single(
        text,
        [f"{t} in {a}", b, c],
        "Two target cities, two convert_time calls.",
        call("convert_time", time=t, from_city=a, to_city=b),
        call("convert_time", time=t, from_city=a, to_city=c),
    )


def _tz_missing(rng: Random) -> Example:
    a, b = pick_n(rng, _TZ_CITIES, 2)
    text = f"What time is it in {b} when it is morning in {a}?"
    return ask(
        text,
        [f"morning in {a}"],
        "an exact clock time",
        "convert_time",
        f"Which exact time in {a} do you mean (HH:MM)?",
    )


def _tz_multi(rng: Random, run: Run) -> Example:
    a, b = pick_n(rng, _TZ_CITIES, 2)
    t = _clock(rng)
    text = f"I land in {b} at {t} local time. What time will it be back in {a}?"
    step = run_step(
        run,
        f"The user lands {q(f'at {t} local time')} in {b}; convert from {b} to {a}.",
        call("convert_time", time=t, from_city=b, to_city=a),
    )
    r = step.results[0]
    day = {-1: " (the previous day)", 0: "", 1: " (the next day)"}[r["day_offset"]]
    answer = f"It will be {r['time']} in {a}{day}."
    return chain(
        text, [f"at {t} local time"], [step], answer, f"convert_time gives {r['time']}, day offset {r['day_offset']}."
    )


TIMEZONES = Family(
    name="timezones",
    module="awpo.tools.builtin.timezones",
    single=_tz_single,
    parallel=_tz_parallel,
    missing=_tz_missing,
    multi_step=_tz_multi,
    topics=("time zones",),
)

# ----------------------------------------------------------------------------- currency

_CODES = list(currency.PER_USD)


def _amount(rng: Random) -> int | float:
    return pick(rng, [20, 50, 75, 100, 250, 1000, 12.5, 99.99])  # type: ignore[no-any-return]


def _currency_single(rng: Random) -> Example:
    a, b = pick_n(rng, _CODES, 2)
    if rng.random() < 0.3:
        text = f"What's the {a} to {b} exchange rate?"
        return single(
            text,
            [f"{a} to {b}"],
            f"get_exchange_rate with base {a}, quote {b}.",
            call("get_exchange_rate", base=a, quote=b),
        )
    amount = _amount(rng)
    text = pick(rng, [f"Convert {fmt_num(amount)} {a} to {b}.", f"How much is {fmt_num(amount)} {a} in {b}?"])
    frag = f"{fmt_num(amount)} {a}"
    return single(
        text,
        [frag, b],
        f"convert_currency with amount {fmt_num(amount)}, from {a}, to {b}.",
        call("convert_currency", amount=amount, from_currency=a, to_currency=b),
    )


def _currency_parallel(rng: Random) -> Example:
    a, b, c = pick_n(rng, _CODES, 3)
    amount = _amount(rng)
    text = f"How much is {fmt_num(amount)} {a} in {b} and in {c}?"
    return single(
        text,
        [f"{fmt_num(amount)} {a}", f"{b} and in {c}"],
        "Two targets, two convert_currency calls.",
        call("convert_currency", amount=amount, from_currency=a, to_currency=b),
        call("convert_currency", amount=amount, from_currency=a, to_currency=c),
    )


def _currency_missing(rng: Random) -> Example:
    a, b = pick_n(rng, _CODES, 2)
    text = pick(rng, [f"Convert my {a} to {b}.", f"How much would my savings be in {b}?"])
    if "savings" in text:
        return ask(
            text,
            [text],
            "the amount and its currency",
            "convert_currency",
            "How much money is it, and in which currency?",
        )
    return ask(text, [f"my {a} to {b}"], "the amount", "convert_currency", f"How many {a} do you want to convert?")


def _currency_multi(rng: Random, run: Run) -> Example:
    a, b = pick_n(rng, _CODES, 2)
    amount = _amount(rng)
    text = f"I have {fmt_num(amount)} {a}. How much is that in {b}?"
    step = run_step(
        run,
        f"The user has {q(f'{fmt_num(amount)} {a}')} and wants {b}.",
        call("convert_currency", amount=amount, from_currency=a, to_currency=b),
    )
    r = step.results[0]
    answer = f"{fmt_num(amount)} {a} is {r['converted']} {b} (rate {r['rate']})."
    return chain(text, [f"{fmt_num(amount)} {a}"], [step], answer, f"convert_currency returns {r['converted']} {b}.")


CURRENCY = Family(
    name="currency",
    module="awpo.tools.builtin.currency",
    single=_currency_single,
    parallel=_currency_parallel,
    missing=_currency_missing,
    multi_step=_currency_multi,
    topics=("currency exchange",),
)

FAMILIES = (FLIGHTS, HOTELS, MAPS, TIMEZONES, CURRENCY)
