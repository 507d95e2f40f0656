"""What the consumers write: one exactly-once apply per batch of events."""

from __future__ import annotations

from services.analytics.domain import activity as activity_domain
from services.analytics.domain import views as views_domain
from services.analytics.storage import activity
from shared.dynamodb import DynamoDBClient, apply_once

VIEWS_CONSUMER = "analytics.views"
ACTIVITY_CONSUMER = "analytics.activity"


def ingest_views(dynamodb: DynamoDBClient, envelopes: list[dict]) -> int:
    """The gateway's view events: each one's view counters, and a dish view's trending point
    (both under one marker, so a redelivered dish view moves neither)."""
    dish_views = [envelope for envelope in envelopes if envelope["event_type"] == "dish_viewed"]
    places = activity.places_for(dynamodb, dish_views) if dish_views else {}
    batch = []
    for envelope in envelopes:
        writes = list(views_domain.view_writes(envelope))
        if envelope["event_type"] == "dish_viewed":
            writes += activity_domain.dish_view_writes(envelope, places)
        batch.append((envelope["event_id"], writes))
    return apply_once(dynamodb, VIEWS_CONSUMER, batch)


def ingest_activity(dynamodb: DynamoDBClient, envelopes: list[dict]) -> int:
    """Rankings' and catalog's events: popularity, trending dishes, leaderboard scores, places."""
    return activity.record_activity(dynamodb, ACTIVITY_CONSUMER, envelopes)
