"""The orders routes over real HTTP (SPEC §6, §7): ordering at the catalog's prices, the
status machine as the customer, the restaurant's owner and an admin move an order, its
history and the hourly metrics.

Everything real behind the gateway: the catalog (restaurants, dishes, prices, owners),
rankings (the accounts), orders (PostgreSQL, its own consumers writing history and metrics
to the session's moto DynamoDB), one broker. Every answer is checked against /openapi.json.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest

from services.gateway.tests.orders_support import (
    FORWARD,
    HISTORY,
    METRICS,
    ORDER,
    STATUS,
    eventually,
    metrics_window,
    per_status,
    placed,
    two_dishes,
)
from services.gateway.tests.support import UUID_RE, as_user, assert_error, bearer


def test_an_order_goes_from_pending_to_delivered(shop, people, menu):
    customer, owner = people["customer"], people["owner"]
    order = placed(shop, customer, two_dishes(menu))

    assert UUID_RE.match(order["id"])
    assert (order["customer_id"], order["restaurant_id"], order["restaurant_owner_id"]) == (
        customer, menu["house"]["id"], owner)
    assert (order["status"], order["version"]) == ("PENDING", 1)
    assert [(line["dish_id"], line["dish_name"], line["quantity"], line["unit_price"],
             line["line_total"]) for line in order["items"]] == [
        (menu["nasi"]["id"], "Nasi Lemak Special", 2, "12.50", "25.00"),
        (menu["teh"]["id"], "Teh Tarik", 3, "3.00", "9.00"),
    ]
    assert (order["subtotal"], order["total"], order["currency"]) == ("34.00", "34.00", "MYR")
    assert order["notes"] == "extra sambal"

    # the restaurant's owner moves it all the way
    for version, status in enumerate(FORWARD, start=2):
        response = shop.move(owner, order["id"], status)
        assert response.status_code == 200, (status, response.text)
        moved = response.json()
        assert (moved["status"], moved["version"]) == (status, version)
        assert moved["items"] == order["items"] and moved["total"] == "34.00"

    # everyone entitled sees the same order
    for user, admin in [(customer, False), (owner, False), (people["stranger"], True)]:
        response = shop.get(user, order["id"], admin=admin)
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["version"]) == ("DELIVERED", 6)

    # history: every step once, most recent first, from DynamoDB (after the events)
    def full_history():
        response = shop.history(customer, order["id"])
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        return items if len(items) >= 6 else None

    history = eventually(full_history)
    assert [(entry["version"], entry["previous_status"], entry["new_status"])
            for entry in history] == [
        (6, "OUT_FOR_DELIVERY", "DELIVERED"),
        (5, "READY", "OUT_FOR_DELIVERY"),
        (4, "PREPARING", "READY"),
        (3, "CONFIRMED", "PREPARING"),
        (2, "PENDING", "CONFIRMED"),
        (1, None, "PENDING"),
    ]
    assert [(entry["actor_id"], entry["actor_role"]) for entry in history] == (
        [(owner, "owner")] * 5 + [(customer, "customer")])
    changed = [entry["changed_at"] for entry in history]
    assert changed == sorted(changed, reverse=True)
    assert shop.history(owner, order["id"]).json()["items"] == history
    assert shop.history(people["stranger"], order["id"], admin=True).json()["items"] == history

    # the hourly metrics: each status reached once, at the order's value
    def all_counted():
        response = shop.metrics(metrics_window())
        assert response.status_code == 200, response.text
        counted = per_status(response.json())
        return counted if sum(count for count, _ in counted.values()) >= 6 else None

    counted = eventually(all_counted)
    assert counted == {status: (1, "34.00") for status in ["PENDING", *FORWARD]}
    hours = {item["hour"] for item in shop.metrics(metrics_window()).json()["items"]}
    assert all(len(hour) == 13 and hour[4] == hour[7] == hour[10] == "-" for hour in hours)

    # nothing counted twice a moment later either
    eventlet.sleep(0.5)
    assert len(shop.history(customer, order["id"]).json()["items"]) == 6
    assert per_status(shop.metrics(metrics_window()).json()) == counted
    shop.checked()


# --- creating -----------------------------------------------------------------------------

@pytest.mark.parametrize("smuggled", [
    {"price": "0.01"}, {"unit_price": "0.01"}, {"line_total": "0.01"},
])
def test_a_price_in_the_order_is_refused(shop, people, menu, smuggled):
    body = two_dishes(menu)
    body["items"][0].update(smuggled)
    response = shop.order(people["customer"], body)
    details = assert_error(response, 422, "invalid_input")
    assert details["fields"] == {"items": {"0": {name: ["Unknown field."]
                                                 for name in smuggled}}}
    shop.checked()


def test_the_order_is_checked_before_anyone_is_asked(shop, people, menu):
    customer = people["customer"]
    item = {"dish_id": menu["nasi"]["id"], "quantity": 1}
    house = menu["house"]["id"]
    for body, field in [
        ({**two_dishes(menu), "total": "1.00"}, "total"),
        ({**two_dishes(menu), "subtotal": "1.00"}, "subtotal"),
        ({**two_dishes(menu), "customer_id": people["stranger"]}, "customer_id"),
        ({**two_dishes(menu), "status": "DELIVERED"}, "status"),
        ({"items": [item]}, "restaurant_id"),
        ({"restaurant_id": house}, "items"),
        ({"restaurant_id": house, "items": []}, "items"),
        ({"restaurant_id": house, "items": [item] * 51}, "items"),
        ({"restaurant_id": "not-a-uuid", "items": [item]}, "restaurant_id"),
        ({"restaurant_id": house, "items": [{**item, "quantity": 0}]}, "items"),
        ({"restaurant_id": house, "items": [{**item, "quantity": 21}]}, "items"),
        ({"restaurant_id": house, "items": [{**item, "quantity": "2"}]}, "items"),
        ({"restaurant_id": house, "items": [{**item, "quantity": 1.5}]}, "items"),
        ({"restaurant_id": house, "items": [{"quantity": 1}]}, "items"),
        ({"restaurant_id": house, "items": [item], "notes": "x" * 501}, "notes"),
    ]:
        response = shop.order(customer, body)
        details = assert_error(response, 422, "invalid_input")
        assert field in details["fields"], (body, details)
    assert_error(shop.call("POST", "/orders", "/orders", data="[1]",
                           headers={"Content-Type": "application/json", **as_user(customer)}),
                 400, "bad_request")
    assert_error(shop.call("POST", "/orders", "/orders", json=two_dishes(menu)),
                 401, "unauthorized")
    assert shop.mine(customer).json()["total"] == 0  # none of them was ordered
    shop.checked()


def test_dishes_must_be_on_sale_at_that_restaurant(shop, people, menu):
    customer = people["customer"]
    house = menu["house"]["id"]
    for dish in (menu["off"]["id"], menu["sushi"]["id"], str(uuid.uuid4())):
        body = {"restaurant_id": house, "items": [
            {"dish_id": menu["nasi"]["id"], "quantity": 1}, {"dish_id": dish, "quantity": 1}]}
        response = shop.order(customer, body)
        assert_error(response, 422, "invalid_input")
    twice = {"restaurant_id": house, "items": [{"dish_id": menu["nasi"]["id"], "quantity": 1},
                                               {"dish_id": menu["nasi"]["id"], "quantity": 2}]}
    assert_error(shop.order(customer, twice), 422, "invalid_input")  # one line per dish
    missing = {"restaurant_id": str(uuid.uuid4()),
               "items": [{"dish_id": menu["nasi"]["id"], "quantity": 1}]}
    # a restaurant in the body, not the path: an invalid field, not a missing resource
    details = assert_error(shop.order(customer, missing), 422, "invalid_input")
    assert set(details["fields"]) == {"restaurant_id"}
    assert shop.mine(customer).json()["total"] == 0
    shop.checked()


def test_a_retried_order_is_the_first_order(shop, people, menu):
    customer = people["customer"]
    first = placed(shop, customer, two_dishes(menu), key="checkout-1")
    again = shop.order(customer, two_dishes(menu), key="checkout-1")
    assert again.status_code == 201, again.text
    assert again.json() == first
    another = placed(shop, customer, two_dishes(menu), key="checkout-2")
    assert another["id"] != first["id"]
    listed = shop.mine(customer).json()
    assert [order["id"] for order in listed["items"]] == [another["id"], first["id"]]
    assert_error(shop.order(customer, two_dishes(menu), key="x" * 201), 400, "bad_request")
    shop.checked()


# --- moving it on -------------------------------------------------------------------------

def test_illegal_moves_are_conflicts(shop, people, menu):
    owner = people["owner"]
    order = placed(shop, people["customer"], two_dishes(menu))
    for status in ("PENDING", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED"):
        assert_error(shop.move(owner, order["id"], status), 409, "conflict")
    for status in FORWARD:
        assert shop.move(owner, order["id"], status).status_code == 200
    for status in ("CANCELLED", "PENDING", "DELIVERED", "READY"):
        assert_error(shop.move(owner, order["id"], status), 409, "conflict")
    response = shop.get(owner, order["id"])
    assert (response.json()["status"], response.json()["version"]) == ("DELIVERED", 6)

    for body in ({"status": "SHIPPED"}, {"status": "delivered"}, {},
                 {"status": "CONFIRMED", "actor_role": "admin"}):
        response = shop.call("POST", STATUS, f"/orders/{order['id']}/status", json=body,
                             headers=as_user(owner))
        assert_error(response, 422, "invalid_input")
    shop.checked()


def test_a_retried_status_change_is_the_first_answer(shop, people, menu):
    owner = people["owner"]
    order = placed(shop, people["customer"], two_dishes(menu))
    first = shop.move(owner, order["id"], "CONFIRMED", key="confirm-1")
    again = shop.move(owner, order["id"], "CONFIRMED", key="confirm-1")
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.json()["version"] == 2  # once, not a conflict
    shop.checked()


def test_who_may_see_and_move_an_order(shop, people, menu, admin_headers):
    customer, owner, stranger = people["customer"], people["owner"], people["stranger"]
    order = placed(shop, customer, two_dishes(menu))
    oid = order["id"]

    # a stranger may not even know it exists
    assert_error(shop.get(stranger, oid), 404, "not_found")
    assert_error(shop.history(stranger, oid), 404, "not_found")
    assert_error(shop.move(stranger, oid, "CONFIRMED"), 404, "not_found")
    assert_error(shop.move(stranger, oid, "CANCELLED"), 404, "not_found")
    assert shop.mine(stranger).json()["total"] == 0
    # nor an order nobody has
    for user, admin in [(customer, False), (stranger, True)]:
        assert_error(shop.get(user, str(uuid.uuid4()), admin=admin), 404, "not_found")
        assert_error(shop.move(user, str(uuid.uuid4()), "CONFIRMED", admin=admin),
                     404, "not_found")

    # the customer sees it but may not move it forward
    assert shop.get(customer, oid).status_code == 200
    assert_error(shop.move(customer, oid, "CONFIRMED"), 403, "forbidden")
    # the owner sees it, but it is not in their own orders (they did not order it)
    assert shop.get(owner, oid).status_code == 200
    assert shop.mine(owner).json()["total"] == 0

    # an admin (a valid token, with whoever they are) may move it
    response = shop.move(stranger, oid, "CONFIRMED", admin=True)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["version"]) == ("CONFIRMED", 2)
    history = eventually(lambda: (lambda items: items if len(items) == 2 else None)(
        shop.history(customer, oid).json()["items"]))
    assert (history[0]["actor_id"], history[0]["actor_role"]) == (stranger, "admin")

    # the retired admin header makes no one an admin: the stranger is still a stranger
    retired = as_user(stranger) | {"X-Admin-Token": "test-admin"}
    assert_error(shop.call("GET", ORDER, f"/orders/{oid}", headers=retired), 404, "not_found")
    assert_error(shop.call("POST", STATUS, f"/orders/{oid}/status", headers=retired,
                           json={"status": "CANCELLED"}), 404, "not_found")
    for url, path in [(f"/orders/{oid}", ORDER), (f"/orders/{oid}/history", HISTORY),
                      ("/orders", "/orders")]:
        assert_error(shop.call("GET", path, url), 401, "unauthorized")
        assert_error(shop.call("GET", path, url, headers=bearer("nobody")),
                     401, "unauthorized")
    shop.checked()


def test_the_customer_may_cancel_while_allowed(shop, people, menu):
    customer, owner = people["customer"], people["owner"]
    pending = placed(shop, customer, two_dishes(menu))
    response = shop.move(customer, pending["id"], "CANCELLED")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["version"]) == ("CANCELLED", 2)
    assert_error(shop.move(owner, pending["id"], "CONFIRMED"), 409, "conflict")
    assert_error(shop.move(customer, pending["id"], "CANCELLED"), 409, "conflict")

    preparing = placed(shop, customer, two_dishes(menu))
    for status in ("CONFIRMED", "PREPARING"):
        assert shop.move(owner, preparing["id"], status).status_code == 200
    assert shop.move(customer, preparing["id"], "CANCELLED").json()["status"] == "CANCELLED"

    ready = placed(shop, customer, two_dishes(menu))
    for status in ("CONFIRMED", "PREPARING", "READY"):
        assert shop.move(owner, ready["id"], status).status_code == 200
    assert_error(shop.move(customer, ready["id"], "CANCELLED"), 409, "conflict")

    # the owner may cancel too
    other = placed(shop, customer, two_dishes(menu))
    assert shop.move(owner, other["id"], "CANCELLED").json()["status"] == "CANCELLED"

    history = eventually(lambda: (lambda items: items if len(items) == 2 else None)(
        shop.history(customer, pending["id"]).json()["items"]))
    assert [(entry["new_status"], entry["actor_role"]) for entry in history] == [
        ("CANCELLED", "customer"), ("PENDING", "customer")]
    shop.checked()


# --- reading ------------------------------------------------------------------------------

def test_my_orders_newest_first_a_page_at_a_time(shop, people, menu):
    customer = people["customer"]
    ids = [placed(shop, customer, two_dishes(menu))["id"] for _ in range(3)]
    placed(shop, people["stranger"], two_dishes(menu))  # not theirs

    first = shop.mine(customer, limit=2)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [order["id"] for order in body["items"]] == ids[:0:-1]
    assert (body["count"], body["total"], body["next_offset"]) == (2, 3, 2)
    rest = shop.mine(customer, limit=2, offset=2).json()
    assert [order["id"] for order in rest["items"]] == ids[:1]
    assert (rest["count"], rest["total"], rest["next_offset"]) == (1, 3, None)
    assert all(order["customer_id"] == customer for order in body["items"] + rest["items"])
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}):
        assert_error(shop.mine(customer, **params), 400, "bad_request")
    shop.checked()


def test_my_orders_by_cursor_while_i_keep_ordering(shop, people, menu):
    customer = people["customer"]
    placed(shop, people["stranger"], two_dishes(menu))  # not theirs, and older than theirs
    ids = [placed(shop, customer, two_dishes(menu))["id"] for _ in range(5)]

    first = shop.mine(customer, limit=2)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert [order["id"] for order in answer["items"]] == ids[:2:-1]
    assert (answer["total"], answer["next_offset"]) == (5, 2)
    assert isinstance(answer["next_cursor"], str)
    # placed while the client pages: newer than the page it has seen, so not shown (the
    # offset pages would repeat the last order shown instead)
    newer = placed(shop, customer, two_dishes(menu))["id"]
    seen = [order["id"] for order in answer["items"]]
    while answer["next_cursor"]:
        response = shop.mine(customer, limit=2, cursor=answer["next_cursor"])
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["next_offset"] is None  # a cursor's page has no known position
        seen += [order["id"] for order in answer["items"]]
    assert seen == ids[::-1] and newer not in seen
    assert (answer["count"], answer["total"], answer["next_cursor"]) == (1, 6, None)

    cursor = first.json()["next_cursor"]
    # the cursor holds a place in the order, not whose list it is: another customer's
    # list from there has only their own orders
    theirs = shop.mine(people["stranger"], cursor=cursor).json()
    assert [order["customer_id"] for order in theirs["items"]] == [people["stranger"]]
    for params, field in (({"cursor": "not a cursor"}, "cursor"),
                          ({"cursor": cursor[:-4]}, "cursor"),
                          ({"cursor": cursor, "offset": 2}, "offset")):
        details = assert_error(shop.mine(customer, **params), 400, "bad_request")
        assert list(details["fields"]) == [field], details
    shop.checked()


def test_metrics_are_for_admins_over_a_bounded_window(shop, people, menu, admin_headers):
    order = placed(shop, people["customer"], two_dishes(menu))
    window = metrics_window()

    assert_error(shop.metrics(window, headers={}), 401, "unauthorized")
    # a user who is no admin
    assert_error(shop.metrics(window, headers=as_user(people["owner"])), 403, "forbidden")
    assert_error(shop.metrics(window, headers={"X-Admin-Token": "test-admin"}),
                 401, "unauthorized")

    now = datetime.now(UTC)
    for params in (
        {"from": "yesterday", "to": window["to"]},
        {"to": "tomorrow"},
        {"from": window["to"], "to": window["from"]},  # backwards
        {"from": (now - timedelta(days=32)).isoformat(), "to": now.isoformat()},
    ):
        assert_error(shop.metrics(params), 400, "bad_request")

    # 31 days exactly is fine; a time without an offset is UTC
    month = {"from": (now - timedelta(days=31)).isoformat(), "to": now.isoformat()}
    assert shop.metrics(month).status_code == 200
    naive = {"from": (now - timedelta(hours=1)).replace(tzinfo=None).isoformat(),
             "to": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    counted = eventually(lambda: per_status(shop.metrics(naive).json()))
    assert counted == {"PENDING": (1, order["total"])}
    # a window long past has nothing
    past = {"from": "2020-01-01T00:00:00Z", "to": "2020-01-02T00:00:00Z"}
    assert shop.metrics(past).json() == {
        "items": [], "count": 0, "total": 0, "total_is_estimate": False, "next_offset": None,
        "next_cursor": None, "from": "2020-01-01T00:00:00+00:00",
        "to": "2020-01-02T00:00:00+00:00"}

    # no window: the last 24 hours, which hold the order; one end alone: 24 hours from it
    last_day = shop.metrics({})
    assert last_day.status_code == 200, last_day.text
    assert per_status(last_day.json()) == {"PENDING": (1, order["total"])}
    start, end = (datetime.fromisoformat(last_day.json()[key]) for key in ("from", "to"))
    assert end - start == timedelta(hours=24)
    assert abs(end - datetime.now(UTC)) < timedelta(minutes=1)
    assert last_day.json()["count"] == last_day.json()["total"] == len(last_day.json()["items"])
    day_before = shop.metrics({"to": "2020-01-02T00:00:00Z"}).json()
    assert (day_before["from"], day_before["items"]) == ("2020-01-01T00:00:00+00:00", [])
    since = shop.metrics({"from": (now - timedelta(hours=1)).isoformat()}).json()
    assert per_status(since) == {"PENDING": (1, order["total"])}
    shop.checked()


def test_the_document_describes_the_orders_routes(document):
    _, doc = document
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    create = paths["/orders"]["post"]
    assert "201" in create["responses"] and "200" not in create["responses"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderInput"}
    assert schemas["OrderInput"]["additionalProperties"] is False
    assert set(schemas["OrderInput"]["required"]) == {"restaurant_id", "items"}
    line = schemas["OrderItemInput"]
    assert line["additionalProperties"] is False
    assert set(line["properties"]) == {"dish_id", "quantity"}  # no price: the catalog's
    assert line["properties"]["quantity"] == {"type": "integer", "minimum": 1, "maximum": 20}
    assert schemas["OrderStatusInput"]["properties"]["status"]["enum"] == [
        "PENDING", "CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED",
        "CANCELLED"]
    assert "409" in paths[STATUS]["post"]["responses"]
    metrics = paths[METRICS]["get"]
    assert metrics["security"] == [{"bearerAuth": []}]
    parameters = {p["name"]: p for p in metrics["parameters"] if p["in"] == "query"}
    # optional: the last 24 hours without them (SPEC §6)
    assert {name: (p["required"], p["schema"]) for name, p in parameters.items()} == {
        name: (False, {"type": "string", "format": "date-time"}) for name in ("from", "to")}
    for path in (ORDER, HISTORY):
        assert paths[path]["get"]["security"] == [{"bearerAuth": []}]
        assert {"401", "403", "404"} <= set(paths[path]["get"]["responses"])
    assert schemas["Order"]["properties"]["total"] == {"type": "string", "format": "decimal"}
