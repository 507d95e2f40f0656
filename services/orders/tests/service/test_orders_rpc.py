"""The order RPCs against the real broker, PostgreSQL and catalog: pricing from the catalog,
idempotent creates, the status machine and who may move it, reads, and concurrent changes."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.orders.storage.models import Order, OrderStatusChange
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.events import parse_envelope
from shared.outbox import outbox_table

FLOW = ["CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED"]
ORDER_FIELDS = {"id", "customer_id", "restaurant_id", "restaurant_owner_id", "status", "version",
                "items", "subtotal", "total", "currency", "notes", "delivery_address",
                "created_at", "updated_at"}


@pytest.fixture
def events(record_events):
    """Bound to orders.events before the service starts, so nothing is missed."""
    return record_events("orders")


@pytest.fixture
def service(events, orders):
    return orders


@pytest.fixture
def menu(catalog):
    """A restaurant with an owner, two dishes, one sold out, and another restaurant's dish."""
    owner = str(uuid.uuid4())
    place = catalog.create_restaurant({"name": "Warung Order", "city": "Ipoh"},
                                      owner_id=owner)
    other = catalog.create_restaurant({"name": "Elsewhere", "city": "Ipoh"})

    def dish(restaurant, name, price, **fields):
        return catalog.create_dish(restaurant["id"], {"name": name, "dish_type": "laksa",
                                                      "price": price, **fields})

    return {
        "owner": owner, "restaurant": place, "other": other,
        "laksa": dish(place, "Laksa", "12.90"), "teh": dish(place, "Teh Tarik", "2.35"),
        "sold_out": dish(place, "Cendol", "4.00", is_available=False),
        "foreign": dish(other, "Roti", "1.50"),
    }


@pytest.fixture
def customer():
    return str(uuid.uuid4())


def order_data(menu, *lines, **extra) -> dict:
    """order_data(menu, ("laksa", 2), ("teh", 1)) -> a create_order body."""
    return {"restaurant_id": menu["restaurant"]["id"],
            "items": [{"dish_id": menu[name]["id"], "quantity": quantity}
                      for name, quantity in lines], **extra}


def place_order(service, menu, customer, *lines, **kwargs) -> dict:
    return service.create_order(customer, order_data(menu, *(lines or [("laksa", 1)])), **kwargs)


def published(service, menu, events) -> list[dict]:
    """Every event published since the last take, parsed, and nothing else.

    Events leave in commit order, so a marker order's order_created comes after everything
    the test caused: take until it arrives (a new order by a marker customer)."""
    marker = service.create_order(str(uuid.uuid4()), order_data(menu, ("teh", 1)))
    parsed = []
    while True:
        [body] = events.take(1)
        envelope = parse_envelope(body)
        assert envelope["producer"] == "orders" and envelope["version"] == 1
        if envelope["payload"]["order_id"] == marker["id"]:
            return parsed
        parsed.append(envelope)


def status_changes(db, order_id: str) -> list[tuple]:
    with db.connect() as conn:
        return [tuple(row) for row in conn.execute(
            select(OrderStatusChange.version, OrderStatusChange.previous_status,
                   OrderStatusChange.new_status, OrderStatusChange.actor_role)
            .where(OrderStatusChange.order_id == order_id)
            .order_by(OrderStatusChange.version))]


def count_rows(db, table) -> int:
    with db.connect() as conn:
        return len(conn.execute(select(table)).all())


# --- create ------------------------------------------------------------------------------------

def test_an_order_is_priced_by_the_catalog_and_announced(service, menu, customer, events, db):
    order = service.create_order(customer, order_data(menu, ("laksa", 3), ("teh", 2),
                                                      notes="no chilli"))
    assert set(order) == ORDER_FIELDS
    assert order["customer_id"] == customer
    assert order["restaurant_id"] == menu["restaurant"]["id"]
    assert order["restaurant_owner_id"] == menu["owner"]
    assert (order["status"], order["version"], order["currency"]) == ("PENDING", 1, "MYR")
    assert order["items"] == [
        {"dish_id": menu["laksa"]["id"], "dish_name": "Laksa", "quantity": 3,
         "unit_price": "12.90", "line_total": "38.70"},
        {"dish_id": menu["teh"]["id"], "dish_name": "Teh Tarik", "quantity": 2,
         "unit_price": "2.35", "line_total": "4.70"},
    ]
    assert order["subtotal"] == order["total"] == "43.40"
    assert order["notes"] == "no chilli"
    assert order["created_at"] == order["updated_at"]
    assert service.get_order(order["id"], customer) == order

    [created] = published(service, menu, events)
    assert created["event_type"] == "order_created"
    payload = created["payload"]
    assert payload == {
        "order_id": order["id"], "customer_id": customer,
        "restaurant_id": menu["restaurant"]["id"], "restaurant_owner_id": menu["owner"],
        "status": "PENDING", "version": 1, "total": "43.40", "currency": "MYR",
        "items": order["items"], "created_at": order["created_at"],
    }
    # the primary record of the first status, written with the order
    assert status_changes(db, order["id"]) == [(1, None, "PENDING", "customer")]


def test_a_delivery_address_is_kept_with_the_order_and_answered(service, menu, customer,
                                                                events, db):
    address = "Unit 3-2, Blok B\n12 Jalan Sultan Idris Shah\n30000 Ipoh"
    order = service.create_order(customer, order_data(menu, ("laksa", 1),
                                                      delivery_address=address))
    assert order["delivery_address"] == address
    assert service.get_order(order["id"], customer)["delivery_address"] == address
    assert service.get_order(order["id"], menu["owner"])["delivery_address"] == address
    moved = service.change_status(order["id"], "CONFIRMED", menu["owner"])
    assert moved["delivery_address"] == address  # the locked row's answer too
    with db.connect() as conn:
        assert conn.scalar(select(Order.delivery_address).where(
            Order.id == order["id"])) == address
    # the events carry what their consumers read (seed 004's: ids, statuses, totals),
    # not where the food goes
    assert all("delivery_address" not in event["payload"]
               for event in published(service, menu, events))
    assert place_order(service, menu, customer)["delivery_address"] is None  # optional


def test_a_retry_with_another_delivery_address_is_another_request(service, menu, customer):
    first = service.create_order(customer, order_data(menu, ("laksa", 1),
                                                      delivery_address="1 Jalan Ampang"),
                                 idempotency_key="address-1")
    with pytest.raises(Conflict):
        service.create_order(customer, order_data(menu, ("laksa", 1),
                                                  delivery_address="2 Jalan Ampang"),
                             idempotency_key="address-1")
    assert service.get_order(first["id"], customer)["delivery_address"] == "1 Jalan Ampang"


def test_an_order_keeps_the_price_it_was_placed_at(service, catalog, menu, customer):
    order = place_order(service, menu, customer, ("laksa", 2))
    catalog.update_dish(menu["laksa"]["id"], {"price": "99.00", "name": "Laksa Special"})
    again = service.get_order(order["id"], customer)
    assert again["items"][0]["unit_price"] == "12.90"
    assert again["items"][0]["dish_name"] == "Laksa"
    assert again["total"] == "25.80"
    assert place_order(service, menu, customer, ("laksa", 2))["total"] == "198.00"


@pytest.mark.parametrize(("name", "problem"), [
    ("sold_out", "this dish is not available"),
    ("foreign", "this dish is not on this restaurant's menu"),
])
def test_unavailable_or_foreign_dishes_are_refused(service, menu, customer, name, problem):
    with pytest.raises(InvalidInput) as refused:
        place_order(service, menu, customer, ("laksa", 1), (name, 1))
    assert refused.value.details["fields"] == {"items": {"1": {"dish_id": [problem]}}}


def test_unknown_dishes_and_restaurants_are_refused_and_nothing_is_written(
        service, menu, customer, events, db):
    data = order_data(menu, ("laksa", 1))
    data["items"].append({"dish_id": str(uuid.uuid4()), "quantity": 1})
    with pytest.raises(InvalidInput) as refused:
        service.create_order(customer, data)
    assert refused.value.details["fields"] == {"items": {"1": {"dish_id": ["no such dish"]}}}

    with pytest.raises(InvalidInput) as refused:
        service.create_order(customer, {**order_data(menu, ("laksa", 1)),
                                        "restaurant_id": str(uuid.uuid4())})
    assert refused.value.details["fields"] == {"restaurant_id": ["no such restaurant"]}
    assert count_rows(db, Order) == 0
    assert published(service, menu, events) == []


@pytest.mark.parametrize("extra", [{"price": "0.01"}, {"unit_price": "0.01"},
                                   {"line_total": "0.01"}])
def test_a_client_price_is_refused(service, menu, customer, extra, db):
    data = order_data(menu, ("laksa", 1))
    data["items"][0].update(extra)
    with pytest.raises(InvalidInput) as refused:
        service.create_order(customer, data)
    assert refused.value.details["fields"] == {"items": {"0": {
        next(iter(extra)): ["Unknown field."]}}}
    with pytest.raises(InvalidInput):
        service.create_order(customer, {**order_data(menu, ("laksa", 1)), "total": "1.00"})
    assert count_rows(db, Order) == 0


@pytest.mark.parametrize("quantity", [0, 21])
def test_quantities_beyond_1_to_20_are_refused(service, menu, customer, quantity):
    with pytest.raises(InvalidInput):
        place_order(service, menu, customer, ("laksa", quantity))
    assert place_order(service, menu, customer, ("laksa", 20))["total"] == "258.00"


def test_a_retried_create_returns_the_first_order_and_announces_it_once(
        service, catalog, menu, customer, events, db):
    first = place_order(service, menu, customer, ("laksa", 1), idempotency_key="order-1")
    again = place_order(service, menu, customer, ("laksa", 1), idempotency_key="order-1")
    assert again == first
    # even once the menu changed: the retry is the first order, not a new pricing
    catalog.update_dish(menu["laksa"]["id"], {"is_available": False})
    assert place_order(service, menu, customer, ("laksa", 1), idempotency_key="order-1") == first
    assert count_rows(db, Order) == 1
    assert [e["event_type"] for e in published(service, menu, events)] == ["order_created"]

    with pytest.raises(Conflict):  # the same key for another order
        place_order(service, menu, customer, ("teh", 1), idempotency_key="order-1")
    with pytest.raises(Conflict):  # or by another customer: never their order
        place_order(service, menu, str(uuid.uuid4()), ("teh", 1), idempotency_key="order-1")


# --- the status machine --------------------------------------------------------------------------

def test_the_owner_moves_an_order_to_delivered_one_event_a_step(service, menu, customer,
                                                                 events, db):
    order = place_order(service, menu, customer, ("laksa", 2))
    previous = "PENDING"
    for version, new_status in enumerate(FLOW, start=2):
        moved = service.change_status(order["id"], new_status, menu["owner"])
        assert (moved["status"], moved["version"]) == (new_status, version)
        assert moved["updated_at"] > order["updated_at"]
        assert moved["items"] == order["items"]
        previous = new_status

    assert previous == "DELIVERED"
    parsed = published(service, menu, events)
    assert [e["event_type"] for e in parsed] == ["order_created"] + [
        "order_status_changed"] * len(FLOW)
    changes = [e["payload"] for e in parsed[1:]]
    assert [(c["previous_status"], c["new_status"], c["version"]) for c in changes] == list(
        zip(["PENDING"] + FLOW[:-1], FLOW, range(2, 7), strict=True))
    for change in changes:
        assert (change["order_id"], change["customer_id"], change["restaurant_id"]) == (
            order["id"], customer, menu["restaurant"]["id"])
        assert (change["actor_id"], change["actor_role"]) == (menu["owner"], "owner")
        assert (change["total"], change["currency"]) == ("25.80", "MYR")
    assert [c["changed_at"] for c in changes] == sorted(c["changed_at"] for c in changes)
    assert changes[-1]["changed_at"] == service.get_order(order["id"], customer)["updated_at"]
    assert status_changes(db, order["id"]) == [(1, None, "PENDING", "customer")] + [
        (v, p, n, "owner") for v, p, n in zip(range(2, 7), ["PENDING"] + FLOW[:-1], FLOW,
                                               strict=True)]


@pytest.mark.parametrize(("path", "illegal"), [
    ([], "READY"),                      # a skip
    ([], "PENDING"),                    # the same status again
    (["CONFIRMED", "PREPARING"], "CONFIRMED"),  # a step back
    (["CONFIRMED", "PREPARING", "READY"], "CANCELLED"),  # too late to cancel
    (FLOW, "CANCELLED"),                # delivered is final
])
def test_illegal_moves_are_conflicts_and_change_nothing(service, menu, customer, events, path,
                                                         illegal):
    order = place_order(service, menu, customer)
    for new_status in path:
        service.change_status(order["id"], new_status, menu["owner"])
    before = service.get_order(order["id"], customer)
    events.take(1 + len(path))
    with pytest.raises(Conflict) as refused:
        service.change_status(order["id"], illegal, menu["owner"])
    assert refused.value.details["current_status"] == before["status"]
    assert service.get_order(order["id"], customer) == before
    assert published(service, menu, events) == []


@pytest.mark.parametrize("path", [[], ["CONFIRMED"], ["CONFIRMED", "PREPARING"]])
def test_the_customer_may_cancel_until_preparing(service, menu, customer, path, events):
    order = place_order(service, menu, customer)
    for new_status in path:
        service.change_status(order["id"], new_status, menu["owner"])
    cancelled = service.change_status(order["id"], "CANCELLED", customer)
    assert (cancelled["status"], cancelled["version"]) == ("CANCELLED", len(path) + 2)
    change = published(service, menu, events)[-1]["payload"]
    assert (change["actor_id"], change["actor_role"], change["new_status"]) == (
        customer, "customer", "CANCELLED")
    with pytest.raises(Conflict):  # once is enough
        service.change_status(order["id"], "CANCELLED", customer)


@pytest.mark.parametrize("path", [FLOW[:3], FLOW[:4], FLOW])
def test_the_customer_may_not_cancel_after_preparing(service, menu, customer, path):
    order = place_order(service, menu, customer)
    for new_status in path:
        service.change_status(order["id"], new_status, menu["owner"])
    with pytest.raises(Conflict):
        service.change_status(order["id"], "CANCELLED", customer)
    assert service.get_order(order["id"], customer)["status"] == path[-1]


def test_the_customer_may_not_move_an_order_forward(service, menu, customer):
    order = place_order(service, menu, customer)
    for new_status in FLOW:
        with pytest.raises(Forbidden):
            service.change_status(order["id"], new_status, customer)
    assert service.get_order(order["id"], customer)["version"] == 1


def test_the_owner_may_cancel(service, menu, customer):
    order = place_order(service, menu, customer)
    service.change_status(order["id"], "CONFIRMED", menu["owner"])
    assert service.change_status(order["id"], "CANCELLED", menu["owner"])["status"] == "CANCELLED"


def test_an_admin_may_make_any_allowed_move(service, menu, customer, events):
    admin = str(uuid.uuid4())
    delivered = place_order(service, menu, customer)
    for new_status in FLOW:
        service.change_status(delivered["id"], new_status, admin, is_admin=True)
    cancelled = place_order(service, menu, customer)
    service.change_status(cancelled["id"], "CONFIRMED", None, is_admin=True)
    service.change_status(cancelled["id"], "CANCELLED", admin, True)
    changes = [e["payload"] for e in published(service, menu, events)
               if e["event_type"] == "order_status_changed"]
    assert len(changes) == len(FLOW) + 2
    assert {c["actor_role"] for c in changes} == {"admin"}
    assert changes[len(FLOW)]["actor_id"] is None
    with pytest.raises(Conflict):  # the machine binds admins too
        service.change_status(delivered["id"], "CANCELLED", admin, True)


def test_strangers_see_no_order_and_move_none(service, menu, customer, events):
    order = place_order(service, menu, customer)
    stranger = str(uuid.uuid4())
    for actor in (stranger, None):
        with pytest.raises(NotFound):
            service.get_order(order["id"], actor)
        for new_status in ("CONFIRMED", "CANCELLED"):
            with pytest.raises(NotFound):
                service.change_status(order["id"], new_status, actor)
    for call in (lambda: service.get_order(str(uuid.uuid4()), customer, True),
                 lambda: service.change_status(str(uuid.uuid4()), "CONFIRMED", customer, True)):
        with pytest.raises(NotFound):
            call()
    assert service.get_order(order["id"], menu["owner"])["id"] == order["id"]
    assert service.get_order(order["id"], stranger, is_admin=True)["id"] == order["id"]
    assert [e["event_type"] for e in published(service, menu, events)] == ["order_created"]


@pytest.mark.parametrize(("call", "field"), [
    (lambda s, o, c: s.get_order("nope", c), "order_id"),
    (lambda s, o, c: s.get_order(o, "nope"), "actor_id"),
    (lambda s, o, c: s.get_order(o, c, "true"), "is_admin"),
    (lambda s, o, c: s.change_status(o, "SHIPPED", c), "status"),
    (lambda s, o, c: s.change_status(o, "CANCELLED", c, 1), "is_admin"),
    (lambda s, o, c: s.list_orders(c, limit=101), "limit"),
    (lambda s, o, c: s.list_orders(c, offset=-1), "offset"),
])
def test_malformed_arguments_are_invalid(service, menu, customer, call, field):
    order = place_order(service, menu, customer)
    with pytest.raises(InvalidInput) as refused:
        call(service, order["id"], customer)
    assert field in refused.value.details["fields"]


def test_a_retried_status_change_applies_once(service, menu, customer, events):
    order = place_order(service, menu, customer)
    first = service.change_status(order["id"], "CONFIRMED", menu["owner"],
                                  idempotency_key="confirm-1")
    again = service.change_status(order["id"], "CONFIRMED", menu["owner"],
                                  idempotency_key="confirm-1")
    assert again == first and first["version"] == 2
    assert [e["event_type"] for e in published(service, menu, events)] == [
        "order_created", "order_status_changed"]


# --- reads ---------------------------------------------------------------------------------------

def test_a_customer_lists_their_own_orders_newest_first_in_pages(service, menu, customer):
    placed = [place_order(service, menu, customer, ("teh", n)) for n in range(1, 6)]
    place_order(service, menu, str(uuid.uuid4()))  # someone else's
    newest_first = [order["id"] for order in reversed(placed)]

    first = service.list_orders(customer, limit=2)
    assert (first["count"], first["total"], first["next_offset"]) == (2, 5, 2)
    assert [order["id"] for order in first["items"]] == newest_first[:2]
    assert first["items"][0] == placed[-1]
    rest = service.list_orders(customer, limit=2, offset=2)["items"] + service.list_orders(
        customer, limit=2, offset=4)["items"]
    assert [order["id"] for order in rest] == newest_first[2:]
    last = service.list_orders(customer, limit=2, offset=4)
    assert (last["count"], last["next_offset"]) == (1, None)
    assert service.list_orders(customer)["count"] == 5
    assert service.list_orders(str(uuid.uuid4())) == {
        "items": [], "count": 0, "total": 0, "total_is_estimate": False, "next_offset": None,
                                                      "next_cursor": None}


# --- concurrency ---------------------------------------------------------------------------------

def test_concurrent_identical_moves_apply_once(service, menu, customer, events):
    order = place_order(service, menu, customer)
    replies = [service.change_status.call_async(order["id"], "CONFIRMED", menu["owner"])
               for _ in range(8)]
    outcomes = []
    for reply in replies:
        try:
            outcomes.append(reply.result()["version"])
        except Conflict:
            outcomes.append("conflict")
    assert sorted(outcomes, key=str) == [2] + ["conflict"] * 7
    assert [e["event_type"] for e in published(service, menu, events)] == [
        "order_created", "order_status_changed"]


def test_concurrent_changes_of_one_order_never_skip_a_version(service, menu, customer,
                                                               events, db):
    """Owner and customer race with every move at once: whatever wins, each order's changes
    are versions 1..n, each starting where the previous ended, one event each."""
    placed = [place_order(service, menu, customer) for _ in range(6)]
    attempts = [("CONFIRMED", menu["owner"]), ("CANCELLED", customer),
                ("PREPARING", menu["owner"]), ("CONFIRMED", menu["owner"]),
                ("READY", menu["owner"]), ("CANCELLED", menu["owner"])]
    replies = [service.change_status.call_async(order["id"], new_status, actor)
               for order in placed for new_status, actor in attempts]
    applied = 0
    for reply in replies:
        try:
            reply.result()
            applied += 1
        except Conflict:
            pass
    assert applied >= len(placed)  # the first change of each order always applies

    for order in placed:
        history = status_changes(db, order["id"])
        assert [version for version, *_ in history] == list(range(1, len(history) + 1))
        for (_, _, before, _), (_, previous, _, _) in zip(history, history[1:], strict=False):
            assert previous == before
        current = service.get_order(order["id"], customer)
        assert (current["version"], current["status"]) == (len(history), history[-1][2])
    parsed = published(service, menu, events)
    changes = [e["payload"] for e in parsed if e["event_type"] == "order_status_changed"]
    assert len(changes) == applied
    assert sorted((c["order_id"], c["version"]) for c in changes) == sorted(
        (order["id"], version) for order in placed
        for version in range(2, len(status_changes(db, order["id"])) + 1))


def test_amounts_are_exact_decimals_in_the_database(service, menu, customer, db):
    order = place_order(service, menu, customer, ("laksa", 7), ("teh", 3))
    with db.connect() as conn:
        subtotal, total = conn.execute(select(Order.subtotal, Order.total)
                                       .where(Order.id == order["id"])).one()
        outbox = conn.execute(select(outbox_table.c.event_type)).scalars().all()
    assert subtotal == total == Decimal("97.35")
    assert outbox == ["order_created"]
