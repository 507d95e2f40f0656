"""The gateway's own payload shapes (the catalog's come from services.catalog.schemas,
rankings' from services.rankings.schemas)."""

from datetime import timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.catalog.schemas import NOT_BLANK, DishSchema, RestaurantSchema
from services.gateway.domain import ANONYMOUS_ID, DEVICE_TYPES
from services.rankings.schemas.reviews import ReviewSummarySchema
from services.rankings.schemas.users import ProfileLiteSchema
from shared.schemas import Money, QuerySchema, UtcDateTime, paging_fields


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


class AccessTokenSchema(Schema):
    """POST /auth/login's answer: send `Authorization: Bearer <access_token>`."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True, validate=validate.OneOf(["bearer"]))
    expires_in = fields.Integer(required=True)


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


# --- orders (SPEC §6): checked here too, so a bad order never reaches the orders service --
# (the gateway's own copies of the orders contract: its image carries no orders code; the
# limits are the orders service's, which checks them again)

ORDER_STATUSES = ("PENDING", "CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY",
                  "DELIVERED", "CANCELLED")
ACTOR_ROLES = ("customer", "owner", "admin")
ORDERS_PAGE = {"default_limit": 20, "max_limit": 100}  # as the orders service
MAX_ORDER_ITEMS = 50
MAX_QUANTITY = 20
MAX_NOTES = 500
MAX_METRICS_DAYS = 31  # hours are counted one row per status: a bounded read


class OrderItemInput(Schema):
    """One line of an order: which dish and how many. Never its price: prices are the
    catalog's, so a `price` here is an unknown field (422)."""

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
                        validate=validate.Length(min=1, max=MAX_ORDER_ITEMS))
    notes = fields.String(allow_none=True, validate=validate.Length(max=MAX_NOTES))


class OrderStatusInput(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))


class OrdersQuery(QuerySchema):
    limit, offset = paging_fields(**ORDERS_PAGE).values()


class _MetricsWindow(QuerySchema):
    @validates_schema
    def bounded(self, data: dict, **kwargs) -> None:
        if data["from"] > data["to"]:
            raise ValidationError("from must not be after to", "from")
        if data["to"] - data["from"] > timedelta(days=MAX_METRICS_DAYS):
            raise ValidationError(f"at most {MAX_METRICS_DAYS} days at a time", "to")


# `from` is a Python keyword: a class body cannot name a field so, from_dict can
OrderMetricsQuery = _MetricsWindow.from_dict({
    # a time without an offset is UTC, as the hours are
    "from": UtcDateTime(required=True),
    "to": UtcDateTime(required=True),
}, name="OrderMetricsQuery")


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
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    version = fields.Integer(required=True)  # 1 at creation, +1 per status change
    items = fields.List(fields.Nested(OrderLineSchema), required=True)
    subtotal = Money(required=True)
    total = Money(required=True)
    currency = fields.String(required=True)
    notes = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class StatusChangeSchema(Schema):
    version = fields.Integer(required=True)
    # None at creation; an enum must list null itself for a nullable field (OpenAPI 3.0.3)
    previous_status = fields.String(required=True, allow_none=True,
                                    validate=validate.OneOf([*ORDER_STATUSES, None]))
    new_status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    actor_id = fields.UUID(required=True, allow_none=True)
    actor_role = fields.String(required=True, validate=validate.OneOf(ACTOR_ROLES))
    changed_at = fields.AwareDateTime(required=True)
    metadata = fields.Dict(required=True)  # total, currency at the time


class OrderHistorySchema(Schema):
    """Most recent first."""

    items = fields.List(fields.Nested(StatusChangeSchema), required=True)


class StatusMetricSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    hour = fields.String(required=True)  # yyyy-mm-dd-hh, UTC
    count = fields.Integer(required=True)  # orders that reached the status in that hour
    total_value = Money(required=True)  # their totals


class OrderMetricsSchema(Schema):
    items = fields.List(fields.Nested(StatusMetricSchema), required=True)


# --- the events the gateway publishes: views, for analytics (SPEC §2) --------------------

class ViewContextEventSchema(Schema):
    """Who looked, from what: on every view event."""

    user_id = fields.UUID(required=True, allow_none=True)
    anonymous_id = fields.String(required=True, allow_none=True)
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


VIEW_EVENT_SCHEMAS = {
    "restaurants_listed": ListingEventSchema,
    "restaurants_searched": ListingEventSchema,
    "restaurant_viewed": RestaurantViewedEventSchema,
    "restaurant_menu_viewed": RestaurantViewedEventSchema,
    "restaurant_reviews_viewed": RestaurantViewedEventSchema,
    "dish_viewed": DishViewedEventSchema,
}


def view_event_payload(event_type: str, payload: dict) -> dict:
    """The payload as its schema says (a field it does not name is not sent); a value
    that does not fit, or a missing field, is a ValidationError: a bug, never sent."""
    schema = VIEW_EVENT_SCHEMAS[event_type]()
    if errors := schema.validate(schema.dump(payload)):
        raise ValidationError(errors)
    return schema.dump(payload)
