"""The issue's "done when", with DynamoDB down in the middle: through the gateway a customer
orders two dishes and the restaurant moves the order to DELIVERED while the history store
is away; every move succeeds, the history answers 503 meanwhile, and once DynamoDB is back
history and hourly metrics show every step exactly once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import eventlet
import pytest

from services.gateway.tests.orders_support import (
    FORWARD,
    HISTORY,
    eventually,
    placed,
    two_dishes,
)


@pytest.fixture
def dynamodb_settings(stoppable_dynamodb):
    """Orders' DynamoDB is this test's own, so the test may stop it."""
    return {"endpoint_url": stoppable_dynamodb.endpoint, "region": "us-east-1",
            "table_prefix": f"t{uuid.uuid4().hex[:10]}-"}


def test_an_order_delivered_while_dynamodb_is_down_has_its_history_once(
        shop, people, menu, stoppable_dynamodb):
    owner, customer = people["owner"], people["customer"]
    order = placed(shop, customer, two_dishes(menu))
    assert eventually(lambda: len(shop.history(customer, order["id"]).json()["items"]) == 1)

    stoppable_dynamodb.stop()
    for status in FORWARD:
        moved = shop.move(owner, order["id"], status)
        assert moved.status_code == 200, moved.text  # the order never waits for DynamoDB
    assert shop.get(customer, order["id"]).json()["status"] == "DELIVERED"
    away = shop.history(customer, order["id"])
    assert away.status_code == 503, away.text
    assert away.json()["error"]["details"] == {"store": "dynamodb"}
    eventlet.sleep(1.0)  # the history consumers meet the outage and wait

    stoppable_dynamodb.start()

    def complete():
        response = shop.history(customer, order["id"])
        return response.status_code == 200 and len(response.json()["items"]) == 6 and response
    history = eventually(complete, deadline=30.0).json()["items"]
    assert [entry["new_status"] for entry in history] == ["DELIVERED", *reversed(FORWARD[:-1]),
                                                          "PENDING"]
    assert [entry["version"] for entry in history] == [6, 5, 4, 3, 2, 1]

    now = datetime.now(UTC)
    window = {"from": (now - timedelta(hours=1)).isoformat(),
              "to": (now + timedelta(hours=1)).isoformat()}
    eventlet.sleep(0.5)  # a double count would show now
    metrics = shop.metrics(window).json()["items"]
    counts = Counter()
    for row in metrics:
        counts[row["status"]] += row["count"]
        assert row["total_value"] == "34.00"
    assert counts == {status: 1 for status in ["PENDING", *FORWARD]}
    shop.answers = [answer for answer in shop.answers if answer[1] != HISTORY
                    or answer[2].status_code != 503]  # 503 bodies are the error schema
    shop.checked()
