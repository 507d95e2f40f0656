"""Views, traffic, trending restaurants and engagement (mixed into AnalyticsService): the
gateway's view events counted in batches, and what is asked of them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.analytics.contract.rpc import (
    DashboardQuery,
    EngagementInput,
    TimeSeriesArgs,
    TrendingRestaurantsQuery,
)
from services.analytics.domain import views as views_domain
from services.analytics.entrypoints import top
from services.analytics.storage import ingest, trending, views
from services.gateway.contract import events as gateway
from shared.batch_consumer import consume_batch
from shared.dynamodb import is_transient, unavailable_when_down
from shared.rpc import service_rpc
from shared.schemas import load, parse_id

VIEW_EVENTS = list(gateway.EVENTS.values())
ENGAGEMENT_CONSUMER = "analytics.engagement"


def today():
    return datetime.now(UTC).date()


class ViewsEntrypoints:
    """Entrypoints only: validate, call the storage with `self.dynamodb`, return."""

    @consume_batch(VIEW_EVENTS, transient=is_transient)
    def record_views(self, envelopes: list[dict]) -> None:
        ingest.ingest_views(self.dynamodb, envelopes)

    @service_rpc
    @unavailable_when_down
    def get_entity_views(self, entity_type: str, entity_id: str) -> dict:
        return views.entity_views(self.dynamodb,
                                  *views_domain.parse_entity(entity_type, entity_id))

    @service_rpc
    @unavailable_when_down
    def get_restaurant_traffic(self, restaurant_id: str, period: str = "week") -> dict:
        period = load(DashboardQuery, {"period": period})["period"]
        return views.restaurant_traffic(self.dynamodb,
                                        str(parse_id(restaurant_id, "restaurant_id")),
                                        period, today())

    @service_rpc
    @unavailable_when_down
    def get_time_series(self, entity_type: str, entity_id: str, period: str = "week") -> dict:
        args = load(TimeSeriesArgs, {"entity_type": entity_type, "entity_id": entity_id,
                                       "period": period})
        return {"items": views.time_series(self.dynamodb, args["entity_type"],
                                           args["entity_id"], args["period"], today())}

    @service_rpc
    @unavailable_when_down
    def get_trending_restaurants(self, period: str | None = None, limit: int = 10,
                                 city: str | None = None) -> dict:
        """A page of TrendingRestaurantSchema, with `city` (as asked, or None: overall) and
        `period` (None: by decayed score; else the window's raw view counts)."""
        asked = {"period": period, "limit": limit, "city": city}
        args = load(TrendingRestaurantsQuery,
                    {name: value for name, value in asked.items() if value is not None})
        if args.get("period"):
            return top(views.most_viewed_restaurants(self.dynamodb, args["period"],
                                                     args["limit"], today()),
                       city=None, period=args["period"])
        return top(trending.trending_restaurants(self.dynamodb, args.get("city"),
                                                 args["limit"], datetime.now(UTC)),
                   city=args.get("city"), period=None)

    @service_rpc
    @unavailable_when_down
    def get_restaurant_engagement(self, restaurant_id: str) -> dict:
        """RestaurantEngagementSchema. Who may ask is the gateway's to check (its owner,
        admins)."""
        return views.restaurant_engagement(self.dynamodb,
                                           str(parse_id(restaurant_id, "restaurant_id")))

    @service_rpc
    @unavailable_when_down
    def record_engagement(self, data: dict, user_id: str | None = None,
                          idempotency_key: str | None = None) -> dict:
        fields = load(EngagementInput, data)
        # a retried request (same key, same user) is the same record, counted once
        record_id = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user_id}:{idempotency_key}"))
                     if idempotency_key else str(uuid.uuid4()))
        return views.record_engagement(self.dynamodb, ENGAGEMENT_CONSUMER, record_id,
                                       user_id=user_id, occurred_at=datetime.now(UTC),
                                       **fields)
