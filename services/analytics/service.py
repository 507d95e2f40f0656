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
        return activity.leaderboard(self.dynamodb, city, cuisine, parse_limit(limit))

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
    try:
        value = int(limit)
    except (TypeError, ValueError):
        raise InvalidInput("limit must be a whole number", {"limit": limit}) from None
    if not 1 <= value <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", {"limit": limit})
    return value
