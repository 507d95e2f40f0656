"""Trending lists as DynamoDB writes, with no I/O: which item an event's points go to.

Two lists trend with the same rule (SPEC §5): an exponentially decayed score, half-life 7
days, kept by forward decay in yearly eras (domain/decay.py), one ADD per list an event
counts in.

- dishes, in TrendingDishes, partitions (`location_id`) `<city>#<yyyy>`: a ranking is
  worth 6 − rank, a view of the dish 1;
- restaurants, in TrendingRestaurants, partitions `city#<city>#<yyyy>` and `all#<yyyy>`:
  a ranking of one of its dishes 6 − rank, a view of its page (restaurant_viewed) 1.

A restaurant trends in its city and overall, so an event that counts for it writes two
items (one where its city is unknown). The overall partition is named apart from every
city's (`all#…` against `city#…#…`), so no city, not even one called "all", shares it.
Each partition's items share one epoch per era, so TrendingScoreIndex (location_id,
trending_score) holds them in decayed order; storage/trending.py merges two eras on read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.analytics.domain.decay import era_expires_at, era_of, forward_points
from services.analytics.domain.keys import trending_location
from shared.writes import Increment

TRENDING_DISHES = "TrendingDishes"
TRENDING_RESTAURANTS = "TrendingRestaurants"
# the overall trending restaurants' scope: a city's is "city#<city>", so none is this
OVERALL = "all"
# what each count of an item says: placements received, views
RANKINGS, VIEWS = "ranking_count", "views"


@dataclass(frozen=True)
class TrendingList:
    """One kind of trending list: its table, the key attribute naming what trends, and the
    facts its items carry beside the scores (a read shows the latest era's)."""

    table: str
    id_name: str
    facts: tuple[str, ...] = ()

    def key(self, scope: str, entity_id: str, era: int) -> dict:
        return {"location_id": trending_location(scope, era), self.id_name: str(entity_id)}


DISHES = TrendingList(TRENDING_DISHES, "dish_id", ("restaurant_id", "dish_type"))
RESTAURANTS = TrendingList(TRENDING_RESTAURANTS, "restaurant_id")


def city_scope(city: str) -> str:
    """A normalized city's trending restaurants scope."""
    return f"city#{city}"


def restaurant_scopes(city: str | None) -> list[str]:
    """Where a restaurant trends: overall, and in its (normalized) city when known."""
    return [OVERALL, city_scope(city)] if city else [OVERALL]


def restaurant_scope(city: str | None) -> str:
    """The scope a reader asks for: a normalized city's, or overall (None)."""
    return city_scope(city) if city else OVERALL


def _era_item(era: int, city: str | None) -> dict:
    """What every trending item of an era carries besides its key."""
    item = {"era": era, "expires_at": era_expires_at(era)}
    if city is not None:
        item["city"] = city
    return item


def points_for(trending: TrendingList, scope: str, entity_id: str, points: float,
               at: datetime, half_life: timedelta, counter: str, *, city: str | None = None,
               facts: dict | None = None) -> Increment:
    """`points` earned at `at` by `entity_id` in `scope`: one ADD on the item of at's era,
    `counter` (RANKINGS or VIEWS) +1, `facts` and the item's era attributes set."""
    era, score = forward_points(points, at, half_life)
    return Increment(trending.table, trending.key(scope, entity_id, era),
                     add={"trending_score": score, counter: 1},
                     set={**(facts or {}), **_era_item(era, city)})


def hidden_from(trending: TrendingList, scope: str, entity_id: str, at: datetime, *,
                city: str | None = None) -> list[Increment]:
    """The marks that hide a deleted entity from its trending reads (which merge the
    current and the previous era). An item that was never trending stays outside the
    index: a mark has no score."""
    return [Increment(trending.table, trending.key(scope, entity_id, era),
                      set={"deleted": True, **_era_item(era, city)})
            for era in (era_of(at), era_of(at) - 1)]


def restaurant_points(restaurant_id: str, city: str | None, points: float, at: datetime,
                      half_life: timedelta, counter: str) -> list[Increment]:
    """A restaurant's points, overall and in its city: one ADD each."""
    return [points_for(RESTAURANTS, scope, restaurant_id, points, at, half_life, counter,
                       city=city)
            for scope in restaurant_scopes(city)]


def restaurant_hidden(restaurant_id: str, city: str | None, at: datetime) -> list[Increment]:
    """A deleted restaurant's marks, overall and in its city."""
    return [write for scope in restaurant_scopes(city)
            for write in hidden_from(RESTAURANTS, scope, restaurant_id, at, city=city)]
