"""The gateway's own payload shapes (the catalog's come from services.catalog.schemas,
rankings' from services.rankings.schemas)."""

from marshmallow import RAISE, Schema, fields, validate

from services.catalog.schemas import NOT_BLANK, DishSchema, RestaurantSchema
from services.gateway.domain import ANONYMOUS_ID, DEVICE_TYPES
from services.rankings.schemas.reviews import ReviewSummarySchema
from services.rankings.schemas.users import ProfileLiteSchema
from shared.schemas import QuerySchema


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict(required=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    service = fields.String(required=True)


class ReadySchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


# --- analytics (SPEC §5): what the gateway accepts and answers --------------------------

PERIODS = ("day", "week", "month", "year")
ENGAGEMENT_ENTITY_TYPES = ("restaurant", "dish", "menu", "reviews")
ENGAGEMENT_TYPES = ("click", "share", "save", "call", "directions", "website", "menu_open")
TOP_LIMIT = {"default": 10, "max": 50}


def _limit() -> fields.Integer:
    return fields.Integer(load_default=TOP_LIMIT["default"],
                          validate=validate.Range(min=1, max=TOP_LIMIT["max"]))


def _period() -> fields.String:
    return fields.String(load_default="week", validate=validate.OneOf(PERIODS))


def _place_name(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=100), NOT_BLANK], **kwargs)


class TrackViewInput(Schema):
    """`POST /restaurants/{id}/analytics`: the viewer is whoever is signed in, never the body."""

    class Meta:
        unknown = RAISE

    device_type = fields.String(validate=validate.OneOf(DEVICE_TYPES))
    anonymous_id = fields.String(validate=validate.Regexp(
        ANONYMOUS_ID, error="1 to 64 letters, digits, _ or -"))


class AcceptedSchema(Schema):
    status = fields.String(required=True)


class EngagementInput(Schema):
    class Meta:
        unknown = RAISE

    entity_type = fields.String(required=True, validate=validate.OneOf(ENGAGEMENT_ENTITY_TYPES))
    entity_id = fields.UUID(required=True)
    engagement_type = fields.String(required=True, validate=validate.OneOf(ENGAGEMENT_TYPES))


class EngagementSchema(Schema):
    entity_type = fields.String(required=True)
    entity_id = fields.UUID(required=True)
    engagement_type = fields.String(required=True)
    count = fields.Integer(required=True)  # that engagement type's total, this one included


class DashboardQuery(QuerySchema):
    period = _period()


class TrendingRestaurantsQuery(QuerySchema):
    period = _period()
    limit = _limit()


class TrendingDishesQuery(QuerySchema):
    city = _place_name(required=True)
    limit = _limit()


class TopQuery(QuerySchema):
    limit = _limit()


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


class DashboardSchema(Schema):
    """A source that did not answer in time is null (a list: empty) and named in
    `unavailable`; `partial` says whether any is."""

    restaurant = fields.Nested(RestaurantSchema, required=True)
    view_data = fields.Nested(ViewDataSchema, required=True, allow_none=True)
    review_analytics = fields.Nested(ReviewSummarySchema, required=True, allow_none=True)
    traffic_data = fields.List(fields.Nested(DailyViewsSchema), required=True)
    hourly_views = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                               allow_none=True)  # "00".."23"
    device_data = fields.Nested(DeviceDataSchema, required=True, allow_none=True)
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    partial = fields.Boolean(required=True)
    unavailable = fields.List(fields.String(), required=True)


class TrendingRestaurantSchema(Schema):
    restaurant_id = fields.UUID(required=True)
    views = fields.Integer(required=True)
    restaurant = fields.Nested(RestaurantSchema, required=True, allow_none=True)


class TrendingRestaurantsSchema(Schema):
    items = fields.List(fields.Nested(TrendingRestaurantSchema), required=True)
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))


class TrendingDishSchema(Schema):
    dish_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True, allow_none=True)
    dish_type = fields.String(required=True, allow_none=True)
    score = fields.Float(required=True)  # decayed to now: half-life 7 days
    ranking_count = fields.Integer(required=True)
    views = fields.Integer(required=True)
    dish = fields.Nested(DishSchema, required=True, allow_none=True)


class TrendingDishesSchema(Schema):
    items = fields.List(fields.Nested(TrendingDishSchema), required=True)
    city = fields.String(required=True)


class ExpertSchema(Schema):
    user_id = fields.UUID(required=True)
    follower_count = fields.Integer(required=True)
    ranking_count = fields.Integer(required=True)
    review_count = fields.Integer(required=True)
    influence_score = fields.Integer(required=True)  # 5·followers + 3·reviews + 2·rankings
    profile = fields.Nested(ProfileLiteSchema, required=True, allow_none=True)


class ExpertsSchema(Schema):
    items = fields.List(fields.Nested(ExpertSchema), required=True)


class LeaderboardRestaurantSchema(Schema):
    rank = fields.Integer(required=True)
    restaurant_id = fields.UUID(required=True)
    score = fields.Float(required=True)
    restaurant = fields.Nested(RestaurantSchema, required=True, allow_none=True)


class LeaderboardUserSchema(Schema):
    rank = fields.Integer(required=True)
    user_id = fields.UUID(required=True)
    score = fields.Float(required=True)
    profile = fields.Nested(ProfileLiteSchema, required=True, allow_none=True)


class LeaderboardSchema(Schema):
    city = fields.String(required=True)
    cuisine = fields.String(required=True)
    restaurants = fields.List(fields.Nested(LeaderboardRestaurantSchema), required=True)
    users = fields.List(fields.Nested(LeaderboardUserSchema), required=True)
    updated_at = fields.String(required=True, allow_none=True)  # ISO-8601, None until refreshed
