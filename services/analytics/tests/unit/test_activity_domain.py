"""Rankings' and catalog's events as writes: popularity, trending, scores, boards, places."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import Schema

from services.analytics.domain.activity import (
    ACTIVITY_EVENT_TYPES,
    LEADERBOARD_MEMBERS,
    PLACES,
    TRENDING_DISHES,
    TRENDING_RESTAURANTS,
    USER_POPULARITY,
    activity_writes,
    dish_view_writes,
    fold_places,
    places_needed,
    places_needed_next,
    rank_points,
    restaurant_view_writes,
)
from services.analytics.domain.decay import era_expires_at, forward_points
from services.analytics.domain.keys import (
    BOARD_REGISTRY,
    dish_place,
    normalize_city,
    normalize_cuisines,
    restaurant_board,
    restaurant_place,
    user_board,
)
from shared.contract import EventType
from shared.errors import InvalidInput
from shared.events import make_envelope, parse_envelope
from shared.writes import Increment, PutIfAbsent

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
USER, OTHER = str(uuid.uuid4()), str(uuid.uuid4())
DISH, RESTAURANT = str(uuid.uuid4()), str(uuid.uuid4())


def envelope(event_type: str, payload: dict, at: datetime = NOW,
             producer: str = "rankings") -> dict:
    """As the consumer hands it over: parsed (uuid event id, aware occurred_at)."""
    return parse_envelope({**make_envelope(EventType(producer, event_type, 1, Schema), payload),
                           "occurred_at": at.isoformat()})


def ranking(event_type: str = "dish_ranked", **fields) -> dict:
    payload = {"user_id": USER, "dish_id": DISH, "dish_type": "nasi lemak",
               "restaurant_id": RESTAURANT, **fields}
    if event_type == "dish_ranked":
        payload = {"city": " Kuala  Lumpur", "cuisine_type": ["Malay", "Street Food"],
                   "rank": 2, **payload}
    return envelope(event_type, payload)


def restaurant_event(event_type: str = "restaurant_created", updated_at: datetime = NOW,
                     **fields) -> dict:
    payload = {"id": RESTAURANT, "name": "Warung A", "city": "Ipoh", "cuisine_type": ["Malay"],
               "updated_at": updated_at.isoformat(), "address": "ignored", **fields}
    return envelope(event_type, payload, producer="catalog")


def dish_event(event_type: str = "dish_created", updated_at: datetime = NOW, **fields) -> dict:
    payload = {"id": DISH, "restaurant_id": RESTAURANT, "name": "Nasi Lemak Ayam",
               "dish_type": "nasi lemak", "price": "9.50", "updated_at": updated_at.isoformat(),
               **fields}
    return envelope(event_type, payload, producer="catalog")


def of_table(writes: list, table: str) -> list:
    return [write for write in writes if write.table == table]


def only(writes: list, table: str) -> Increment:
    (write,) = of_table(writes, table)
    return write


# --- keys ------------------------------------------------------------------------------------

def test_cities_and_cuisines_are_normalized():
    assert normalize_city("  Kuala \t LUMPUR ") == "kuala lumpur"
    assert normalize_city("   ") is None and normalize_city(None) is None
    assert normalize_cuisines(["Malay", " malay", "", "Street  Food"]) == ["malay", "street food"]
    assert restaurant_board("ipoh", "malay") == "restaurants#ipoh#malay"
    assert user_board("ipoh", "malay") == "users#ipoh#malay"


# --- user popularity -------------------------------------------------------------------------

@pytest.mark.parametrize("event_type, delta", [("user_followed", 1), ("user_unfollowed", -1)])
def test_a_follow_changes_the_followed_users_followers_and_influence(event_type, delta):
    writes = activity_writes(envelope(event_type, {"follower_id": OTHER, "followed_id": USER,
                                                   "user_id": OTHER}), {})
    assert writes == [Increment(USER_POPULARITY, {"user_id": USER},
                                add={"follower_count": delta, "influence_score": 5 * delta},
                                set_if_absent={"scope": "ALL"})]


@pytest.mark.parametrize("event_type, delta", [("review_created", 1), ("review_deleted", -1)])
def test_a_review_changes_the_authors_reviews_and_influence(event_type, delta):
    writes = activity_writes(envelope(event_type, {
        "review_id": str(uuid.uuid4()), "user_id": USER, "restaurant_id": RESTAURANT,
        "rating": 4}), {})
    assert writes == [Increment(USER_POPULARITY, {"user_id": USER},
                                add={"review_count": delta, "influence_score": 3 * delta},
                                set_if_absent={"scope": "ALL"})]


def test_influence_is_the_weighted_sum_of_the_counter_changes():
    events = [envelope("user_followed", {"follower_id": OTHER, "followed_id": USER})] * 3 + [
        envelope("user_unfollowed", {"follower_id": OTHER, "followed_id": USER}),
        envelope("review_created", {"review_id": str(uuid.uuid4()), "user_id": USER}),
        ranking(), ranking(), ranking("ranking_removed", old_rank=1, reason="removed"),
    ]
    totals: dict = {}
    for event in events:
        for write in of_table(activity_writes(event, {}), USER_POPULARITY):
            for name, amount in write.add.items():
                totals[name] = totals.get(name, 0) + amount
    assert totals == {"follower_count": 2, "review_count": 1, "ranking_count": 1,
                      "influence_score": 5 * 2 + 3 * 1 + 2 * 1}


# --- rankings --------------------------------------------------------------------------------

def test_dish_ranked_means_popularity_trending_score_boards_and_places():
    writes = activity_writes(ranking(rank=2), {})
    assert only(writes, USER_POPULARITY).add == {"ranking_count": 1, "influence_score": 2}

    trending = only(writes, TRENDING_DISHES)
    assert trending.key == {"location_id": "kuala lumpur#2026", "dish_id": DISH}
    assert trending.add == {"trending_score": forward_points(4, NOW).value, "ranking_count": 1}
    assert trending.set == {"restaurant_id": RESTAURANT, "dish_type": "nasi lemak",
                            "city": "kuala lumpur", "era": 2026,
                            "expires_at": era_expires_at(2026)}
    # the dish's restaurant trends on its points, overall and in the city: two ADDs
    assert of_table(writes, TRENDING_RESTAURANTS) == [
        Increment(TRENDING_RESTAURANTS, {"location_id": location, "restaurant_id": RESTAURANT},
                  add={"trending_score": forward_points(4, NOW).value, "ranking_count": 1},
                  set={"city": "kuala lumpur", "era": 2026, "expires_at": era_expires_at(2026)})
        for location in ("all#2026", "city#kuala lumpur#2026")]

    restaurant, dish = of_table(writes, PLACES)
    assert restaurant.key == {"pk": restaurant_place(RESTAURANT)}
    assert restaurant.add == {"ranking_score": 4}
    # the catalog's events are the authority: the event only fills what is missing
    assert restaurant.set == {}
    assert restaurant.set_if_absent == {"city": "kuala lumpur",
                                        "cuisines": ["malay", "street food"]}
    assert dish.key == {"pk": dish_place(DISH)}
    assert dish.set_if_absent == {"restaurant_id": RESTAURANT, "dish_type": "nasi lemak"}

    members = of_table(writes, LEADERBOARD_MEMBERS)
    assert all(isinstance(member, PutIfAbsent) for member in members)
    assert {(member.item["board"], member.item["entity_id"]) for member in members} == {
        (BOARD_REGISTRY, "kuala lumpur#malay"), (BOARD_REGISTRY, "kuala lumpur#street food"),
        ("restaurants#kuala lumpur#malay", RESTAURANT),
        ("restaurants#kuala lumpur#street food", RESTAURANT),
        ("users#kuala lumpur#malay", USER), ("users#kuala lumpur#street food", USER),
    }


def test_a_ranking_goes_to_the_trending_item_of_its_own_era():
    midnight = datetime(2027, 1, 1, tzinfo=UTC)
    payload = ranking()["payload"]
    late, early = (only(activity_writes(envelope("dish_ranked", payload, at), {}),
                        TRENDING_DISHES)
                   for at in (midnight - timedelta(minutes=1), midnight + timedelta(minutes=1)))
    assert late.key == {"location_id": "kuala lumpur#2026", "dish_id": DISH}
    assert early.key == {"location_id": "kuala lumpur#2027", "dish_id": DISH}
    assert (late.set["era"], early.set["era"]) == (2026, 2027)
    # each weighted from its own era's epoch: a year of growth apart, then none
    assert late.add["trending_score"] > 2**52 > 4 * 1.01 > early.add["trending_score"]


def test_dish_ranked_without_a_city_has_no_trending_and_no_boards():
    writes = activity_writes(ranking(city=None), {})
    assert not of_table(writes, TRENDING_DISHES) and not of_table(writes, LEADERBOARD_MEMBERS)
    # but its restaurant still trends overall
    assert [write.key["location_id"] for write in of_table(writes, TRENDING_RESTAURANTS)] == [
        "all#2026"]
    assert only(writes, USER_POPULARITY).add["ranking_count"] == 1
    restaurant = of_table(writes, PLACES)[0]
    assert restaurant.add == {"ranking_score": 4} and restaurant.set_if_absent == {}


def test_ranking_moved_changes_the_restaurants_score_by_the_rank_difference():
    writes = activity_writes(ranking("ranking_moved", old_rank=4, new_rank=1, reason="moved"), {})
    assert writes == [Increment(PLACES, {"pk": restaurant_place(RESTAURANT)},
                                add={"ranking_score": 3})]
    assert activity_writes(ranking("ranking_moved", old_rank=2, new_rank=2,
                                   reason="shifted"), {}) == []


def test_ranking_removed_takes_back_the_ranking_and_its_points():
    writes = activity_writes(ranking("ranking_removed", old_rank=2, reason="dropped"), {})
    assert only(writes, USER_POPULARITY).add == {"ranking_count": -1, "influence_score": -2}
    assert only(writes, PLACES).add == {"ranking_score": -rank_points(2)}
    # trending counts what happened, decaying
    assert not of_table(writes, TRENDING_DISHES) and not of_table(writes, TRENDING_RESTAURANTS)


def test_a_restaurants_score_is_the_sum_of_six_minus_rank_over_its_current_rankings():
    # placed at 1, shifted to 2 by another placement, moved to 4, then another user's #3
    events = [ranking(rank=1), ranking("ranking_moved", old_rank=1, new_rank=2, reason="shifted"),
              ranking("ranking_moved", old_rank=2, new_rank=4, reason="moved"),
              ranking(rank=3, user_id=OTHER)]
    score = sum(write.add.get("ranking_score", 0) for event in events
                for write in of_table(activity_writes(event, {}), PLACES))
    assert score == (6 - 4) + (6 - 3)
    removed = ranking("ranking_removed", old_rank=4, reason="removed")
    score += only(activity_writes(removed, {}), PLACES).add["ranking_score"]
    assert score == 6 - 3


@pytest.mark.parametrize("event", [
    envelope("user_followed", {"follower_id": "not-a-uuid", "followed_id": USER}),
    envelope("review_created", {"user_id": USER}),
    envelope("dish_ranked", {"user_id": USER, "dish_id": DISH, "dish_type": "x",
                             "restaurant_id": RESTAURANT, "city": "Ipoh", "rank": 7}),
    envelope("ranking_moved", {"user_id": USER, "dish_id": DISH, "dish_type": "x",
                               "restaurant_id": RESTAURANT, "old_rank": 1}),
])
def test_a_payload_it_cannot_use_is_refused(event):
    with pytest.raises(InvalidInput):
        activity_writes(event, {})


def test_other_event_types_mean_nothing_here():
    assert activity_writes(envelope("badge_awarded", {"user_id": USER}), {}) == []
    assert "dish_ranked" in ACTIVITY_EVENT_TYPES and "dish_viewed" not in ACTIVITY_EVENT_TYPES


# --- catalog ---------------------------------------------------------------------------------

def test_restaurant_created_keeps_its_facts_and_joins_its_boards():
    writes = activity_writes(restaurant_event(cuisine_type=["Malay", "Indian"]), {})
    place = only(writes, PLACES)
    assert place.key == {"pk": restaurant_place(RESTAURANT)}
    assert place.set == {"name": "Warung A", "city": "ipoh", "cuisines": ["malay", "indian"],
                         "deleted": False, "source_updated_at": NOW.isoformat()}
    assert {(member.item["board"], member.item["entity_id"])
            for member in of_table(writes, LEADERBOARD_MEMBERS)} == {
        (BOARD_REGISTRY, "ipoh#malay"), (BOARD_REGISTRY, "ipoh#indian"),
        ("restaurants#ipoh#malay", RESTAURANT), ("restaurants#ipoh#indian", RESTAURANT)}


def test_an_older_restaurant_update_does_not_overwrite_a_newer_one():
    stored = {restaurant_place(RESTAURANT): {"pk": restaurant_place(RESTAURANT),
                                             "source_updated_at": NOW.isoformat()}}
    earlier = restaurant_event("restaurant_updated", updated_at=NOW - timedelta(minutes=1))
    assert activity_writes(earlier, stored) == []
    later = restaurant_event("restaurant_updated", updated_at=NOW + timedelta(minutes=1),
                             city="Penang")
    assert only(activity_writes(later, stored), PLACES).set["city"] == "penang"


def test_restaurant_deleted_leaves_a_tombstone_unless_something_newer_is_stored():
    deleted = envelope("restaurant_deleted", {"id": RESTAURANT}, producer="catalog")
    writes = activity_writes(deleted, {})
    assert only(writes, PLACES) == Increment(
        PLACES, {"pk": restaurant_place(RESTAURANT)},
        set={"deleted": True, "source_updated_at": NOW.isoformat()})
    # hidden from trending in the two eras a read merges: overall, and in its city if known
    assert of_table(writes, TRENDING_RESTAURANTS) == [
        Increment(TRENDING_RESTAURANTS, {"location_id": f"all#{era}",
                                         "restaurant_id": RESTAURANT},
                  set={"deleted": True, "era": era, "expires_at": era_expires_at(era)})
        for era in (2026, 2025)]
    in_ipoh = activity_writes(deleted, {restaurant_place(RESTAURANT): {"city": "ipoh"}})
    assert [write.key["location_id"] for write in of_table(in_ipoh, TRENDING_RESTAURANTS)] == [
        "all#2026", "all#2025", "city#ipoh#2026", "city#ipoh#2025"]
    newer = {restaurant_place(RESTAURANT): {
        "source_updated_at": (NOW + timedelta(seconds=1)).isoformat()}}
    assert activity_writes(deleted, newer) == []


def test_dish_created_and_updated_keep_the_dishs_facts():
    for event_type in ("dish_created", "dish_updated"):
        place = only(activity_writes(dish_event(event_type), {}), PLACES)
        assert place.key == {"pk": dish_place(DISH)}
        assert place.set == {"restaurant_id": RESTAURANT, "dish_type": "nasi lemak",
                             "name": "Nasi Lemak Ayam", "deleted": False,
                             "source_updated_at": NOW.isoformat()}
    stored = {dish_place(DISH): {"source_updated_at": NOW.isoformat()}}
    assert activity_writes(dish_event("dish_updated", NOW - timedelta(days=1)), stored) == []


def test_dish_deleted_tombstones_the_dish_and_hides_it_from_its_citys_trending():
    deleted = envelope("dish_deleted", {"id": DISH, "restaurant_id": RESTAURANT,
                                        "dish_type": "nasi lemak"}, producer="catalog")
    places = {restaurant_place(RESTAURANT): {"city": "ipoh"}}
    writes = activity_writes(deleted, places)
    assert only(writes, PLACES).set == {"deleted": True, "source_updated_at": NOW.isoformat()}
    # marked in the two eras a read merges: the deletion's and the one before
    assert of_table(writes, TRENDING_DISHES) == [
        Increment(TRENDING_DISHES, {"location_id": f"ipoh#{era}", "dish_id": DISH},
                  set={"deleted": True, "city": "ipoh", "era": era,
                       "expires_at": era_expires_at(era)})
        for era in (2026, 2025)]
    # its restaurant's city unknown: only the tombstone
    assert [write.table for write in activity_writes(deleted, {})] == [PLACES]


# --- dish views ------------------------------------------------------------------------------

def dish_viewed(dish_id: str = DISH) -> dict:
    return envelope("dish_viewed", {"dish_id": dish_id, "user_id": None,
                                    "device_type": "mobile"}, producer="gateway")


def test_a_dish_view_needs_the_dish_its_restaurant_and_its_city():
    dish = {dish_place(DISH): {"restaurant_id": RESTAURANT, "dish_type": "laksa"}}
    restaurant = {restaurant_place(RESTAURANT): {"city": "ipoh"}}
    assert dish_view_writes(dish_viewed(), {}) == []
    assert dish_view_writes(dish_viewed(), dish) == []
    assert dish_view_writes(dish_viewed(), {**dish, restaurant_place(RESTAURANT): {}}) == []
    deleted = {dish_place(DISH): {**dish[dish_place(DISH)], "deleted": True}}
    assert dish_view_writes(dish_viewed(), {**deleted, **restaurant}) == []
    (write,) = dish_view_writes(dish_viewed(), {**dish, **restaurant})
    assert write.key == {"location_id": "ipoh#2026", "dish_id": DISH}
    assert write.add == {"trending_score": forward_points(1, NOW).value, "views": 1}
    assert write.set["restaurant_id"] == RESTAURANT and write.set["dish_type"] == "laksa"


def restaurant_viewed() -> dict:
    return envelope("restaurant_viewed", {"restaurant_id": RESTAURANT, "user_id": None,
                                          "device_type": "mobile"}, producer="gateway")


def test_a_restaurant_view_is_one_point_overall_and_in_its_city():
    in_ipoh = {restaurant_place(RESTAURANT): {"city": "ipoh"}}
    assert restaurant_view_writes(restaurant_viewed(), in_ipoh) == [
        Increment(TRENDING_RESTAURANTS, {"location_id": location, "restaurant_id": RESTAURANT},
                  add={"trending_score": forward_points(1, NOW).value, "views": 1},
                  set={"city": "ipoh", "era": 2026, "expires_at": era_expires_at(2026)})
        for location in ("all#2026", "city#ipoh#2026")]
    # its city not known yet: overall only; deleted: nothing
    assert [write.key["location_id"] for write in restaurant_view_writes(
        restaurant_viewed(), {})] == ["all#2026"]
    gone = {restaurant_place(RESTAURANT): {"city": "ipoh", "deleted": True}}
    assert restaurant_view_writes(restaurant_viewed(), gone) == []
    assert places_needed(restaurant_viewed()) == [restaurant_place(RESTAURANT)]
    assert places_needed_next(restaurant_viewed(), in_ipoh) == []


def test_places_needed_in_two_hops_for_a_dish_view():
    view = dish_viewed()
    assert places_needed(view) == [dish_place(DISH)]
    assert places_needed_next(view, {}) == []
    assert places_needed_next(view, {dish_place(DISH): {"restaurant_id": RESTAURANT}}) == [
        restaurant_place(RESTAURANT)]
    assert places_needed(restaurant_event("restaurant_updated")) == [restaurant_place(RESTAURANT)]
    assert places_needed(envelope("dish_deleted", {"id": DISH, "restaurant_id": RESTAURANT},
                                  producer="catalog")) == [dish_place(DISH),
                                                           restaurant_place(RESTAURANT)]
    assert places_needed(ranking()) == []  # rankings' events need no lookup
    assert places_needed(envelope("dish_viewed", {"dish_id": "junk"})) == []


def test_a_batchs_later_events_see_the_facts_its_earlier_ones_keep():
    places: dict = {}
    for event in (restaurant_event(), dish_event()):
        fold_places(places, activity_writes(event, places))
    assert len(dish_view_writes(dish_viewed(), places)) == 1
    # and an older update later in the same batch is recognized as older
    fold_places(places, activity_writes(
        restaurant_event("restaurant_updated", NOW - timedelta(hours=1), city="Penang"), places))
    assert places[restaurant_place(RESTAURANT)]["city"] == "ipoh"
