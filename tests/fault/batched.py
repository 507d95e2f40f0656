"""The batched DynamoDB consumers in the fault suite (test_batch_faults.py): a moto server
as a process of the test's own (to pause, or to cut off behind a proxy), the real orders
and analytics services as processes, their events published as their producers publish
them, and exact counts of what DynamoDB holds afterwards.

    dynamodb = DynamoDBServer(faults).start()
    orders = orders_service(faults, dynamodb.endpoint).start()
    wait_consuming(faults, HISTORY_QUEUE)
    events = order_events(300)                  # 1,800 changes: versions 1..6 of each order
    publish_orders(faults.amqp_uri, events)     # as the outbox relay does
    ...                                         # faults injected
    waiting = settle(faults, orders, HISTORY_QUEUE)
    assert logged_changes(dynamodb.client) == expected_changes(events)
    assert status_metrics(dynamodb.client) == expected_metrics(events)
    assert waiting == dict.fromkeys(waiting, 0)
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import eventlet
import requests
from nameko.standalone.events import get_event_exchange
from nameko.testing.utils import find_free_port

from bench.support import BrokerProxy
from services.gateway.contract.events import RESTAURANT_VIEWED
from services.orders.contract.events import ORDER_CREATED, ORDER_STATUS_CHANGED
from services.orders.domain.history import LOGS, METRICS, hour_key
from shared import event_buffer
from shared.batch_consumer import batch_queue_name
from shared.consumer import dead_letter_queue_name, retry_queue_name
from shared.dynamodb import DynamoDBClient
from shared.events import BatchPublisher, make_envelope

from .harness import Harness, ServiceProcess

HISTORY_QUEUE = batch_queue_name("orders", "history_changes")
VIEWS_QUEUE = batch_queue_name("analytics", "record_views")
FLOW = ("PENDING", "CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED")
OWNER = str(uuid.uuid4())  # the restaurant owner who moves every order
TABLE_PREFIX = "fault-"  # each test has a moto of its own


class DynamoDBServer:
    """moto (`python -m shared.local_dynamodb`, as scripts/run runs it) in a process of the
    test's own: `pause()` freezes it (SIGSTOP: connections are accepted by the kernel,
    nothing is answered), and `proxy()` gives an endpoint that `cut()` closes (every
    connection reset, new ones refused) while moto and its data stay."""

    def __init__(self, faults: Harness):
        self.faults = faults
        self.port = find_free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = faults.module("dynamodb", "shared.local_dynamodb",
                                     "-H", "127.0.0.1", "-p", str(self.port))
        self.client = DynamoDBClient(self.endpoint, "us-east-1", TABLE_PREFIX)
        self._proxy: BrokerProxy | None = None

    def start(self) -> DynamoDBServer:
        self.process.start()
        self.faults.wait_until(self._answers, 30, "moto answers")
        return self

    def _answers(self) -> bool:
        try:
            requests.get(self.endpoint, timeout=0.5)
            return True
        except requests.RequestException:
            return False

    def pause(self) -> None:
        self.process.pause()

    def resume(self) -> None:
        self.process.resume()

    def proxy(self) -> str:
        """An endpoint in front of moto that `cut()` closes and `reopen()` opens again (a
        TCP proxy in a process of its own: bench.support's, made for the broker)."""
        port = find_free_port()
        self._proxy = BrokerProxy(port, target=("127.0.0.1", self.port))
        self._proxy.open()
        return f"http://127.0.0.1:{port}"

    def cut(self) -> None:
        self._proxy.cut()

    def reopen(self) -> None:
        self._proxy.open()

    def cleanup(self) -> None:
        if self._proxy is not None:
            self._proxy.cut()


# --- the services, as processes --------------------------------------------------------------

def orders_service(faults: Harness, endpoint: str, **env) -> ServiceProcess:
    """`python -m services.orders` (not started) on a fresh database of its own, its tables
    at `endpoint`; the reconciler, which could repair a lost entry, out of the way."""
    url = faults.database("orders")
    faults.watch(HISTORY_QUEUE, lambda: queued(faults, "orders", HISTORY_QUEUE))
    return faults.module("orders", "services.orders", database_url=url,
                         ORDERS_DATABASE_URL=url, DYNAMODB_ENDPOINT=endpoint,
                         DYNAMODB_TABLE_PREFIX=TABLE_PREFIX, RECONCILE_INTERVAL=3600, **env)


def analytics_service(faults: Harness, endpoint: str, **env) -> ServiceProcess:
    """`python -m services.analytics` (not started), its tables at `endpoint`."""
    faults.watch(VIEWS_QUEUE, lambda: queued(faults, "analytics", VIEWS_QUEUE))
    return faults.module("analytics", "services.analytics", DYNAMODB_ENDPOINT=endpoint,
                         DYNAMODB_TABLE_PREFIX=TABLE_PREFIX,
                         LEADERBOARD_REFRESH_INTERVAL=3600, **env)


def through(amqp_uri: str, port: int) -> str:
    """`amqp_uri` by way of a proxy on `port` of this machine (same vhost, same user)."""
    parts = urlsplit(amqp_uri)
    credentials = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{port}"))


def wait_consuming(faults: Harness, queue: str, consumers: int = 1,
                   timeout: float = 30.0) -> None:
    faults.wait_until(lambda: faults.queue_depth(queue)[1] == consumers, timeout,
                      f"{queue} has {consumers} consumer(s)")


def queued(faults: Harness, service: str, queue: str, max_attempts: int = 5) -> dict[str, int]:
    """Messages waiting in a batch consumer's queue, its delay queues and `dlq.<service>`."""
    names = [queue, *(retry_queue_name(queue, attempt) for attempt in range(1, max_attempts)),
             dead_letter_queue_name(service)]
    return {name: faults.queue_depth(name, strict=True)[0] for name in names}


def settle(faults: Harness, service: ServiceProcess, queue: str,
           max_attempts: int = 5) -> dict[str, int]:
    """Stop the service gracefully, so that what it held unacked goes back to its queue
    and the counts are final; returns what waits in its queues (`queued`)."""
    faults.stop(service)
    return queued(faults, service.name, queue, max_attempts)


# --- orders' status changes ------------------------------------------------------------------

def order_events(orders: int, lane: int = 50) -> list[dict]:
    """The envelopes of `orders` orders, each placed (order_created, version 1) and moved
    through FLOW (order_status_changed, versions 2..6), in the order an outbox relay
    publishes them when `lane` orders move at once: each order's versions in order."""
    started = datetime.now(UTC)
    events = []
    for first in range(0, orders, lane):
        block = [(n, str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
                 for n in range(first, min(orders, first + lane))]
        for version, status in enumerate(FLOW, 1):
            for n, order_id, customer_id, restaurant_id in block:
                at = started + timedelta(milliseconds=len(events))
                total = Decimal(10 + n % 17) + Decimal(n % 100) / 100
                common = {"order_id": order_id, "customer_id": customer_id,
                          "restaurant_id": restaurant_id, "version": version,
                          "total": total, "currency": "MYR"}
                if version == 1:
                    events.append(make_envelope(ORDER_CREATED, ORDER_CREATED.dump({
                        **common, "restaurant_owner_id": OWNER, "status": status,
                        "items": [], "created_at": at})))
                else:
                    events.append(make_envelope(ORDER_STATUS_CHANGED, ORDER_STATUS_CHANGED.dump({
                        **common, "previous_status": FLOW[version - 2], "new_status": status,
                        "actor_id": OWNER, "actor_role": "owner", "changed_at": at})))
    return events


def publish_orders(amqp_uri: str, envelopes: list[dict]) -> None:
    """Publish as orders' outbox relay does (shared.events.BatchPublisher: a message per
    envelope, persistent, confirmed), in rounds of 200."""
    publisher = BatchPublisher(amqp_uri, "orders")
    try:
        for start in range(0, len(envelopes), 200):
            publisher.publish_all(envelopes[start:start + 200])
    finally:
        publisher.close()


class OrderStream:
    """Order events published as the outbox relay publishes them, about `per_second`, by a
    green thread until `stop()`, which returns those the broker confirmed: faults can be
    injected while events flow, however long each takes."""

    def __init__(self, amqp_uri: str, per_second: int, orders: int = 600):
        self.publisher = BatchPublisher(amqp_uri, "orders")
        self.round = max(1, per_second // 10)
        self.events = order_events(orders)
        self.published: list[dict] = []
        self._running = False
        self._thread = None

    def start(self) -> OrderStream:
        self._running = True
        self._thread = eventlet.spawn(self._run)
        return self

    @property
    def flowing(self) -> bool:
        return not self._thread.dead

    def _run(self) -> None:
        try:
            while self._running and len(self.published) < len(self.events):
                sent = len(self.published)
                self.publisher.publish_all(self.events[sent:sent + self.round])
                self.published += self.events[sent:sent + self.round]
                eventlet.sleep(0.1)
        finally:
            self.publisher.close()

    def stop(self) -> list[dict]:
        self._running = False
        self._thread.wait()
        return self.published


def _change(envelope: dict) -> tuple[str, str, str, Decimal]:
    """(order_id:version, status, hour, total) of an order event, read from its JSON."""
    payload = envelope["payload"]
    status = payload.get("new_status") or payload["status"]
    at = datetime.fromisoformat(payload.get("changed_at") or payload["created_at"])
    return (f"{payload['order_id']}:{payload['version']}", status, hour_key(at),
            Decimal(payload["total"]))


def expected_changes(envelopes: list[dict]) -> Counter:
    return Counter(_change(envelope)[0] for envelope in envelopes)


def expected_metrics(envelopes: list[dict]) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """{(status, hour): (count, total value)} of the changes, each counted once."""
    sums: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for envelope in envelopes:
        _, status, hour, total = _change(envelope)
        count, value = sums.get((status, hour), (0, Decimal(0)))
        sums[status, hour] = (count + 1, value + total)
    return sums


def _scan(client: DynamoDBClient, table: str, **arguments) -> Iterator[dict]:
    """Every page of a consistent Scan of `table`."""
    while True:
        page = client.table(table).scan(ConsistentRead=True, **arguments)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def logged_changes(client: DynamoDBClient) -> Counter:
    """Counter of "order_id:version" over every item of the status log."""
    return Counter(f"{item['order_id']}:{item['version']}"
                   for page in _scan(client, LOGS, ProjectionExpression="order_id, version")
                   for item in page["Items"])


def status_metrics(client: DynamoDBClient) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """{(status, hour): (count, total value)} as the metrics table holds them. (A Scan
    while a transaction writes may meet an item moto has not finished: no count yet.)"""
    return {(item["status"], item["hour"]): (int(item.get("count", 0)),
                                             item.get("total_value", Decimal(0)))
            for page in _scan(client, METRICS) for item in page["Items"]}


def counted(client: DynamoDBClient) -> int:
    """Changes counted in the metrics so far (a small table: a Scan of a page)."""
    return sum(count for count, _ in status_metrics(client).values())


# --- the gateway's views ---------------------------------------------------------------------

def view_events(views: int, restaurants: int, viewers: int) -> list[dict]:
    """`views` restaurant_viewed envelopes, view n of restaurant n % restaurants by
    anonymous viewer n % viewers."""
    ids = [str(uuid.uuid4()) for _ in range(restaurants)]
    return [make_envelope(RESTAURANT_VIEWED, {
        "restaurant_id": ids[n % restaurants], "user_id": None,
        "anonymous_id": f"visitor-{n % viewers}", "device_type": "mobile",
        "user_agent": "fault-suite"}) for n in range(views)]


def publish_views(amqp_uri: str, envelopes: list[dict], per_message: int,
                  times: int = 1) -> None:
    """Publish as the gateway's event buffer does (shared.event_buffer: a JSON array of
    `per_message` envelopes to a message, persistent, confirmed), each message `times`
    times in a row (a batch it resent whole after a lost confirm)."""
    exchange = get_event_exchange("gateway", {})
    publisher = event_buffer.BatchPublisher(amqp_uri, confirm_timeout=10)
    try:
        for start in range(0, len(envelopes), per_message):
            for _ in range(times):
                publisher.publish([(exchange, envelope)
                                   for envelope in envelopes[start:start + per_message]])
    finally:
        publisher.close()
