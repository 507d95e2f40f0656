"""Rankings' and catalog's events as DynamoDB writes (Increment / PutIfAbsent), with no I/O.

What each event means (tables in storage/activity.py):
- user_followed / user_unfollowed: the followed user's follower_count ±1;
  review_created / review_deleted: the author's review_count ±1;
  dish_ranked / ranking_removed: the user's ranking_count ±1. Each change ADDs its weighted
  delta to influence_score in the same update (5·followers + 3·reviews + 2·rankings stays
  exact without a read), and sets scope="ALL" if absent, the InfluenceScoreIndex partition.
- dish_ranked: 6 − rank forward-decayed trending points (and ranking_count +1: placements
  received) for the dish in the event's city, and for its restaurant overall and in that
  city (domain/trending.py), each on the item of the event's era (the calendar year of
  occurred_at, domain/decay.py); the restaurant's ranking_score +(6 − rank);
  leaderboard memberships of the restaurant and the user in every city#cuisine board of
  the restaurant; what the event tells of the dish and restaurant, if Places lacks it.
- ranking_moved: the restaurant's ranking_score += old_rank − new_rank;
  ranking_removed: −(6 − old_rank). So ranking_score = Σ(6 − rank) over current rankings.
- restaurant_* / dish_*: the Places facts (name, city, cuisines / restaurant, dish type),
  memberships of the restaurant's boards, tombstones on deletion. A deleted dish (or
  restaurant) is also marked deleted on its trending items of the deletion's era and the
  one before: a read skips it if any item it merges is marked, so it stays hidden through
  the next era too; past that, only points earned after the deletion could show it again
  (its views are not counted; a ranking of a deleted dish would be).
- dish_viewed: one forward-decayed trending point and views +1 for the dish in its
  restaurant's city (Places: DISH# → restaurant_id → RESTAURANT# → city), on the item of
  the view's era. restaurant_viewed: the same for the restaurant, overall and in its city
  (Places: RESTAURANT# → city; overall only while its city is unknown).

Order. Events of one queue may arrive out of order (retries, replicas), so every counter
is a commutative ADD: the final value is exact whatever the order, and a counter can read
−1 for a moment (an unfollow applied before its follow); reads clamp counts at 0. The
restaurant's ranking score is kept per restaurant, not per board, for the same reason: a
ranking_removed needs no city or cuisine (which it does not carry, and which may change),
and boards pick their restaurants' current city/cuisines when they are rematerialized.
Catalog facts are SET, but an event older than the stored fact (by the catalog's
updated_at, or a deletion's occurred_at) writes nothing: `places` holds the stored item,
pre-fetched. Two replicas applying two versions of one restaurant at the same instant may
still both write (last wins); the next update repairs it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from marshmallow import Schema

from services.analytics.domain import trending
from services.analytics.domain.decay import HALF_LIFE
from services.analytics.domain.keys import (
    BOARD_REGISTRY,
    board_id,
    dish_place,
    normalize_city,
    normalize_cuisines,
    restaurant_board,
    restaurant_place,
    user_board,
)
from services.analytics.domain.periods import as_utc
from services.catalog.contract import events as catalog
from services.gateway.contract.events import DISH_VIEWED, RESTAURANT_VIEWED
from services.rankings.contract import events as rankings
from services.rankings.contract.rpc import MAX_RANK
from shared.schemas import load
from shared.writes import Increment, PutIfAbsent

USER_POPULARITY = "UserPopularity"
TRENDING_DISHES = trending.TRENDING_DISHES
TRENDING_RESTAURANTS = trending.TRENDING_RESTAURANTS
PLACES = "Places"
LEADERBOARD_MEMBERS = "LeaderboardMembers"
LEADERBOARDS = "Leaderboards"

INFLUENCE_WEIGHTS = {"follower_count": 5, "review_count": 3, "ranking_count": 2}
INFLUENCE_SCOPE = "ALL"  # the one InfluenceScoreIndex partition (seed 003)
VIEW_POINTS = 1
BOARD_KEY = ("board", "entity_id")

Write = Increment | PutIfAbsent


def rank_points(rank: int) -> int:
    """A ranking's points: 5 for a #1 down to 1 for a #5 (SPEC §4, §5)."""
    return MAX_RANK + 1 - rank


def popularity_change(user_id, counter: str, delta: int) -> Increment:
    """`counter` ± delta with the matching influence_score change, in one update."""
    return Increment(USER_POPULARITY, {"user_id": str(user_id)},
                     add={counter: delta, "influence_score": INFLUENCE_WEIGHTS[counter] * delta},
                     set_if_absent={"scope": INFLUENCE_SCOPE})


def _membership(board: str, entity_id: str) -> PutIfAbsent:
    # written once: an existing membership costs a read in apply_once's check, not a write
    return PutIfAbsent(LEADERBOARD_MEMBERS, {"board": board, "entity_id": entity_id},
                       key_names=BOARD_KEY)


def _registered(city: str, cuisine: str) -> PutIfAbsent:
    """The board's entry in the registry refresh_leaderboards walks."""
    return PutIfAbsent(LEADERBOARD_MEMBERS, {"board": BOARD_REGISTRY,
                                            "entity_id": board_id(city, cuisine),
                                            "city": city, "cuisine": cuisine},
                       key_names=BOARD_KEY)


def board_memberships(city: str | None, cuisines: list[str], restaurant_id: str,
                      user_id: str | None = None) -> list[PutIfAbsent]:
    if not city:
        return []
    writes = []
    for cuisine in cuisines:
        writes += [_registered(city, cuisine),
                   _membership(restaurant_board(city, cuisine), restaurant_id)]
        if user_id is not None:
            writes.append(_membership(user_board(city, cuisine), user_id))
    return writes


def _trending_dish(city: str, dish_id: str, points: int, at: datetime, half_life: timedelta,
                   counter: str, facts: dict) -> Increment:
    return trending.points_for(trending.DISHES, city, dish_id, points, at, half_life, counter,
                               city=city, facts=facts)


def _restaurant_score(restaurant_id: str, delta: int, **facts) -> Increment:
    return Increment(PLACES, {"pk": restaurant_place(restaurant_id)},
                     add={"ranking_score": delta}, set_if_absent=facts)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _older_than_stored(stored: dict | None, version: datetime) -> bool:
    """True if Places already holds a newer version of this fact."""
    stored_at = (stored or {}).get("source_updated_at")
    return bool(stored_at) and datetime.fromisoformat(stored_at) > version


class _Event:
    """One envelope's parts the handlers need."""

    def __init__(self, envelope: dict, schema: Schema, places: dict, half_life: timedelta):
        self.type = envelope["event_type"]
        self.at = as_utc(envelope["occurred_at"])
        self.payload = load(schema, envelope.get("payload"))
        self.places = places
        self.half_life = half_life


# --- rankings --------------------------------------------------------------------------------

def _follow(event: _Event) -> list[Write]:
    delta = 1 if event.type == "user_followed" else -1
    return [popularity_change(event.payload["followed_id"], "follower_count", delta)]


def _review(event: _Event) -> list[Write]:
    delta = 1 if event.type == "review_created" else -1
    return [popularity_change(event.payload["user_id"], "review_count", delta)]


def _dish_ranked(event: _Event) -> list[Write]:
    payload = event.payload
    user_id, dish_id = str(payload["user_id"]), str(payload["dish_id"])
    restaurant_id = str(payload["restaurant_id"])
    points = rank_points(payload["rank"])
    city = normalize_city(payload.get("city"))
    cuisines = normalize_cuisines(payload.get("cuisine_type") or [])
    # the catalog's own events are the authority on these facts: only fill what is missing
    learned = {"city": city, "cuisines": cuisines} if city else {}
    writes: list[Write] = [
        popularity_change(user_id, "ranking_count", 1),
        _restaurant_score(restaurant_id, points, **learned),
        Increment(PLACES, {"pk": dish_place(dish_id)},
                  set_if_absent={"restaurant_id": restaurant_id,
                                 "dish_type": payload["dish_type"]}),
    ]
    # the restaurant trends overall even where the event names no city
    writes += trending.restaurant_points(restaurant_id, city, points, event.at,
                                         event.half_life, trending.RANKINGS)
    if city:
        writes.append(_trending_dish(city, dish_id, points, event.at, event.half_life,
                                     trending.RANKINGS, {"restaurant_id": restaurant_id,
                                                         "dish_type": payload["dish_type"]}))
        writes += board_memberships(city, cuisines, restaurant_id, user_id)
    return writes


def _ranking_moved(event: _Event) -> list[Write]:
    payload = event.payload
    delta = payload["old_rank"] - payload["new_rank"]  # (6 − new) − (6 − old)
    return [_restaurant_score(str(payload["restaurant_id"]), delta)] if delta else []


def _ranking_removed(event: _Event) -> list[Write]:
    payload = event.payload
    return [popularity_change(payload["user_id"], "ranking_count", -1),
            _restaurant_score(str(payload["restaurant_id"]), -rank_points(payload["old_rank"]))]


# --- catalog ---------------------------------------------------------------------------------

def _restaurant_changed(event: _Event) -> list[Write]:
    payload = event.payload
    restaurant_id = str(payload["id"])
    key = restaurant_place(restaurant_id)
    if _older_than_stored(event.places.get(key), payload["updated_at"]):
        return []
    city = normalize_city(payload.get("city"))
    cuisines = normalize_cuisines(payload.get("cuisine_type") or [])
    return [Increment(PLACES, {"pk": key}, set={
        "name": payload.get("name"), "city": city, "cuisines": cuisines, "deleted": False,
        "source_updated_at": _iso(payload["updated_at"])}),
        *board_memberships(city, cuisines, restaurant_id)]


def _restaurant_deleted(event: _Event) -> list[Write]:
    restaurant_id = str(event.payload["id"])
    key = restaurant_place(restaurant_id)
    stored = event.places.get(key)
    if _older_than_stored(stored, event.at):
        return []
    # a tombstone: the ranking score and what was known stay, boards skip it
    return [Increment(PLACES, {"pk": key},
                      set={"deleted": True, "source_updated_at": _iso(event.at)}),
            *trending.restaurant_hidden(restaurant_id, (stored or {}).get("city"), event.at)]


def _dish_changed(event: _Event) -> list[Write]:
    payload = event.payload
    key = dish_place(payload["id"])
    if _older_than_stored(event.places.get(key), payload["updated_at"]):
        return []
    return [Increment(PLACES, {"pk": key}, set={
        "restaurant_id": str(payload["restaurant_id"]), "dish_type": payload["dish_type"],
        "name": payload.get("name"), "deleted": False,
        "source_updated_at": _iso(payload["updated_at"])})]


def _dish_deleted(event: _Event) -> list[Write]:
    dish_id = str(event.payload["id"])
    key = dish_place(dish_id)
    stored = event.places.get(key)
    if _older_than_stored(stored, event.at):
        return []
    writes: list[Write] = [Increment(PLACES, {"pk": key},
                                     set={"deleted": True, "source_updated_at": _iso(event.at)})]
    restaurant_id = (event.payload.get("restaurant_id")
                     or (stored or {}).get("restaurant_id"))
    restaurant = event.places.get(restaurant_place(restaurant_id)) if restaurant_id else None
    if city := (restaurant or {}).get("city"):
        writes += trending.hidden_from(trending.DISHES, city, dish_id, event.at, city=city)
    return writes


# what each event means, and the fields of its payload read for it (others are ignored)
_FOLLOW = ("follower_id", "followed_id")
_REVIEW = ("review_id", "user_id", "restaurant_id")
_RANKING = ("user_id", "dish_id", "dish_type", "restaurant_id")
_RESTAURANT = ("id", "name", "city", "cuisine_type", "updated_at")
_DISH = ("id", "restaurant_id", "name", "dish_type", "updated_at")
_HANDLERS: dict[str, tuple[Schema, Callable[[_Event], list[Write]]]] = {
    "user_followed": (rankings.USER_FOLLOWED.reader(*_FOLLOW), _follow),
    "user_unfollowed": (rankings.USER_UNFOLLOWED.reader(*_FOLLOW), _follow),
    "review_created": (rankings.REVIEW_CREATED.reader(*_REVIEW, optional=["restaurant_id"]),
                       _review),
    "review_deleted": (rankings.REVIEW_DELETED.reader(*_REVIEW, optional=["restaurant_id"]),
                       _review),
    "dish_ranked": (rankings.DISH_RANKED.reader(*_RANKING, "city", "cuisine_type", "rank",
                                                optional=["city", "cuisine_type"]),
                    _dish_ranked),
    "ranking_moved": (rankings.RANKING_MOVED.reader(*_RANKING, "old_rank", "new_rank"),
                      _ranking_moved),
    "ranking_removed": (rankings.RANKING_REMOVED.reader(*_RANKING, "old_rank"),
                        _ranking_removed),
    "restaurant_created": (catalog.RESTAURANT_CREATED.reader(
        *_RESTAURANT, optional=["name", "city", "cuisine_type"]), _restaurant_changed),
    "restaurant_updated": (catalog.RESTAURANT_UPDATED.reader(
        *_RESTAURANT, optional=["name", "city", "cuisine_type"]), _restaurant_changed),
    "restaurant_deleted": (catalog.RESTAURANT_DELETED.reader("id"), _restaurant_deleted),
    "dish_created": (catalog.DISH_CREATED.reader(*_DISH, optional=["name"]), _dish_changed),
    "dish_updated": (catalog.DISH_UPDATED.reader(*_DISH, optional=["name"]), _dish_changed),
    "dish_deleted": (catalog.DISH_DELETED.reader("id", "restaurant_id",
                                                 optional=["restaurant_id"]), _dish_deleted),
}
ACTIVITY_EVENT_TYPES = frozenset(_HANDLERS)
_dish_viewed_schema = DISH_VIEWED.reader("dish_id")
_restaurant_viewed_schema = RESTAURANT_VIEWED.reader("restaurant_id")


def activity_writes(envelope: dict, places: dict, *,
                    half_life: timedelta = HALF_LIFE) -> list[Write]:
    """The writes a rankings or catalog event means. `places` = Places items by pk, as
    `places_needed` asked for (what is missing is unknown). Another event type means
    nothing here ([]). A payload it cannot use raises shared.errors.InvalidInput."""
    handler = _HANDLERS.get(envelope["event_type"])
    if handler is None:
        return []
    schema, handle = handler
    return handle(_Event(envelope, schema, places, half_life))


def dish_view_writes(envelope: dict, places: dict, *,
                     half_life: timedelta = HALF_LIFE) -> list[Write]:
    """dish_viewed's trending point, in the dish's city and the view's era; nothing while
    the dish, its restaurant or its city is unknown to Places (or deleted)."""
    event = _Event(envelope, _dish_viewed_schema, places, half_life)
    dish_id = str(event.payload["dish_id"])
    dish = places.get(dish_place(dish_id))
    if not dish or dish.get("deleted") or not dish.get("restaurant_id"):
        return []
    restaurant = places.get(restaurant_place(dish["restaurant_id"]))
    if not restaurant or restaurant.get("deleted") or not restaurant.get("city"):
        return []
    facts = {"restaurant_id": dish["restaurant_id"]}
    if dish.get("dish_type"):
        facts["dish_type"] = dish["dish_type"]
    return [_trending_dish(restaurant["city"], dish_id, VIEW_POINTS, event.at, half_life,
                           trending.VIEWS, facts)]


def restaurant_view_writes(envelope: dict, places: dict, *,
                           half_life: timedelta = HALF_LIFE) -> list[Write]:
    """restaurant_viewed's trending point, overall and in the restaurant's city, in the
    view's era: overall only while Places does not know its city; nothing once Places
    says it is deleted."""
    event = _Event(envelope, _restaurant_viewed_schema, places, half_life)
    restaurant_id = str(event.payload["restaurant_id"])
    restaurant = places.get(restaurant_place(restaurant_id)) or {}
    if restaurant.get("deleted"):
        return []
    return trending.restaurant_points(restaurant_id, restaurant.get("city"), VIEW_POINTS,
                                      event.at, half_life, trending.VIEWS)


_OWN_PLACE = {
    "restaurant_created": restaurant_place, "restaurant_updated": restaurant_place,
    "restaurant_deleted": restaurant_place,
    "dish_created": dish_place, "dish_updated": dish_place, "dish_deleted": dish_place,
}


def _canonical_id(value) -> str | None:
    """A uuid as the handlers print it; None if it is not one (the handler will refuse it)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def places_needed(envelope: dict) -> list[str]:
    """The Places keys an event's writes depend on, before any lookup (first hop): a
    catalog fact's stored version, a deleted dish's restaurant, a viewed dish or
    restaurant."""
    payload = envelope.get("payload") or {}
    event_type = envelope.get("event_type")
    keys = []
    if (make := _OWN_PLACE.get(event_type)) and (fact_id := _canonical_id(payload.get("id"))):
        keys.append(make(fact_id))
    if event_type == "dish_deleted" and (restaurant_id := _canonical_id(
            payload.get("restaurant_id"))):
        keys.append(restaurant_place(restaurant_id))
    if event_type == "dish_viewed" and (dish_id := _canonical_id(payload.get("dish_id"))):
        keys.append(dish_place(dish_id))
    if event_type == "restaurant_viewed" and (restaurant_id := _canonical_id(
            payload.get("restaurant_id"))):
        keys.append(restaurant_place(restaurant_id))
    return keys


def places_needed_next(envelope: dict, places: dict) -> list[str]:
    """Second hop: the restaurant of a viewed or deleted dish, from the dish's Places item."""
    if envelope.get("event_type") not in ("dish_viewed", "dish_deleted"):
        return []
    payload = envelope.get("payload") or {}
    dish_id = _canonical_id(payload.get("dish_id") or payload.get("id"))
    restaurant_id = (places.get(dish_place(dish_id)) or {}).get("restaurant_id")
    return [restaurant_place(restaurant_id)] if dish_id and restaurant_id else []


def fold_places(places: dict, writes: list[Write]) -> None:
    """Let `places` see the facts `writes` store, so a later event of the same batch reads
    them as if they were already written (a restaurant created, then updated)."""
    for write in writes:
        if isinstance(write, Increment) and write.table == PLACES:
            item = places.setdefault(write.key["pk"], dict(write.key))
            for name, value in write.set_if_absent.items():
                item.setdefault(name, value)
            item.update(write.set)
