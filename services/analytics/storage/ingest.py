"""What the consumers write: one exactly-once apply per batch of events."""

from __future__ import annotations

from services.analytics.domain import activity as activity_domain
from services.analytics.domain import views as views_domain
from services.analytics.storage import activity
from shared.dynamodb import DynamoDBClient, apply_once

VIEWS_CONSUMER = "analytics.views"
ACTIVITY_CONSUMER = "analytics.activity"


# the view events that also earn a trending point, and what that point is
TRENDING_VIEWS = {"dish_viewed": activity_domain.dish_view_writes,
                  "restaurant_viewed": activity_domain.restaurant_view_writes}


def ingest_views(dynamodb: DynamoDBClient, envelopes: list[dict]) -> int:
    """The gateway's view events: each one's view counters, and a dish's or restaurant's
    view its trending point (both under one marker, so a redelivered view moves neither).
    The places those points need (a restaurant's city) are read once for the batch."""
    trending = [envelope for envelope in envelopes if envelope["event_type"] in TRENDING_VIEWS]
    places = activity.places_for(dynamodb, trending) if trending else {}
    batch = []
    for envelope in envelopes:
        writes = list(views_domain.view_writes(envelope))
        if points := TRENDING_VIEWS.get(envelope["event_type"]):
            writes += points(envelope, places)
        batch.append((envelope["event_id"], writes))
    return apply_once(dynamodb, VIEWS_CONSUMER, batch)


def ingest_activity(dynamodb: DynamoDBClient, envelopes: list[dict]) -> int:
    """Rankings' and catalog's events: popularity, trending dishes, leaderboard scores, places."""
    return activity.record_activity(dynamodb, ACTIVITY_CONSUMER, envelopes)
