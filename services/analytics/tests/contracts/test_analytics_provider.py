"""Analytics as a producer of answers: every committed pact naming it
(contracts/pacts/*-analytics.json) verified against AnalyticsService's real entrypoints,
with the DynamoDB client on the session's moto and tables of the test's own.

Provider states record what they need through analytics' own consumers (the events the
gateway, rankings and the catalog would send), so the answers are built from data the
way production builds it.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest

from contracts.contract_map import event_types
from contracts.provider import Aliases, Producer, consumer_of, pacts_naming, verify
from services.analytics.service import AnalyticsService
from services.analytics.storage.tables import TABLES
from shared.dynamodb import ensure_tables
from shared.events import make_envelope, parse_envelope


def new_id() -> str:
    return str(uuid.uuid4())


class Analytics:
    """Analytics' side of its contracts, on the test's DynamoDB tables."""

    def __init__(self, dynamodb):
        self.dynamodb = dynamodb
        self.aliases = Aliases()

    @contextmanager
    def service(self):
        service = AnalyticsService()
        service.dynamodb = self.dynamodb
        service.config = {}
        yield service

    def received(self, handler: str, producer: str, event_type: str, payload: dict) -> None:
        """An event through analytics' own consumer of it."""
        envelope = parse_envelope(make_envelope(event_types()[producer, event_type], payload))
        with self.service() as service:
            getattr(service, handler)([envelope])

    def fresh(self, params: dict, role: str) -> str:
        real = new_id()
        if role in params:
            self.aliases[params[role]] = real
        return real

    # --- provider states ----------------------------------------------------------------------

    def a_restaurant_has_been_viewed(self, params: dict) -> None:
        self.received("record_views", "gateway", "restaurant_viewed", {
            "restaurant_id": self.fresh(params, "restaurant_id"), "user_id": new_id(),
            "device_type": "mobile"})

    def ranked(self, user_id: str, restaurant_id: str, city: str, cuisine: str) -> None:
        self.received("record_activity", "rankings", "dish_ranked", {
            "user_id": user_id, "dish_id": self.dish_id, "dish_type": "nasi lemak",
            "restaurant_id": restaurant_id, "city": city, "cuisine_type": [cuisine],
            "rank": 1})

    def a_dish_is_trending_in_a_city(self, params: dict) -> None:
        self.dish_id = self.fresh(params, "dish_id")
        self.ranked(new_id(), self.fresh(params, "restaurant_id"), params["city"], "Malay")

    def a_user_has_followers(self, params: dict) -> None:
        self.received("record_activity", "rankings", "user_followed", {
            "follower_id": new_id(), "followed_id": self.fresh(params, "user_id")})

    def a_leaderboard_has_been_refreshed(self, params: dict) -> None:
        restaurant_id = self.fresh(params, "restaurant_id")
        self.received("record_activity", "catalog", "restaurant_created", {
            "id": restaurant_id, "name": "Warung Contract", "city": params["city"],
            "cuisine_type": [params["cuisine"]], "updated_at": "2026-03-04T12:00:00+00:00"})
        self.dish_id = new_id()
        self.ranked(self.fresh(params, "user_id"), restaurant_id, params["city"],
                    params["cuisine"])
        with self.service() as service:
            service.refresh_leaderboards()

    def producer(self) -> Producer:
        return Producer("analytics", states={
            "a restaurant has been viewed": self.a_restaurant_has_been_viewed,
            "a dish is trending in a city": self.a_dish_is_trending_in_a_city,
            "a user has followers": self.a_user_has_followers,
            "a leaderboard has been refreshed": self.a_leaderboard_has_been_refreshed,
        }, service=self.service, aliases=self.aliases)


@pytest.fixture
def analytics(dynamodb_client):
    ensure_tables(dynamodb_client, TABLES)
    return Analytics(dynamodb_client)


@pytest.mark.parametrize("pact_file", pacts_naming("analytics"), ids=consumer_of)
def test_analytics_keeps_its_contract_with(pact_file, analytics):
    verify(pact_file, analytics.producer())
