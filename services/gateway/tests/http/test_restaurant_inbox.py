"""A restaurant's inbox and an order's delivery address over real HTTP (SPEC §6, §7):
`GET /restaurants/{id}/orders?status=&cursor=` for the restaurant's owner and admins, and
`delivery_address` on `POST /orders`, kept and answered.

Everything real behind the gateway: the catalog (restaurants, owners, prices), rankings
(the accounts), orders (PostgreSQL), one broker. Every answer is checked against
/openapi.json."""

from __future__ import annotations

import uuid

import pytest

from services.gateway.tests.orders_support import placed, two_dishes
from services.gateway.tests.support import as_admin_user, as_user, assert_error
from shared.schemas import encode_cursor

INBOX = "/restaurants/{restaurant_id}/orders"
ADDRESS = "Unit 3-2, Blok B\n12 Jalan Sultan Idris Shah\n30000 Ipoh"


def inbox(shop, headers: dict, restaurant_id: str, **params):
    return shop.call("GET", INBOX, f"/restaurants/{restaurant_id}/orders", params=params,
                     headers=headers)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [order["id"] for order in response.json()["items"]]


@pytest.fixture
def orders(shop, people, menu) -> dict:
    """At the owner's house: the customer's first order (to deliver), then a second one the
    owner confirms; at the admin's restaurant, the stranger's."""
    first = placed(shop, people["customer"], {**two_dishes(menu), "delivery_address": ADDRESS})
    second = placed(shop, people["customer"], two_dishes(menu))
    confirmed = shop.move(people["owner"], second["id"], "CONFIRMED")
    assert confirmed.status_code == 200, confirmed.text
    elsewhere = placed(shop, people["stranger"], {
        "restaurant_id": menu["sushi"]["restaurant_id"],
        "items": [{"dish_id": menu["sushi"]["id"], "quantity": 1}]})
    return {"first": first, "second": second, "elsewhere": elsewhere}


def test_the_owner_reads_the_inbox_newest_first_of_one_status_or_all(shop, people, menu,
                                                                     orders):
    owner, house = as_user(people["owner"]), menu["house"]["id"]
    every = inbox(shop, owner, house)
    assert ids(every) == [orders["second"]["id"], orders["first"]["id"]]
    body = every.json()
    assert (body["count"], body["total"], body["next_offset"], body["next_cursor"]) == (
        2, 2, None, None)
    assert every.headers["Cache-Control"] == "private, no-cache"
    assert ids(inbox(shop, owner, house, status="PENDING")) == [orders["first"]["id"]]
    assert ids(inbox(shop, owner, house, status="CONFIRMED")) == [orders["second"]["id"]]
    assert ids(inbox(shop, owner, house, status="DELIVERED")) == []

    # by cursor: every order once, the same as by offset
    first_page = inbox(shop, owner, house, limit="1")
    assert ids(first_page) == [orders["second"]["id"]]
    assert first_page.json()["next_offset"] == 1
    second_page = inbox(shop, owner, house, limit="1", cursor=first_page.json()["next_cursor"])
    assert ids(second_page) == [orders["first"]["id"]]
    assert (second_page.json()["next_cursor"], second_page.json()["next_offset"]) == (None, None)
    assert ids(inbox(shop, owner, house, limit="1", offset="1")) == ids(second_page)
    shop.checked()


def test_only_the_owner_and_admins_read_an_inbox(shop, people, menu, orders):
    house = menu["house"]["id"]
    admin = inbox(shop, as_admin_user(people["stranger"]), house)
    assert ids(admin) == [orders["second"]["id"], orders["first"]["id"]]
    for who in ("customer", "stranger"):
        assert_error(inbox(shop, as_user(people[who]), house), 403, "forbidden")
    assert_error(inbox(shop, {}, house), 401, "unauthorized")
    # the owner's inbox holds their restaurant's orders, not another's
    assert ids(inbox(shop, as_admin_user(people["owner"]), menu["sushi"]["restaurant_id"])) == [
        orders["elsewhere"]["id"]]
    assert_error(inbox(shop, as_user(people["owner"]), menu["sushi"]["restaurant_id"]), 403,
                 "forbidden")
    assert_error(inbox(shop, as_user(people["owner"]), str(uuid.uuid4())), 404, "not_found")
    shop.checked()


@pytest.mark.parametrize("params, field", [
    ({"status": "pending"}, "status"),
    ({"limit": "0"}, "limit"),
    ({"cursor": encode_cursor("customer_orders", ("2026-03-04T12:00:00+00:00",
                                                  str(uuid.uuid4())))}, "cursor"),
    ({"cursor": "not a cursor"}, "cursor"),
])
def test_a_bad_query_is_a_400_before_orders_is_asked(shop, people, menu, params, field):
    response = inbox(shop, as_user(people["owner"]), menu["house"]["id"], **params)
    details = assert_error(response, 400, "bad_request")
    assert list(details["fields"]) == [field]
    shop.checked()


def test_a_delivery_address_is_kept_and_answered(shop, people, menu, orders):
    first = orders["first"]
    assert first["delivery_address"] == ADDRESS
    for who in ("customer", "owner"):
        got = shop.get(people[who], first["id"])
        assert got.status_code == 200, got.text
        assert got.json()["delivery_address"] == ADDRESS
    assert orders["second"]["delivery_address"] is None  # optional
    listed = inbox(shop, as_user(people["owner"]), menu["house"]["id"], status="PENDING")
    assert listed.json()["items"][0]["delivery_address"] == ADDRESS
    shop.checked()


@pytest.mark.parametrize("address", ["", "   ", "a" * 501, 12, {"street": "Jalan Ampang"}])
def test_a_delivery_address_is_text_that_says_something_bounded(shop, people, menu, address):
    response = shop.order(people["customer"], {**two_dishes(menu), "delivery_address": address})
    details = assert_error(response, 422, "invalid_input")
    assert list(details["fields"]) == ["delivery_address"]
    assert shop.mine(people["customer"]).json()["total"] == 0
