"""Trending dishes and restaurants in DynamoDB: the two tables, and the one reader both
use (an era merge over TrendingScoreIndex). What writes them: domain/trending.py.

Tables (seed 003's TrendingDishes, and TrendingRestaurants the same way):
- TrendingDishes (location_id = "<normalized city>#<yyyy>", dish_id): one item per dish,
  city and era (calendar year): trending_score (forward-decayed from the era's epoch,
  domain/decay.py), ranking_count (placements received in the era), views (in the era),
  dish_type, restaurant_id, city, era, deleted, expires_at (TTL, two years after the era
  ends).
- TrendingRestaurants (location_id = "city#<normalized city>#<yyyy>" or "all#<yyyy>",
  restaurant_id): one item per restaurant, scope and era: trending_score (the 6 − rank
  of every ranking of its dishes, 1 per view of its page), ranking_count, views, city,
  era, deleted, expires_at.
Both have GSI TrendingScoreIndex (location_id, trending_score): one scope's items of one
era in decayed order. Seed 003 keyed trending by city alone, which with forward decay
means one epoch whose stored values outgrow DynamoDB's 38 digits within ~500 days; eras
never do, at the price of merging two eras on read (`top_trending`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal

from boto3.dynamodb.conditions import Key

from services.analytics.domain.decay import HALF_LIFE, decayed, eras_read
from services.analytics.domain.keys import normalize_city, trending_location
from services.analytics.domain.trending import (
    DISHES,
    RESTAURANTS,
    TrendingList,
    restaurant_scope,
)
from services.analytics.storage.activity import batch_get
from shared.dynamodb import DynamoDBClient, GlobalIndex, TableSpec

TRENDING_INDEX = "TrendingScoreIndex"
TRENDING_ROUNDS = 4  # pages read per era at most before `top_trending` answers anyway
SCORE_TOLERANCE = 1e-6  # points: an unread entry this close to the last one listed may wait

TABLES = [
    TableSpec(kind.table, (("location_id", "S"), (kind.id_name, "S")),
              indexes=(GlobalIndex(TRENDING_INDEX, (("location_id", "S"),
                                                    ("trending_score", "N"))),),
              ttl_attribute="expires_at")
    for kind in (DISHES, RESTAURANTS)
]


def _int(value) -> int:
    return int(value) if isinstance(value, Decimal | int) else 0


class _EraRanking:
    """One era's items of a scope, highest stored score first, a page at a time
    (TrendingScoreIndex). The era's items share one epoch, so this is decayed order too."""

    def __init__(self, client: DynamoDBClient, kind: TrendingList, scope: str, era: int,
                 page_size: int):
        self.era = era
        self.exhausted = False
        self._table = client.table(kind.table)
        self._arguments: dict = {
            "IndexName": TRENDING_INDEX, "ScanIndexForward": False, "Limit": page_size,
            "KeyConditionExpression": Key("location_id").eq(trending_location(scope, era))}
        self._last_score = None

    def next_page(self) -> list[dict]:
        if self.exhausted:
            return []
        response = self._table.query(**self._arguments)
        items = response.get("Items", [])
        if items:
            self._last_score = items[-1]["trending_score"]
        if "LastEvaluatedKey" in response:
            self._arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        else:
            self.exhausted = True
        return items

    def unread_bound(self, now: datetime, half_life: timedelta) -> float:
        """The highest score as of `now` an item of this era not read yet can have."""
        if self.exhausted:
            return 0.0
        if self._last_score is None:
            return math.inf
        return decayed(self._last_score, self.era, now, half_life)


def _fill_other_eras(client: DynamoDBClient, kind: TrendingList, scope: str,
                     eras: tuple[int, ...], found: dict[str, dict[int, dict | None]]) -> None:
    """Complete every entry seen in one era's ranking with its item of the other era (None
    where there is none): one BatchGetItem round for the whole page."""
    wanted = [(entity_id, era) for entity_id, items in found.items() for era in eras
              if era not in items]
    fetched = batch_get(client, kind.table,
                        [kind.key(scope, entity_id, era) for entity_id, era in wanted])
    by_key = {(item[kind.id_name], item["location_id"]): item for item in fetched}
    for entity_id, era in wanted:
        found[entity_id][era] = by_key.get((entity_id, trending_location(scope, era)))


def _merged(kind: TrendingList, entity_id: str, by_era: dict[int, dict | None],
            now: datetime, half_life: timedelta) -> dict | None:
    """An entry from its items of the eras read: scores as of `now` and counts summed, the
    latest era's facts; None if it was deleted."""
    items = [(era, item) for era, item in sorted(by_era.items(), reverse=True) if item]
    if any(item.get("deleted") for _, item in items):
        return None

    def latest(name: str):
        return next((item[name] for _, item in items if item.get(name) is not None), None)

    return {kind.id_name: entity_id,
            **{name: latest(name) for name in kind.facts},
            "score": sum(decayed(item["trending_score"], era, now, half_life)
                         for era, item in items if item.get("trending_score") is not None),
            "ranking_count": max(0, sum(_int(item.get("ranking_count")) for _, item in items)),
            "views": max(0, sum(_int(item.get("views")) for _, item in items))}


def top_trending(client: DynamoDBClient, kind: TrendingList, scope: str, limit: int,
             now: datetime, *, half_life: timedelta = HALF_LIFE) -> list[dict]:
    """The `limit` entries of a scope of highest decayed score as of `now`, highest
    first: [{<id_name>, <facts>..., "score", "ranking_count", "views"}], where score and
    the counts sum the current and the previous era's items (domain/decay.py: older eras
    are worth < 2^-52 of their points), and the facts are the latest era's. Deleted
    entries are skipped.

    Each era's items are in decayed order in TrendingScoreIndex, but the two eras are
    merged by entry, so neither era's top N alone is the answer: an entry can win on the
    sum of two middling scores. Hence a threshold merge (Fagin's TA): read a page of
    2·limit + 10 items of each era, fetch every seen entry's item of the other era
    (BatchGetItem), so every seen entry's score is exact, and stop once the limit-th
    score is at least the sum of the two eras' last scores read: no unread entry can
    score more, since its score in each era is at most that era's last score read.
    Otherwise read the next pages. In practice one round does (2 queries and one
    BatchGetItem): a few weeks into a year the previous era's scores are 2^-(weeks) of
    what they were, so the bound is dominated by the current era, whose page goes well
    past the limit-th score.

    So the answer is exact, up to SCORE_TOLERANCE (1e-6 of a point) at the boundary,
    except when TRENDING_ROUNDS pages of each era still leave the bound above the
    limit-th score (a scope with hundreds of entries of nearly equal score in both eras):
    then an entry read in neither era's first TRENDING_ROUNDS pages, whose score is at
    most the bound, may be missing from the answer (it would outrank the last listed
    entries by less than bound − limit-th score).
    """
    if limit < 1:
        return []
    eras = eras_read(now)
    rankings = [_EraRanking(client, kind, scope, era, 2 * limit + 10) for era in eras]
    found: dict[str, dict[int, dict | None]] = {}
    listed: list[dict] = []
    for _ in range(TRENDING_ROUNDS):
        for ranking in rankings:
            for item in ranking.next_page():
                found.setdefault(item[kind.id_name], {})[ranking.era] = item
        _fill_other_eras(client, kind, scope, eras, found)
        entries = (_merged(kind, entity_id, by_era, now, half_life)
                   for entity_id, by_era in found.items())
        listed = sorted((entry for entry in entries if entry is not None),
                        key=lambda entry: (-entry["score"], entry[kind.id_name]))
        bound = sum(ranking.unread_bound(now, half_life) for ranking in rankings)
        if len(listed) >= limit and listed[limit - 1]["score"] >= bound - SCORE_TOLERANCE:
            break
        if all(ranking.exhausted for ranking in rankings):
            break
    return listed[:limit]


def trending_dishes(client: DynamoDBClient, city: str, limit: int, now: datetime, *,
                    half_life: timedelta = HALF_LIFE) -> list[dict]:
    """A city's `limit` dishes of highest decayed score as of `now` (`top_trending`):
    [{"dish_id", "restaurant_id", "dish_type", "score", "ranking_count", "views"}]; the
    city is matched normalized (case, spaces)."""
    location = normalize_city(city)
    if location is None:
        return []
    return top_trending(client, DISHES, location, limit, now, half_life=half_life)


def trending_restaurants(client: DynamoDBClient, city: str | None, limit: int,
                         now: datetime, *, half_life: timedelta = HALF_LIFE) -> list[dict]:
    """The `limit` restaurants of highest decayed score as of `now` (`top_trending`), in a
    city (matched normalized) or overall (`city` None): [{"restaurant_id", "score",
    "ranking_count", "views"}]."""
    return top_trending(client, RESTAURANTS, restaurant_scope(normalize_city(city)), limit, now,
                    half_life=half_life)
