"""One-best rankings payload shapes: what the RPCs accept and answer, what the events carry."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.rankings.models import MAX_RANK, TASTE_STATUSES
from shared.schemas import QuerySchema, paging_fields

HISTORY_PAGE = {"default_limit": 20, "max_limit": 100}
BEST_DISHES_PAGE = {"default_limit": 20, "max_limit": 50}
MAX_PHOTOS = 10

# Regexp matches at the start, so allow leading whitespace before the first visible character
NOT_BLANK = validate.Regexp(r"\s*\S", error="must not be blank")


def _dish_type(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=100), NOT_BLANK], **kwargs)


# --- what rankings accepts -------------------------------------------------------------------

class PlaceDishInput(Schema):
    """`{dish_id, rank}` or `{dish_id, taste_status}`, with optional notes and photos."""

    class Meta:
        unknown = RAISE

    dish_id = fields.UUID(required=True)
    rank = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_RANK))
    taste_status = fields.String(validate=validate.OneOf(TASTE_STATUSES))
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))
    photo_urls = fields.List(fields.Url(validate=validate.Length(max=500)),
                             validate=validate.Length(max=MAX_PHOTOS))

    @validates_schema
    def rank_or_taste_status(self, data, **kwargs):
        if ("rank" in data) == ("taste_status" in data):
            raise ValidationError("give exactly one of rank or taste_status", "rank")


class DishTypeInput(Schema):
    """The dish type a list is for (a path parameter)."""

    class Meta:
        unknown = RAISE

    dish_type = _dish_type(required=True)


class HistoryQuery(QuerySchema):
    limit, offset = paging_fields(**HISTORY_PAGE).values()


class BestDishesQuery(QuerySchema):
    dish_type = _dish_type(required=True)
    city = fields.String(required=True, validate=[validate.Length(min=1, max=100), NOT_BLANK])
    limit, offset = paging_fields(**BEST_DISHES_PAGE).values()


# --- what rankings answers -------------------------------------------------------------------

class RankingEntrySchema(Schema):
    dish_id = fields.UUID()
    dish_name = fields.String(allow_none=True)
    restaurant_id = fields.UUID()
    restaurant_name = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True)
    taste_status = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    photo_urls = fields.List(fields.String())
    ranked_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime()


class RankingListSchema(Schema):
    dish_type = fields.String()
    ranked = fields.List(fields.Nested(RankingEntrySchema))
    tasted = fields.List(fields.Nested(RankingEntrySchema))


class HistoryEntrySchema(Schema):
    id = fields.Integer()
    dish_id = fields.UUID()
    dish_type = fields.String()
    restaurant_id = fields.UUID()
    change = fields.String()  # placed, moved, shifted, dropped, removed, tasted
    old_rank = fields.Integer(allow_none=True)
    new_rank = fields.Integer(allow_none=True)
    old_taste_status = fields.String(allow_none=True)
    new_taste_status = fields.String(allow_none=True)
    changed_at = fields.AwareDateTime()


class DishStatsSchema(Schema):
    dish_id = fields.UUID()
    dish_type = fields.String()
    ranking_count = fields.Integer()
    average_rank = fields.Float(allow_none=True)
    rank_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    taste_counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class BestDishSchema(Schema):
    dish_id = fields.UUID()
    dish_name = fields.String()
    restaurant_id = fields.UUID()
    restaurant_name = fields.String()
    city = fields.String()
    score = fields.Float()
    ranking_count = fields.Integer()


# --- what rankings announces -----------------------------------------------------------------

class RankingEventPayload(Schema):
    user_id = fields.UUID(required=True)
    dish_id = fields.UUID(required=True)
    dish_type = fields.String(required=True)
    restaurant_id = fields.UUID(required=True)


class DishRankedPayload(RankingEventPayload):
    """A dish entered the user's list of its dish type."""

    city = fields.String(allow_none=True, required=True)
    cuisine_type = fields.List(fields.String(), required=True)
    rank = fields.Integer(required=True)


class RankingMovedPayload(RankingEventPayload):
    """A ranked dish changed rank: moved by the user, or shifted by another dish's change."""

    old_rank = fields.Integer(required=True)
    new_rank = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(("moved", "shifted")))


class RankingRemovedPayload(RankingEventPayload):
    """A dish left the list: removed, dropped (pushed past 5), or given a taste status."""

    old_rank = fields.Integer(required=True)
    reason = fields.String(required=True,
                           validate=validate.OneOf(("removed", "dropped", "tasted")))
