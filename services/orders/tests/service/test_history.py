"""The orders service's status history and metrics, with the real broker, PostgreSQL and
moto: written from orders' own events, most recent first, counted once however often an
event comes, and repaired from PostgreSQL by reconciliation without counting twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import text

from conftest import drop_database, empty_tables, fresh_database
from services.orders.contract.events import ORDER_STATUS_CHANGED, OrderStatusChangedPayload
from services.orders.service import OrdersService
from services.orders.storage import history
from services.orders.tests.service.history_support import (
    FLOW,
    OWNER,
    CatalogStandIn,
    Orders,
    dead_letters,
    logged,
    status_totals,
    wait_for_versions,
)
from shared.errors import InvalidInput, NotFound
from shared.events import EnvelopePublisher, make_envelope
from shared.migrations import upgrade
from shared.postgres import make_engine


@pytest.fixture(scope="module")
def orders_db_url():
    url = fresh_database("bellyfed_test_orders_history")
    upgrade("orders", url)
    yield url
    drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def orders_config(service_config, orders_db_url, dynamodb_settings):
    yield {**service_config, "DATABASE_URL": orders_db_url, "SERVICE_NAME": "orders",
           "DYNAMODB": dynamodb_settings, "EVENT_RETRY_DELAY": 0.1,
           "RECONCILE_INTERVAL": 3600}
    empty_tables(orders_db_url)


@pytest.fixture
def orders_service(orders_config, container_factory):
    container_factory(CatalogStandIn, orders_config).start()
    container = container_factory(OrdersService, orders_config)
    container.start()
    yield container
    container.kill()  # before its database is emptied


@pytest.fixture
def orders(orders_service, orders_config):
    return Orders(orders_config)


def counting(expected: int):
    """An entrypoint_waiter callback for the batch consumer: done once batches holding
    `expected` events in all have been written."""
    seen = []

    def callback(worker_ctx, result, exc_info):
        if exc_info is None:
            seen.extend(worker_ctx.args[0])
        return len(seen) >= expected
    return callback


def test_history_shows_every_step_most_recent_first(orders, dynamodb_client):
    customer = str(uuid.uuid4())
    order = orders.place(customer)
    for status in FLOW:
        orders.move(order["id"], status)
    wait_for_versions(dynamodb_client, {order["id"]: 6})

    entries = orders.history(order["id"], customer)
    assert [entry["version"] for entry in entries] == [6, 5, 4, 3, 2, 1]
    assert [entry["new_status"] for entry in entries] == [*reversed(FLOW), "PENDING"]
    assert [entry["previous_status"] for entry in entries] == [
        *reversed(("PENDING", *FLOW[:-1])), None]
    assert [(entry["actor_id"], entry["actor_role"]) for entry in entries] == \
        [(OWNER, "owner")] * 5 + [(customer, "customer")]
    assert {entry["metadata"]["total"] for entry in entries} == {"25.00"}
    times = [datetime.fromisoformat(entry["changed_at"]) for entry in entries]
    assert times == sorted(times, reverse=True)
    assert times[-1] == datetime.fromisoformat(order["created_at"])

    # its customer, its restaurant's owner and admins see it; nobody else learns it exists
    assert orders.history(order["id"], OWNER) == entries
    assert orders.history(order["id"], str(uuid.uuid4()), is_admin=True) == entries
    with pytest.raises(NotFound):
        orders.history(order["id"], str(uuid.uuid4()))
    with pytest.raises(NotFound):
        orders.history(str(uuid.uuid4()), customer, is_admin=True)
    with pytest.raises(InvalidInput):
        orders.history(order["id"], customer, is_admin="true")


def test_metrics_count_each_change_once_however_often_it_is_delivered(
        orders, orders_service, orders_config, record_events, dynamodb_client):
    recorder = record_events("orders")
    placed = [orders.place() for _ in range(3)]
    for order in placed:
        orders.move(order["id"], "CONFIRMED")
    orders.move(placed[0]["id"], "PREPARING")
    events = recorder.take(7)
    wait_for_versions(dynamodb_client, {placed[0]["id"]: 3, placed[1]["id"]: 2,
                                        placed[2]["id"]: 2})
    metrics = orders.metrics()
    assert status_totals(metrics) == {"PENDING": (3, "75.00"), "CONFIRMED": (3, "75.00"),
                                      "PREPARING": (1, "25.00")}
    hour = datetime.now(UTC).strftime("%Y-%m-%d-%H")
    assert {entry["hour"] for entry in metrics} <= {
        hour, events[0]["payload"]["created_at"][:13].replace("T", "-")}

    # every event again as it was (a redelivery), and again under a new event id (a
    # producer's retry): the change, not the event, is what is counted
    publisher = EnvelopePublisher(orders_config["AMQP_URI"], "orders")
    copies = events + [{**event, "event_id": str(uuid.uuid4())} for event in events]
    with entrypoint_waiter(orders_service, "history_changes", timeout=15,
                           callback=counting(len(copies))):
        for event in copies:
            publisher.publish(event)

    assert orders.metrics() == metrics
    assert logged(dynamodb_client, [order["id"] for order in placed]) == {
        placed[0]["id"]: [1, 2, 3], placed[1]["id"]: [1, 2], placed[2]["id"]: [1, 2]}
    assert dead_letters(orders_config["AMQP_URI"]) == 0


def test_metrics_range_is_validated(orders):
    with pytest.raises(InvalidInput):
        orders.call("get_status_metrics", "2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z")
    with pytest.raises(InvalidInput):
        orders.call("get_status_metrics", "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z")
    with pytest.raises(InvalidInput):
        orders.call("get_status_metrics", "yesterday", "2026-03-01T00:00:00Z")
    assert orders.call("get_status_metrics", "2020-01-01T00:00:00",
                       "2020-01-01T05:00:00") == {
        "items": [], "count": 0, "total": 0, "total_is_estimate": False, "next_offset": None,
        "next_cursor": None}


def test_history_and_metrics_answer_the_list_shape(orders, orders_service, dynamodb_client):
    order = orders.place()
    orders.move(order["id"], "CONFIRMED")
    wait_for_versions(dynamodb_client, {order["id"]: 2})
    history = orders.call("get_order_history", order["id"], OWNER)
    assert [change["new_status"] for change in history["items"]] == ["CONFIRMED", "PENDING"]
    assert (history["count"], history["total"], history["next_offset"]) == (2, 2, None)
    now = datetime.now(UTC)
    metrics = orders.call("get_status_metrics", (now - timedelta(hours=1)).isoformat(),
                          (now + timedelta(hours=1)).isoformat())
    assert metrics["count"] == metrics["total"] == len(metrics["items"]) >= 2
    assert metrics["next_offset"] is None


def delete_log_entry(client, order_id: str, version: int) -> None:
    table = client.table(history.LOGS)
    [item] = [item for item in table.query(
        KeyConditionExpression="order_id = :o",
        ExpressionAttributeValues={":o": order_id})["Items"] if item["version"] == version]
    table.delete_item(Key={"order_id": order_id, "changed_at": item["changed_at"]})


def test_reconcile_repairs_the_history_from_postgresql_without_counting_twice(
        orders, orders_service, orders_config, dynamodb_client):
    a, b, c = (orders.place()["id"] for _ in range(3))
    orders.move(a, "CONFIRMED")
    orders.move(a, "PREPARING")
    orders.move(b, "CONFIRMED")
    wait_for_versions(dynamodb_client, {a: 3, b: 2, c: 1})

    # drift: two log items lost after they were counted, and a change whose event never
    # came (committed in PostgreSQL behind the service's back, without its outbox event)
    delete_log_entry(dynamodb_client, a, 2)
    delete_log_entry(dynamodb_client, c, 1)
    engine = make_engine(orders_config["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE orders SET status = 'PREPARING', status_version = 3, "
                          "updated_at = clock_timestamp() WHERE id = :id"), {"id": b})
        conn.execute(text(
            "INSERT INTO order_status_changes (order_id, version, previous_status, new_status,"
            " actor_id, actor_role, changed_at) VALUES (:id, 3, 'CONFIRMED', 'PREPARING',"
            " :owner, 'owner', clock_timestamp())"), {"id": b, "owner": OWNER})
        changed_at = conn.scalar(text("SELECT changed_at FROM order_status_changes "
                                      "WHERE order_id = :id AND version = 3"), {"id": b})
    engine.dispose()
    before = status_totals(orders.metrics())
    assert before == {"PENDING": (3, "75.00"), "CONFIRMED": (2, "50.00"),
                      "PREPARING": (1, "25.00")}

    report = orders.call("reconcile")
    assert report["checked"] == 3
    assert sorted((entry["order_id"], entry["version"]) for entry in report["repaired"]) == \
        sorted([(a, 2), (b, 3), (c, 1)])
    assert logged(dynamodb_client, [a, b, c]) == {a: [1, 2, 3], b: [1, 2, 3], c: [1]}
    assert orders.history(b, OWNER)[0]["new_status"] == "PREPARING"
    # only the lost event's change is new to the metrics
    assert status_totals(orders.metrics()) == {**before, "PREPARING": (2, "50.00")}

    assert orders.call("reconcile", 1) == {"checked": 3, "repaired": []}
    with pytest.raises(InvalidInput):
        orders.call("reconcile", -1)

    # the lost event turns up after all: already repaired, so counted nothing
    late = make_envelope(ORDER_STATUS_CHANGED, OrderStatusChangedPayload().dump({
        "order_id": b, "customer_id": uuid.uuid4(), "restaurant_id": uuid.uuid4(),
        "previous_status": "CONFIRMED", "new_status": "PREPARING", "version": 3,
        "actor_id": OWNER, "actor_role": "owner", "total": "25.00", "currency": "MYR",
        "changed_at": changed_at}))
    with entrypoint_waiter(orders_service, "history_changes", timeout=15):
        EnvelopePublisher(orders_config["AMQP_URI"], "orders").publish(late)
    assert status_totals(orders.metrics()) == {**before, "PREPARING": (2, "50.00")}
    assert logged(dynamodb_client, [b]) == {b: [1, 2, 3]}
