"""DynamoDB goes away during 100 status changes: every order RPC still succeeds, nothing is
dead-lettered, and once it is back all the history appears, none of it twice, with the
metrics exact."""

from __future__ import annotations

import uuid

import pytest
from nameko.testing.services import entrypoint_waiter

from conftest import drop_database, empty_tables, fresh_database
from services.orders.service import OrdersService
from services.orders.tests.service.history_support import (
    FLOW,
    CatalogStandIn,
    Orders,
    dead_letters,
    status_totals,
    wait_for_versions,
)
from shared.dynamodb import DynamoDBClient
from shared.migrations import upgrade

ORDERS = 20  # × the 5 moves of FLOW = 100 status changes while DynamoDB is down


@pytest.fixture
def orders_db_url():
    url = fresh_database("bellyfed_test_orders_outage")
    upgrade("orders", url)
    yield url
    empty_tables(url)
    drop_database(url.rsplit("/", 1)[1])


def failures(expected: int):
    """An entrypoint_waiter callback that is done once `expected` workers have failed."""
    failed = []

    def callback(worker_ctx, result, exc_info):
        if exc_info is not None:
            failed.append(exc_info[1])
        return len(failed) >= expected
    return callback


def test_status_changes_wait_out_an_outage_and_are_logged_once(
        container_factory, service_config, orders_db_url, stoppable_dynamodb):
    dynamodb = {"endpoint_url": stoppable_dynamodb.endpoint, "region": "us-east-1",
                "table_prefix": f"o{uuid.uuid4().hex[:8]}-"}
    config = {**service_config, "DATABASE_URL": orders_db_url, "SERVICE_NAME": "orders",
              "DYNAMODB": dynamodb, "RECONCILE_INTERVAL": 3600,
              # spending attempts, an event would be dead-lettered within 1.5 s (0.1 + 0.2 +
              # 0.4 + 0.8): the outage lasts longer
              "EVENT_MAX_ATTEMPTS": 5, "EVENT_RETRY_DELAY": 0.1}
    container_factory(CatalogStandIn, config).start()
    container = container_factory(OrdersService, config)
    container.start()
    orders = Orders(config)
    client = DynamoDBClient.from_config(dynamodb)

    placed = [orders.place()["id"] for _ in range(ORDERS)]
    wait_for_versions(client, dict.fromkeys(placed, 1))

    stoppable_dynamodb.stop()
    # every one of the 100 changes commits and answers while the history cannot be written
    for status in FLOW:
        for order_id in placed:
            assert orders.move(order_id, status)["status"] == status
    # several rounds of retries of the batches against nothing: with EVENT_MAX_ATTEMPTS
    # 2, any attempt spent would have dead-lettered by now
    with entrypoint_waiter(container, "history_changes", timeout=30,
                           callback=failures(4)):
        pass
    assert dead_letters(config["AMQP_URI"]) == 0

    stoppable_dynamodb.start()
    found = wait_for_versions(client, dict.fromkeys(placed, 1 + len(FLOW)), timeout=60)
    assert found == dict.fromkeys(placed, list(range(1, 2 + len(FLOW))))
    assert all([entry["version"] for entry in orders.history(order_id)] ==
               list(range(1 + len(FLOW), 0, -1)) for order_id in placed)
    value = f"{25 * ORDERS:.2f}"
    assert status_totals(orders.metrics()) == {
        status: (ORDERS, value) for status in ("PENDING", *FLOW)}
    assert dead_letters(config["AMQP_URI"]) == 0
    container.kill()
