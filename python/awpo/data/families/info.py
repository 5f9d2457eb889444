"""Task templates of the lookup families: weather, stocks, sports, movies, nutrition, recipes."""

from __future__ import annotations

from random import Random

from awpo.data.families.base import (
    Example,
    Family,
    Request,
    Run,
    call,
    chain,
    fmt_num,
    missing_template,
    pair_template,
    pick,
    pick_n,
    q,
    run_step,
    single,
)
from awpo.tools.builtin import movies, nutrition, recipes, sports, stocks, weather

# ----------------------------------------------------------------------------- weather


def _weather_single(rng: Random) -> Example:
    city = pick(rng, list(weather.CITIES))
    if rng.random() < 0.3:
        ask_text = pick(
            rng, [f"What's the temperature in {city} in Fahrenheit?", f"How warm is it in {city}, in fahrenheit?"]
        )
        frag = "in Fahrenheit" if "Fahrenheit" in ask_text else "in fahrenheit"
        return single(
            ask_text,
            [city, frag],
            f'get_weather gives the current weather; city is "{city}", unit fahrenheit.',
            call("get_weather", city=city, unit="fahrenheit"),
        )
    if rng.random() < 0.4:
        days = rng.randint(2, 7)
        text = pick(
            rng,
            [
                f"Give me the {days}-day forecast for {city}.",
                f"What will the weather be in {city} over the next {days} days?",
            ],
        )
        frag = f"{days}-day forecast" if "-day" in text else f"next {days} days"
        return single(
            text,
            [frag, city],
            f"get_forecast covers several days; city {city}, days {days}.",
            call("get_forecast", city=city, days=days),
        )
    text = pick(
        rng,
        [
            f"What's the weather like in {city} right now?",
            f"Is it sunny in {city} today?",
            f"Current conditions in {city}, please.",
        ],
    )
    return single(
        text, [city], f'get_weather gives the current weather; city is "{city}".', call("get_weather", city=city)
    )


def _weather_multi(rng: Random, run: Run) -> Example:
    a, b = pick_n(rng, list(weather.CITIES), 2)
    text = f"Is it colder in {a} or in {b} right now?"
    step = run_step(
        run,
        f"The user asks {q(f'colder in {a} or in {b}')}. I need both temperatures.",
        call("get_weather", city=a),
        call("get_weather", city=b),
    )
    ta, tb = step.results[0]["temperature"], step.results[1]["temperature"]
    if ta == tb:
        answer = f"Both are at {fmt_num(ta)}°C right now."
    else:
        colder, warmer = (a, b) if ta < tb else (b, a)
        answer = f"{colder} is colder: {fmt_num(min(ta, tb))}°C against {fmt_num(max(ta, tb))}°C in {warmer}."
    return chain(
        text,
        [f"colder in {a} or in {b}"],
        [step],
        answer,
        f"get_weather says {a} is {fmt_num(ta)}°C and {b} is {fmt_num(tb)}°C.",
    )


WEATHER = Family(
    name="weather",
    module="awpo.tools.builtin.weather",
    single=_weather_single,
    parallel=pair_template(
        list(weather.CITIES),
        [
            "What's the weather in {a} and in {b}?",
            "Compare today's weather in {a} with {b}.",
            "Check the weather for {a} and {b}, please.",
        ],
        "Two cities, so two independent get_weather calls.",
        "get_weather",
        "city",
    ),
    missing=missing_template(
        Request(
            ("What's the weather like right now?", "Will I need an umbrella today?", "How hot is it outside?"),
            "a city",
            "get_weather",
            "Which city would you like the weather for?",
        )
    ),
    multi_step=_weather_multi,
    topics=("weather",),
)

# ----------------------------------------------------------------------------- stocks


_WHICH_STOCK = "Which stock (ticker symbol) do you mean?"


def _stocks_single(rng: Random) -> Example:
    sym = pick(rng, list(stocks.QUOTES))
    if rng.random() < 0.35:
        days = rng.randint(2, 10)
        text = f"Show me the closing prices of {sym} for the last {days} days."
        return single(
            text,
            [sym, f"last {days} days"],
            f"get_stock_history returns closing prices; symbol {sym}, days {days}.",
            call("get_stock_history", symbol=sym, days=days),
        )
    text = pick(
        rng, [f"What's {sym} trading at?", f"Get me the latest quote for {sym}.", f"How much is one {sym} share now?"]
    )
    return single(
        text, [sym], f"get_stock_quote gives the latest price of {sym}.", call("get_stock_quote", symbol=sym)
    )


def _stocks_parallel(rng: Random) -> Example:
    syms = pick_n(rng, list(stocks.QUOTES), rng.randint(2, 3))
    listed = ", ".join(syms[:-1]) + f" and {syms[-1]}"
    text = pick(rng, [f"Quotes for {listed}, please.", f"What are {listed} trading at?"])
    return single(
        text,
        [listed],
        "One get_stock_quote per symbol, all independent.",
        *[call("get_stock_quote", symbol=s) for s in syms],
    )


def _stocks_multi(rng: Random, run: Run) -> Example:
    a, b = pick_n(rng, list(stocks.QUOTES), 2)
    text = f"Which share is more expensive right now, {a} or {b}?"
    step = run_step(
        run,
        f"The user asks {q(f'{a} or {b}')}; I need both prices.",
        call("get_stock_quote", symbol=a),
        call("get_stock_quote", symbol=b),
    )
    pa, pb = step.results[0]["price"], step.results[1]["price"]
    hi, lo = ((a, pa), (b, pb)) if pa >= pb else ((b, pb), (a, pa))
    answer = f"{hi[0]} is more expensive at {hi[1]} USD, against {lo[1]} USD for {lo[0]}."
    return chain(text, [f"{a} or {b}"], [step], answer, f"{a} trades at {pa} USD and {b} at {pb} USD.")


STOCKS = Family(
    name="stocks",
    module="awpo.tools.builtin.stocks",
    single=_stocks_single,
    parallel=_stocks_parallel,
    missing=missing_template(
        Request(
            ("What's the share price right now?", "Get me a stock quote."),
            "a ticker symbol",
            "get_stock_quote",
            _WHICH_STOCK,
        ),
        Request(
            ("Show me the closing prices for the last 5 days.",), "a ticker symbol", "get_stock_history", _WHICH_STOCK
        ),
    ),
    multi_step=_stocks_multi,
    topics=("stock prices",),
)

# ----------------------------------------------------------------------------- sports

_TEAMS = sorted({m["home"] for m in sports.MATCHES} | {m["away"] for m in sports.MATCHES})
_LEAGUES = sorted({m["league"] for m in sports.MATCHES})


def _sports_single(rng: Random) -> Example:
    if rng.random() < 0.5:
        team = pick(rng, _TEAMS)
        text = pick(rng, [f"How has {team} done this season?", f"Show me {team}'s results."])
        return single(
            text,
            [team],
            f"get_match_results lists a team's results; team {team}.",
            call("get_match_results", team=team),
        )
    league = pick(rng, _LEAGUES)
    text = pick(rng, [f"Show me the {league} table.", f"What are the current {league} standings?"])
    return single(
        text, [league], f"get_standings returns a league table; league {league}.", call("get_standings", league=league)
    )


def _sports_multi(rng: Random, run: Run) -> Example:
    league = pick(rng, _LEAGUES)
    text = f"Who is top of the {league} right now?"
    step = run_step(
        run,
        f"The user asks who is {q(f'top of the {league}')}; I need the table.",
        call("get_standings", league=league),
    )
    top = step.results[0]["table"][0]
    answer = f"{top['team']} lead the {league} with {top['points']} points."
    return chain(
        text,
        [f"top of the {league}"],
        [step],
        answer,
        f"The table's first row is {top['team']} with {top['points']} points.",
    )


SPORTS = Family(
    name="sports",
    module="awpo.tools.builtin.sports",
    single=_sports_single,
    parallel=pair_template(
        _TEAMS,
        "Get the results of {a} and of {b}.",
        "Two teams, two get_match_results calls.",
        "get_match_results",
        "team",
    ),
    missing=missing_template(
        Request(("Show me the league table.",), "a league", "get_standings", "Which league's table would you like?"),
        Request(("How did my team do this season?",), "a team", "get_match_results", "Which team do you support?"),
    ),
    multi_step=_sports_multi,
    topics=("sports results",),
)

# ----------------------------------------------------------------------------- movies

_GENRES = sorted({m["genre"] for m in movies.MOVIES})
_TITLES = [m["title"] for m in movies.MOVIES]


def _movies_single(rng: Random) -> Example:
    if rng.random() < 0.5:
        title = pick(rng, _TITLES)
        text = pick(rng, [f"Tell me about the movie {title}.", f"Who directed {title}?", f"How long is {title}?"])
        return single(
            text,
            [title],
            f"get_movie_details has the facts of a movie; title {title}.",
            call("get_movie_details", title=title),
        )
    genre = pick(rng, _GENRES)
    if rng.random() < 0.4:
        year = pick(rng, sorted({m["year"] for m in movies.MOVIES}))
        text = f"Any good {genre} movies from {year}?"
        return single(
            text,
            [genre, str(year)],
            f"search_movies filters by genre and year; {genre}, {year}.",
            call("search_movies", genre=genre, year=year),
        )
    text = pick(rng, [f"Recommend me some {genre} movies.", f"What {genre} films do you have?"])
    return single(
        text, [genre], f"search_movies finds movies by genre; genre {genre}.", call("search_movies", genre=genre)
    )


def _movies_multi(rng: Random, run: Run) -> Example:
    genre = pick(rng, [g for g in _GENRES if sum(m["genre"] == g for m in movies.MOVIES) >= 1])
    text = f"Who directed the best-rated {genre} movie?"
    first = run_step(
        run,
        f"The user asks about {q(f'best-rated {genre} movie')}; search_movies lists {genre} movies best first.",
        call("search_movies", genre=genre),
    )
    best = first.results[0]["movies"][0]["title"]
    second = run_step(
        run, f"The best-rated is {best}; get_movie_details gives its director.", call("get_movie_details", title=best)
    )
    director = second.results[0]["director"]
    answer = f"{best} ({second.results[0]['rating']}) is the best-rated {genre} movie; it was directed by {director}."
    return chain(
        text,
        [f"best-rated {genre} movie"],
        [first, second],
        answer,
        f"The details say {best} was directed by {director}.",
    )


MOVIES = Family(
    name="movies",
    module="awpo.tools.builtin.movies",
    single=_movies_single,
    parallel=pair_template(
        _TITLES,
        "Give me the details of {a} and {b}.",
        "Two titles, two get_movie_details calls.",
        "get_movie_details",
        "title",
    ),
    missing=missing_template(
        Request(
            ("Recommend me a movie.", "Find me some films from 2020."),
            "a genre",
            "search_movies",
            "Which genre are you in the mood for?",
        )
    ),
    multi_step=_movies_multi,
    topics=("movies",),
)

# ----------------------------------------------------------------------------- nutrition

_FOODS = list(nutrition.PER_100G)


def _nutrition_single(rng: Random) -> Example:
    food = pick(rng, _FOODS)
    if rng.random() < 0.6:
        grams = pick(rng, [50, 80, 120, 150, 200, 250])
        text = pick(
            rng, [f"How many calories are in {grams} g of {food}?", f"Nutrition facts for {grams} grams of {food}?"]
        )
        gfrag = f"{grams} g" if f"{grams} g" in text else f"{grams} grams"
        return single(
            text,
            [gfrag, food],
            f"get_nutrition gives calories and macros; food {food}, grams {grams}.",
            call("get_nutrition", food=food, grams=grams),
        )
    other = pick(rng, [f for f in _FOODS if f != food])
    text = f"Which has more calories, {food} or {other}?"
    return single(
        text,
        [f"{food} or {other}"],
        "compare_calories compares two foods per 100 g.",
        call("compare_calories", food_a=food, food_b=other),
    )


def _nutrition_multi(rng: Random, run: Run) -> Example:
    food = pick(rng, _FOODS)
    grams = pick(rng, [60, 150, 300])
    text = f"I ate {grams} g of {food}. How much protein was that?"
    step = run_step(
        run,
        f"The user ate {q(f'{grams} g of {food}')} and asks about protein.",
        call("get_nutrition", food=food, grams=grams),
    )
    protein = step.results[0]["protein_g"]
    answer = f"{grams} g of {food} has about {fmt_num(protein)} g of protein."
    return chain(
        text, [f"{grams} g of {food}"], [step], answer, f"get_nutrition reports {fmt_num(protein)} g of protein."
    )


NUTRITION = Family(
    name="nutrition",
    module="awpo.tools.builtin.nutrition",
    single=_nutrition_single,
    parallel=pair_template(
        _FOODS,
        "Calories in 100 g of {a} and in 100 g of {b}?",
        "Two foods, two get_nutrition calls with 100 g.",
        "get_nutrition",
        "food",
        grams=100,
    ),
    missing=missing_template(
        Request(
            ("How many calories are in 200 g?", "What are the macros of my lunch portion?"),
            "the food",
            "get_nutrition",
            "Which food do you mean?",
        )
    ),
    multi_step=_nutrition_multi,
    topics=("nutrition",),
)

# ----------------------------------------------------------------------------- recipes

_INGREDIENTS = sorted({i for r in recipes.RECIPES for i in r["ingredients"]})


def _recipes_single(rng: Random) -> Example:
    ing = pick(rng, _INGREDIENTS)
    if rng.random() < 0.4:
        minutes = pick(rng, [15, 20, 30, 45])
        text = f"Find a recipe with {ing} that takes at most {minutes} minutes."
        return single(
            text,
            [ing, f"at most {minutes} minutes"],
            f"search_recipes filters by ingredient and time; {ing}, {minutes} minutes.",
            call("search_recipes", ingredient=ing, max_minutes=minutes),
        )
    text = pick(rng, [f"What can I cook with {ing}?", f"Recipes using {ing}, please."])
    return single(
        text,
        [ing],
        f"search_recipes finds recipes by ingredient; ingredient {ing}.",
        call("search_recipes", ingredient=ing),
    )


def _recipes_multi(rng: Random, run: Run) -> Example:
    ing = pick(rng, ["eggs", "rice", "onion", "tomato", "flour", "garlic"])
    text = f"What's the quickest recipe with {ing}, and what else do I need for it?"
    first = run_step(
        run,
        f"The user wants {q(f'quickest recipe with {ing}')}; search_recipes sorts quickest first.",
        call("search_recipes", ingredient=ing),
    )
    best = first.results[0]["recipes"][0]
    second = run_step(
        run,
        f"The quickest is {best['name']} ({best['recipe_id']}); get_recipe lists its ingredients.",
        call("get_recipe", recipe_id=best["recipe_id"]),
    )
    others = [i for i in second.results[0]["ingredients"] if ing not in i]
    answer = f"The quickest is {best['name']} ({best['minutes']} minutes); besides {ing} you need {', '.join(others)}."
    return chain(
        text,
        [f"quickest recipe with {ing}"],
        [first, second],
        answer,
        f"{best['name']} needs {', '.join(second.results[0]['ingredients'])}.",
    )


RECIPES = Family(
    name="recipes",
    module="awpo.tools.builtin.recipes",
    single=_recipes_single,
    parallel=pair_template(
        _INGREDIENTS,
        "Show me recipes with {a}, and separately recipes with {b}.",
        "Two separate searches, one per ingredient.",
        "search_recipes",
        "ingredient",
    ),
    missing=missing_template(
        Request(
            ("Find me a recipe that takes under 30 minutes.", "What can I cook tonight?"),
            "an ingredient",
            "search_recipes",
            "Which ingredient would you like to cook with?",
        )
    ),
    multi_step=_recipes_multi,
    topics=("recipes",),
)

FAMILIES = (WEATHER, STOCKS, SPORTS, MOVIES, NUTRITION, RECIPES)
