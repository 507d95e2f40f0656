"""The batched DynamoDB consumers under faults: the orders service's status-history
consumer (TransactWriteItems of up to 100 items with exactly-once markers, the hourly
metrics summed per batch) and analytics' view consumer, run as the real service processes
against a moto server of the test's own and the real broker (tests/fault/batched.py):

a. the consumer SIGKILLed mid-batch, three times; b. DynamoDB frozen, then unreachable,
while events flow; c. analytics' views delivered twice, and a kill; d. the consumer's
broker connections cut. (The machine-wide broker outage is test_outage.py's.)

Every count is exact: each change in the DynamoDB status log once, each (status, hour) of
the metrics counted and summed exactly, each view counted once, and once the consumer is
stopped nothing waits in its queue, its delay queues or its dead-letter queue.
"""

from __future__ import annotations

import eventlet
import pytest
from nameko.testing.utils import find_free_port

from bench.support import BrokerProxy
from services.analytics.storage.views import entity_views
from services.orders.storage.history import logged_versions

from .batched import (
    HISTORY_QUEUE,
    VIEWS_QUEUE,
    DynamoDBServer,
    OrderStream,
    analytics_service,
    counted,
    expected_changes,
    expected_metrics,
    logged_changes,
    order_events,
    orders_service,
    publish_orders,
    publish_views,
    settle,
    status_metrics,
    through,
    view_events,
    wait_consuming,
)

pytestmark = pytest.mark.fault


@pytest.fixture
def dynamodb(faults, request):
    """A moto server of this test's own, started (DynamoDBServer)."""
    server = DynamoDBServer(faults)
    request.addfinalizer(server.cleanup)
    return server.start()


def wait_counted(faults, dynamodb, count: int) -> None:
    """Until the metrics count `count` changes (polled 4 times a second: moto is busy)."""
    faults.wait_until(lambda: counted(dynamodb.client) >= count, 60,
                      f"{count} changes counted", interval=0.25)


def applied_and_acked(faults, dynamodb, events: list[dict]) -> tuple[int, int]:
    """(changes counted, messages acked) once the history consumer's connection is gone
    and what it had not acked is back on the queue."""
    wait_consuming(faults, HISTORY_QUEUE, 0)
    acked = len(events) - faults.queue_depth(HISTORY_QUEUE, strict=True)[0]
    return counted(dynamodb.client), acked


def finish_history(faults, dynamodb, orders, events: list[dict], max_attempts: int = 5
                   ) -> None:
    """Once the last change published is logged (the queue is first in, first out: every
    message before it has been taken, and a graceful stop finishes what is in flight),
    stop orders: each change in the log once, the metrics exact, and nothing waiting in
    any queue or dead-lettered."""
    order_id, version = events[-1]["payload"]["order_id"], events[-1]["payload"]["version"]
    faults.wait_until(lambda: version in logged_versions(dynamodb.client, [order_id])[order_id],
                      60, "the last change published is logged", interval=0.25)
    waiting = settle(faults, orders, HISTORY_QUEUE, max_attempts)
    assert logged_changes(dynamodb.client) == expected_changes(events)  # nothing lost
    assert status_metrics(dynamodb.client) == expected_metrics(events)  # nothing twice
    assert waiting == dict.fromkeys(waiting, 0), waiting


def test_history_consumer_killed_mid_batch(faults, dynamodb):
    """a. 1,800 status changes (300 orders, versions 1..6) wait for orders' history
    consumer, which is SIGKILLed three times mid-batch and restarted each time."""
    orders = orders_service(faults, dynamodb.endpoint).start()
    wait_consuming(faults, HISTORY_QUEUE)
    events = order_events(300)
    publish_orders(faults.amqp_uri, events)

    kills = []
    for threshold in (400, 800, 1200):
        wait_counted(faults, dynamodb, threshold)
        orders.sigkill()
        kills.append(applied_and_acked(faults, dynamodb, events))
        faults.note(f"SIGKILLed: {kills[-1]} (changes counted, messages acked)")
        orders.start()
        wait_consuming(faults, HISTORY_QUEUE)

    finish_history(faults, dynamodb, orders, events)
    assert orders.kills == 3
    assert all(applied < len(events) for applied, _ in kills), "the stream ended first"
    # kills that found a batch part written: changes applied whose messages were not
    # acked, which the next incarnation got again (nearly every kill does)
    assert any(acked < applied for applied, acked in kills), kills


def test_history_waits_out_dynamodb_outages(faults, dynamodb):
    """b. Status changes stream in (120 a second) while DynamoDB first freezes (SIGSTOP,
    6 s: requests hang past boto's 5 s read timeout, and boto sends them again) and then
    refuses connections (4 s, behind a proxy that is cut). The batches wait and go again:
    nothing is dead-lettered, though with EVENT_MAX_ATTEMPTS 2 an event that spent its
    attempts would be, and the service is never restarted."""
    max_attempts = 2
    orders = orders_service(faults, dynamodb.proxy(), EVENT_MAX_ATTEMPTS=max_attempts,
                            EVENT_RETRY_DELAY=0.1).start()
    wait_consuming(faults, HISTORY_QUEUE)
    stream = OrderStream(faults.amqp_uri, per_second=120).start()

    def flows(more: int) -> None:
        wait_counted(faults, dynamodb, counted(dynamodb.client) + more)

    flows(150)
    faults.note(f"SIGSTOP moto at {counted(dynamodb.client)} counted")
    dynamodb.pause()
    eventlet.sleep(6)
    dynamodb.resume()
    flows(150)
    faults.note(f"moto cut off at {counted(dynamodb.client)} counted")
    dynamodb.cut()
    eventlet.sleep(4)
    dynamodb.reopen()
    flows(150)
    assert stream.flowing, "the stream ran out during the outages: make it longer"
    events = stream.stop()
    faults.note(f"{len(events)} changes published")

    finish_history(faults, dynamodb, orders, events, max_attempts)
    assert orders.starts == 1 and orders.kills == 0
    retried = orders.log_path.read_text().count("trying again in")
    faults.note(f"batches retried after an outage: {retried}")
    assert retried > 0, "no batch met the outage: the fault was not injected"


def test_views_counted_once_with_duplicates_and_a_kill(faults, dynamodb):
    """c. 2,000 views of 20 restaurants by 7 viewers reach analytics' batched view consumer
    in messages of 50, each message delivered twice (as the gateway's event buffer resends
    a batch whose confirm it lost), and the consumer is SIGKILLed mid-stream and restarted:
    each restaurant's view count and unique viewers exact, nothing left in any queue. (A
    copy handled by the process that applied the original is told apart by its memory; the
    kill's redeliveries reach one that did not apply them, where only DynamoDB's markers
    can tell.)"""
    analytics = analytics_service(faults, dynamodb.endpoint).start()
    wait_consuming(faults, VIEWS_QUEUE)
    events = view_events(2000, restaurants=20, viewers=7)
    restaurants = sorted({event["payload"]["restaurant_id"] for event in events})
    publish_views(faults.amqp_uri, events, per_message=50, times=2)
    # published last: once it is counted, every message before it has been taken
    [last] = view_events(1, restaurants=1, viewers=1)
    publish_views(faults.amqp_uri, [last], per_message=1)

    def views() -> dict[str, tuple[int, int]]:
        """{restaurant: (view count, unique viewers)}"""
        counts = {}
        for restaurant in restaurants:
            entity = entity_views(dynamodb.client, "restaurant", restaurant)
            counts[restaurant] = (entity["view_count"], entity["unique_viewers"])
        return counts

    def viewed() -> int:
        return sum(count for count, _ in views().values())

    faults.wait_until(lambda: viewed() >= 700, 60, "700 views counted", interval=0.25)
    analytics.sigkill()
    at_kill = viewed()
    faults.note(f"SIGKILLed at {at_kill} views counted")
    assert at_kill < len(events), "the stream ended before the kill: make it longer"
    analytics.start()

    faults.wait_until(lambda: entity_views(dynamodb.client, "restaurant", last["payload"][
        "restaurant_id"])["view_count"] >= 1, 60, "the last view counted", interval=0.5)
    waiting = settle(faults, analytics, VIEWS_QUEUE)
    assert views() == dict.fromkeys(restaurants, (100, 7))
    assert waiting == dict.fromkeys(waiting, 0), waiting


def test_history_consumer_loses_the_broker_mid_batch(faults, dynamodb, request):
    """d. The orders process's broker connections are cut (it reaches RabbitMQ through a
    proxy) for 4 s while its history consumer works through 900 changes: it reconnects
    by itself and gets again what it had not acked, never restarted."""
    broker = BrokerProxy(find_free_port())
    broker.open()
    request.addfinalizer(broker.cut)
    orders = orders_service(faults, dynamodb.endpoint,
                            AMQP_URI=through(faults.amqp_uri, broker.port)).start()
    wait_consuming(faults, HISTORY_QUEUE)
    events = order_events(150)
    publish_orders(faults.amqp_uri, events)

    wait_counted(faults, dynamodb, 250)
    broker.cut()
    # the batches it was writing go on into DynamoDB, all of them by now; their acks cannot
    eventlet.sleep(4)
    applied, acked = applied_and_acked(faults, dynamodb, events)
    faults.note(f"broker back after 4 s: {applied} changes counted, {acked} messages acked")
    broker.open()

    finish_history(faults, dynamodb, orders, events)
    assert acked < applied < len(events)
    assert orders.starts == 1 and orders.kills == 0
