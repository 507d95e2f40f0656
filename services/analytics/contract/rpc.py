"""What analytics' RPCs accept and answer (SPEC §5).

The argument schemas read values as a query string carries them ("10" is 10): the gateway
validates its query with the same schema it forwards to, as the catalog's list does.

Its lists (trending restaurants and dishes, top influencers, a leaderboard's restaurants)
answer the list shape every service does (shared.schemas.page: `{items, count, total,
total_is_estimate, next_offset, next_cursor}`), with the keys they need beside it. Each is
the top `limit` there is, in one page: `total` is `count`, and there is no next page.
"""

from __future__ import annotations

import uuid

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from shared.schemas import QuerySchema, WholeNumber, name_field

PERIODS = ("day", "week", "month", "year")
# public (lowercase) names; the stored key prefix is the upper-case form (RESTAURANT#<id>)
ENTITY_TYPES = ("restaurant", "dish", "menu", "reviews", "listing")
# what a client may record an engagement on (the listing is only ever viewed)
ENGAGEMENT_ENTITY_TYPES = ("restaurant", "dish", "menu", "reviews")
ENGAGEMENT_TYPES = ("click", "share", "save", "call", "directions", "website", "menu_open")
# a restaurant's own pages, whose engagement is the restaurant's (keyed by its id)
RESTAURANT_PAGES = ("restaurant", "menu", "reviews")
# the one listing entity: the restaurant list and search pages together
LISTING_ID = "all"
TOP_LIMIT = {"default": 10, "max": 50}
# a city or cuisine becomes part of a DynamoDB key, which holds at most 2 KB
MAX_PLACE_NAME = 100


def _limit() -> fields.Integer:
    return WholeNumber(load_default=TOP_LIMIT["default"],
                       validate=validate.Range(min=1, max=TOP_LIMIT["max"]))


def _period() -> fields.String:
    return fields.String(load_default="week", validate=validate.OneOf(PERIODS))


def place_name(**kwargs) -> fields.String:
    return name_field(MAX_PLACE_NAME, **kwargs)


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


# --- what analytics is asked -----------------------------------------------------------

class EntitySchema(Schema):
    """An entity named by an RPC caller: entity_type and entity_id (a uuid, or `all` for
    the listing). get_entity_views(entity_type, entity_id)."""

    entity_type = fields.String(required=True, validate=validate.OneOf(ENTITY_TYPES))
    entity_id = fields.String(required=True, validate=validate.Length(min=1, max=100))

    @validates_schema
    def _known_id(self, data, **kwargs):
        if data.get("entity_type") in ENTITY_TYPES and "entity_id" in data:
            _entity_id(data["entity_type"], data["entity_id"])

    @post_load
    def _canonical(self, data, **kwargs):
        return {**data, "entity_id": _entity_id(data["entity_type"], data["entity_id"])}


class TimeSeriesArgs(EntitySchema):
    """get_time_series(entity_type, entity_id, period="week")."""

    period = _period()


class DashboardQuery(QuerySchema):
    """get_restaurant_traffic(restaurant_id, period="week")'s period."""

    period = _period()


class TrendingRestaurantsQuery(QuerySchema):
    """get_trending_restaurants(period=None, limit=10, city=None): the restaurants of
    highest decayed score (half-life 7 days), in `city` or overall; or, with a `period`,
    the most viewed in the current calendar day/week/month/year (raw counts, overall
    only: a period and a city together are refused)."""

    period = fields.String(validate=validate.OneOf(PERIODS), metadata={
        "description": "Raw view counts in the current calendar day, ISO week, month or "
                       "year instead of the decayed score (overall: not with city)"})
    limit = _limit()
    city = place_name(metadata={
        "description": "Trending in this city (matched ignoring case and spaces); "
                       "overall when absent"})

    @validates_schema
    def _city_or_period(self, data, **kwargs):
        if data.get("period") is not None and data.get("city") is not None:
            raise ValidationError("a period's raw view counts are overall: ask for a city's "
                                  "trending restaurants without a period", "city")


class TrendingDishesQuery(QuerySchema):
    """get_trending_dishes(city, limit=10)."""

    city = place_name(required=True)
    limit = _limit()


class TopQuery(QuerySchema):
    """get_top_influencers(limit=10), and a leaderboard's limit."""

    limit = _limit()


class LeaderboardArgs(TopQuery):
    """get_leaderboard(city, cuisine, limit=10)."""

    city = place_name(required=True)
    cuisine = place_name(required=True)


class EngagementInput(Schema):
    """record_engagement's `data`: {entity_type, entity_id, engagement_type}. The user is
    the caller's (an argument of its own): a body naming one is refused like any unknown
    field."""

    class Meta:
        unknown = RAISE

    entity_type = fields.String(required=True,
                                validate=validate.OneOf(ENGAGEMENT_ENTITY_TYPES))
    entity_id = fields.UUID(required=True)
    engagement_type = fields.String(required=True, validate=validate.OneOf(ENGAGEMENT_TYPES))

    @post_load
    def _id_as_text(self, data, **kwargs):
        return {**data, "entity_id": str(data["entity_id"])}


# --- what analytics answers --------------------------------------------------------------

class ViewDataSchema(Schema):
    view_count = fields.Integer(required=True)
    unique_viewers = fields.Integer(required=True)


class DailyViewsSchema(Schema):
    date = fields.String(required=True)  # yyyy-mm-dd
    views = fields.Integer(required=True)


class DeviceDataSchema(Schema):
    mobile = fields.Integer(required=True)
    tablet = fields.Integer(required=True)
    desktop = fields.Integer(required=True)


class RestaurantTrafficSchema(Schema):
    """get_restaurant_traffic: the period's views, days zero-filled (oldest first), hours
    and devices summed over its days."""

    view_data = fields.Nested(ViewDataSchema, required=True)
    traffic_data = fields.List(fields.Nested(DailyViewsSchema), required=True)
    hourly_views = fields.Dict(keys=fields.String(), values=fields.Integer(),
                               required=True)  # "00".."23"
    device_data = fields.Nested(DeviceDataSchema, required=True)
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))


class TrendingRestaurantSchema(Schema):
    """A trending restaurant. Decayed (no period): its score as of now and what made it,
    counted in this year and the last; with a period: its views in that window, and no
    score (null)."""

    restaurant_id = fields.UUID(required=True)
    views = fields.Integer(required=True)
    score = fields.Float(required=True, allow_none=True)  # decayed to now: half-life 7 days
    ranking_count = fields.Integer(required=True, allow_none=True)  # rankings of its dishes


class TrendingDishSchema(Schema):
    dish_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True, allow_none=True)
    dish_type = fields.String(required=True, allow_none=True)
    score = fields.Float(required=True)  # decayed to now: half-life 7 days
    ranking_count = fields.Integer(required=True)
    views = fields.Integer(required=True)


class PopularitySchema(Schema):
    user_id = fields.UUID(required=True)
    follower_count = fields.Integer(required=True)
    ranking_count = fields.Integer(required=True)
    review_count = fields.Integer(required=True)
    influence_score = fields.Integer(required=True)  # 5·followers + 3·reviews + 2·rankings


class LeaderboardRestaurantSchema(Schema):
    rank = fields.Integer(required=True)
    restaurant_id = fields.UUID(required=True)
    score = fields.Float(required=True)


class LeaderboardUserSchema(Schema):
    rank = fields.Integer(required=True)
    user_id = fields.UUID(required=True)
    score = fields.Float(required=True)


class LeaderboardSchema(Schema):
    """get_leaderboard: a page (see above) of the board's restaurants, and beside them its
    city and cuisine (as asked), its users and when it was last refreshed."""

    items = fields.List(fields.Nested(LeaderboardRestaurantSchema), required=True)
    city = fields.String(required=True)
    cuisine = fields.String(required=True)
    users = fields.List(fields.Nested(LeaderboardUserSchema), required=True)
    updated_at = fields.String(required=True, allow_none=True)  # ISO-8601, None until refreshed


class EngagementSchema(Schema):
    entity_type = fields.String(required=True)
    entity_id = fields.UUID(required=True)
    engagement_type = fields.String(required=True)
    count = fields.Integer(required=True)  # that engagement type's total, this one included


def _counts(**kwargs) -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(ENGAGEMENT_TYPES)),
                       values=fields.Integer(), required=True, **kwargs)


class RestaurantEngagementSchema(Schema):
    """get_restaurant_engagement: every engagement type's count (0 where none) on the
    restaurant's own pages, summed (`counts`) and per page (`by_entity_type`). Records
    are kept 90 days; the counters for ever."""

    restaurant_id = fields.UUID(required=True)
    counts = _counts(metadata={"description": "per engagement type, over the "
                                              "restaurant, menu and reviews pages"})
    by_entity_type = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RESTAURANT_PAGES)), values=_counts(),
        required=True)
