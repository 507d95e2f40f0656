"""What the catalog's RPCs accept and answer (SPEC §3)."""

from __future__ import annotations

import decimal
import re
import uuid

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared.contract import Payload
from shared.schemas import (
    NOT_BLANK,
    CommaSeparated,
    Cursor,
    Money,
    PagedQuery,
    QuerySchema,
    StrictBoolean,
    StrictFloat,
    name_field,
    paging_fields,
    text_field,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

RESTAURANT_PAGE = {"default_limit": 12, "max_limit": 50}
MENU_PAGE = {"default_limit": 100, "max_limit": 200}
DISH_SEARCH_PAGE = {"default_limit": 20, "max_limit": 50}
MAX_PRICE = 100_000  # a dish's price, and so the most a price filter needs to say
MAX_PLACE_NAME = 100  # a city or cuisine, wherever one is named


# --- what the catalog answers (and its events carry: events.py) ------------------------

class RestaurantSchema(Payload):  # restaurant_created's payload too (events.py)
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    address = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    state = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    phone = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    hours = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    cuisine_type = fields.List(fields.String())
    price_range = fields.Integer(allow_none=True)
    owner_id = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime(required=True)


class DishSchema(Payload):  # dish_created's payload too
    id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    price = fields.Decimal(places=2, as_string=True)
    image_url = fields.String(allow_none=True)
    dish_type = fields.String(required=True)
    tags = fields.List(fields.String())
    is_seasonal = fields.Boolean()
    is_available = fields.Boolean()
    average_rank = fields.Float(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime(required=True)


class DishSearchResultSchema(DishSchema):
    restaurant_name = fields.String()
    city = fields.String(allow_none=True)


class CuisineSchema(Schema):
    name = fields.String()


# --- what the catalog accepts ----------------------------------------------------------

class RestaurantInputSchema(Schema):
    """Create (all required fields) or update (loaded with partial=True)."""

    class Meta:
        unknown = RAISE

    name = name_field(200, required=True)
    address = text_field(500, allow_none=True)
    city = name_field(MAX_PLACE_NAME, required=True)
    state = text_field(100, allow_none=True)
    country = text_field(100, allow_none=True)
    postal_code = text_field(20, allow_none=True)
    latitude = StrictFloat(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = StrictFloat(allow_none=True, validate=validate.Range(min=-180, max=180))
    phone = text_field(30, allow_none=True)
    website = fields.Url(allow_none=True, validate=validate.Length(max=500))
    hours = fields.Dict(
        keys=fields.String(validate=validate.OneOf(DAYS)),
        values=fields.String(validate=validate.Length(max=50)),
        allow_none=True,
    )
    cuisine_type = fields.List(name_field(MAX_PLACE_NAME), validate=validate.Length(max=10))
    price_range = fields.Integer(allow_none=True, strict=True,
                                 validate=validate.Range(min=1, max=4))
    # no owner_id: who owns a restaurant is its creator (the create RPC's owner_id)


class DishInputSchema(Schema):
    class Meta:
        unknown = RAISE

    name = name_field(200, required=True)
    description = text_field(2000, allow_none=True)
    price = Money(required=True, validate=validate.Range(min=0, max=MAX_PRICE))
    image_url = fields.Url(allow_none=True, validate=validate.Length(max=500))
    # a dish type is a path segment at the gateway (/rankings/my/{dish_type})
    dish_type = fields.String(required=True, validate=[
        validate.Length(min=1, max=100), NOT_BLANK,
        validate.Regexp(r"^[^/]*$", error="must not contain /"),
    ])
    tags = fields.List(name_field(50), validate=validate.Length(max=20))
    is_seasonal = StrictBoolean()
    is_available = StrictBoolean()


# each list's order, as its cursor holds it (the kinds of the key's columns, in order)
RESTAURANT_ORDER = ("restaurants", (str, uuid.UUID))  # name, id
MENU_ORDER = ("menu", (str, uuid.UUID))  # name, id
# text match (0: the dish's type says it, 1: its name, 2: its tags or description; 0
# without q), average rank (unranked last), more rankings first, id
DISH_SEARCH_ORDER = ("dish_search", (int, decimal.Decimal, int, uuid.UUID))


class RestaurantListQuery(PagedQuery):
    city = name_field(MAX_PLACE_NAME)
    cuisine = name_field(MAX_PLACE_NAME)
    q = name_field(100)
    limit, offset = paging_fields(**RESTAURANT_PAGE).values()
    cursor = Cursor(*RESTAURANT_ORDER)


class MenuQuery(PagedQuery):
    limit, offset = paging_fields(**MENU_PAGE).values()
    cursor = Cursor(*MENU_ORDER)


class DishSearchQuery(PagedQuery):
    q = name_field(200)
    dish_type = name_field(100)
    tags = CommaSeparated(name_field(50), validate=validate.Length(max=10))
    price_min = Money(validate=validate.Range(min=0, max=MAX_PRICE))
    price_max = Money(validate=validate.Range(min=0, max=MAX_PRICE))
    city = name_field(MAX_PLACE_NAME)
    limit, offset = paging_fields(**DISH_SEARCH_PAGE).values()
    cursor = Cursor(*DISH_SEARCH_ORDER)

    @validates_schema
    def check_price_bounds(self, data, **kwargs):
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            raise ValidationError("must not be above price_max", "price_min")


# --- GET /restaurants/nearby ------------------------------------------------------------

NEARBY_PAGE = {"default_limit": 12, "max_limit": 50}
MAX_NEARBY_RADIUS_KM = 50
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")  # JSON's grammar


class FiniteNumber(fields.Float):
    """A number, or its text as a query string carries it ("4.5975", "-1e-3": JSON's
    spelling of a number, nothing Python would also read as one: " 4", "+4", "4_0");
    finite, so never "nan", "inf", nor "1e999" (which is inf as a float)."""

    def __init__(self, **kwargs):
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not (number or isinstance(value, str) and _NUMBER.fullmatch(value)):
            raise ValidationError("must be a number")
        return super()._deserialize(value, attr, data, **kwargs)


class NearbyQuery(QuerySchema):
    """Restaurants within `radius_km` of (lat, lng), nearest first: the first `limit` of
    them (there is no next page)."""

    lat = FiniteNumber(required=True, validate=validate.Range(min=-90, max=90))
    lng = FiniteNumber(required=True, validate=validate.Range(min=-180, max=180))
    radius_km = FiniteNumber(load_default=5, validate=validate.Range(
        min=0, min_inclusive=False, max=MAX_NEARBY_RADIUS_KM))
    limit = paging_fields(**NEARBY_PAGE)["limit"]


class NearbyRestaurantSchema(RestaurantSchema):
    distance_km = fields.Float(required=True)  # from the point asked, to the metre
