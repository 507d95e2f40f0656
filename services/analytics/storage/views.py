"""Views and engagement in DynamoDB: the tables, recording (exactly once), and the reads.

Every read is one GetItem or one (paginated) Query; numbers come back as Decimal from
boto3 and leave here as int.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from boto3.dynamodb.conditions import Key

from services.analytics.contract.rpc import ENGAGEMENT_TYPES, RESTAURANT_PAGES
from services.analytics.domain.periods import bucket, period_days, zero_filled
from services.analytics.domain.views import (
    ANALYTICS,
    ENGAGEMENT_SK,
    ENGAGEMENTS,
    VIEWS_SK,
    date_sk,
    engagement_writes,
    entity_key,
    period_key,
    view_writes,
)
from services.analytics.storage.activity import batch_get
from services.gateway.contract.events import DEVICE_TYPES
from shared.dynamodb import DynamoDBClient, GlobalIndex, TableSpec, apply_once, query_all

PERIOD_VIEWS_INDEX = "PeriodViewsIndex"
HOURS = tuple(f"{hour:02d}" for hour in range(24))

TABLES = [
    TableSpec(ANALYTICS, (("pk", "S"), ("sk", "S")),
              indexes=(GlobalIndex(PERIOD_VIEWS_INDEX, (("period_key", "S"), ("views", "N"))),)),
    TableSpec(ENGAGEMENTS, (("pk", "S"), ("sk", "S")), ttl_attribute="expires_at"),
]


def _int(value) -> int:
    return int(value) if isinstance(value, Decimal | int) else 0


# --- recording -------------------------------------------------------------------------------

def record_views(client: DynamoDBClient, consumer: str, envelopes: list[dict]) -> int:
    """Apply a batch of gateway view events exactly once per (consumer, event_id), with
    increments to the same item coalesced; returns how many were newly applied. Raises
    InvalidInput (before writing anything) if any envelope cannot be used, so a caller that
    dead-letters single events should call `view_writes` on each first."""
    batch = [(str(envelope["event_id"]), view_writes(envelope)) for envelope in envelopes]
    return apply_once(client, consumer, batch)


def record_engagement(client: DynamoDBClient, consumer: str, record_id: str, entity_type: str,
                      entity_id: str, engagement_type: str, user_id: str | None,
                      occurred_at: datetime) -> dict:
    """Keep one engagement record, once per (consumer, record_id): a retry with the same id
    changes nothing. Returns {"entity_type", "entity_id", "engagement_type", "count"}, the
    count being the entity's total for that engagement type afterwards."""
    writes = engagement_writes(record_id, entity_type, entity_id, engagement_type, user_id,
                               occurred_at)
    apply_once(client, consumer, [(str(record_id), writes)])
    # consistent: the answer includes the write just made
    item = client.table(ANALYTICS).get_item(
        Key={"pk": entity_key(entity_type, entity_id), "sk": ENGAGEMENT_SK},
        ConsistentRead=True).get("Item") or {}
    return {"entity_type": entity_type, "entity_id": entity_id,
            "engagement_type": engagement_type,
            "count": _int(item.get(f"engagement_{engagement_type}"))}


# --- reads -----------------------------------------------------------------------------------

def entity_views(client: DynamoDBClient, entity_type: str, entity_id: str) -> dict:
    """{"entity_type", "entity_id", "view_count", "unique_viewers", "impressions",
    "last_viewed_at"} (zeros and None for an entity nobody viewed)."""
    item = client.table(ANALYTICS).get_item(
        Key={"pk": entity_key(entity_type, entity_id), "sk": VIEWS_SK}).get("Item") or {}
    return {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "view_count": _int(item.get("view_count")),
        "unique_viewers": _int(item.get("unique_viewers")),
        "impressions": _int(item.get("impressions")),
        "last_viewed_at": item.get("last_viewed_at"),
    }


def _daily_items(client: DynamoDBClient, pk: str, days: list[date],
                 projection: list[str] | None = None) -> list[dict]:
    """The DATE# items of `days` (one Query over the sort-key range, all its pages)."""
    arguments = {"KeyConditionExpression": Key("pk").eq(pk)
                 & Key("sk").between(date_sk(days[0]), date_sk(days[-1]))}
    if projection:
        arguments["ProjectionExpression"] = ", ".join(f"#p{n}" for n in range(len(projection)))
        arguments["ExpressionAttributeNames"] = {f"#p{n}": name
                                                 for n, name in enumerate(projection)}
    return query_all(client.table(ANALYTICS), **arguments)


def _series(items: list[dict], days: list[date]) -> list[dict]:
    return zero_filled({item["sk"].removeprefix("DATE#"): _int(item.get("views"))
                        for item in items}, days)


def restaurant_traffic(client: DynamoDBClient, restaurant_id: str, period: str,
                       today: date) -> dict:
    """The traffic dashboard of a restaurant over the period's days ending `today`:
    {"view_data": {"view_count", "unique_viewers"}, "traffic_data": [{"date", "views"}]
    (zero-filled, oldest first), "hourly_views": {"00".."23": n}, "device_data":
    {"mobile", "tablet", "desktop"}, "period"} — hours and devices summed over the days."""
    views = entity_views(client, "restaurant", restaurant_id)
    days = period_days(period, today)
    items = _daily_items(client, entity_key("restaurant", restaurant_id), days)
    return {
        "view_data": {"view_count": views["view_count"],
                      "unique_viewers": views["unique_viewers"]},
        "traffic_data": _series(items, days),
        "hourly_views": {hour: sum(_int(item.get(f"hour_{hour}")) for item in items)
                         for hour in HOURS},
        "device_data": {device: sum(_int(item.get(f"device_{device}")) for item in items)
                        for device in DEVICE_TYPES},
        "period": period,
    }


def time_series(client: DynamoDBClient, entity_type: str, entity_id: str, period: str,
                today: date) -> list[dict]:
    """[{"date": "yyyy-mm-dd", "views": n}] over the period's days ending `today`,
    zero-filled, oldest first."""
    days = period_days(period, today)
    items = _daily_items(client, entity_key(entity_type, entity_id), days,
                         projection=["sk", "views"])
    return _series(items, days)


def most_viewed_restaurants(client: DynamoDBClient, period: str, limit: int,
                            today: date) -> list[dict]:
    """[{"restaurant_id", "views", "score": None, "ranking_count": None}]: the most viewed
    restaurants in the current day/week/month/year bucket, most views first (one
    PeriodViewsIndex query). Raw counts, for who asks for a period: trending by decayed
    score is storage/trending.py's."""
    page = client.table(ANALYTICS).query(
        IndexName=PERIOD_VIEWS_INDEX,
        KeyConditionExpression=Key("period_key").eq(
            period_key("restaurant", period, bucket(period, today))),
        ScanIndexForward=False, Limit=limit)
    return [{"restaurant_id": item["entity_id"], "views": _int(item.get("views")),
             "score": None, "ranking_count": None}
            for item in page.get("Items", [])]


def _engagement_counts(item: dict | None) -> dict:
    return {kind: _int((item or {}).get(f"engagement_{kind}")) for kind in ENGAGEMENT_TYPES}


def engagement_counts(client: DynamoDBClient, entity_type: str, entity_id: str) -> dict:
    """{"click": n, "share": n, ...}: every engagement type, 0 where there was none."""
    item = client.table(ANALYTICS).get_item(
        Key={"pk": entity_key(entity_type, entity_id), "sk": ENGAGEMENT_SK}).get("Item")
    return _engagement_counts(item)


def restaurant_engagement(client: DynamoDBClient, restaurant_id: str) -> dict:
    """A restaurant's engagement counters (RestaurantEngagementSchema): those of its
    restaurant, menu and reviews pages (one BatchGetItem), per page and summed."""
    keys = {page: {"pk": entity_key(page, restaurant_id), "sk": ENGAGEMENT_SK}
            for page in RESTAURANT_PAGES}
    found = {item["pk"]: item for item in batch_get(client, ANALYTICS, keys.values())}
    by_page = {page: _engagement_counts(found.get(key["pk"])) for page, key in keys.items()}
    return {"restaurant_id": restaurant_id,
            "counts": {kind: sum(counts[kind] for counts in by_page.values())
                       for kind in ENGAGEMENT_TYPES},
            "by_entity_type": by_page}
