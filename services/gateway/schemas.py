"""The gateway's own payload shapes: its errors and operations, sign-in, the views a client
reports, and the answers it joins from several services. Everything another service
accepts or answers comes from that service's contract package."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from services.analytics.contract import rpc as analytics_rpc
from services.catalog.contract.rpc import DishSchema, RestaurantSchema
from services.gateway.contract.events import DEVICE_TYPES
from services.gateway.domain.views import ANONYMOUS_ID
from services.orders.contract.rpc import (
    StatusMetricSchema,
    default_metrics_window,
    metrics_window_errors,
)
from services.rankings.contract.rpc import (
    FavoriteSchema,
    ProfileLiteSchema,
    ReviewSummarySchema,
)
from shared.contract import EventType
from shared.schemas import QuerySchema, UtcDateTime


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict(required=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class PageSchema(Schema):
    """What every list answers besides its items (SPEC §7): `{items, count, total,
    total_is_estimate, next_offset, next_cursor}`; the OpenAPI document adds `items` per
    list."""

    count = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={
        "description": "how many there are in all: exact up to 10,000; past that, an "
                       "estimate (total_is_estimate)"})
    total_is_estimate = fields.Boolean(required=True, metadata={
        "description": "true when total is the database's estimate, not a count (a list "
                       "of more than 10,000)"})
    next_offset = fields.Integer(allow_none=True, required=True, metadata={
        "description": "the offset of the next page (null on the last page, and on a page "
                       "asked by cursor)"})
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "the next page, as `cursor` (null on the last page): a deep page "
                       "costs what the first does, and rows added meanwhile are neither "
                       "repeated nor skipped. Opaque: hand it back as it is"})


class HealthSchema(Schema):
    status = fields.String(required=True)
    service = fields.String(required=True)


class ReadySchema(Schema):
    """Ready or not for anyone; which check says what ("ok", "unavailable", "unhealthy",
    "unreachable") for an admin only."""

    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String())


class AccessTokenSchema(Schema):
    """POST /auth/login's and /auth/refresh's answer: send `Authorization: Bearer
    <access_token>` until it expires (`expires_in` seconds), then POST /auth/refresh with
    `refresh_token` for the next pair (the refresh token is good once)."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True, validate=validate.OneOf(["bearer"]))
    expires_in = fields.Integer(required=True)
    refresh_token = fields.String(required=True)
    refresh_expires_in = fields.Integer(required=True)


# --- analytics (SPEC §5) --------------------------------------------------------------------

class TrackViewInput(Schema):
    """`POST /restaurants/{id}/analytics`: the viewer is whoever is signed in, never the body;
    else the anonymous viewer of a viewer id the gateway issued."""

    class Meta:
        unknown = RAISE

    device_type = fields.String(validate=validate.OneOf(DEVICE_TYPES))
    anonymous_id = fields.String(validate=validate.Regexp(
        ANONYMOUS_ID, error="1 to 64 letters, digits, ., _ or -"), metadata={
        "description": "An anonymous viewer id this gateway issued (X-Anonymous-Id): "
                       "believed before the header and the cookie. One it did not sign "
                       "makes a view with no viewer"})


class AcceptedSchema(Schema):
    status = fields.String(required=True)


class DashboardSchema(Schema):
    """The catalog's restaurant, analytics' traffic and rankings' review summary. A source
    that did not answer in time is null (a list: empty) and named in `unavailable`;
    `partial` says whether any is."""

    restaurant = fields.Nested(RestaurantSchema, required=True)
    view_data = fields.Nested(analytics_rpc.ViewDataSchema, required=True, allow_none=True)
    review_analytics = fields.Nested(ReviewSummarySchema, required=True, allow_none=True)
    traffic_data = fields.List(fields.Nested(analytics_rpc.DailyViewsSchema), required=True)
    hourly_views = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                               allow_none=True)  # "00".."23"
    device_data = fields.Nested(analytics_rpc.DeviceDataSchema, required=True, allow_none=True)
    period = fields.String(required=True, validate=validate.OneOf(analytics_rpc.PERIODS))
    partial = fields.Boolean(required=True)
    unavailable = fields.List(fields.String(), required=True)


# analytics' items, each joined with the object it names (null if that is gone)

class TrendingRestaurantSchema(analytics_rpc.TrendingRestaurantSchema):
    restaurant = fields.Nested(RestaurantSchema, required=True, allow_none=True)


class TrendingRestaurantsSchema(PageSchema):
    """The top `limit` in one page (total is count): by decayed score, in `city` or
    overall; or, asked for a `period`, by that window's raw views."""

    items = fields.List(fields.Nested(TrendingRestaurantSchema), required=True)
    city = fields.String(required=True, allow_none=True, metadata={
        "description": "the city asked for; null: overall"})
    # an enum must list null itself for a nullable field (OpenAPI 3.0.3)
    period = fields.String(required=True, allow_none=True,
                           validate=validate.OneOf([*analytics_rpc.PERIODS, None]),
                           metadata={"description": "the window of raw counts asked for; "
                                                    "null: by decayed score"})


class TrendingDishSchema(analytics_rpc.TrendingDishSchema):
    dish = fields.Nested(DishSchema, required=True, allow_none=True)


class TrendingDishesSchema(PageSchema):
    """A city's top `limit` dishes in one page (total is count)."""

    items = fields.List(fields.Nested(TrendingDishSchema), required=True)
    city = fields.String(required=True)


class ExpertSchema(analytics_rpc.PopularitySchema):
    profile = fields.Nested(ProfileLiteSchema, required=True, allow_none=True)


class LeaderboardRestaurantSchema(analytics_rpc.LeaderboardRestaurantSchema):
    restaurant = fields.Nested(RestaurantSchema, required=True, allow_none=True)


class LeaderboardUserSchema(analytics_rpc.LeaderboardUserSchema):
    profile = fields.Nested(ProfileLiteSchema, required=True, allow_none=True)


class LeaderboardSchema(PageSchema, analytics_rpc.LeaderboardSchema):
    """The board's restaurants (the items, in one page: total is count) and, beside them,
    its users."""

    items = fields.List(fields.Nested(LeaderboardRestaurantSchema), required=True)
    users = fields.List(fields.Nested(LeaderboardUserSchema), required=True)


# --- favorites (SPEC §4): rankings' favorite, joined with the catalog's restaurant ---------

class FavoriteRestaurantSchema(FavoriteSchema):
    """A favorite and its restaurant (null when the catalog no longer has it)."""

    restaurant = fields.Nested(RestaurantSchema, required=True, allow_none=True)


# --- orders (SPEC §6): the metrics window, as a query string names it -----------------------

class _MetricsWindow(QuerySchema):
    """Hours from `from` to `to`; what is not given is the last 24 hours' (orders'
    default_metrics_window), filled in when loaded."""

    @validates_schema
    def bounded(self, data: dict, **kwargs) -> None:
        start, end = default_metrics_window(data.get("from"), data.get("to"), datetime.now(UTC))
        if errors := metrics_window_errors(start, end, "from", "to"):
            raise ValidationError(errors)

    @post_load
    def filled(self, data: dict, **kwargs) -> dict:
        start, end = default_metrics_window(data.get("from"), data.get("to"), datetime.now(UTC))
        return {**data, "from": start, "to": end}


# `from` is a Python keyword: a class body cannot name a field so, from_dict can
OrderMetricsQuery = _MetricsWindow.from_dict({
    # a time without an offset is UTC, as the hours are
    "from": UtcDateTime(metadata={"description": "the first hour (default: 24 hours before "
                                                 "`to`)"}),
    "to": UtcDateTime(metadata={"description": "the last hour (default: now)"}),
}, name="OrderMetricsQuery")


class OrderMetricsSchema(PageSchema):
    """The window's hours in one page (total is count), with the window itself (the last
    24 hours unless the query named one)."""

    items = fields.List(fields.Nested(StatusMetricSchema), required=True)
    start = fields.AwareDateTime(required=True, data_key="from")
    end = fields.AwareDateTime(required=True, data_key="to")


# --- the events the gateway publishes: views, for analytics (its contract) ------------------

def view_event_payload(event: EventType, payload: dict) -> dict:
    """The payload as its schema says (a field it does not name is not sent); a value
    that does not fit, or a missing field, is a ValidationError: a bug, never sent."""
    schema = event.payload()
    if errors := schema.validate(schema.dump(payload)):
        raise ValidationError(errors)
    return schema.dump(payload)
