"""Popularity, trending dishes, leaderboards and places through the embedded moto DynamoDB."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import Schema

from services.analytics.domain.activity import PLACES, TRENDING_DISHES
from services.analytics.domain.decay import HALF_LIFE, era_expires_at
from services.analytics.domain.keys import restaurant_place
from services.analytics.storage.activity import (
    LEADERBOARD_MEMBERS,
    TABLES,
    leaderboard,
    places_for,
    record_activity,
    refresh_leaderboards,
    top_influencers,
    user_popularity,
)
from services.analytics.storage.trending import TABLES as TRENDING_TABLES
from services.analytics.storage.trending import trending_dishes
from shared.contract import EventType
from shared.dynamodb import PROCESSED_EVENTS, ensure_tables
from shared.events import make_envelope, parse_envelope

CONSUMER = "analytics.activity"
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(dynamodb_client):
    ensure_tables(dynamodb_client, [PROCESSED_EVENTS, *TABLES, *TRENDING_TABLES])
    return dynamodb_client


def new_id() -> str:
    return str(uuid.uuid4())


def envelope(event_type: str, payload: dict, at: datetime = NOW,
             producer: str = "rankings") -> dict:
    return parse_envelope({**make_envelope(EventType(producer, event_type, 1, Schema), payload),
                           "occurred_at": at.isoformat()})


def followed(followed_id: str, follower_id: str | None = None, unfollow: bool = False) -> dict:
    return envelope("user_unfollowed" if unfollow else "user_followed",
                    {"follower_id": follower_id or new_id(), "followed_id": followed_id})


def reviewed(user_id: str, deleted: bool = False) -> dict:
    return envelope("review_deleted" if deleted else "review_created",
                    {"review_id": new_id(), "user_id": user_id, "restaurant_id": new_id(),
                     "rating": 5})


def ranked(user_id: str, dish_id: str, restaurant_id: str, rank: int, at: datetime = NOW,
           city: str | None = "Ipoh", cuisines: tuple[str, ...] = ("Malay",)) -> dict:
    return envelope("dish_ranked", {"user_id": user_id, "dish_id": dish_id,
                                    "dish_type": "nasi lemak", "restaurant_id": restaurant_id,
                                    "city": city, "cuisine_type": list(cuisines), "rank": rank},
                    at)


def removed(user_id: str, dish_id: str, restaurant_id: str, old_rank: int) -> dict:
    return envelope("ranking_removed", {"user_id": user_id, "dish_id": dish_id,
                                        "dish_type": "nasi lemak",
                                        "restaurant_id": restaurant_id, "old_rank": old_rank,
                                        "reason": "removed"})


def restaurant(restaurant_id: str, city: str = "Ipoh", cuisines: tuple[str, ...] = ("Malay",),
               updated_at: datetime = NOW, event_type: str = "restaurant_created") -> dict:
    return envelope(event_type, {"id": restaurant_id, "name": "Warung", "city": city,
                                 "cuisine_type": list(cuisines),
                                 "updated_at": updated_at.isoformat()}, producer="catalog")


def dish(dish_id: str, restaurant_id: str) -> dict:
    return envelope("dish_created", {"id": dish_id, "restaurant_id": restaurant_id,
                                     "name": "Laksa", "dish_type": "laksa",
                                     "updated_at": NOW.isoformat()}, producer="catalog")


def dish_viewed(dish_id: str, at: datetime = NOW) -> dict:
    return envelope("dish_viewed", {"dish_id": dish_id, "user_id": None,
                                    "device_type": "mobile"}, at, producer="gateway")


# --- user popularity -------------------------------------------------------------------------

def test_influence_stays_exact_when_every_event_comes_twice(client):
    user = new_id()
    batch = [followed(user), followed(user), followed(user), followed(user, unfollow=True),
             reviewed(user), reviewed(user), reviewed(user, deleted=True),
             ranked(user, new_id(), new_id(), 1), ranked(user, new_id(), new_id(), 3)]
    # repeats inside the batch, then the whole batch redelivered
    assert record_activity(client, CONSUMER, batch + batch[:4]) == len(batch)
    assert record_activity(client, CONSUMER, batch) == 0
    assert user_popularity(client, user) == {
        "user_id": user, "follower_count": 2, "ranking_count": 2, "review_count": 1,
        "influence_score": 5 * 2 + 3 * 1 + 2 * 2}


def test_an_unknown_user_has_zero_popularity(client):
    user = new_id()
    assert user_popularity(client, user) == {"user_id": user, "follower_count": 0,
                                             "ranking_count": 0, "review_count": 0,
                                             "influence_score": 0}


def test_an_unfollow_before_its_follow_settles_on_the_right_count(client):
    user, follower = new_id(), new_id()
    record_activity(client, CONSUMER, [followed(user, follower, unfollow=True)])
    assert user_popularity(client, user)["follower_count"] == 0  # −1 shown as 0
    record_activity(client, CONSUMER, [followed(user, follower), followed(user)])
    assert user_popularity(client, user)["follower_count"] == 1
    assert user_popularity(client, user)["influence_score"] == 5


def test_experts_come_by_influence_through_the_index(client):
    quiet, reviewer, famous = new_id(), new_id(), new_id()
    record_activity(client, CONSUMER, [
        ranked(quiet, new_id(), new_id(), 2),                     # 2
        reviewed(reviewer), reviewed(reviewer),                   # 6
        followed(famous), followed(famous), reviewed(famous),     # 13
    ])
    top = top_influencers(client, 2)
    assert [(item["user_id"], item["influence_score"]) for item in top] == [
        (famous, 13), (reviewer, 6)]
    assert top[0] == {"user_id": famous, "follower_count": 2, "ranking_count": 0,
                      "review_count": 1, "influence_score": 13}
    assert [item["user_id"] for item in top_influencers(client, 10)] == [famous, reviewer, quiet]


# --- trending dishes -------------------------------------------------------------------------

def test_trending_dishes_of_a_city_are_ordered_after_decay(client):
    old_favourite, rising, elsewhere = new_id(), new_id(), new_id()
    three_weeks_ago = NOW - 3 * HALF_LIFE
    record_activity(client, CONSUMER, [
        # 10 points three weeks ago: worth 1.25 today
        ranked(new_id(), old_favourite, new_id(), 1, at=three_weeks_ago),
        ranked(new_id(), old_favourite, new_id(), 1, at=three_weeks_ago),
        # 2 points today
        ranked(new_id(), rising, new_id(), 4),
        ranked(new_id(), elsewhere, new_id(), 1, city="Penang"),
    ])
    items = trending_dishes(client, " IPOH ", 10, NOW)
    assert [item["dish_id"] for item in items] == [rising, old_favourite]
    assert items[0]["score"] == pytest.approx(2, abs=1e-6)
    assert items[1]["score"] == pytest.approx(1.25, abs=1e-6)
    assert items[1]["ranking_count"] == 2 and items[1]["views"] == 0
    assert items[0]["dish_type"] == "nasi lemak" and items[0]["restaurant_id"]
    assert [item["dish_id"] for item in trending_dishes(client, "Ipoh", 1, NOW)] == [rising]
    assert [item["dish_id"] for item in trending_dishes(client, "penang", 10, NOW)] == [elsewhere]
    assert trending_dishes(client, "Nowhere", 10, NOW) == []


def test_a_dish_view_counts_in_its_restaurants_city_through_places(client):
    restaurant_id, dish_id, stranger = new_id(), new_id(), new_id()
    record_activity(client, CONSUMER, [restaurant(restaurant_id, city="Kuala  Lumpur"),
                                       dish(dish_id, restaurant_id)])
    views = [dish_viewed(dish_id), dish_viewed(dish_id), dish_viewed(stranger)]
    places = places_for(client, views)  # two hops: the dish, then its restaurant
    assert places[restaurant_place(restaurant_id)]["city"] == "kuala lumpur"
    assert record_activity(client, "analytics.views", views) == 3
    assert record_activity(client, "analytics.views", views) == 0  # redelivered
    (item,) = trending_dishes(client, "Kuala Lumpur", 10, NOW)
    assert item["dish_id"] == dish_id and item["views"] == 2
    assert item["restaurant_id"] == restaurant_id and item["dish_type"] == "laksa"
    assert item["score"] == pytest.approx(2, abs=1e-6)


def test_one_batch_creating_a_restaurant_and_viewing_its_dish_counts_the_view(client):
    restaurant_id, dish_id = new_id(), new_id()
    record_activity(client, CONSUMER, [restaurant(restaurant_id), dish(dish_id, restaurant_id),
                                       dish_viewed(dish_id)])
    assert [item["views"] for item in trending_dishes(client, "ipoh", 10, NOW)] == [1]


def test_a_deleted_dish_leaves_trending(client):
    restaurant_id, kept, gone = new_id(), new_id(), new_id()
    record_activity(client, CONSUMER, [restaurant(restaurant_id), dish(kept, restaurant_id),
                                       dish(gone, restaurant_id), dish_viewed(kept),
                                       dish_viewed(gone), dish_viewed(gone)])
    record_activity(client, CONSUMER, [envelope("dish_deleted", {
        "id": gone, "restaurant_id": restaurant_id, "dish_type": "laksa"},
        NOW + timedelta(seconds=1), producer="catalog")])
    assert [item["dish_id"] for item in trending_dishes(client, "ipoh", 10, NOW)] == [kept]
    record_activity(client, CONSUMER, [dish_viewed(gone)])  # a late view adds nothing
    assert [item["dish_id"] for item in trending_dishes(client, "ipoh", 10, NOW)] == [kept]


AFTER_MIDNIGHT = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)  # the 2027 era, 10 days in
NEW_YEARS_EVE = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)


def worth(points: int, at: datetime, now: datetime = AFTER_MIDNIGHT) -> float:
    return points * 2 ** (-((now - at) / HALF_LIFE))


def test_trending_sums_the_previous_and_the_current_era(client):
    both, old_only, new_only, ancient = new_id(), new_id(), new_id(), new_id()
    this_morning = AFTER_MIDNIGHT - timedelta(hours=12)
    record_activity(client, CONSUMER, [
        # 5 points last year and 3 this year: each part alone below the others' scores
        ranked(new_id(), both, new_id(), 1, at=NEW_YEARS_EVE),
        ranked(new_id(), both, new_id(), 3, at=this_morning),
        # 10 points, all last year
        ranked(new_id(), old_only, new_id(), 1, at=NEW_YEARS_EVE),
        ranked(new_id(), old_only, new_id(), 1, at=NEW_YEARS_EVE),
        # 3 points this year
        ranked(new_id(), new_only, new_id(), 3, at=this_morning),
        # two eras ago: a year or more old, worth < 2^-52 of its points, not read
        ranked(new_id(), ancient, new_id(), 1, at=datetime(2025, 12, 31, tzinfo=UTC)),
    ])
    items = trending_dishes(client, "Ipoh", 10, AFTER_MIDNIGHT)
    assert [item["dish_id"] for item in items] == [both, old_only, new_only]
    expected = [worth(5, NEW_YEARS_EVE) + worth(3, this_morning), worth(10, NEW_YEARS_EVE),
                worth(3, this_morning)]
    assert [item["score"] for item in items] == pytest.approx(expected, abs=1e-6)
    assert [item["ranking_count"] for item in items] == [2, 2, 1]  # both eras' placements
    assert all(item["dish_type"] == "nasi lemak" and item["restaurant_id"] for item in items)
    assert [item["dish_id"] for item in trending_dishes(client, "ipoh", 1,
                                                        AFTER_MIDNIGHT)] == [both]
    # last year, before midnight, the same events read from last year's era alone
    assert [item["dish_id"] for item in trending_dishes(
        client, "ipoh", 10, NEW_YEARS_EVE + timedelta(hours=1))] == [old_only, both, ancient]
    # the era items carry their city, era and expiry
    stored = client.table(TRENDING_DISHES).get_item(
        Key={"location_id": "ipoh#2026", "dish_id": both})["Item"]
    assert (stored["city"], stored["era"]) == ("ipoh", 2026)
    assert stored["expires_at"] == era_expires_at(2026)


def test_a_dish_in_neither_eras_top_list_still_wins_on_its_sum(client):
    # limit 1 reads 12 of each era first: the winner is 13th in both, first in sum
    winner = new_id()
    current = [ranked(new_id(), new_id(), new_id(), 1, at=AFTER_MIDNIGHT) for _ in range(12)]
    previous = [ranked(new_id(), new_id(), new_id(), 1, at=NEW_YEARS_EVE) for _ in range(12)]
    record_activity(client, CONSUMER, [
        *current, *previous,
        ranked(new_id(), winner, new_id(), 2, at=AFTER_MIDNIGHT),  # 4 now, < 5
        ranked(new_id(), winner, new_id(), 2, at=NEW_YEARS_EVE),   # < 5 points last year
    ])
    (top,) = trending_dishes(client, "ipoh", 1, AFTER_MIDNIGHT)
    assert top["dish_id"] == winner
    assert top["score"] == pytest.approx(4 + worth(4, NEW_YEARS_EVE), abs=1e-6)
    assert top["score"] > 5  # above every dish of either list alone
    scores = [item["score"] for item in trending_dishes(client, "ipoh", 30, AFTER_MIDNIGHT)]
    assert len(scores) == 25 and scores == sorted(scores, reverse=True)


def test_a_dish_deleted_last_year_stays_out_of_trending_this_year(client):
    restaurant_id, kept, gone = new_id(), new_id(), new_id()
    record_activity(client, CONSUMER, [
        restaurant(restaurant_id), dish(kept, restaurant_id), dish(gone, restaurant_id),
        dish_viewed(kept, NEW_YEARS_EVE), dish_viewed(gone, NEW_YEARS_EVE),
        dish_viewed(gone, NEW_YEARS_EVE)])
    record_activity(client, CONSUMER, [envelope("dish_deleted", {
        "id": gone, "restaurant_id": restaurant_id, "dish_type": "laksa"},
        NEW_YEARS_EVE + timedelta(hours=1), producer="catalog")])
    assert [item["dish_id"] for item in trending_dishes(client, "ipoh", 10,
                                                        AFTER_MIDNIGHT)] == [kept]


# --- places ----------------------------------------------------------------------------------

def test_an_older_catalog_update_does_not_undo_a_newer_one(client):
    restaurant_id = new_id()
    record_activity(client, CONSUMER, [restaurant(restaurant_id, city="Penang",
                                                  updated_at=NOW, event_type="restaurant_updated")])
    record_activity(client, CONSUMER, [restaurant(restaurant_id, city="Ipoh",
                                                  updated_at=NOW - timedelta(hours=1))])
    item = client.table(PLACES).get_item(Key={"pk": restaurant_place(restaurant_id)})["Item"]
    assert item["city"] == "penang"


# --- leaderboards ----------------------------------------------------------------------------

def test_leaderboards_after_refresh(client):
    first, second, third, moved_away = (new_id() for _ in range(4))
    alice, bob, carol = new_id(), new_id(), new_id()
    record_activity(client, CONSUMER, [
        restaurant(first, cuisines=("Malay", "Indian")), restaurant(second),
        restaurant(third), restaurant(moved_away),
        ranked(alice, new_id(), first, 1), ranked(bob, new_id(), first, 2),     # 5 + 4
        ranked(alice, new_id(), second, 3),                                      # 3
        ranked(carol, new_id(), third, 4),                                       # 2
        ranked(bob, new_id(), moved_away, 1),                                    # 5
        followed(carol), followed(carol), followed(carol),                      # carol 17
    ])
    # the restaurant moves to another city: it leaves Ipoh's boards at the next refresh
    record_activity(client, CONSUMER, [restaurant(moved_away, city="Penang",
                                                  updated_at=NOW + timedelta(minutes=1),
                                                  event_type="restaurant_updated")])
    empty = leaderboard(client, "Ipoh", "Malay", 10)
    assert empty == {"city": "Ipoh", "cuisine": "Malay", "restaurants": [], "users": [],
                     "updated_at": None}

    # ipoh#malay, ipoh#indian, penang#malay
    assert refresh_leaderboards(client, NOW) == {"boards": 3}
    board = leaderboard(client, "ipoh", " MALAY", 10)
    assert board["restaurants"] == [
        {"rank": 1, "restaurant_id": first, "score": 9},
        {"rank": 2, "restaurant_id": second, "score": 3},
        {"rank": 3, "restaurant_id": third, "score": 2}]
    # users by influence: carol 17 (3 followers, 1 ranking), alice 4, bob 4 (ties by id)
    assert board["users"] == [
        {"rank": rank, "user_id": user_id, "score": score}
        for rank, (user_id, score) in enumerate(
            [(carol, 17), *sorted([(alice, 4), (bob, 4)])], start=1)]
    assert board["updated_at"] == NOW.isoformat()
    assert [entry["restaurant_id"] for entry in leaderboard(client, "Ipoh", "Indian",
                                                            10)["restaurants"]] == [first]
    assert leaderboard(client, "Penang", "Malay", 10)["restaurants"] == [
        {"rank": 1, "restaurant_id": moved_away, "score": 5}]
    assert len(leaderboard(client, "Ipoh", "Malay", 2)["restaurants"]) == 2

    # the third restaurant's only ranking goes, the second climbs above the first
    record_activity(client, CONSUMER, [
        removed(carol, new_id(), third, 4),
        ranked(carol, new_id(), second, 1), ranked(bob, new_id(), second, 1),
        ranked(alice, new_id(), second, 1),
    ])
    later = NOW + timedelta(minutes=5)
    refresh_leaderboards(client, later)
    board = leaderboard(client, "Ipoh", "Malay", 10)
    assert board["restaurants"] == [
        {"rank": 1, "restaurant_id": second, "score": 18},
        {"rank": 2, "restaurant_id": first, "score": 9}]  # the stale third slot is gone
    assert board["updated_at"] == later.isoformat()


def test_refresh_keeps_at_most_size_slots_and_nothing_without_boards(client):
    assert refresh_leaderboards(client, NOW) == {"boards": 0}
    restaurants = [new_id() for _ in range(4)]
    record_activity(client, CONSUMER, [
        ranked(new_id(), new_id(), restaurant_id, rank)
        for restaurant_id, rank in zip(restaurants, (1, 2, 3, 4), strict=True)])
    refresh_leaderboards(client, NOW, size=2)
    board = leaderboard(client, "Ipoh", "Malay", 10)
    assert [entry["restaurant_id"] for entry in board["restaurants"]] == restaurants[:2]
    assert len(board["users"]) == 2
    registered = client.table(LEADERBOARD_MEMBERS).get_item(
        Key={"board": "BOARDS", "entity_id": "ipoh#malay"})["Item"]
    assert registered["city"] == "ipoh" and registered["cuisine"] == "malay"


def test_tables_are_the_declared_ones(client):
    names = {spec.name for spec in TABLES}
    assert names == {"UserPopularity", PLACES, LEADERBOARD_MEMBERS, "Leaderboards"}
    assert {spec.name for spec in TRENDING_TABLES} == {TRENDING_DISHES, "TrendingRestaurants"}
