"""The analytics service: views, traffic, trending, popularity, leaderboards (SPEC §5)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from nameko.dependency_providers import Config

from services.analytics.domain import periods
from services.analytics.domain import views as views_domain
from services.analytics.schemas import EngagementInput
from services.analytics.storage import activity, ingest, views
from services.analytics.tables import TABLES
from shared.batch_consumer import consume_batch
from shared.context import CorrelationId
from shared.dynamodb import DynamoDB, is_transient, unavailable_when_down
from shared.errors import InvalidInput
from shared.rpc import service_rpc
from shared.schemas import load, parse_id
from shared.timers import every

VIEW_EVENTS = [("gateway", event_type) for event_type in (
    "restaurant_viewed", "restaurant_menu_viewed", "restaurant_reviews_viewed",
    "restaurants_listed", "restaurants_searched", "dish_viewed",
)]
ACTIVITY_EVENTS = [
    *[("rankings", event_type) for event_type in (
        "user_followed", "user_unfollowed", "dish_ranked", "ranking_moved", "ranking_removed",
        "review_created", "review_deleted",
    )],
    *[("catalog", event_type) for event_type in (
        "restaurant_created", "restaurant_updated", "restaurant_deleted",
        "dish_created", "dish_updated", "dish_deleted",
    )],
]
ENGAGEMENT_CONSUMER = "analytics.engagement"
MAX_LIMIT = 50  # the gateway's bound too
MAX_PLACE_LENGTH = 100  # the gateway's bound on a city or cuisine too


def today():
    return datetime.now(UTC).date()


class AnalyticsService:
    name = "analytics"

    dynamodb = DynamoDB(tables=TABLES)  # creates the missing tables at start
    correlation = CorrelationId()
    config = Config()

    @service_rpc
    def health(self) -> dict:
        self.dynamodb.ping()
        return {"status": "ok", "service": self.name}

    # --- consumers ------------------------------------------------------------------------

    @consume_batch(VIEW_EVENTS, transient=is_transient)
    def record_views(self, envelopes: list[dict]) -> None:
        ingest.ingest_views(self.dynamodb, envelopes)

    @consume_batch(ACTIVITY_EVENTS, transient=is_transient)
    def record_activity(self, envelopes: list[dict]) -> None:
        ingest.ingest_activity(self.dynamodb, envelopes)

    @every("LEADERBOARD_REFRESH_INTERVAL", 60.0)
    def refresh_leaderboards_on_timer(self) -> None:
        activity.refresh_leaderboards(self.dynamodb, datetime.now(UTC))

    # --- views and traffic ----------------------------------------------------------------

    @service_rpc
    @unavailable_when_down
    def get_entity_views(self, entity_type: str, entity_id: str) -> dict:
        return views.entity_views(self.dynamodb,
                                  *views_domain.parse_entity(entity_type, entity_id))

    @service_rpc
    @unavailable_when_down
    def get_restaurant_traffic(self, restaurant_id: str, period: str = "week") -> dict:
        return views.restaurant_traffic(self.dynamodb,
                                        str(parse_id(restaurant_id, "restaurant_id")),
                                        periods.parse_period(period), today())

    @service_rpc
    @unavailable_when_down
    def get_time_series(self, entity_type: str, entity_id: str, period: str = "week") -> dict:
        return {"items": views.time_series(
            self.dynamodb, *views_domain.parse_entity(entity_type, entity_id),
            periods.parse_period(period), today())}

    @service_rpc
    @unavailable_when_down
    def get_trending_restaurants(self, period: str = "week", limit: int = 10) -> dict:
        period = periods.parse_period(period)
        return {"items": views.trending_restaurants(self.dynamodb, period, parse_limit(limit),
                                                    today()),
                "period": period}

    # --- trending dishes, experts, leaderboards -------------------------------------------

    @service_rpc
    @unavailable_when_down
    def get_trending_dishes(self, city: str, limit: int = 10) -> dict:
        city = parse_place("city", city)
        return {"items": activity.trending_dishes(self.dynamodb, city, parse_limit(limit),
                                                  datetime.now(UTC)),
                "city": city}

    @service_rpc
    @unavailable_when_down
    def get_top_influencers(self, limit: int = 10) -> dict:
        return {"items": activity.top_influencers(self.dynamodb, parse_limit(limit))}

    @service_rpc
    @unavailable_when_down
    def get_user_popularity(self, user_id: str) -> dict:
        return activity.user_popularity(self.dynamodb, str(parse_id(user_id, "user_id")))

    @service_rpc
    @unavailable_when_down
    def get_leaderboard(self, city: str, cuisine: str, limit: int = 10) -> dict:
        return activity.leaderboard(self.dynamodb, parse_place("city", city),
                                    parse_place("cuisine", cuisine), parse_limit(limit))

    @service_rpc
    @unavailable_when_down
    def refresh_leaderboards(self) -> dict:
        return activity.refresh_leaderboards(self.dynamodb, datetime.now(UTC))

    # --- engagement -----------------------------------------------------------------------

    @service_rpc
    @unavailable_when_down
    def record_engagement(self, data: dict, user_id: str | None = None,
                          idempotency_key: str | None = None) -> dict:
        fields = load(EngagementInput(), data)
        # a retried request (same key, same user) is the same record, counted once
        record_id = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user_id}:{idempotency_key}"))
                     if idempotency_key else str(uuid.uuid4()))
        return views.record_engagement(self.dynamodb, ENGAGEMENT_CONSUMER, record_id,
                                       user_id=user_id, occurred_at=datetime.now(UTC),
                                       **fields)


def parse_limit(limit) -> int:
    """A whole number 1..MAX_LIMIT (or its digits, as a query string carries it)."""
    if isinstance(limit, str) and limit.strip().isdigit():
        limit = int(limit)
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise InvalidInput("limit must be a whole number", {"fields": {"limit": [
            "must be a whole number"]}})
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", {"fields": {"limit": [
            f"must be between 1 and {MAX_LIMIT}"]}})
    return limit


def parse_place(name: str, value) -> str:
    """A city or cuisine: 1..MAX_PLACE_LENGTH characters, not blank (it becomes part of a
    DynamoDB key, which holds at most 2 KB)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_PLACE_LENGTH:
        raise InvalidInput(f"{name} must be 1 to {MAX_PLACE_LENGTH} characters",
                           {"fields": {name: [f"must be 1 to {MAX_PLACE_LENGTH} characters"]}})
    return value
