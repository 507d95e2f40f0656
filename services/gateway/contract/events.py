"""The view events the gateway publishes: who looked at what, from which device.

They are not in an outbox (the gateway keeps nothing): best effort, except the views a
client reports itself (`POST /restaurants/{id}/analytics`). They are batched
(shared.contract): a message holds a JSON array of envelopes of one type, so consumers
read them with `consume_batch`.
"""

from __future__ import annotations

from marshmallow import fields, validate

from shared.contract import EventType, Payload, event_types

PRODUCER = "gateway"
DEVICE_TYPES = ("mobile", "tablet", "desktop")
MAX_ANONYMOUS_ID = 200  # a consumer may key on it (DynamoDB sort keys hold 1 KB)
MAX_LISTED_IDS = 50  # a page of the restaurant list holds at most 50 (the catalog's limit)


class ViewContextEventSchema(Payload):
    """Who looked, from what: on every view event."""

    user_id = fields.UUID(required=True, allow_none=True)
    anonymous_id = fields.String(required=True, allow_none=True,
                                 validate=validate.Length(max=MAX_ANONYMOUS_ID))
    device_type = fields.String(required=True, validate=validate.OneOf(DEVICE_TYPES))
    user_agent = fields.String(required=True)


class RestaurantViewedEventSchema(ViewContextEventSchema):
    """restaurant_viewed, restaurant_menu_viewed, restaurant_reviews_viewed."""

    restaurant_id = fields.UUID(required=True)


class DishViewedEventSchema(ViewContextEventSchema):
    dish_id = fields.UUID(required=True)


class ListingEventSchema(ViewContextEventSchema):
    """restaurants_listed, restaurants_searched: a page of the list and what it showed."""

    filters = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    limit = fields.Integer(required=True, allow_none=True)
    offset = fields.Integer(required=True, allow_none=True)
    result_count = fields.Integer(required=True)
    total = fields.Integer(required=True)
    restaurant_ids = fields.List(fields.UUID(), required=True)


def view_event(name: str, schema: type[ViewContextEventSchema]) -> EventType:
    return EventType(PRODUCER, name, 1, schema, batched=True)


RESTAURANTS_LISTED = view_event("restaurants_listed", ListingEventSchema)
RESTAURANTS_SEARCHED = view_event("restaurants_searched", ListingEventSchema)
RESTAURANT_VIEWED = view_event("restaurant_viewed", RestaurantViewedEventSchema)
RESTAURANT_MENU_VIEWED = view_event("restaurant_menu_viewed", RestaurantViewedEventSchema)
RESTAURANT_REVIEWS_VIEWED = view_event("restaurant_reviews_viewed", RestaurantViewedEventSchema)
DISH_VIEWED = view_event("dish_viewed", DishViewedEventSchema)

EVENTS = event_types(RESTAURANTS_LISTED, RESTAURANTS_SEARCHED, RESTAURANT_VIEWED,
                     RESTAURANT_MENU_VIEWED, RESTAURANT_REVIEWS_VIEWED, DISH_VIEWED)
