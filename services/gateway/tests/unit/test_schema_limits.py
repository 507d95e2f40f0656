"""Input limits of the gateway's own schemas (issue #7): a view a client reports, and the
orders metrics window as a query string names it. Each bounded, at the limit accepted and
one past it refused; unknown and read-only fields refused by name (422 for bodies, 400 for
query strings). Everything else the gateway validates is another service's contract
(services/<name>/contract), tested there; here, that the routes use those very schemas.
No service runs here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.analytics.contract import rpc as analytics
from services.catalog.contract import rpc as catalog
from services.gateway import schemas
from services.gateway.schemas import OrderMetricsQuery, TrackViewInput
from services.gateway.service import GatewayService
from services.orders.contract import rpc as orders
from services.rankings.contract import rpc as rankings
from shared.tests.input_limits import (
    accepted,
    input_schemas,
    is_query,
    refused,
    schema_limit_tests,
)

# a valid example of everything the gateway checks itself: a new input schema needs one here
VALID = {
    TrackViewInput: {},
    OrderMetricsQuery: {"from": "2024-05-01T00:00:00Z", "to": "2024-05-02T00:00:00Z"},
}
METRICS = VALID[OrderMetricsQuery]

# schema, field, the largest accepted value, the smallest refused one
LIMITS = [
    (TrackViewInput, "anonymous_id", "a" * 64, "a" * 65),
    (TrackViewInput, "device_type", "desktop", "smart-fridge"),
]

NOW = "2024-01-01T00:00:00Z"
# who views is the caller's identity
READ_ONLY = [
    (TrackViewInput, "user_id", str(uuid.uuid4())),
    (TrackViewInput, "restaurant_id", str(uuid.uuid4())),
    (TrackViewInput, "viewed_at", NOW),
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


def test_a_metrics_window_not_given_is_the_last_24_hours():
    last_day = accepted(OrderMetricsQuery, {})
    assert last_day["to"] - last_day["from"] == timedelta(hours=24)
    assert abs(last_day["to"] - datetime.now(UTC)) < timedelta(minutes=1)
    before = accepted(OrderMetricsQuery, {"to": "2024-05-02T00:00:00Z"})
    assert before["from"].isoformat() == "2024-05-01T00:00:00+00:00"
    # an end in year 1's first day: from its first moment, not an overflow
    earliest = accepted(OrderMetricsQuery, {"to": "0001-01-01T05:00:00Z"})
    assert earliest["from"].isoformat() == "0001-01-01T00:00:00+00:00"
    # a start alone runs to now: one in the future is after its end
    assert refused(OrderMetricsQuery, {"from": "2999-01-01T00:00:00Z"}) == {
        "to": ["must not be before from"]}


def test_a_metrics_window_is_in_order_and_at_most_what_the_orders_service_reads():
    accepted(OrderMetricsQuery, {**METRICS, "to": "2024-06-01T00:00:00Z"})
    assert refused(OrderMetricsQuery, {**METRICS, "to": "2024-06-01T00:00:01Z"}) == {
        "to": [f"the range may span at most {orders.MAX_METRICS_RANGE.days} days"]}
    assert refused(OrderMetricsQuery, {**METRICS, "to": "2024-04-30T00:00:00Z"}) == {
        "to": ["must not be before from"]}


@pytest.mark.parametrize("schema", [s for s in VALID if is_query(s)],
                         ids=lambda schema: schema.__name__)
def test_query_strings_ignore_parameters_they_do_not_declare(schema):
    assert accepted(schema, {**VALID[schema], "utm_source": "mail"}) == accepted(
        schema, VALID[schema])


def _route_schemas() -> set[type]:
    found = set()
    for attr in dir(GatewayService):
        for entrypoint in getattr(getattr(GatewayService, attr), "nameko_entrypoints", ()):
            doc = getattr(entrypoint, "doc", {})
            found |= {doc.get("query"), doc.get("body")} - {None}
    return found


def test_every_input_a_route_validates_is_the_gateways_own_or_a_contracts():
    """Never a copy: a copied schema drifts (the gateway's OrderInput once lacked the orders
    service's one-line-per-dish rule)."""
    contracts = set().union(*(input_schemas(module) for module in (
        analytics, catalog, orders, rankings)))
    own = input_schemas(schemas)
    stray = {schema.__name__ for schema in _route_schemas() - contracts - own}
    assert not stray, f"route inputs that are neither the gateway's nor a contract's: {stray}"
    assert orders.OrderInput in _route_schemas()


def test_an_order_naming_a_dish_twice_is_refused_at_the_gateway():
    line = {"dish_id": str(uuid.uuid4()), "quantity": 1}
    assert refused(orders.OrderInput, {"restaurant_id": str(uuid.uuid4()),
                                       "items": [line, line]}) == {
        "items": {1: {"dish_id": ["this dish is already in the order"]}}}
