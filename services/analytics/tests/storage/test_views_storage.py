"""Views and engagement recorded and read back through the embedded moto DynamoDB."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.analytics.domain.views import ENGAGEMENTS
from services.analytics.storage.views import (
    TABLES,
    engagement_counts,
    entity_views,
    most_viewed_restaurants,
    record_engagement,
    record_views,
    restaurant_engagement,
    restaurant_traffic,
    time_series,
)
from shared.dynamodb import PROCESSED_EVENTS, ensure_tables

CONSUMER = "analytics.views"
TODAY = date(2026, 3, 4)  # a Wednesday, ISO week 2026-W10
NOON = datetime(2026, 3, 4, 12, 30, tzinfo=UTC)


@pytest.fixture
def client(dynamodb_client):
    ensure_tables(dynamodb_client, [PROCESSED_EVENTS, *TABLES])
    return dynamodb_client


def view(event_type: str = "restaurant_viewed", at: datetime = NOON, **payload) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "version": 1,
            "occurred_at": at.isoformat(), "producer": "gateway", "correlation_id": None,
            "payload": {"user_id": None, "device_type": "desktop", "user_agent": "ua",
                        **payload}}


def restaurant() -> str:
    return str(uuid.uuid4())


def raw(restaurant_id: str, views: int) -> dict:
    """A most viewed restaurant: raw views, no decayed score."""
    return {"restaurant_id": restaurant_id, "views": views, "score": None,
            "ranking_count": None}


# --- exactly once ----------------------------------------------------------------------------

def test_a_batch_applied_twice_counts_once(client):
    rid = restaurant()
    batch = [view(restaurant_id=rid, user_id=str(uuid.uuid4())) for _ in range(5)]
    assert record_views(client, CONSUMER, batch) == 5
    assert record_views(client, CONSUMER, batch) == 0
    views = entity_views(client, "restaurant", rid)
    assert (views["view_count"], views["unique_viewers"]) == (5, 5)
    assert restaurant_traffic(client, rid, "day", TODAY)["traffic_data"] == [
        {"date": "2026-03-04", "views": 5}]


def test_an_event_repeated_inside_a_batch_counts_once(client):
    rid = restaurant()
    once, other = view(restaurant_id=rid, anonymous_id="a1"), view(restaurant_id=rid)
    assert record_views(client, CONSUMER, [once, other, once, once]) == 2
    views = entity_views(client, "restaurant", rid)
    assert (views["view_count"], views["unique_viewers"]) == (2, 1)
    assert most_viewed_restaurants(client, "week", 10, TODAY) == [
        raw(rid, 2)]


def test_the_same_event_for_another_consumer_is_another_application(client):
    rid = restaurant()
    event = view(restaurant_id=rid)
    assert record_views(client, CONSUMER, [event]) == 1
    assert record_views(client, "someone.else", [event]) == 1
    assert entity_views(client, "restaurant", rid)["view_count"] == 2


# --- unique viewers --------------------------------------------------------------------------

def test_unique_viewers_are_exact(client):
    rid = restaurant()
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    # the same user twice in one batch, and an anonymous viewer twice
    record_views(client, CONSUMER, [
        view(restaurant_id=rid, user_id=alice), view(restaurant_id=rid, user_id=alice),
        view(restaurant_id=rid, anonymous_id="device-1"),
        view(restaurant_id=rid, anonymous_id="device-1"),
        view(restaurant_id=rid)])  # nobody: a view, not a viewer
    assert entity_views(client, "restaurant", rid)["unique_viewers"] == 2
    # the same viewers again in a later batch, one newcomer, and a user who also sends an
    # anonymous id (the user is who counts)
    record_views(client, CONSUMER, [
        view(restaurant_id=rid, user_id=alice, anonymous_id="device-9"),
        view(restaurant_id=rid, anonymous_id="device-1"),
        view(restaurant_id=rid, user_id=bob)])
    views = entity_views(client, "restaurant", rid)
    assert (views["view_count"], views["unique_viewers"]) == (8, 3)


def test_views_without_a_viewer_count_as_views_only(client):
    """What the gateway sends for a view whose anonymous id it did not sign (SPEC §5):
    anonymous_id null, however many made-up ids the client tried."""
    rid = restaurant()
    assert record_views(client, CONSUMER, [
        view(restaurant_id=rid, anonymous_id=None) for _ in range(50)]) == 50
    views = entity_views(client, "restaurant", rid)
    assert (views["view_count"], views["unique_viewers"]) == (50, 0)
    assert restaurant_traffic(client, rid, "day", TODAY)["traffic_data"] == [
        {"date": "2026-03-04", "views": 50}]


def test_a_viewer_of_one_page_is_new_on_another(client):
    rid, alice = restaurant(), str(uuid.uuid4())
    record_views(client, CONSUMER, [view(restaurant_id=rid, user_id=alice),
                                    view("restaurant_menu_viewed", restaurant_id=rid,
                                         user_id=alice)])
    assert entity_views(client, "restaurant", rid)["unique_viewers"] == 1
    assert entity_views(client, "menu", rid)["unique_viewers"] == 1


# --- traffic ---------------------------------------------------------------------------------

def test_hourly_and_device_counts(client):
    rid = restaurant()
    morning = datetime(2026, 3, 4, 9, 5, tzinfo=UTC)
    yesterday_night = datetime(2026, 3, 3, 23, 59, tzinfo=UTC)
    record_views(client, CONSUMER, [
        view(restaurant_id=rid, at=morning, device_type="mobile"),
        view(restaurant_id=rid, at=morning, device_type="mobile"),
        view(restaurant_id=rid, at=morning, device_type="tablet"),
        view(restaurant_id=rid, at=yesterday_night, device_type="desktop"),
        view(restaurant_id=rid, at=NOON, device_type="smart-fridge"),  # no device counted
    ])
    today = restaurant_traffic(client, rid, "day", TODAY)
    assert today["hourly_views"]["09"] == 3
    assert today["hourly_views"]["12"] == 1
    assert today["hourly_views"]["23"] == 0
    assert sum(today["hourly_views"].values()) == 4
    assert list(today["hourly_views"]) == [f"{hour:02d}" for hour in range(24)]
    assert today["device_data"] == {"mobile": 2, "tablet": 1, "desktop": 0}
    week = restaurant_traffic(client, rid, "week", TODAY)
    assert week["hourly_views"]["23"] == 1
    assert week["device_data"] == {"mobile": 2, "tablet": 1, "desktop": 1}
    assert week["view_data"] == {"view_count": 5, "unique_viewers": 0}
    assert week["period"] == "week"


def test_traffic_is_zero_filled_oldest_first(client):
    rid = restaurant()
    at = [datetime.combine(TODAY - timedelta(days=back), datetime.min.time(), UTC)
          + timedelta(hours=10) for back in (0, 0, 2, 6, 7, 29, 30)]
    record_views(client, CONSUMER, [view(restaurant_id=rid, at=when) for when in at])
    week = restaurant_traffic(client, rid, "week", TODAY)["traffic_data"]
    assert week == [
        {"date": "2026-02-26", "views": 1},
        {"date": "2026-02-27", "views": 0},
        {"date": "2026-02-28", "views": 0},
        {"date": "2026-03-01", "views": 0},
        {"date": "2026-03-02", "views": 1},
        {"date": "2026-03-03", "views": 0},
        {"date": "2026-03-04", "views": 2},
    ]
    month = restaurant_traffic(client, rid, "month", TODAY)
    assert len(month["traffic_data"]) == 30
    assert month["traffic_data"][0] == {"date": "2026-02-03", "views": 1}  # 29 days back
    assert sum(day["views"] for day in month["traffic_data"]) == 6  # 30 days back is out
    assert month["hourly_views"]["10"] == 6
    year = restaurant_traffic(client, rid, "year", TODAY)["traffic_data"]
    assert len(year) == 365 and sum(day["views"] for day in year) == 7


def test_nothing_viewed_is_all_zeros(client):
    rid = restaurant()
    assert entity_views(client, "restaurant", rid) == {
        "entity_type": "restaurant", "entity_id": rid, "view_count": 0, "unique_viewers": 0,
        "impressions": 0, "last_viewed_at": None}
    traffic = restaurant_traffic(client, rid, "week", TODAY)
    assert traffic == {
        "view_data": {"view_count": 0, "unique_viewers": 0},
        "traffic_data": [{"date": (TODAY - timedelta(days=back)).isoformat(), "views": 0}
                         for back in range(6, -1, -1)],
        "hourly_views": {f"{hour:02d}": 0 for hour in range(24)},
        "device_data": {"mobile": 0, "tablet": 0, "desktop": 0},
        "period": "week",
    }
    assert engagement_counts(client, "restaurant", rid) == {
        "click": 0, "share": 0, "save": 0, "call": 0, "directions": 0, "website": 0,
        "menu_open": 0}
    assert most_viewed_restaurants(client, "day", 10, TODAY) == []


def test_time_series_of_a_dish_and_last_viewed_at(client):
    dish = str(uuid.uuid4())
    yesterday = NOON - timedelta(days=1)
    record_views(client, CONSUMER, [view("dish_viewed", dish_id=dish, at=yesterday),
                                    view("dish_viewed", dish_id=dish, at=NOON)])
    assert time_series(client, "dish", dish, "week", TODAY)[-2:] == [
        {"date": "2026-03-03", "views": 1}, {"date": "2026-03-04", "views": 1}]
    assert time_series(client, "dish", dish, "day", TODAY) == [
        {"date": "2026-03-04", "views": 1}]
    assert entity_views(client, "dish", dish)["last_viewed_at"] == NOON.isoformat()


# --- listings and trending -------------------------------------------------------------------

def test_listings_count_impressions(client):
    first, second = restaurant(), restaurant()
    record_views(client, CONSUMER, [
        view("restaurants_listed", restaurant_ids=[first, second], filters={}),
        view("restaurants_searched", restaurant_ids=[second, second], filters={"q": "x"}),
    ])
    assert entity_views(client, "listing", "all")["view_count"] == 2
    assert entity_views(client, "restaurant", first)["impressions"] == 1
    second_views = entity_views(client, "restaurant", second)
    assert (second_views["impressions"], second_views["view_count"]) == (2, 0)


def test_trending_restaurants_by_views_in_the_period(client):
    quiet, busy, middle, last_week = (restaurant() for _ in range(4))
    eight_days_ago = NOON - timedelta(days=8)  # 2026-W09
    yesterday = NOON - timedelta(days=1)
    record_views(client, CONSUMER, [
        *[view(restaurant_id=busy, at=yesterday) for _ in range(5)],
        view(restaurant_id=busy),
        *[view(restaurant_id=middle) for _ in range(3)],
        view(restaurant_id=quiet),
        *[view(restaurant_id=last_week, at=eight_days_ago) for _ in range(10)],
        # other pages of a restaurant are not the restaurant's trending views
        *[view("restaurant_menu_viewed", restaurant_id=quiet) for _ in range(20)],
    ])
    assert most_viewed_restaurants(client, "week", 10, TODAY) == [
        raw(busy, 6), raw(middle, 3),
        raw(quiet, 1)]
    assert most_viewed_restaurants(client, "week", 2, TODAY) == [
        raw(busy, 6), raw(middle, 3)]
    today = most_viewed_restaurants(client, "day", 10, TODAY)
    assert today[0] == raw(middle, 3)
    assert sorted(today[1:], key=lambda item: item["restaurant_id"]) == sorted(
        [raw(busy, 1), raw(quiet, 1)],
        key=lambda item: item["restaurant_id"])  # a tie comes in either order
    assert most_viewed_restaurants(client, "month", 1, TODAY) == [
        raw(busy, 6)]
    assert most_viewed_restaurants(client, "year", 1, TODAY) == [
        raw(last_week, 10)]


# --- engagement ------------------------------------------------------------------------------

def test_engagement_counts_per_type_and_retries_count_once(client):
    rid, user = restaurant(), str(uuid.uuid4())

    def engage(record_id, engagement_type, user_id=None, at=NOON):
        return record_engagement(client, "analytics.engagement", record_id, "restaurant", rid,
                                 engagement_type, user_id, at)

    assert engage("rec-1", "share", user) == {
        "entity_type": "restaurant", "entity_id": rid, "engagement_type": "share", "count": 1}
    assert engage("rec-2", "share")["count"] == 2
    assert engage("rec-3", "call")["count"] == 1
    # a retried request (same record id), even stamped with a later time, counts once
    assert engage("rec-1", "share", user, at=NOON + timedelta(seconds=3))["count"] == 2
    assert engagement_counts(client, "restaurant", rid) == {
        "click": 0, "share": 2, "save": 0, "call": 1, "directions": 0, "website": 0,
        "menu_open": 0}
    records = client.table(ENGAGEMENTS).query(
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": f"RESTAURANT#{rid}"})["Items"]
    assert sorted(record["record_id"] for record in records) == ["rec-1", "rec-2", "rec-3"]
    ninety_days_on = int((NOON + timedelta(days=90)).timestamp())
    assert {int(record["expires_at"]) for record in records} == {ninety_days_on}
    ttl = client.client.describe_time_to_live(TableName=client.table_name(ENGAGEMENTS))
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"


def test_a_restaurants_engagement_is_its_pages_counters(client):
    """GET /restaurants/{id}/engagement's counters: the restaurant's, its menu's and its
    reviews page's, per page and summed; another restaurant's and a dish's stay apart."""
    rid, other, dish_id = restaurant(), restaurant(), str(uuid.uuid4())
    for number, (entity_type, entity_id, kind) in enumerate([
        ("restaurant", rid, "call"), ("restaurant", rid, "call"), ("restaurant", rid, "share"),
        ("menu", rid, "menu_open"), ("menu", rid, "share"), ("reviews", rid, "click"),
        ("restaurant", other, "call"), ("dish", dish_id, "save"),
    ]):
        record_engagement(client, "analytics.engagement", f"rec-{number}", entity_type,
                          entity_id, kind, None, NOON)
    nothing = dict.fromkeys(("click", "share", "save", "call", "directions", "website",
                             "menu_open"), 0)
    assert restaurant_engagement(client, rid) == {
        "restaurant_id": rid,
        "counts": {**nothing, "call": 2, "share": 2, "menu_open": 1, "click": 1},
        "by_entity_type": {"restaurant": {**nothing, "call": 2, "share": 1},
                           "menu": {**nothing, "menu_open": 1, "share": 1},
                           "reviews": {**nothing, "click": 1}}}
    unknown = restaurant()
    assert restaurant_engagement(client, unknown) == {
        "restaurant_id": unknown, "counts": nothing,
        "by_entity_type": dict.fromkeys(("restaurant", "menu", "reviews"), nothing)}


# --- throughput ------------------------------------------------------------------------------

def test_a_burst_over_few_items_takes_few_transactions(client, monkeypatch):
    restaurants = [restaurant() for _ in range(4)]
    users = [str(uuid.uuid4()) for _ in range(6)]
    burst = [view(restaurant_id=restaurants[n % 4], user_id=users[n % 6],
                  device_type=("mobile", "tablet", "desktop")[n % 3],
                  at=NOON + timedelta(minutes=n))
             for n in range(400)]
    transactions = []
    send = client.client.transact_write_items

    def counted(**arguments):
        transactions.append(len(arguments["TransactItems"]))
        return send(**arguments)

    monkeypatch.setattr(client.client, "transact_write_items", counted)
    assert record_views(client, CONSUMER, burst) == 400
    # one marker per event is the floor (100 items a transaction): nothing per view beyond it
    assert len(transactions) <= 8, transactions
    assert max(transactions) <= 100
    assert record_views(client, CONSUMER, burst) == 0
    for rid in restaurants:
        views = entity_views(client, "restaurant", rid)
        # restaurant k is seen by users k, k+4, k+8 ... mod 6: 3 distinct users each
        assert (views["view_count"], views["unique_viewers"]) == (100, 3)
    week = [restaurant_traffic(client, rid, "week", TODAY) for rid in restaurants]
    assert sum(sum(day["views"] for day in traffic["traffic_data"]) for traffic in week) == 400
    assert sum(sum(traffic["device_data"].values()) for traffic in week) == 400
    assert sum(sum(traffic["hourly_views"].values()) for traffic in week) == 400
    assert sum(traffic["hourly_views"]["12"] for traffic in week) == 30  # 12:30 .. 12:59
