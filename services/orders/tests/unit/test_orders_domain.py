"""Order pricing, totals and request validation, without I/O."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from services.orders.contract.events import OrderCreatedPayload, OrderStatusChangedPayload
from services.orders.contract.rpc import OrderInput, OrderStatusInput
from services.orders.domain.orders import order_total, price_lines
from shared.errors import InvalidInput
from shared.schemas import load

PLACE = uuid.uuid4()
ELSEWHERE = uuid.uuid4()


def catalog_dish(name: str, price: str, restaurant_id=PLACE, available: bool = True) -> dict:
    """A dish as the catalog's DishSchema dumps it (ids and prices as strings)."""
    return {"id": str(uuid.uuid4()), "restaurant_id": str(restaurant_id), "name": name,
            "price": price, "is_available": available, "dish_type": "laksa"}


def item(dish: dict, quantity: int) -> dict:
    return {"dish_id": uuid.UUID(dish["id"]), "quantity": quantity}


# --- pricing -------------------------------------------------------------------------------------

def test_lines_take_name_and_price_from_the_catalog_and_totals_are_exact():
    laksa, teh = catalog_dish("Laksa", "12.90"), catalog_dish("Teh Tarik", "0.10")
    lines = price_lines(PLACE, [item(laksa, 3), item(teh, 7)], [teh, laksa])
    assert lines == [
        {"dish_id": uuid.UUID(laksa["id"]), "dish_name": "Laksa", "unit_price": Decimal("12.90"),
         "quantity": 3, "line_total": Decimal("38.70")},
        {"dish_id": uuid.UUID(teh["id"]), "dish_name": "Teh Tarik",
         "unit_price": Decimal("0.10"), "quantity": 7, "line_total": Decimal("0.70")},
    ]
    total = order_total(lines)
    assert total == Decimal("39.40") and str(total) == "39.40"  # a float sum would not be


def test_a_total_of_many_small_prices_stays_exact():
    dishes = [catalog_dish(f"Kuih {n}", "0.10") for n in range(50)]
    lines = price_lines(PLACE, [item(dish, 20) for dish in dishes], dishes)
    assert order_total(lines) == Decimal("100.00")
    assert str(order_total([])) == "0.00"


def test_free_dishes_are_priced_at_zero():
    water = catalog_dish("Air Kosong", "0.00")
    assert order_total(price_lines(PLACE, [item(water, 2)], [water])) == Decimal("0.00")


def test_unknown_foreign_and_unavailable_dishes_are_each_refused_by_index():
    good = catalog_dish("Laksa", "12.00")
    foreign = catalog_dish("Roti", "2.00", restaurant_id=ELSEWHERE)
    sold_out = catalog_dish("Cendol", "4.00", available=False)
    unknown = {"dish_id": uuid.uuid4(), "quantity": 1}
    with pytest.raises(InvalidInput) as refused:
        price_lines(PLACE, [item(good, 1), unknown, item(foreign, 1), item(sold_out, 1)],
                    [good, foreign, sold_out])
    assert refused.value.details == {"fields": {"items": {
        1: {"dish_id": ["no such dish"]},
        2: {"dish_id": ["this dish is not on this restaurant's menu"]},
        3: {"dish_id": ["this dish is not available"]},
    }}}


# --- what a create accepts -----------------------------------------------------------------------

def order(**overrides) -> dict:
    return {"restaurant_id": str(PLACE),
            "items": [{"dish_id": str(uuid.uuid4()), "quantity": 1}], **overrides}


def refused_fields(data: dict) -> dict:
    with pytest.raises(InvalidInput) as refused:
        load(OrderInput(), data)
    return refused.value.details["fields"]


def test_a_valid_order_loads_with_uuids_and_no_notes_by_default():
    loaded = load(OrderInput(), order())
    assert loaded["restaurant_id"] == PLACE
    assert isinstance(loaded["items"][0]["dish_id"], uuid.UUID)
    assert loaded["notes"] is None


@pytest.mark.parametrize("field", ["price", "unit_price", "total", "line_total"])
def test_a_client_price_on_an_item_is_refused(field):
    data = order(items=[{"dish_id": str(uuid.uuid4()), "quantity": 1, field: "0.01"}])
    assert refused_fields(data) == {"items": {0: {field: ["Unknown field."]}}}


@pytest.mark.parametrize("field", ["total", "subtotal", "status", "customer_id", "currency"])
def test_a_client_total_or_status_on_the_order_is_refused(field):
    assert refused_fields(order(**{field: "1.00"})) == {field: ["Unknown field."]}


@pytest.mark.parametrize("quantity", [0, -1, 21, 1.5, "2", True, None])
def test_quantities_are_whole_numbers_from_1_to_20(quantity):
    data = order(items=[{"dish_id": str(uuid.uuid4()), "quantity": quantity}])
    assert "quantity" in refused_fields(data)["items"][0]


@pytest.mark.parametrize("quantity", [1, 20])
def test_quantity_bounds_are_accepted(quantity):
    data = order(items=[{"dish_id": str(uuid.uuid4()), "quantity": quantity}])
    assert load(OrderInput(), data)["items"][0]["quantity"] == quantity


def test_an_order_has_1_to_50_items():
    assert "items" in refused_fields(order(items=[]))
    assert "items" in refused_fields({"restaurant_id": str(PLACE)})
    many = [{"dish_id": str(uuid.uuid4()), "quantity": 1} for _ in range(51)]
    assert "items" in refused_fields(order(items=many))
    assert len(load(OrderInput(), order(items=many[:50]))["items"]) == 50


def test_a_dish_twice_is_refused_not_merged():
    dish_id = str(uuid.uuid4())
    data = order(items=[{"dish_id": dish_id, "quantity": 2},
                        {"dish_id": str(uuid.uuid4()), "quantity": 1},
                        {"dish_id": dish_id, "quantity": 1}])
    assert refused_fields(data) == {"items": {2: {"dish_id": [
        "this dish is already in the order"]}}}


def test_notes_are_at_most_500_characters():
    assert load(OrderInput(), order(notes="x" * 500))["notes"] == "x" * 500
    assert "notes" in refused_fields(order(notes="x" * 501))
    assert "notes" in refused_fields(order(notes="no\x00nul"))


@pytest.mark.parametrize("bad", [{"restaurant_id": "nope"}, {"restaurant_id": None},
                                 {"items": "laksa"}, {"items": [{"quantity": 1}]}])
def test_malformed_orders_are_refused(bad):
    assert refused_fields(order(**bad))


def test_a_status_change_names_a_known_status():
    assert load(OrderStatusInput(), {"status": "READY"}) == {"status": "READY"}
    for bad in ("ready", "SHIPPED", "", None, 3):
        with pytest.raises(InvalidInput):
            load(OrderStatusInput(), {"status": bad})


# --- event payloads ------------------------------------------------------------------------------

def test_event_payloads_load_back_and_ignore_unknown_fields():
    created = {
        "order_id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4()),
        "restaurant_id": str(PLACE), "restaurant_owner_id": None, "status": "PENDING",
        "version": 1, "total": "10.50", "currency": "MYR", "created_at":
        "2026-01-01T10:00:00+00:00", "later_field": 1,
        "items": [{"dish_id": str(uuid.uuid4()), "dish_name": "Laksa", "quantity": 1,
                   "unit_price": "10.50", "line_total": "10.50"}],
    }
    loaded = OrderCreatedPayload().load(created)
    assert loaded["total"] == Decimal("10.50") and "later_field" not in loaded
    changed = {
        "order_id": created["order_id"], "customer_id": created["customer_id"],
        "restaurant_id": str(PLACE), "previous_status": "PENDING", "new_status": "CONFIRMED",
        "version": 2, "actor_id": None, "actor_role": "admin", "total": "10.50",
        "currency": "MYR", "changed_at": "2026-01-01T10:05:00+00:00",
    }
    assert OrderStatusChangedPayload().load(changed)["version"] == 2
