"""The events the catalog publishes (from its outbox, once their change committed)."""

from __future__ import annotations

from marshmallow import fields

from services.catalog.contract.rpc import DishSchema, RestaurantSchema
from shared.contract import EventType, Payload, event_types

PRODUCER = "catalog"


class RestaurantDeletedSchema(Payload):
    id = fields.UUID(required=True)


class DishDeletedSchema(Payload):
    id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    dish_type = fields.String(required=True)


# a restaurant or dish as the catalog's reads answer it, after the change
RESTAURANT_CREATED = EventType(PRODUCER, "restaurant_created", 1, RestaurantSchema)
RESTAURANT_UPDATED = EventType(PRODUCER, "restaurant_updated", 1, RestaurantSchema)
RESTAURANT_DELETED = EventType(PRODUCER, "restaurant_deleted", 1, RestaurantDeletedSchema)
DISH_CREATED = EventType(PRODUCER, "dish_created", 1, DishSchema)
DISH_UPDATED = EventType(PRODUCER, "dish_updated", 1, DishSchema)
DISH_DELETED = EventType(PRODUCER, "dish_deleted", 1, DishDeletedSchema)

EVENTS = event_types(RESTAURANT_CREATED, RESTAURANT_UPDATED, RESTAURANT_DELETED,
                     DISH_CREATED, DISH_UPDATED, DISH_DELETED)
