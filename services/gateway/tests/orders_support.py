"""The orders routes' test helpers: a client that keeps every answer for one check against
/openapi.json, and the orders the tests place. Fixtures (shop, people, menu) are in
conftest.py."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import eventlet

from services.gateway.tests.support import as_admin_user, as_user

DEADLINE = 10.0  # history and metrics follow the events: poll, never sleep
FORWARD = ["CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED"]
ORDER = "/orders/{order_id}"
STATUS = "/orders/{order_id}/status"
HISTORY = "/orders/{order_id}/history"
METRICS = "/orders/metrics"


def eventually(check, deadline: float = DEADLINE):
    """check() until it returns something truthy (then that), or fail."""
    stop = time.monotonic() + deadline
    while True:
        answer = check()
        if answer or time.monotonic() > stop:
            assert answer, f"not within {deadline}s"
            return answer
        eventlet.sleep(0.1)


class Shop:
    """Talks to the gateway as its clients do, and keeps every answer for one check
    against the OpenAPI document at the end of the test (`checked()`)."""

    def __init__(self, web_session, validate_against, admin_headers):
        self.web = web_session
        self.validate = validate_against
        self.admin = admin_headers
        self.answers: list[tuple[str, str, object]] = []

    def call(self, method: str, path: str, url: str, **kwargs):
        response = self.web.request(method, url, **kwargs)
        self.answers.append((method.lower(), path, response))
        return response

    def order(self, user: str, body: dict, key: str | None = None):
        headers = as_user(user) | ({"Idempotency-Key": key} if key else {})
        return self.call("POST", "/orders", "/orders", json=body, headers=headers)

    def get(self, user: str, order_id: str, admin: bool = False):
        return self.call("GET", ORDER, f"/orders/{order_id}", headers=self._who(user, admin))

    def move(self, user: str, order_id: str, status: str, admin: bool = False,
             key: str | None = None):
        headers = self._who(user, admin) | ({"Idempotency-Key": key} if key else {})
        return self.call("POST", STATUS, f"/orders/{order_id}/status", json={"status": status},
                         headers=headers)

    def history(self, user: str, order_id: str, admin: bool = False):
        return self.call("GET", HISTORY, f"/orders/{order_id}/history",
                         headers=self._who(user, admin))

    def mine(self, user: str, **params):
        return self.call("GET", "/orders", "/orders", params=params, headers=as_user(user))

    def metrics(self, params: dict, headers: dict | None = None):
        return self.call("GET", METRICS, METRICS, params=params,
                         headers=self.admin if headers is None else headers)

    def _who(self, user: str, admin: bool) -> dict:
        return as_admin_user(user) if admin else as_user(user)

    def checked(self) -> None:
        assert self.answers
        for method, path, response in self.answers:
            self.validate(method, path, response)


def two_dishes(menu) -> dict:
    """2 × 12.50 + 3 × 3.00 = 34.00"""
    return {"restaurant_id": menu["house"]["id"], "notes": "extra sambal",
            "items": [{"dish_id": menu["nasi"]["id"], "quantity": 2},
                      {"dish_id": menu["teh"]["id"], "quantity": 3}]}


def placed(shop: Shop, user: str, body: dict, key: str | None = None) -> dict:
    response = shop.order(user, body, key)
    assert response.status_code == 201, response.text
    return response.json()


def metrics_window() -> dict:
    now = datetime.now(UTC)
    return {"from": (now - timedelta(hours=2)).isoformat(),
            "to": (now + timedelta(hours=2)).isoformat()}


def per_status(metrics: dict) -> dict:
    """{status: (count, total value)} summed over the hours (the hour may turn mid-test)."""
    counts, values = Counter(), Counter()
    for item in metrics["items"]:
        counts[item["status"]] += item["count"]
        values[item["status"]] += float(item["total_value"])
    return {status: (counts[status], f"{values[status]:.2f}") for status in counts}


# --- done when: two dishes ordered, moved to DELIVERED, every step once ---------------------
