"""Sports results on a fixed season table."""

from __future__ import annotations

from typing import Any

from awpo.tools.registry import tool

MATCHES: list[dict[str, Any]] = [
    {"league": "Premier League", "home": "Arsenal", "away": "Chelsea", "score": "2-1", "date": "2024-03-02"},
    {"league": "Premier League", "home": "Liverpool", "away": "Everton", "score": "3-0", "date": "2024-03-03"},
    {"league": "Premier League", "home": "Chelsea", "away": "Liverpool", "score": "1-1", "date": "2024-03-09"},
    {"league": "La Liga", "home": "Barcelona", "away": "Sevilla", "score": "2-0", "date": "2024-03-02"},
    {"league": "La Liga", "home": "Real Madrid", "away": "Valencia", "score": "4-2", "date": "2024-03-03"},
    {"league": "La Liga", "home": "Sevilla", "away": "Real Madrid", "score": "0-1", "date": "2024-03-10"},
    {"league": "Serie A", "home": "Juventus", "away": "Napoli", "score": "1-0", "date": "2024-03-02"},
    {"league": "Serie A", "home": "Inter", "away": "Roma", "score": "2-2", "date": "2024-03-03"},
    {"league": "NBA", "home": "Lakers", "away": "Celtics", "score": "112-108", "date": "2024-03-04"},
    {"league": "NBA", "home": "Warriors", "away": "Bulls", "score": "120-99", "date": "2024-03-05"},
    {"league": "NBA", "home": "Celtics", "away": "Warriors", "score": "101-97", "date": "2024-03-08"},
]


def standings(league: str) -> list[dict[str, Any]]:
    """Points table (win 3, draw 1; basketball: wins) sorted by points then name."""
    games = [m for m in MATCHES if m["league"].lower() == league.strip().lower()]
    if not games:
        raise ValueError(f"unknown league {league!r}; known: {', '.join(sorted({m['league'] for m in MATCHES}))}")
    table: dict[str, int] = {}
    for m in games:
        h, a = (int(x) for x in m["score"].split("-"))
        table.setdefault(m["home"], 0)
        table.setdefault(m["away"], 0)
        win, draw = (1, 0) if m["league"] == "NBA" else (3, 1)
        if h > a:
            table[m["home"]] += win
        elif a > h:
            table[m["away"]] += win
        else:
            table[m["home"]] += draw
            table[m["away"]] += draw
    rows = sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"rank": i + 1, "team": t, "points": p} for i, (t, p) in enumerate(rows)]


@tool
def get_match_results(team: str) -> dict[str, Any]:
    """All results of a team this season.

    Args:
        team: Team name, e.g. "Arsenal".
    """
    t = team.strip().lower()
    games = [m for m in MATCHES if t in (m["home"].lower(), m["away"].lower())]
    if not games:
        raise ValueError(f"no matches for team {team!r}")
    return {"team": team.strip(), "matches": games}


@tool
def get_standings(league: str) -> dict[str, Any]:
    """League table for a league.

    Args:
        league: League name, e.g. "Premier League".
    """
    return {"league": league.strip(), "table": standings(league)}
