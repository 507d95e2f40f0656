"""What rankings reads from the catalog's events (it ignores every other field)."""

from marshmallow import EXCLUDE, Schema, fields


class CatalogPayload(Schema):
    class Meta:
        unknown = EXCLUDE


class CatalogRestaurantPayload(CatalogPayload):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    city = fields.String(allow_none=True, load_default=None)
    cuisine_type = fields.List(fields.String(), load_default=list)
    updated_at = fields.AwareDateTime(required=True)


class CatalogDishPayload(CatalogPayload):
    id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    name = fields.String(required=True)
    dish_type = fields.String(required=True)
    updated_at = fields.AwareDateTime(required=True)


class CatalogDeletedPayload(CatalogPayload):
    id = fields.UUID(required=True)
