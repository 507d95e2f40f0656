"""Input limits of everything the orders service accepts (issue #7): lines, quantities,
notes, page sizes and metric ranges bounded, at the limit accepted and one past it refused;
prices, totals, ids and statuses a client might send refused by name (prices are the
catalog's: no mass assignment)."""

from __future__ import annotations

import uuid

import pytest

from services.orders.contract import rpc
from services.orders.contract.rpc import (
    MAX_DELIVERY_ADDRESS_LENGTH,
    MAX_ITEMS,
    MAX_NOTES_LENGTH,
    MAX_QUANTITY,
    HistoryQueryInput,
    MetricsRangeInput,
    OrderInput,
    OrderItemInput,
    OrdersQuery,
    OrderStatusInput,
    ReconcileInput,
    RestaurantOrdersQuery,
)
from shared.schemas import MAX_OFFSET
from shared.tests.input_limits import (
    accepted,
    refused,
    schema_limit_tests,
)


def line(quantity: int = 1, **extra) -> dict:
    return {"dish_id": str(uuid.uuid4()), "quantity": quantity, **extra}


def lines(count: int) -> list[dict]:
    return [line() for _ in range(count)]


# a valid example of everything orders accepts: a new input schema needs one here
VALID = {
    OrderInput: {"restaurant_id": str(uuid.uuid4()), "items": [line()]},
    OrderItemInput: line(),
    OrderStatusInput: {"status": "CANCELLED"},
    OrdersQuery: {},
    RestaurantOrdersQuery: {"status": "PENDING"},
    HistoryQueryInput: {"order_id": str(uuid.uuid4())},
    MetricsRangeInput: {"start": "2024-05-01T00:00:00Z", "end": "2024-05-02T00:00:00Z"},
    ReconcileInput: {},
}

# schema, field, the largest accepted value, the smallest refused one
LIMITS = [
    (OrderInput, "items", lines(MAX_ITEMS), lines(MAX_ITEMS + 1)),
    (OrderInput, "items", [line(MAX_QUANTITY)], [line(MAX_QUANTITY + 1)]),
    (OrderInput, "notes", "n" * MAX_NOTES_LENGTH, "n" * (MAX_NOTES_LENGTH + 1)),
    (OrderInput, "delivery_address", "a" * MAX_DELIVERY_ADDRESS_LENGTH,
     "a" * (MAX_DELIVERY_ADDRESS_LENGTH + 1)),
    (OrderItemInput, "quantity", MAX_QUANTITY, MAX_QUANTITY + 1),
    (OrderItemInput, "quantity", 1, 2**63),
    (OrdersQuery, "limit", "100", "101"),
    (OrdersQuery, "offset", str(MAX_OFFSET), "99999999999999999999"),
    (RestaurantOrdersQuery, "limit", "100", "101"),
    (RestaurantOrdersQuery, "offset", str(MAX_OFFSET), "99999999999999999999"),
    (ReconcileInput, "window_hours", 24 * 31, 24 * 31 + 0.01),
    (ReconcileInput, "window_hours", 0.01, float("nan")),
]

NOW = "2024-01-01T00:00:00Z"
# what the catalog prices, the service decides or the caller's identity says
READ_ONLY = [
    (OrderItemInput, "price", "0.01"),
    (OrderItemInput, "unit_price", "0.01"),
    (OrderItemInput, "line_total", "0.01"),
    (OrderItemInput, "dish_name", "Free Laksa"),
    (OrderInput, "total", "0.01"),
    (OrderInput, "subtotal", "0.01"),
    (OrderInput, "currency", "XXX"),
    (OrderInput, "status", "DELIVERED"),
    (OrderInput, "version", 7),
    (OrderInput, "id", str(uuid.uuid4())),
    (OrderInput, "customer_id", str(uuid.uuid4())),
    (OrderInput, "restaurant_owner_id", str(uuid.uuid4())),
    (OrderInput, "created_at", NOW),
    (OrderStatusInput, "actor_role", "admin"),
    (OrderStatusInput, "version", 7),
]

globals().update(schema_limit_tests((rpc,), VALID, LIMITS, READ_ONLY))


@pytest.mark.parametrize("field", ["price", "unit_price", "line_total"])
def test_a_price_on_any_line_of_an_order_is_refused_where_it_is(field):
    order = {**VALID[OrderInput], "items": [line(), line(**{field: "0.01"})]}
    assert refused(OrderInput, order) == {"items": {1: {field: ["Unknown field."]}}}


@pytest.mark.parametrize(("window", "field"), [
    ({"start": "0001-01-01T00:00:00+01:00", "end": "0001-01-02T00:00:00Z"}, "start"),
    ({"start": "9999-12-30T00:00:00Z", "end": "9999-12-31T23:00:00-12:00"}, "end"),
])
def test_a_metrics_range_utc_cannot_hold_is_refused(window, field):
    assert refused(MetricsRangeInput, window) == {field: ["out of range"]}


def test_the_widest_metrics_range_utc_holds_is_accepted():
    accepted(MetricsRangeInput, {"start": "0001-01-01T01:00:00+01:00",
                                 "end": "0001-01-02T00:00:00Z"})
    accepted(MetricsRangeInput, {"start": "9999-12-30T00:00:00Z",
                                 "end": "9999-12-31T23:59:59Z"})


def test_a_metrics_range_is_in_order_and_at_most_31_days():
    start = VALID[MetricsRangeInput]["start"]
    accepted(MetricsRangeInput, {"start": start, "end": "2024-06-01T00:00:00Z"})
    assert refused(MetricsRangeInput, {"start": start, "end": "2024-06-01T00:00:01Z"}) == {
        "end": ["the range may span at most 31 days"]}
    assert refused(MetricsRangeInput, {"start": start, "end": "2024-04-30T23:59:59Z"}) == {
        "end": ["must not be before start"]}


def test_a_delivery_address_is_optional_bounded_text_that_says_something():
    order = VALID[OrderInput]
    assert accepted(OrderInput, order)["delivery_address"] is None
    assert accepted(OrderInput, {**order, "delivery_address": None})["delivery_address"] is None
    written = "Unit 3-2, Blok B\n12 Jalan Sultan Idris Shah\n30000 Ipoh"  # lines as written
    assert accepted(OrderInput, {**order, "delivery_address": written})[
        "delivery_address"] == written
    for blank in ("", "   ", "\n\t"):
        assert list(refused(OrderInput, {**order, "delivery_address": blank})) == [
            "delivery_address"]
    assert list(refused(OrderInput, {**order, "delivery_address": {"street": "x"}})) == [
        "delivery_address"]


def test_an_inbox_is_of_one_status_the_machine_knows():
    assert accepted(RestaurantOrdersQuery, {"status": "CANCELLED"})["status"] == "CANCELLED"
    assert list(refused(RestaurantOrdersQuery, {"status": "pending"})) == ["status"]
