"""Catalog payload shapes: what its RPCs accept and answer, and what its events carry."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared.schemas import Money, QuerySchema, StrictBoolean, StrictFloat, paging_fields

# Regexp matches at the start, so allow leading whitespace before the first visible character
NOT_BLANK = validate.Regexp(r"\s*\S", error="must not be blank")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

RESTAURANT_PAGE = {"default_limit": 12, "max_limit": 50}
MENU_PAGE = {"default_limit": 100, "max_limit": 200}
DISH_SEARCH_PAGE = {"default_limit": 20, "max_limit": 50}
MAX_PRICE = 100_000  # a dish's price, and so the most a price filter needs to say


def _text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def _name(max_length: int, **kwargs) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=1, max=max_length), NOT_BLANK], **kwargs
    )


class CommaSeparated(fields.List):
    """`tags=spicy,halal` in a query string (`tags=` is none), or a JSON list. Each part
    is checked as sent, so an empty or blank part ("a,,b") is refused, then trimmed."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.split(",") if value else []
        parts = super()._deserialize(value, attr, data, **kwargs)
        return [part.strip() for part in parts]


# --- what the catalog answers --------------------------------------------------------

class RestaurantSchema(Schema):
    id = fields.UUID()
    name = fields.String()
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
    updated_at = fields.AwareDateTime()


class DishSchema(Schema):
    id = fields.UUID()
    restaurant_id = fields.UUID()
    name = fields.String()
    description = fields.String(allow_none=True)
    price = fields.Decimal(places=2, as_string=True)
    image_url = fields.String(allow_none=True)
    dish_type = fields.String()
    tags = fields.List(fields.String())
    is_seasonal = fields.Boolean()
    is_available = fields.Boolean()
    average_rank = fields.Float(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class DishSearchResultSchema(DishSchema):
    restaurant_name = fields.String()
    city = fields.String(allow_none=True)


class CuisineSchema(Schema):
    name = fields.String()


class RestaurantDeletedSchema(Schema):
    id = fields.UUID()


class DishDeletedSchema(Schema):
    id = fields.UUID()
    restaurant_id = fields.UUID()
    dish_type = fields.String()


# --- what the catalog accepts ----------------------------------------------------------

class RestaurantInputSchema(Schema):
    """Create (all required fields) or update (loaded with partial=True)."""

    class Meta:
        unknown = RAISE

    name = _name(200, required=True)
    address = _text(500, allow_none=True)
    city = _name(100, required=True)
    state = _text(100, allow_none=True)
    country = _text(100, allow_none=True)
    postal_code = _text(20, allow_none=True)
    latitude = StrictFloat(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = StrictFloat(allow_none=True, validate=validate.Range(min=-180, max=180))
    phone = _text(30, allow_none=True)
    website = fields.Url(allow_none=True, validate=validate.Length(max=500))
    hours = fields.Dict(
        keys=fields.String(validate=validate.OneOf(DAYS)),
        values=fields.String(validate=validate.Length(max=50)),
        allow_none=True,
    )
    cuisine_type = fields.List(_name(100), validate=validate.Length(max=10))
    price_range = fields.Integer(allow_none=True, strict=True,
                                 validate=validate.Range(min=1, max=4))
    # no owner_id: who owns a restaurant is its creator (the create RPC's owner_id)


class DishInputSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _name(200, required=True)
    description = _text(2000, allow_none=True)
    price = Money(required=True, validate=validate.Range(min=0, max=MAX_PRICE))
    image_url = fields.Url(allow_none=True, validate=validate.Length(max=500))
    # a dish type is a path segment at the gateway (/rankings/my/{dish_type})
    dish_type = fields.String(required=True, validate=[
        validate.Length(min=1, max=100), NOT_BLANK,
        validate.Regexp(r"^[^/]*$", error="must not contain /"),
    ])
    tags = fields.List(_name(50), validate=validate.Length(max=20))
    is_seasonal = StrictBoolean()
    is_available = StrictBoolean()


class RestaurantListQuery(QuerySchema):
    city = _name(100)
    cuisine = _name(100)
    q = _name(100)
    limit, offset = paging_fields(**RESTAURANT_PAGE).values()


class MenuQuery(QuerySchema):
    limit, offset = paging_fields(**MENU_PAGE).values()


class DishSearchQuery(QuerySchema):
    q = _name(200)
    dish_type = _name(100)
    tags = CommaSeparated(_name(50), validate=validate.Length(max=10))
    price_min = Money(validate=validate.Range(min=0, max=MAX_PRICE))
    price_max = Money(validate=validate.Range(min=0, max=MAX_PRICE))
    city = _name(100)
    limit, offset = paging_fields(**DISH_SEARCH_PAGE).values()

    @validates_schema
    def check_price_bounds(self, data, **kwargs):
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            raise ValidationError("must not be above price_max", "price_min")


# --- what the catalog reads from rankings' events (it ignores every other field) ---------

def _rank() -> fields.Integer:
    # average_rank is NUMERIC(4, 2): a rank above 99 could not be averaged into it
    return fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=99))


class RankingPayload(Schema):
    class Meta:
        unknown = EXCLUDE

    dish_id = fields.UUID(required=True)


class DishRankedPayload(RankingPayload):
    rank = _rank()


class RankingMovedPayload(RankingPayload):
    old_rank = _rank()
    new_rank = _rank()


class RankingRemovedPayload(RankingPayload):
    old_rank = _rank()
