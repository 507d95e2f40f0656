"""What analytics reads from rankings' and catalog's events (popularity, trending dishes,
leaderboards, places). Every other field is ignored (SPEC §2); the producers' schemas are
services/rankings/schemas/*.py and services/catalog/schemas.py."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

MAX_RANK = 5  # a one-best list holds ranks 1..5 (SPEC §4)


class _ActivityPayload(Schema):
    class Meta:
        unknown = EXCLUDE


def _rank(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_RANK), **kwargs)


# --- rankings --------------------------------------------------------------------------------

class FollowPayload(_ActivityPayload):
    """user_followed and user_unfollowed: the followed user gains or loses a follower."""

    follower_id = fields.UUID(required=True)
    followed_id = fields.UUID(required=True)


class ReviewPayload(_ActivityPayload):
    """review_created and review_deleted: the author gains or loses a review."""

    review_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(load_default=None, allow_none=True)


class RankingPayload(_ActivityPayload):
    user_id = fields.UUID(required=True)
    dish_id = fields.UUID(required=True)
    dish_type = fields.String(required=True)
    restaurant_id = fields.UUID(required=True)


class DishRankedPayload(RankingPayload):
    city = fields.String(load_default=None, allow_none=True)
    cuisine_type = fields.List(fields.String(), load_default=list, allow_none=True)
    rank = _rank(required=True)


class RankingMovedPayload(RankingPayload):
    old_rank = _rank(required=True)
    new_rank = _rank(required=True)


class RankingRemovedPayload(RankingPayload):
    old_rank = _rank(required=True)


# --- catalog ---------------------------------------------------------------------------------

class RestaurantPayload(_ActivityPayload):
    """restaurant_created and restaurant_updated."""

    id = fields.UUID(required=True)
    name = fields.String(load_default=None, allow_none=True)
    city = fields.String(load_default=None, allow_none=True)
    cuisine_type = fields.List(fields.String(), load_default=list, allow_none=True)
    updated_at = fields.AwareDateTime(required=True)


class DishPayload(_ActivityPayload):
    """dish_created and dish_updated."""

    id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    name = fields.String(load_default=None, allow_none=True)
    dish_type = fields.String(required=True)
    updated_at = fields.AwareDateTime(required=True)


class RestaurantDeletedPayload(_ActivityPayload):
    id = fields.UUID(required=True)


class DishDeletedPayload(_ActivityPayload):
    id = fields.UUID(required=True)
    restaurant_id = fields.UUID(load_default=None, allow_none=True)


# --- gateway ---------------------------------------------------------------------------------

class DishViewedPayload(_ActivityPayload):
    """dish_viewed, for its trending point (the view counters read the rest: schemas.py)."""

    dish_id = fields.UUID(required=True)
