"""The events the orders service publishes (from its outbox, once their change committed).

Orders consumes them itself too, for the status history in DynamoDB.
"""

from __future__ import annotations

from marshmallow import fields, validate

from services.orders.contract.rpc import ROLES, STATUSES
from shared.contract import EventType, Payload, event_types
from shared.schemas import Money

PRODUCER = "orders"



class OrderEventItemSchema(Payload):
    dish_id = fields.UUID(required=True)
    dish_name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = Money(required=True)
    line_total = Money(required=True)


class OrderCreatedPayload(Payload):
    """order_created: the order as placed (status PENDING, version 1)."""

    order_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    restaurant_owner_id = fields.UUID(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    total = Money(required=True)
    currency = fields.String(required=True)
    items = fields.List(fields.Nested(OrderEventItemSchema), required=True)
    created_at = fields.AwareDateTime(required=True)


class OrderStatusChangedPayload(Payload):
    """order_status_changed: one move of one order; `version` numbers its moves 2, 3, ..."""

    order_id = fields.UUID(required=True)
    customer_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    previous_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    new_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = fields.Integer(required=True, validate=validate.Range(min=2))
    actor_id = fields.UUID(required=True, allow_none=True)
    actor_role = fields.String(required=True, validate=validate.OneOf(ROLES))
    total = Money(required=True)
    currency = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)


ORDER_CREATED = EventType(PRODUCER, "order_created", 1, OrderCreatedPayload)
ORDER_STATUS_CHANGED = EventType(PRODUCER, "order_status_changed", 1,
                                 OrderStatusChangedPayload)

EVENTS = event_types(ORDER_CREATED, ORDER_STATUS_CHANGED)
