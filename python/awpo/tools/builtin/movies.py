"""Movies on a fixed catalogue."""

from __future__ import annotations

from typing import Any

from awpo.tools.registry import tool

MOVIES: list[dict[str, Any]] = [
    {
        "title": "Starfall",
        "year": 2019,
        "genre": "science fiction",
        "director": "Mara Ilves",
        "rating": 7.8,
        "minutes": 128,
    },
    {
        "title": "The Quiet Harbour",
        "year": 2021,
        "genre": "drama",
        "director": "Jon Reyes",
        "rating": 8.1,
        "minutes": 112,
    },
    {"title": "Laugh Track", "year": 2020, "genre": "comedy", "director": "Dee Park", "rating": 6.9, "minutes": 95},
    {"title": "Iron Valley", "year": 2018, "genre": "western", "director": "Sam Oduya", "rating": 7.2, "minutes": 134},
    {
        "title": "Night Signal",
        "year": 2022,
        "genre": "thriller",
        "director": "Mara Ilves",
        "rating": 7.5,
        "minutes": 104,
    },
    {"title": "Paper Moons", "year": 2021, "genre": "animation", "director": "Lia Chen", "rating": 8.4, "minutes": 88},
    {
        "title": "Orbit of Two",
        "year": 2022,
        "genre": "science fiction",
        "director": "Ken Aldous",
        "rating": 6.8,
        "minutes": 117,
    },
    {"title": "Second Serve", "year": 2019, "genre": "comedy", "director": "Dee Park", "rating": 7.0, "minutes": 101},
    {
        "title": "Cold Ledger",
        "year": 2020,
        "genre": "thriller",
        "director": "Jon Reyes",
        "rating": 7.9,
        "minutes": 121,
    },
    {"title": "Garden of Salt", "year": 2018, "genre": "drama", "director": "Lia Chen", "rating": 7.4, "minutes": 109},
]


@tool
def search_movies(genre: str, year: int | None = None) -> dict[str, Any]:
    """Find movies of a genre, best rated first.

    Args:
        genre: Genre, e.g. "comedy" or "science fiction".
        year: Release year to filter on.
    """
    g = genre.strip().lower()
    hits = [m for m in MOVIES if m["genre"] == g and (year is None or m["year"] == year)]
    return {
        "movies": [
            {"title": m["title"], "year": m["year"], "rating": m["rating"]}
            for m in sorted(hits, key=lambda m: -m["rating"])
        ]
    }


@tool
def get_movie_details(title: str) -> dict[str, Any]:
    """Details of a movie: year, genre, director, rating, running time.

    Args:
        title: Movie title.
    """
    for m in MOVIES:
        if m["title"].lower() == title.strip().lower():
            return dict(m)
    raise ValueError(f"no movie titled {title!r}")
