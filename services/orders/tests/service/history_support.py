"""What the status-history service tests share: a catalog stand-in, a client that drives
orders through their statuses over RPC, and reads of the DynamoDB history."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import eventlet
from kombu import Connection
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from services.orders.storage import history
from shared.consumer import dead_letter_queue_name
from shared.dynamodb import DynamoDBClient

FLOW = ("CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED")
PRICE = "12.50"  # each of the two dishes, one of each: an order is worth 25.00
OWNER = str(uuid.uuid4())  # owns every restaurant the stand-in knows


class CatalogStandIn:
    """The catalog's get_order_quote, for any restaurant: every dish asked for exists there,
    is available and costs PRICE; the restaurant belongs to OWNER."""

    name = "catalog"

    @rpc
    def get_order_quote(self, restaurant_id: str, dish_ids: list[str]) -> dict:
        return {"restaurant": {"id": restaurant_id, "name": "Warung Test", "owner_id": OWNER},
                "dishes": [{"id": dish_id, "restaurant_id": restaurant_id,
                            "name": f"Dish {n}", "price": PRICE, "is_available": True}
                           for n, dish_id in enumerate(dish_ids)]}


class Orders:
    """Orders over RPC, as the gateway would call them."""

    def __init__(self, config: dict):
        self.config = config

    def call(self, method: str, *args, **kwargs):
        with ClusterRpcProxy(self.config, timeout=10) as cluster:
            return getattr(cluster.orders, method)(*args, **kwargs)

    def place(self, customer_id: str | None = None) -> dict:
        return self.call("create_order", customer_id or str(uuid.uuid4()), {
            "restaurant_id": str(uuid.uuid4()),
            "items": [{"dish_id": str(uuid.uuid4()), "quantity": 1} for _ in range(2)]})

    def move(self, order_id: str, status: str) -> dict:
        return self.call("change_status", order_id, status, OWNER)

    def history(self, order_id: str, actor_id: str = OWNER, is_admin: bool = False) -> list:
        return self.call("get_order_history", order_id, actor_id, is_admin)["items"]

    def metrics(self, around: datetime | None = None) -> list[dict]:
        around = around or datetime.now(UTC)
        return self.call("get_status_metrics", (around - timedelta(hours=2)).isoformat(),
                         (around + timedelta(hours=1)).isoformat())["items"]


def status_totals(entries: list[dict]) -> dict:
    """{status: (count, total value)} summed over the hours of a metrics answer."""
    counts: Counter = Counter()
    values: Counter = Counter()
    for entry in entries:
        counts[entry["status"]] += entry["count"]
        values[entry["status"]] += float(entry["total_value"])
    return {status: (counts[status], f"{values[status]:.2f}") for status in counts}


def logged(client: DynamoDBClient, order_ids: list[str]) -> dict[str, list[int]]:
    """{order_id: versions in its DynamoDB log, duplicates kept}."""
    table = client.table(history.LOGS)
    found = {}
    for order_id in order_ids:
        items = table.query(KeyConditionExpression="order_id = :o",
                            ExpressionAttributeValues={":o": order_id})["Items"]
        found[order_id] = sorted(int(item["version"]) for item in items)
    return found


def wait_for_versions(client: DynamoDBClient, expected: dict[str, int],
                      timeout: float = 30.0) -> dict[str, list[int]]:
    """Poll until each order's log holds at least its expected number of entries."""
    with eventlet.Timeout(timeout, False):
        while True:
            found = logged(client, list(expected))
            if all(len(found[order]) >= count for order, count in expected.items()):
                return found
            eventlet.sleep(0.1)
    return logged(client, list(expected))


def dead_letters(amqp_uri: str) -> int:
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(
            dead_letter_queue_name("orders"), durable=True, passive=True).message_count
