"""No mass assignment: through the gateway, a body naming a field the client may not set
(ids, owners, roles, authors, timestamps, counters, prices and totals on orders) is 422
naming the field, and nothing is written."""

from __future__ import annotations

import uuid

import pytest

from services.gateway.tests.support import as_user, assert_error


@pytest.fixture
def stack(catalog, rankings_service, orders_service, start_gateway):
    return start_gateway()


def refused(response, *path: str) -> None:
    """422, with the field at `path` (e.g. "items", "0", "price") named in the details."""
    details = assert_error(response, 422, "invalid_input")["fields"]
    for key in path:
        assert key in details, (path, details)
        details = details[key]


def test_read_only_fields_are_refused(stack, register, people, menu, web_session):
    owner, customer = as_user(people["owner"]), as_user(people["customer"])
    house, nasi = menu["house"], menu["nasi"]
    somebody = str(uuid.uuid4())

    # accounts: no one makes themselves an admin, or someone else
    for field, value in [("role", "admin"), ("id", somebody), ("points", 10_000)]:
        refused(web_session.post("/auth/register", json={
            "email": "eve@example.com", "username": "eve", "password": "eve-secret-1",
            field: value}), field)
        refused(web_session.patch("/users/me", json={field: value}, headers=customer), field)
    assert web_session.get("/users/me", headers=customer).json()["role"] == "user"

    # the catalog: ids, owners and timestamps are the catalog's
    for field, value in [("id", somebody), ("owner_id", somebody),
                         ("created_at", "2020-01-01T00:00:00Z")]:
        refused(web_session.post("/restaurants", json={"name": "X", "city": "Ipoh",
                                                       field: value}, headers=owner), field)
        refused(web_session.patch(f"/restaurants/{house['id']}", json={field: value},
                                  headers=owner), field)
    for field, value in [("id", somebody), ("restaurant_id", somebody),
                         ("average_rank", 1.0)]:
        refused(web_session.patch(f"/dishes/{nasi['id']}", json={field: value},
                                  headers=owner), field)
    assert web_session.get(f"/restaurants/{house['id']}").json()["owner_id"] == people["owner"]

    # orders: the catalog prices them, the token names the customer
    line = {"dish_id": nasi["id"], "quantity": 1}
    order = {"restaurant_id": house["id"], "items": [line]}
    refused(web_session.post("/orders", json={**order, "items": [{**line, "price": "0.01"}]},
                             headers=customer), "items", "0", "price")
    for field, value in [("total", "0.01"), ("customer_id", somebody), ("status", "DELIVERED")]:
        refused(web_session.post("/orders", json={**order, field: value}, headers=customer),
                field)
    assert web_session.get("/orders", headers=customer).json()["total"] == 0

    # reviews and rankings are the token's user's
    reviews = f"/restaurants/{house['id']}/reviews"
    refused(web_session.post(reviews, json={"rating": 5, "user_id": somebody},
                             headers=customer), "user_id")
    refused(web_session.put("/rankings/my/nasi lemak", headers=customer,
                            json={"dish_id": nasi["id"], "rank": 1, "user_id": somebody}),
            "user_id")
    assert web_session.get(reviews).json()["total"] == 0
