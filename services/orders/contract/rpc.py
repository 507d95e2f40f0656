"""What the orders RPCs accept (strictly: a client never sends a price) and answer (SPEC §6).

The status machine itself (which move is allowed, who may ask for it) is the orders
service's domain; its values are here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared.schemas import (
    NOT_BLANK,
    Cursor,
    Money,
    PagedQuery,
    StrictBoolean,
    UtcDateTime,
    paging_fields,
)

PENDING = "PENDING"
CONFIRMED = "CONFIRMED"
PREPARING = "PREPARING"
READY = "READY"
OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
DELIVERED = "DELIVERED"
CANCELLED = "CANCELLED"
STATUSES = (PENDING, CONFIRMED, PREPARING, READY, OUT_FOR_DELIVERY, DELIVERED, CANCELLED)

# who the actor of a status change is to the order
CUSTOMER = "customer"
OWNER = "owner"
ADMIN = "admin"
ROLES = (CUSTOMER, OWNER, ADMIN)

MAX_ITEMS = 50
MAX_QUANTITY = 20
MAX_NOTES_LENGTH = 500
# where to deliver, as the customer writes it (lines, a unit, a landmark): bounded text,
# not a structured address (SPEC §6), so any country's way of writing one fits
MAX_DELIVERY_ADDRESS_LENGTH = 500
ORDERS_PAGE = {"default_limit": 20, "max_limit": 100}
# a customer's orders, newest first, as its cursor holds them: created_at, then id
CUSTOMER_ORDERS_ORDER = ("customer_orders", (datetime, uuid.UUID))
# a restaurant's orders (its inbox), newest first: created_at, then id
RESTAURANT_ORDERS_ORDER = ("restaurant_orders", (datetime, uuid.UUID))
# hours are counted one row per status: a metrics read is bounded
MAX_METRICS_RANGE = timedelta(days=31)
# the window of a metrics read that names none (SPEC §6: the last 24 hours)
DEFAULT_METRICS_WINDOW = timedelta(hours=24)


def default_metrics_window(start: datetime | None, end: datetime | None,
                           now: datetime) -> tuple[datetime, datetime]:
    """A metrics window with what was not given filled in: `end` is now, `start` is
    DEFAULT_METRICS_WINDOW before `end` (so neither: the last 24 hours), or the earliest
    time there is for an `end` less than that after it."""
    end = now if end is None else end
    if start is None:
        try:
            start = end - DEFAULT_METRICS_WINDOW
        except OverflowError:
            start = datetime.min.replace(tzinfo=UTC)
    return start, end


def metrics_window_errors(start, end, start_name: str = "start",
                          end_name: str = "end") -> dict[str, list[str]]:
    """What is wrong with a metrics window [start, end], by field: reversed, or longer
    than MAX_METRICS_RANGE ({} when it is fine)."""
    if end < start:
        return {end_name: [f"must not be before {start_name}"]}
    if end - start > MAX_METRICS_RANGE:
        return {end_name: [f"the range may span at most {MAX_METRICS_RANGE.days} days"]}
    return {}


# --- what orders accepts ---------------------------------------------------------------------

class OrderItemInput(Schema):
    """A line of a new order. No price: prices come from the catalog (a `price` is unknown)."""

    class Meta:
        unknown = RAISE

    dish_id = fields.UUID(required=True)
    quantity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=1, max=MAX_QUANTITY))


class OrderInput(Schema):
    class Meta:
        unknown = RAISE

    restaurant_id = fields.UUID(required=True)
    items = fields.List(fields.Nested(OrderItemInput), required=True,
                        validate=validate.Length(min=1, max=MAX_ITEMS))
    notes = fields.String(allow_none=True, load_default=None,
                          validate=validate.Length(max=MAX_NOTES_LENGTH))
    # optional: an order without one is collected (or delivered as agreed otherwise)
    delivery_address = fields.String(allow_none=True, load_default=None, validate=[
        validate.Length(min=1, max=MAX_DELIVERY_ADDRESS_LENGTH), NOT_BLANK])

    @validates_schema
    def each_dish_once(self, data, **kwargs):
        """One line per dish, its quantity saying how many: a repeated dish is refused rather
        than merged, as merging could pass the quantity limit the client never saw broken."""
        seen = set()
        repeated = {}
        for index, item in enumerate(data.get("items") or []):
            if item["dish_id"] in seen:
                repeated[index] = {"dish_id": ["this dish is already in the order"]}
            seen.add(item["dish_id"])
        if repeated:
            raise ValidationError({"items": repeated})


class OrderStatusInput(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


class OrdersQuery(PagedQuery):
    limit, offset = paging_fields(**ORDERS_PAGE).values()
    cursor = Cursor(*CUSTOMER_ORDERS_ORDER)


class RestaurantOrdersQuery(PagedQuery):
    """A restaurant's inbox: its orders, newest first, of one status or of all."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    limit, offset = paging_fields(**ORDERS_PAGE).values()
    cursor = Cursor(*RESTAURANT_ORDERS_ORDER)


class HistoryQueryInput(Schema):
    class Meta:
        unknown = RAISE

    order_id = fields.UUID(required=True)
    actor_id = fields.UUID(load_default=None, allow_none=True)
    # a real boolean only: the string "false" must never grant anything
    is_admin = StrictBoolean(load_default=False)


class MetricsRangeInput(Schema):
    """Hours from `start` to `end` (ISO datetimes; one without an offset is UTC), at most
    MAX_METRICS_RANGE apart."""

    class Meta:
        unknown = RAISE

    start = UtcDateTime(required=True)
    end = UtcDateTime(required=True)

    @validates_schema
    def bounded(self, data: dict, **kwargs) -> None:
        if errors := metrics_window_errors(data["start"], data["end"]):
            raise ValidationError(errors)


class ReconcileInput(Schema):
    class Meta:
        unknown = RAISE

    window_hours = fields.Float(load_default=None, allow_none=True, validate=validate.Range(
        min=0, min_inclusive=False, max=MAX_METRICS_RANGE.days * 24))


# --- what orders answers ---------------------------------------------------------------------

class OrderLineSchema(Schema):
    dish_id = fields.UUID(required=True)
    dish_name = fields.String(required=True)  # as the catalog named it when ordered
    quantity = fields.Integer(required=True)
    unit_price = Money(required=True)  # the catalog's price when ordered
    line_total = Money(required=True)


class OrderSchema(Schema):
    id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    restaurant_owner_id = fields.UUID(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = fields.Integer(required=True)  # 1 at creation, +1 per status change
    items = fields.List(fields.Nested(OrderLineSchema), required=True)
    subtotal = Money(required=True)
    total = Money(required=True)
    currency = fields.String(required=True)
    notes = fields.String(required=True, allow_none=True)
    delivery_address = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class StatusChangeSchema(Schema):
    version = fields.Integer(required=True)
    # None at creation; an enum must list null itself for a nullable field (OpenAPI 3.0.3)
    previous_status = fields.String(required=True, allow_none=True,
                                    validate=validate.OneOf([*STATUSES, None]))
    new_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    actor_id = fields.UUID(required=True, allow_none=True)
    actor_role = fields.String(required=True, validate=validate.OneOf(ROLES))
    changed_at = fields.AwareDateTime(required=True)
    metadata = fields.Dict(required=True)  # total, currency at the time


class StatusMetricSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    hour = fields.String(required=True)  # yyyy-mm-dd-hh, UTC
    count = fields.Integer(required=True)  # orders that reached the status in that hour
    total_value = Money(required=True)  # their totals


# get_order_history answers a page (shared.schemas.page) of StatusChangeSchema, most
# recent first; get_status_metrics a page of StatusMetricSchema: each whole, in one page

