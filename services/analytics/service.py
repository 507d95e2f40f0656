"""The analytics service: views, traffic, trending, popularity, leaderboards (SPEC §5)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from nameko.dependency_providers import Config

from services.analytics.contract.rpc import (
    DashboardQuery,
    EngagementInput,
    LeaderboardArgs,
    TimeSeriesArgs,
    TopQuery,
    TrendingDishesQuery,
    TrendingRestaurantsQuery,
)
from services.analytics.domain import views as views_domain
from services.analytics.storage import activity, ingest, views
from services.analytics.tables import TABLES
from services.catalog.contract import events as catalog
from services.gateway.contract import events as gateway
from services.rankings.contract import events as rankings
from shared.batch_consumer import consume_batch
from shared.context import CorrelationId
from shared.dynamodb import DynamoDB, is_transient, unavailable_when_down
from shared.rpc import service_rpc
from shared.schemas import load, parse_id
from shared.timers import every

VIEW_EVENTS = list(gateway.EVENTS.values())
ACTIVITY_EVENTS = [
    *[rankings.EVENTS[name] for name in (
        "user_followed", "user_unfollowed", "dish_ranked", "ranking_moved", "ranking_removed",
        "review_created", "review_deleted",
    )],
    *catalog.EVENTS.values(),
]
ENGAGEMENT_CONSUMER = "analytics.engagement"


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
        period = load(DashboardQuery(), {"period": period})["period"]
        return views.restaurant_traffic(self.dynamodb,
                                        str(parse_id(restaurant_id, "restaurant_id")),
                                        period, today())

    @service_rpc
    @unavailable_when_down
    def get_time_series(self, entity_type: str, entity_id: str, period: str = "week") -> dict:
        args = load(TimeSeriesArgs(), {"entity_type": entity_type, "entity_id": entity_id,
                                       "period": period})
        return {"items": views.time_series(self.dynamodb, args["entity_type"],
                                           args["entity_id"], args["period"], today())}

    @service_rpc
    @unavailable_when_down
    def get_trending_restaurants(self, period: str = "week", limit: int = 10) -> dict:
        args = load(TrendingRestaurantsQuery(), {"period": period, "limit": limit})
        return {"items": views.trending_restaurants(self.dynamodb, args["period"],
                                                    args["limit"], today()),
                "period": args["period"]}

    # --- trending dishes, experts, leaderboards -------------------------------------------

    @service_rpc
    @unavailable_when_down
    def get_trending_dishes(self, city: str, limit: int = 10) -> dict:
        args = load(TrendingDishesQuery(), {"city": city, "limit": limit})
        return {"items": activity.trending_dishes(self.dynamodb, args["city"], args["limit"],
                                                  datetime.now(UTC)),
                "city": args["city"]}

    @service_rpc
    @unavailable_when_down
    def get_top_influencers(self, limit: int = 10) -> dict:
        limit = load(TopQuery(), {"limit": limit})["limit"]
        return {"items": activity.top_influencers(self.dynamodb, limit)}

    @service_rpc
    @unavailable_when_down
    def get_user_popularity(self, user_id: str) -> dict:
        return activity.user_popularity(self.dynamodb, str(parse_id(user_id, "user_id")))

    @service_rpc
    @unavailable_when_down
    def get_leaderboard(self, city: str, cuisine: str, limit: int = 10) -> dict:
        args = load(LeaderboardArgs(), {"city": city, "cuisine": cuisine, "limit": limit})
        return activity.leaderboard(self.dynamodb, args["city"], args["cuisine"],
                                    args["limit"])

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
