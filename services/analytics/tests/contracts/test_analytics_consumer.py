"""Analytics as a consumer: what it relies on in the gateway's view events, and in
rankings' and the catalog's events (popularity, trending dishes, leaderboards, places).

Each declared event's example envelope goes through the real batch handler
(AnalyticsService.record_views / record_activity, with the DynamoDB client on the session's
moto and tables of the test's own), read as its entrypoint reads it, and the test checks
what the handler wrote.
"""

from __future__ import annotations

import pytest

from contracts.consumer import Contract, an_id, delivered, each, integer, moment, text
from services.analytics.domain.activity import PLACES
from services.analytics.domain.keys import dish_place, restaurant_place
from services.analytics.service import AnalyticsService
from services.analytics.storage.activity import user_popularity
from services.analytics.storage.tables import TABLES
from services.analytics.storage.views import entity_views
from shared.dynamodb import ensure_tables

VIEWER = {"user_id": an_id("user"), "anonymous_id": text("visitor-7"),
          "device_type": text("mobile")}


@pytest.fixture
def analytics(dynamodb_client):
    """handle(handler, body): `body` through the batch `handler`, alone in its batch."""
    ensure_tables(dynamodb_client, TABLES)
    service = AnalyticsService()
    service.dynamodb = dynamodb_client

    def handle(handler, body: dict) -> None:
        handler(service, [delivered(handler, body)])

    handle.client = dynamodb_client
    return handle


# --- the gateway's view events -----------------------------------------------------------------

# event -> (entity viewed, the payload field naming it)
VIEWED = {"restaurant_viewed": ("restaurant", "restaurant_id"),
          "restaurant_menu_viewed": ("menu", "restaurant_id"),
          "restaurant_reviews_viewed": ("reviews", "restaurant_id"),
          "dish_viewed": ("dish", "dish_id")}


def test_analytics_relies_on_the_gateways_view_events(analytics, tmp_path):
    contract = Contract("analytics", "gateway")
    record = AnalyticsService.record_views
    contract.event("restaurant_viewed", {"restaurant_id": an_id("restaurant"), **VIEWER},
                   given="a restaurant is viewed", handler=record)
    contract.event("restaurant_menu_viewed", {"restaurant_id": an_id("restaurant"), **VIEWER},
                   given="a restaurant's menu is viewed", handler=record)
    contract.event("restaurant_reviews_viewed", {"restaurant_id": an_id("restaurant"),
                                                 **VIEWER},
                   given="a restaurant's reviews are viewed", handler=record)
    contract.event("dish_viewed", {"dish_id": an_id("dish"), **VIEWER},
                   given="a dish's rankings are viewed", handler=record)
    listed = {"restaurant_ids": each(an_id("restaurant"), nonempty=True), **VIEWER}
    contract.event("restaurants_listed", listed, given="restaurants are listed", handler=record)
    contract.event("restaurants_searched", listed, given="restaurants are searched",
                   handler=record)

    def handle(handler, body: dict) -> None:
        payload = body["payload"]
        if body["event_type"] in VIEWED:
            entity, field = VIEWED[body["event_type"]]
            viewed = (entity, payload[field])
        else:
            viewed = ("listing", "all")
            before_impressions = entity_views(analytics.client, "restaurant",
                                              payload["restaurant_ids"][0])["impressions"]
        before = entity_views(analytics.client, *viewed)["view_count"]
        analytics(handler, body)
        after = entity_views(analytics.client, *viewed)
        assert after["view_count"] == before + 1
        assert after["unique_viewers"] == 1  # the signed-in user, counted once
        if viewed[0] == "listing":
            assert entity_views(analytics.client, "restaurant", payload["restaurant_ids"][0])[
                "impressions"] == before_impressions + 1

    contract.feed_events(handle)
    contract.write(tmp_path)


# --- rankings' events --------------------------------------------------------------------------

RANKING = {"user_id": an_id("user"), "dish_id": an_id("dish"),
           "dish_type": text("nasi lemak"), "restaurant_id": an_id("restaurant")}


def test_analytics_relies_on_rankings_events(analytics, tmp_path):
    contract = Contract("analytics", "rankings")
    record = AnalyticsService.record_activity
    follow = {"follower_id": an_id("other user"), "followed_id": an_id("user")}
    contract.event("user_followed", follow, given="two users exist", handler=record)
    contract.event("user_unfollowed", follow, given="a user follows another", handler=record)
    review = {"review_id": an_id("review"), "user_id": an_id("user")}
    contract.event("review_created", review, given="a user and a restaurant are known",
                   handler=record)
    contract.event("review_deleted", review, given="a user has reviewed a restaurant",
                   handler=record)
    contract.event("dish_ranked", {**RANKING, "city": text("Ipoh"),
                                   "cuisine_type": each(text("Malay")), "rank": integer(1)},
                   given="a user and a dish are known", handler=record)
    contract.event("ranking_moved", {**RANKING, "old_rank": integer(2), "new_rank": integer(1)},
                   given="a user has ranked two dishes", handler=record)
    contract.event("ranking_removed", {**RANKING, "old_rank": integer(1)},
                   given="a user has ranked a dish", handler=record)

    def popularity(user_id: str) -> dict:
        return user_popularity(analytics.client, user_id)

    def score(restaurant_id: str) -> int:
        item = analytics.client.table(PLACES).get_item(
            Key={"pk": restaurant_place(restaurant_id)}).get("Item") or {}
        return int(item.get("ranking_score", 0))

    def handle(handler, body: dict) -> None:
        payload, event_type = body["payload"], body["event_type"]
        user = payload.get("followed_id") or payload["user_id"]
        counter = {"user_followed": "follower_count", "user_unfollowed": "follower_count",
                   "review_created": "review_count", "review_deleted": "review_count"}.get(
            event_type, "ranking_count")
        before_count, before_score = popularity(user)[counter], score(
            payload.get("restaurant_id", ""))
        analytics(handler, body)
        change = {"user_followed": 1, "review_created": 1, "dish_ranked": 1,
                  "user_unfollowed": -1, "review_deleted": -1, "ranking_removed": -1,
                  "ranking_moved": 0}[event_type]
        assert popularity(user)[counter] == before_count + change
        if event_type == "ranking_moved":  # the restaurant's score follows the move
            assert score(payload["restaurant_id"]) == (
                before_score + payload["old_rank"] - payload["new_rank"])

    contract.feed_events(handle)
    contract.write(tmp_path)


# --- the catalog's events ----------------------------------------------------------------------

def test_analytics_relies_on_the_catalogs_events(analytics, tmp_path):
    contract = Contract("analytics", "catalog")
    record = AnalyticsService.record_activity
    restaurant = {"id": an_id("restaurant"), "name": text("Warung Ipoh"), "city": text("Ipoh"),
                  "cuisine_type": each(text("Malay")), "updated_at": moment()}
    dish = {"id": an_id("dish"), "restaurant_id": an_id("restaurant"),
            "name": text("Nasi Lemak Ayam"), "dish_type": text("nasi lemak"),
            "updated_at": moment()}
    contract.event("restaurant_created", restaurant, given="a restaurant can be created",
                   handler=record)
    contract.event("restaurant_updated", restaurant, given="a restaurant exists", handler=record)
    contract.event("dish_created", dish, given="a restaurant exists", handler=record)
    contract.event("dish_updated", dish, given="a restaurant with a dish exists", handler=record)
    contract.event("dish_deleted", {"id": an_id("dish"), "restaurant_id": an_id("restaurant")},
                   given="a restaurant with a dish exists", handler=record)
    contract.event("restaurant_deleted", {"id": an_id("restaurant")},
                   given="a restaurant exists", handler=record)

    def handle(handler, body: dict) -> None:
        payload, event_type = body["payload"], body["event_type"]
        analytics(handler, body)
        key = (restaurant_place if event_type.startswith("restaurant") else dish_place)(
            payload["id"])
        place = analytics.client.table(PLACES).get_item(Key={"pk": key}).get("Item")
        assert place is not None, f"{event_type} left no place"
        if event_type.endswith("_deleted"):
            assert place["deleted"] is True
        else:
            assert (place["name"], place["deleted"]) == (payload["name"], False)

    contract.feed_events(handle)
    contract.write(tmp_path)
