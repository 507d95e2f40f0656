"""Keys of the activity tables: normalized city and cuisine names, Places keys, board names.

A city or cuisine reaches analytics spelled by whoever typed it ("Kuala Lumpur ",
"kuala  lumpur"); every key is built from the normalized form, so they all meet.
"""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")

# the LeaderboardMembers partition listing every city#cuisine that has a board
BOARD_REGISTRY = "BOARDS"


def normalize_name(name: str | None) -> str | None:
    """Stripped, casefolded, inner whitespace collapsed to one space; None for blank."""
    if name is None:
        return None
    normalized = _SPACES.sub(" ", str(name)).strip().casefold()
    return normalized or None


def normalize_city(city: str | None) -> str | None:
    return normalize_name(city)


def normalize_cuisines(cuisines) -> list[str]:
    """Normalized, blanks dropped, duplicates dropped, first-seen order kept."""
    seen: dict[str, None] = {}
    for cuisine in cuisines or ():
        if (normalized := normalize_name(cuisine)) is not None:
            seen.setdefault(normalized)
    return list(seen)


def restaurant_place(restaurant_id) -> str:
    return f"RESTAURANT#{restaurant_id}"


def dish_place(dish_id) -> str:
    return f"DISH#{dish_id}"


def trending_location(scope: str, era: int) -> str:
    """A trending list's partition for one scope and era (domain/decay.py, domain/trending.py):
    "<scope>#<yyyy>", the scope being a normalized city for dishes. Seed 003 keyed the
    table by city alone; one partition per era keeps each era's forward-weighted scores
    (which share one epoch, so their stored order is their decayed order) together in
    TrendingScoreIndex, and lets old eras expire."""
    return f"{scope}#{era:04d}"



def board_id(city: str, cuisine: str) -> str:
    """One leaderboard (restaurants and users) of a normalized city and cuisine."""
    return f"{city}#{cuisine}"


def restaurant_board(city: str, cuisine: str) -> str:
    return f"restaurants#{board_id(city, cuisine)}"


def user_board(city: str, cuisine: str) -> str:
    return f"users#{board_id(city, cuisine)}"
