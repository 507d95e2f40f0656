"""Trending restaurants through the embedded moto DynamoDB, fed the way the consumers feed
them (storage/ingest.py): the gateway's restaurant views and rankings' dish_ranked, read
back by decayed score, per city and overall (SPEC §5)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import Schema

from services.analytics.domain.decay import HALF_LIFE
from services.analytics.storage import ingest
from services.analytics.storage.tables import TABLES
from services.analytics.storage.trending import trending_dishes, trending_restaurants
from services.analytics.storage.views import most_viewed_restaurants
from shared.contract import EventType
from shared.dynamodb import ensure_tables
from shared.events import make_envelope, parse_envelope

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday
# a Sunday evening and the Monday just after it: ISO week 2026-W11 begins at 00:00 UTC
SUNDAY_EVENING = datetime(2026, 3, 8, 22, 0, tzinfo=UTC)
MONDAY_MORNING = datetime(2026, 3, 9, 0, 5, tzinfo=UTC)
NEW_YEARS_EVE = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(dynamodb_client):
    ensure_tables(dynamodb_client, TABLES)
    return dynamodb_client


def new_id() -> str:
    return str(uuid.uuid4())


def envelope(producer: str, event_type: str, payload: dict, at: datetime) -> dict:
    return parse_envelope({**make_envelope(EventType(producer, event_type, 1, Schema), payload),
                           "occurred_at": at.isoformat()})


def viewed(restaurant_id: str, at: datetime = NOW) -> dict:
    return envelope("gateway", "restaurant_viewed", {
        "restaurant_id": restaurant_id, "user_id": None, "anonymous_id": None,
        "device_type": "mobile"}, at)


def ranked(restaurant_id: str, rank: int, at: datetime = NOW, city: str | None = "Ipoh",
           dish_id: str | None = None) -> dict:
    return envelope("rankings", "dish_ranked", {
        "user_id": new_id(), "dish_id": dish_id or new_id(), "dish_type": "nasi lemak",
        "restaurant_id": restaurant_id, "city": city, "cuisine_type": ["Malay"],
        "rank": rank}, at)


def opened(restaurant_id: str, city: str = "Ipoh") -> dict:
    return envelope("catalog", "restaurant_created", {
        "id": restaurant_id, "name": "Warung", "city": city, "cuisine_type": ["Malay"],
        "updated_at": NOW.isoformat()}, NOW)


def closed(restaurant_id: str, at: datetime) -> dict:
    return envelope("catalog", "restaurant_deleted", {"id": restaurant_id}, at)


def views(client, *envelopes) -> int:
    return ingest.ingest_views(client, list(envelopes))


def activity(client, *envelopes) -> int:
    return ingest.ingest_activity(client, list(envelopes))


def ids(items: list[dict]) -> list[str]:
    return [item["restaurant_id"] for item in items]


def worth(points: float, at: datetime, now: datetime = NOW) -> float:
    return points * 2 ** (-((now - at) / HALF_LIFE))


def test_a_restaurant_viewed_a_lot_two_weeks_ago_ranks_below_one_viewed_a_little_today(client):
    old_favourite, rising = new_id(), new_id()
    activity(client, opened(old_favourite), opened(rising))
    two_weeks_ago = NOW - 2 * HALF_LIFE
    views(client, *[viewed(old_favourite, two_weeks_ago) for _ in range(3)],
          *[viewed(rising) for _ in range(2)])
    for city in (None, "ipoh"):  # overall and in its city
        items = trending_restaurants(client, city, 10, NOW)
        assert ids(items) == [rising, old_favourite], city
        assert items[0]["score"] == pytest.approx(2, abs=1e-6)
        assert items[1]["score"] == pytest.approx(0.75, abs=1e-6)  # 3 views, two half-lives
        assert [(item["views"], item["ranking_count"]) for item in items] == [(2, 0), (3, 0)]
    # what raw counts say instead: the old favourite's views are another week's
    assert ids(most_viewed_restaurants(client, "week", 10, NOW.date())) == [rising]


def test_rankings_of_its_dishes_count_six_minus_rank_and_views_one(client):
    house, sushi, cafe = new_id(), new_id(), new_id()
    activity(client, opened(house), opened(sushi), opened(cafe))
    # the house: two of its dishes ranked 1 and 4 (5 + 2); sushi: viewed 6 times; cafe: 1
    activity(client, ranked(house, 1), ranked(house, 4))
    views(client, *[viewed(sushi) for _ in range(6)], viewed(cafe))
    items = trending_restaurants(client, "Ipoh", 10, NOW)
    assert ids(items) == [house, sushi, cafe]
    assert [item["score"] for item in items] == pytest.approx([7, 6, 1], abs=1e-6)
    assert [(item["ranking_count"], item["views"]) for item in items] == [(2, 0), (0, 6),
                                                                          (0, 1)]
    assert ids(trending_restaurants(client, None, 2, NOW)) == [house, sushi]


def test_monday_midnight_does_not_empty_the_list(client):
    restaurant_id = new_id()
    activity(client, opened(restaurant_id))
    views(client, viewed(restaurant_id, SUNDAY_EVENING), viewed(restaurant_id, SUNDAY_EVENING))
    (item,) = trending_restaurants(client, None, 10, MONDAY_MORNING)
    assert item["restaurant_id"] == restaurant_id
    assert item["score"] == pytest.approx(worth(2, SUNDAY_EVENING, MONDAY_MORNING), abs=1e-6)
    # the calendar week's raw counts start again at zero
    assert most_viewed_restaurants(client, "week", 10, MONDAY_MORNING.date()) == []


def test_per_city_and_overall(client):
    in_ipoh, in_penang, nowhere = new_id(), new_id(), new_id()
    activity(client, opened(in_ipoh, city=" IPOH "), opened(in_penang, city="Penang"))
    # a restaurant whose city analytics has not heard of trends overall only
    views(client, viewed(in_ipoh), *[viewed(in_penang) for _ in range(2)],
          *[viewed(nowhere) for _ in range(3)])
    activity(client, ranked(nowhere, 5, city=None))
    assert ids(trending_restaurants(client, "ipoh", 10, NOW)) == [in_ipoh]
    assert ids(trending_restaurants(client, "Penang", 10, NOW)) == [in_penang]
    assert ids(trending_restaurants(client, None, 10, NOW)) == [nowhere, in_penang, in_ipoh]
    assert trending_restaurants(client, "Atlantis", 10, NOW) == []
    # a city called "all" is a city like any other: not the overall list
    assert trending_restaurants(client, "all", 10, NOW) == []
    # and a dish ranking still trends as a dish, in the event's city
    activity(client, ranked(in_ipoh, 1, dish_id=(dish_id := new_id())))
    assert [item["dish_id"] for item in trending_dishes(client, "ipoh", 10, NOW)] == [dish_id]


def test_a_redelivered_view_or_ranking_counts_once(client):
    restaurant_id = new_id()
    activity(client, opened(restaurant_id))
    view, ranking = viewed(restaurant_id), ranked(restaurant_id, 2)
    assert views(client, view, view) == 1
    assert activity(client, ranking) == 1
    assert views(client, view) == 0 and activity(client, ranking) == 0
    (item,) = trending_restaurants(client, "Ipoh", 10, NOW)
    assert item["score"] == pytest.approx(1 + 4, abs=1e-6)


def test_a_deleted_restaurant_leaves_trending(client):
    kept, gone = new_id(), new_id()
    activity(client, opened(kept), opened(gone))
    views(client, viewed(kept), viewed(gone), viewed(gone))
    activity(client, closed(gone, NOW + timedelta(seconds=1)))
    assert ids(trending_restaurants(client, None, 10, NOW)) == [kept]
    assert ids(trending_restaurants(client, "ipoh", 10, NOW)) == [kept]
    views(client, viewed(gone))  # a late view adds nothing
    assert ids(trending_restaurants(client, None, 10, NOW)) == [kept]


def test_trending_restaurants_sum_the_previous_and_the_current_era(client):
    """The era merge dishes use, on restaurants: a restaurant whose points are split
    over New Year wins on their sum."""
    both, this_year = new_id(), new_id()
    activity(client, opened(both), opened(this_year))
    this_morning = AFTER_MIDNIGHT - timedelta(hours=12)
    activity(client, ranked(both, 1, at=NEW_YEARS_EVE), ranked(both, 3, at=this_morning),
             ranked(this_year, 2, at=this_morning))
    items = trending_restaurants(client, None, 10, AFTER_MIDNIGHT)
    assert ids(items) == [both, this_year]
    assert items[0]["score"] == pytest.approx(
        worth(5, NEW_YEARS_EVE, AFTER_MIDNIGHT) + worth(3, this_morning, AFTER_MIDNIGHT),
        abs=1e-6)
    assert items[0]["ranking_count"] == 2
