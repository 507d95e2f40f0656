"""The analytics service with the real broker and an embedded moto DynamoDB: events in,
RPC answers out, exact under redelivery."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy

from contracts.contract_map import event_types
from shared.consumer import dead_letter_queue_name
from shared.events import EnvelopePublisher, make_envelope


@pytest.fixture
def analytics(analytics_service, analytics_config):
    with ClusterRpcProxy(analytics_config, timeout=10) as cluster:
        yield cluster.analytics


@pytest.fixture
def publish(analytics_service, analytics_config):
    """publish(producer, event_type, payload, occurred_at=None, copies=1) -> envelope"""
    publishers: dict[str, EnvelopePublisher] = {}

    def send(producer: str, event_type: str, payload: dict, occurred_at=None,
             copies: int = 1) -> dict:
        envelope = make_envelope(event_types()[producer, event_type], payload)
        if occurred_at is not None:
            envelope["occurred_at"] = occurred_at.isoformat()
        if producer not in publishers:
            publishers[producer] = EnvelopePublisher(analytics_config["AMQP_URI"], producer)
        for _ in range(copies):
            publishers[producer].publish(envelope)
        return envelope

    return send


def eventually(read, check, timeout: float = 8.0):
    """read() until check(value) holds; the last value either way (the assert shows it)."""
    value = read()
    with eventlet.Timeout(timeout, False):
        while not check(value):
            eventlet.sleep(0.05)
            value = read()
    return value


def view(restaurant_id, user_id=None, device="mobile", **extra) -> dict:
    return {"restaurant_id": restaurant_id, "user_id": user_id, "device_type": device,
            "user_agent": "test", **extra}


def test_views_are_counted_once_each_with_exact_unique_viewers(analytics, publish):
    restaurant = str(uuid.uuid4())
    ana, ben = str(uuid.uuid4()), str(uuid.uuid4())
    publish("gateway", "restaurant_viewed", view(restaurant, ana), copies=3)  # redelivered
    publish("gateway", "restaurant_viewed", view(restaurant, ana, device="desktop"))
    publish("gateway", "restaurant_viewed", view(restaurant, ben, device="tablet"), copies=2)
    publish("gateway", "restaurant_viewed", view(restaurant, anonymous_id="device-42"))
    publish("gateway", "restaurant_viewed", view(restaurant))  # nobody we can tell apart

    counts = eventually(lambda: analytics.get_entity_views("restaurant", restaurant),
                        lambda views: views["view_count"] >= 5)
    eventlet.sleep(0.3)  # any late duplicate would land now
    counts = analytics.get_entity_views("restaurant", restaurant)
    assert (counts["view_count"], counts["unique_viewers"]) == (5, 3)

    traffic = analytics.get_restaurant_traffic(restaurant, "week")
    assert traffic["view_data"] == {"view_count": 5, "unique_viewers": 3}
    assert [day["views"] for day in traffic["traffic_data"]] == [0] * 6 + [5]
    assert traffic["traffic_data"][-1]["date"] == datetime.now(UTC).date().isoformat()
    assert traffic["device_data"] == {"mobile": 3, "tablet": 1, "desktop": 1}
    assert sum(traffic["hourly_views"].values()) == 5 and len(traffic["hourly_views"]) == 24


def test_traffic_is_zero_filled_and_days_come_from_when_the_view_happened(analytics, publish):
    restaurant = str(uuid.uuid4())
    now = datetime.now(UTC)
    three_days_ago = now - timedelta(days=3)
    publish("gateway", "restaurant_viewed", view(restaurant), occurred_at=three_days_ago)
    publish("gateway", "restaurant_viewed", view(restaurant), occurred_at=now)
    publish("gateway", "restaurant_viewed", view(restaurant), occurred_at=now)
    eventually(lambda: analytics.get_entity_views("restaurant", restaurant),
               lambda views: views["view_count"] >= 3)

    month = analytics.get_restaurant_traffic(restaurant, "month")["traffic_data"]
    assert len(month) == 30
    assert {day["date"]: day["views"] for day in month if day["views"]} == {
        three_days_ago.date().isoformat(): 1, now.date().isoformat(): 2}
    day = analytics.get_restaurant_traffic(restaurant, "day")
    assert day["traffic_data"] == [{"date": now.date().isoformat(), "views": 2}]
    assert day["hourly_views"][f"{now.hour:02d}"] == 2


def test_trending_restaurants_follow_the_periods_views(analytics, publish):
    busy, quiet = str(uuid.uuid4()), str(uuid.uuid4())
    for _ in range(3):
        publish("gateway", "restaurant_viewed", view(busy))
    publish("gateway", "restaurant_viewed", view(quiet))
    publish("gateway", "restaurants_listed", {"restaurant_ids": [quiet, busy], "filters": {},
                                              "user_id": None, "device_type": "desktop"})

    def top():
        return analytics.get_trending_restaurants("day", 10)["items"]
    items = eventually(top, lambda items: sum(item["views"] for item in items) >= 4)
    assert [(item["restaurant_id"], item["views"]) for item in items[:2]] == [(busy, 3),
                                                                              (quiet, 1)]
    assert {item["score"] for item in items} == {None}  # raw counts: no decayed score
    listed = eventually(lambda: analytics.get_entity_views("restaurant", quiet),
                        lambda views: views["impressions"] >= 1)
    assert listed["impressions"] == 1 and listed["view_count"] == 1


def dish_ranked(user, dish, restaurant, rank, city="Ipoh", cuisines=("Malay",)) -> dict:
    return {"user_id": user, "dish_id": dish, "dish_type": "nasi lemak",
            "restaurant_id": restaurant, "city": city, "cuisine_type": list(cuisines),
            "rank": rank}


def test_trending_dishes_decay_old_points_below_fresh_ones(analytics, publish):
    restaurant = str(uuid.uuid4())
    old_favourite, new_dish = str(uuid.uuid4()), str(uuid.uuid4())
    month_ago = datetime.now(UTC) - timedelta(days=28)
    for _ in range(4):  # 4 × 5 points, four half-lives ago: worth 1.25 today
        publish("rankings", "dish_ranked", dish_ranked(str(uuid.uuid4()), old_favourite,
                                                       restaurant, 1), occurred_at=month_ago)
    # 6 − 4 = 2 points today, delivered twice
    publish("rankings", "dish_ranked", dish_ranked(str(uuid.uuid4()), new_dish, restaurant, 4),
            copies=2)

    def trending():
        return analytics.get_trending_dishes("ipoh", 10)["items"]
    items = eventually(trending, lambda items: sum(i["ranking_count"] for i in items) >= 5)
    assert [item["dish_id"] for item in items] == [new_dish, old_favourite]
    assert items[0]["score"] == pytest.approx(2.0, rel=1e-3)
    assert items[1]["score"] == pytest.approx(1.25, rel=1e-3)
    assert analytics.get_trending_dishes("  IPOH ", 10)["items"][0]["dish_id"] == new_dish


def test_trending_restaurants_decay_old_points_below_fresh_ones(analytics, publish):
    """Views (1 point) and rankings of a restaurant's dishes (6 − rank), half-life 7 days,
    overall and in its city; a period asks for raw view counts instead."""
    old_favourite, new_place = str(uuid.uuid4()), str(uuid.uuid4())
    publish("catalog", "restaurant_created", {
        "id": new_place, "name": "Kedai Baru", "city": "Ipoh", "cuisine_type": ["Malay"],
        "updated_at": datetime.now(UTC).isoformat()})
    two_weeks_ago = datetime.now(UTC) - timedelta(days=14)
    for _ in range(2):  # 2 × 5 points, two half-lives ago: worth 2.5 today
        publish("rankings", "dish_ranked", dish_ranked(str(uuid.uuid4()), str(uuid.uuid4()),
                                                       old_favourite, 1),
                occurred_at=two_weeks_ago)
    # (once they are in, analytics knows the old favourite's city from them)
    eventually(lambda: analytics.get_trending_restaurants(city="Ipoh")["items"],
               lambda items: [item["ranking_count"] for item in items] == [2])
    for _ in range(8):  # 8 views two weeks ago: worth 2
        publish("gateway", "restaurant_viewed", view(old_favourite), occurred_at=two_weeks_ago)
    # today: one ranking at 1 (5 points) and three views, delivered twice
    publish("rankings", "dish_ranked", dish_ranked(str(uuid.uuid4()), str(uuid.uuid4()),
                                                   new_place, 1), copies=2)
    for _ in range(3):
        publish("gateway", "restaurant_viewed", view(new_place), copies=2)

    def trending(**query):
        return analytics.get_trending_restaurants(**query)
    answer = eventually(trending, lambda answer: sum(
        item["views"] + item["ranking_count"] for item in answer["items"]) >= 14)
    assert [item["restaurant_id"] for item in answer["items"]] == [new_place, old_favourite]
    assert [item["score"] for item in answer["items"]] == pytest.approx([8, 4.5], rel=1e-3)
    assert [(item["ranking_count"], item["views"]) for item in answer["items"]] == [(1, 3),
                                                                                  (2, 8)]
    assert (answer["count"], answer["total"], answer["next_offset"]) == (2, 2, None)
    assert (answer["city"], answer["period"]) == (None, None)
    # in their city too (the rankings name it; a view learns it from what analytics knows)
    in_ipoh = trending(city=" IPOH ")
    assert [item["restaurant_id"] for item in in_ipoh["items"]] == [new_place, old_favourite]
    assert in_ipoh["items"][1]["score"] == pytest.approx(4.5, rel=1e-3)
    assert in_ipoh["city"] == " IPOH "
    assert [item["restaurant_id"] for item in trending(city="ipoh", limit=1)["items"]] == [
        new_place]
    week = trending(period="week")
    assert [item["restaurant_id"] for item in week["items"]] == [new_place]
    assert week["period"] == "week" and week["items"][0]["views"] == 3
    from shared.errors import InvalidInput
    with pytest.raises(InvalidInput):
        trending(city="Ipoh", period="week")


def test_lists_answer_the_list_shape(analytics, publish):
    star = str(uuid.uuid4())
    publish("rankings", "user_followed", {"follower_id": str(uuid.uuid4()), "followed_id": star})
    experts = eventually(lambda: analytics.get_top_influencers(10), lambda page: page["items"])
    shape = {"items", "count", "total", "total_is_estimate", "next_offset", "next_cursor"}
    assert set(experts) == shape
    assert (experts["count"], experts["total"], experts["next_offset"]) == (1, 1, None)
    assert set(analytics.get_trending_dishes("Ipoh")) == shape | {"city"}
    assert set(analytics.get_trending_restaurants()) == shape | {"city", "period"}
    board = analytics.get_leaderboard("Ipoh", "Malay")
    assert set(board) == shape | {"city", "cuisine", "users", "updated_at"}
    assert (board["items"], board["users"], board["count"]) == ([], [], 0)


def test_experts_are_ordered_by_exact_influence(analytics, publish):
    star, rising, quiet = (str(uuid.uuid4()) for _ in range(3))
    for _ in range(3):  # 3 followers: 15
        publish("rankings", "user_followed", {"follower_id": str(uuid.uuid4()),
                                              "followed_id": star}, copies=2)
    for _ in range(2):  # 2 reviews: 6, and one ranking: 2
        publish("rankings", "review_created", {"review_id": str(uuid.uuid4()),
                                               "user_id": rising,
                                               "restaurant_id": str(uuid.uuid4()),
                                               "rating": 5})
    publish("rankings", "dish_ranked", dish_ranked(rising, str(uuid.uuid4()),
                                                   str(uuid.uuid4()), 2))
    publish("rankings", "dish_ranked", dish_ranked(quiet, str(uuid.uuid4()),
                                                   str(uuid.uuid4()), 1))

    def experts():
        return analytics.get_top_influencers(10)["items"]
    items = eventually(experts, lambda items: sum(i["influence_score"] for i in items) >= 25)
    assert [(item["user_id"], item["influence_score"]) for item in items] == [
        (star, 15), (rising, 8), (quiet, 2)]
    assert items[0]["follower_count"] == 3
    assert (items[1]["review_count"], items[1]["ranking_count"]) == (2, 1)


def test_leaderboards_rank_restaurants_after_a_refresh(analytics, publish):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    user = str(uuid.uuid4())
    publish("rankings", "dish_ranked", dish_ranked(user, str(uuid.uuid4()), second, 3,
                                                   city="Penang", cuisines=("Nyonya",)))
    publish("rankings", "dish_ranked", dish_ranked(user, str(uuid.uuid4()), first, 1,
                                                   city="Penang", cuisines=("Nyonya",)))
    eventually(lambda: analytics.get_top_influencers(10)["items"],
               lambda items: any(i["ranking_count"] == 2 for i in items))
    analytics.refresh_leaderboards()
    board = analytics.get_leaderboard("Penang", "Nyonya", 10)
    assert [(row["rank"], row["restaurant_id"], row["score"]) for row in board["items"]] \
        == [(1, first, 5), (2, second, 3)]
    assert (board["count"], board["total"]) == (2, 2)
    assert [(row["rank"], row["user_id"]) for row in board["users"]] == [(1, user)]
    assert board["updated_at"]


def test_engagement_is_recorded_once_per_idempotency_key(analytics):
    dish = str(uuid.uuid4())
    body = {"entity_type": "dish", "entity_id": dish, "engagement_type": "share"}
    assert analytics.record_engagement(body, None, "key-1")["count"] == 1
    assert analytics.record_engagement(body, None, "key-1")["count"] == 1  # a retry
    assert analytics.record_engagement(body, None, "key-2")["count"] == 2
    click = {**body, "engagement_type": "click"}
    assert analytics.record_engagement(click)["count"] == 1


def test_a_restaurants_engagement_counters_are_readable(analytics):
    restaurant = str(uuid.uuid4())
    for entity_type, kind in [("restaurant", "call"), ("restaurant", "call"),
                              ("menu", "menu_open"), ("reviews", "share")]:
        analytics.record_engagement({"entity_type": entity_type, "entity_id": restaurant,
                                     "engagement_type": kind})
    engagement = analytics.get_restaurant_engagement(restaurant.upper())
    assert engagement["restaurant_id"] == restaurant
    assert engagement["counts"] == {"click": 0, "share": 1, "save": 0, "call": 2,
                                    "directions": 0, "website": 0, "menu_open": 1}
    assert engagement["by_entity_type"]["restaurant"]["call"] == 2
    assert engagement["by_entity_type"]["menu"]["menu_open"] == 1
    from shared.errors import InvalidInput
    with pytest.raises(InvalidInput):
        analytics.get_restaurant_engagement("not-a-uuid")


def test_bad_arguments_are_invalid_input(analytics):
    from shared.errors import InvalidInput

    with pytest.raises(InvalidInput):
        analytics.get_restaurant_traffic(str(uuid.uuid4()), "fortnight")
    with pytest.raises(InvalidInput):
        analytics.get_trending_restaurants("week", 0)
    with pytest.raises(InvalidInput):
        analytics.record_engagement({"entity_type": "dish", "entity_id": "x",
                                     "engagement_type": "share"})
    # what the gateway bounds, the service checks too (a city becomes part of a key)
    for call in (lambda: analytics.get_trending_dishes("x" * 101),
                 lambda: analytics.get_trending_dishes("   "),
                 lambda: analytics.get_trending_dishes(None),
                 lambda: analytics.get_leaderboard("Ipoh", "y" * 5000),
                 lambda: analytics.get_top_influencers(2.9),
                 lambda: analytics.get_top_influencers(True),
                 lambda: analytics.get_top_influencers("51")):
        with pytest.raises(InvalidInput) as refused:
            call()
        assert refused.value.details["fields"], refused.value.details
    assert analytics.get_trending_dishes("I" * 100, "3")["items"] == []


def test_an_unusable_view_event_is_dead_lettered_not_counted(analytics, publish,
                                                             analytics_config):
    restaurant = str(uuid.uuid4())
    publish("gateway", "restaurant_viewed", {"restaurant_id": "not-a-uuid"})
    publish("gateway", "restaurant_viewed", view(restaurant))
    eventually(lambda: analytics.get_entity_views("restaurant", restaurant),
               lambda views: views["view_count"] == 1)
    with Connection(analytics_config["AMQP_URI"]) as connection:
        def dead():
            return connection.default_channel.queue_declare(
                dead_letter_queue_name("analytics"), durable=True, passive=True).message_count
        assert eventually(dead, lambda count: count == 1) == 1
