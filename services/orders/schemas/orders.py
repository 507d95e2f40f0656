"""Orders: what the orders service accepts (strictly: a client never sends a price), what it
answers, and the payloads of order_created and order_status_changed (dumped by the producer,
loaded by consumers, which ignore fields they do not know)."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.orders.domain.status import ROLES, STATUSES
from services.orders.models import MAX_ITEMS, MAX_NOTES_LENGTH, MAX_QUANTITY
from shared.schemas import QuerySchema, paging_fields

ORDERS_PAGE = {"default_limit": 20, "max_limit": 100}


def money(**kwargs) -> fields.Decimal:
    """An amount as a string with two places ("12.50"): exact, never a float."""
    return fields.Decimal(places=2, as_string=True, **kwargs)


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


class StatusChangeInput(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


class OrdersQuery(QuerySchema):
    limit, offset = paging_fields(**ORDERS_PAGE).values()


# --- what orders answers ---------------------------------------------------------------------

class OrderItemSchema(Schema):
    dish_id = fields.UUID()
    dish_name = fields.String()
    quantity = fields.Integer()
    unit_price = money()
    line_total = money()


class OrderSchema(Schema):
    id = fields.UUID()
    customer_id = fields.UUID()
    restaurant_id = fields.UUID()
    restaurant_owner_id = fields.UUID(allow_none=True)
    status = fields.String()
    version = fields.Integer(attribute="status_version")
    items = fields.List(fields.Nested(OrderItemSchema))
    subtotal = money()
    total = money()
    currency = fields.String()
    notes = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


# --- what orders announces -------------------------------------------------------------------

class OrderEventItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    dish_id = fields.UUID(required=True)
    dish_name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = money(required=True)
    line_total = money(required=True)


class OrderCreatedPayload(Schema):
    """order_created: the order as placed (status PENDING, version 1)."""

    class Meta:
        unknown = EXCLUDE

    order_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    restaurant_owner_id = fields.UUID(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    total = money(required=True)
    currency = fields.String(required=True)
    items = fields.List(fields.Nested(OrderEventItemSchema), required=True)
    created_at = fields.AwareDateTime(required=True)


class OrderStatusChangedPayload(Schema):
    """order_status_changed: one move of one order; `version` numbers its moves 2, 3, ..."""

    class Meta:
        unknown = EXCLUDE

    order_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    previous_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    new_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = fields.Integer(required=True, validate=validate.Range(min=2))
    actor_id = fields.UUID(required=True, allow_none=True)
    actor_role = fields.String(required=True, validate=validate.OneOf(ROLES))
    total = money(required=True)
    currency = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)
