"""Payload shapes analytics reads: the gateway's view events, and its view/engagement RPCs.

Event payloads ignore fields they do not know (SPEC §2: consumers ignore unknown fields);
RPC arguments are checked strictly by value, as a caller sent them on purpose.
"""

from __future__ import annotations

import uuid

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from services.analytics.domain.periods import PERIODS

# public (lowercase) names; the stored key prefix is the upper-case form (RESTAURANT#<id>)
ENTITY_TYPES = ("restaurant", "dish", "menu", "reviews", "listing")
ENGAGEMENT_TYPES = ("click", "share", "save", "call", "directions", "website", "menu_open")
DEVICE_TYPES = ("mobile", "tablet", "desktop")
# the one listing entity: the restaurant list and search pages together
LISTING_ID = "all"
# a restaurant list page holds at most 50 (catalog's max page size); more ids than that
# are not a page anyone saw, and would not fit one transaction with the view's own writes
MAX_LISTED_IDS = 50
MAX_ANONYMOUS_ID = 200  # it becomes part of a sort key (DynamoDB allows 1024 bytes)
MAX_TRENDING_LIMIT = 50


class _EventPayload(Schema):
    class Meta:
        unknown = EXCLUDE


class ViewContextSchema(_EventPayload):
    """Who looked, from what: carried on every gateway view event."""

    user_id = fields.UUID(load_default=None, allow_none=True)
    anonymous_id = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(max=MAX_ANONYMOUS_ID))
    # kept as sent: an unknown device is not counted as any device (see domain.views)
    device_type = fields.String(load_default=None, allow_none=True)
    user_agent = fields.String(load_default=None, allow_none=True)


class RestaurantViewSchema(ViewContextSchema):
    """restaurant_viewed, restaurant_menu_viewed, restaurant_reviews_viewed."""

    restaurant_id = fields.UUID(required=True)


class DishViewSchema(ViewContextSchema):
    """dish_viewed (the view part; the trending point is read by the activity side)."""

    dish_id = fields.UUID(required=True)


class ListingViewSchema(ViewContextSchema):
    """restaurants_listed and restaurants_searched."""

    restaurant_ids = fields.List(fields.UUID(), load_default=list)
    filters = fields.Dict(load_default=dict)


# --- RPC arguments ---------------------------------------------------------------------------

def _entity_id(entity_type: str, entity_id) -> str:
    """The canonical id of an entity: a uuid's lowercase form, or `all` for the listing."""
    if entity_type == "listing":
        if entity_id != LISTING_ID:
            raise ValidationError(f"the listing entity is '{LISTING_ID}'", "entity_id")
        return LISTING_ID
    try:
        return str(uuid.UUID(str(entity_id)))
    except ValueError:
        raise ValidationError("not a valid UUID", "entity_id") from None


class EntitySchema(Schema):
    """An entity named by an RPC caller: entity_type and entity_id (a uuid, or `all` for
    the listing)."""

    entity_type = fields.String(required=True, validate=validate.OneOf(ENTITY_TYPES))
    entity_id = fields.String(required=True, validate=validate.Length(min=1, max=100))

    @validates_schema
    def _known_id(self, data, **kwargs):
        if data.get("entity_type") in ENTITY_TYPES and "entity_id" in data:
            _entity_id(data["entity_type"], data["entity_id"])

    @post_load
    def _canonical(self, data, **kwargs):
        return {**data, "entity_id": _entity_id(data["entity_type"], data["entity_id"])}


def _period_field() -> fields.String:
    return fields.String(load_default="week", validate=validate.OneOf(PERIODS))


class TimeSeriesArgs(EntitySchema):
    """get_time_series(entity_type, entity_id, period="week")."""

    period = _period_field()


class RestaurantTrafficArgs(Schema):
    """get_restaurant_traffic(restaurant_id, period="week")."""

    restaurant_id = fields.UUID(required=True)
    period = _period_field()

    @post_load
    def _as_text(self, data, **kwargs):
        return {**data, "restaurant_id": str(data["restaurant_id"])}


class TrendingRestaurantsArgs(Schema):
    """get_trending_restaurants(period="week", limit=10)."""

    period = _period_field()
    limit = fields.Integer(load_default=10, strict=True,
                           validate=validate.Range(min=1, max=MAX_TRENDING_LIMIT))


class EngagementInput(EntitySchema):
    """record_engagement's `data`: {entity_type, entity_id, engagement_type}. The user is
    the caller's (an argument of its own): a body naming one is refused like any unknown
    field."""

    class Meta:
        unknown = RAISE

    engagement_type = fields.String(required=True, validate=validate.OneOf(ENGAGEMENT_TYPES))
