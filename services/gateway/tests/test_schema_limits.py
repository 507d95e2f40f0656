"""Input limits of the gateway's own schemas (issue #7): views, engagement, orders, and the
analytics and orders queries. Each bounded, at the limit accepted and one past it refused;
unknown and read-only fields refused by name (422 for bodies, 400 for query strings). The
catalog's and rankings' bodies, which the gateway forwards, are their services' schemas
and are tested there. No service runs here."""

from __future__ import annotations

import uuid

import pytest

from services.gateway import schemas
from services.gateway.schemas import (
    MAX_NOTES,
    MAX_ORDER_ITEMS,
    MAX_QUANTITY,
    ORDERS_PAGE,
    TOP_LIMIT,
    DashboardQuery,
    EngagementInput,
    OrderInput,
    OrderItemInput,
    OrderMetricsQuery,
    OrdersQuery,
    OrderStatusInput,
    TopQuery,
    TrackViewInput,
    TrendingDishesQuery,
    TrendingRestaurantsQuery,
)
from services.orders import models as orders_models
from services.orders.schemas import orders as orders_schemas
from shared.schemas import MAX_OFFSET
from shared.tests.input_limits import (
    accepted,
    is_query,
    refused,
    schema_limit_tests,
)


def line(quantity: int = 1, **extra) -> dict:
    return {"dish_id": str(uuid.uuid4()), "quantity": quantity, **extra}


def lines(count: int) -> list[dict]:
    return [line() for _ in range(count)]


# a valid example of everything the gateway checks itself: a new input schema needs one here
VALID = {
    TrackViewInput: {},
    EngagementInput: {"entity_type": "dish", "entity_id": str(uuid.uuid4()),
                      "engagement_type": "share"},
    OrderItemInput: line(),
    OrderInput: {"restaurant_id": str(uuid.uuid4()), "items": [line()]},
    OrderStatusInput: {"status": "CANCELLED"},
    DashboardQuery: {},
    TrendingRestaurantsQuery: {},
    TrendingDishesQuery: {"city": "Ipoh"},
    TopQuery: {},
    OrdersQuery: {},
    OrderMetricsQuery: {"from": "2024-05-01T00:00:00Z", "to": "2024-05-02T00:00:00Z"},
}
METRICS = VALID[OrderMetricsQuery]

# schema, field, the largest accepted value, the smallest refused one
LIMITS = [
    (TrackViewInput, "anonymous_id", "a" * 64, "a" * 65),
    (TrackViewInput, "device_type", "desktop", "smart-fridge"),
    (OrderInput, "items", lines(MAX_ORDER_ITEMS), lines(MAX_ORDER_ITEMS + 1)),
    (OrderInput, "items", [line(MAX_QUANTITY)], [line(MAX_QUANTITY + 1)]),
    (OrderInput, "notes", "n" * MAX_NOTES, "n" * (MAX_NOTES + 1)),
    (OrderItemInput, "quantity", MAX_QUANTITY, MAX_QUANTITY + 1),
    (OrderItemInput, "quantity", 1, 2**63),
    (DashboardQuery, "period", "year", "decade"),
    (TrendingRestaurantsQuery, "limit", str(TOP_LIMIT["max"]), str(TOP_LIMIT["max"] + 1)),
    (TrendingDishesQuery, "city", "c" * 100, "c" * 101),
    (TrendingDishesQuery, "limit", "1", "0"),
    (TopQuery, "limit", str(TOP_LIMIT["max"]), "99999999999999999999"),
    (OrdersQuery, "limit", str(ORDERS_PAGE["max_limit"]), str(ORDERS_PAGE["max_limit"] + 1)),
    (OrdersQuery, "offset", str(MAX_OFFSET), "99999999999999999999"),
]

NOW = "2024-01-01T00:00:00Z"
# who views, engages or orders is the caller's identity; prices and totals the catalog's
READ_ONLY = [
    (TrackViewInput, "user_id", str(uuid.uuid4())),
    (TrackViewInput, "restaurant_id", str(uuid.uuid4())),
    (TrackViewInput, "viewed_at", NOW),
    (EngagementInput, "user_id", str(uuid.uuid4())),
    (EngagementInput, "count", 1000),
    (OrderItemInput, "price", "0.01"),
    (OrderItemInput, "unit_price", "0.01"),
    (OrderItemInput, "line_total", "0.01"),
    (OrderInput, "total", "0.01"),
    (OrderInput, "subtotal", "0.01"),
    (OrderInput, "currency", "XXX"),
    (OrderInput, "status", "DELIVERED"),
    (OrderInput, "id", str(uuid.uuid4())),
    (OrderInput, "customer_id", str(uuid.uuid4())),
    (OrderInput, "created_at", NOW),
    (OrderStatusInput, "actor_id", str(uuid.uuid4())),
    (OrderStatusInput, "version", 7),
]

globals().update(schema_limit_tests((schemas,), VALID, LIMITS, READ_ONLY))


@pytest.mark.parametrize(("window", "fields"), [
    ({"from": "0001-01-01T00:00:00+01:00", "to": "0001-01-02T00:00:00+01:00"}, ["from"]),
    ({"from": "9999-12-31T20:00:00-12:00", "to": "9999-12-31T21:00:00-12:00"}, ["from", "to"]),
])
def test_a_metrics_window_utc_cannot_hold_is_a_400_not_an_overflow(window, fields):
    """Before UtcDateTime these loaded, and turning them into UTC on the way to the orders
    service raised OverflowError: a 500."""
    assert refused(OrderMetricsQuery, window) == {field: ["out of range"] for field in fields}


def test_the_earliest_metrics_window_utc_holds_is_accepted():
    earliest = {"from": "0001-01-01T01:00:00+01:00", "to": "0001-01-02T00:00:00+01:00"}
    assert accepted(OrderMetricsQuery, earliest)["from"].isoformat() == "0001-01-01T00:00:00+00:00"


def test_a_metrics_window_is_at_most_31_days():
    accepted(OrderMetricsQuery, {**METRICS, "to": "2024-06-01T00:00:00Z"})
    assert refused(OrderMetricsQuery, {**METRICS, "to": "2024-06-01T00:00:01Z"}) == {
        "to": ["at most 31 days at a time"]}


@pytest.mark.parametrize("schema", [s for s in VALID if is_query(s)],
                         ids=lambda schema: schema.__name__)
def test_query_strings_ignore_parameters_they_do_not_declare(schema):
    assert accepted(schema, {**VALID[schema], "utm_source": "mail"}) == accepted(
        schema, VALID[schema])


def test_a_price_on_a_line_is_refused_where_it_is():
    order = {**VALID[OrderInput], "items": [line(), line(price="0.01")]}
    assert refused(OrderInput, order) == {"items": {1: {"price": ["Unknown field."]}}}


def test_the_order_limits_are_the_orders_services():
    """The gateway keeps its own copy (its image has no orders code): the same numbers."""
    assert (MAX_ORDER_ITEMS, MAX_QUANTITY, MAX_NOTES) == (
        orders_models.MAX_ITEMS, orders_models.MAX_QUANTITY, orders_models.MAX_NOTES_LENGTH)
    assert ORDERS_PAGE == orders_schemas.ORDERS_PAGE
