"""Rewards payload shapes: the events they are earned from, what they answer and announce."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields

# --- what rewards read from rankings' own events (every other field is ignored) -----------


class RewardSourcePayload(Schema):
    class Meta:
        unknown = EXCLUDE


class DishRankedPayload(RewardSourcePayload):
    user_id = fields.UUID(required=True)
    dish_id = fields.UUID(required=True)


class ReviewCreatedPayload(RewardSourcePayload):
    review_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)


class ReviewCommentedPayload(RewardSourcePayload):
    comment_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)  # the commenter


class ReviewLikedPayload(RewardSourcePayload):
    review_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)  # the liker
    author_id = fields.UUID(required=True)


class UserFollowedPayload(RewardSourcePayload):
    follower_id = fields.UUID(required=True)
    followed_id = fields.UUID(required=True)


# --- what rewards are asked ----------------------------------------------------------------


class UserIdInput(Schema):
    class Meta:
        unknown = RAISE

    user_id = fields.UUID(required=True)


# --- what rewards answer -------------------------------------------------------------------


class ProgressSchema(Schema):
    current = fields.Integer()
    target = fields.Integer()


class BadgeProgressSchema(Schema):
    code = fields.String()
    name = fields.String()
    description = fields.String()
    awarded_at = fields.AwareDateTime(allow_none=True)
    progress = fields.Nested(ProgressSchema)


class CareerStepSchema(Schema):
    level = fields.Integer()
    name = fields.String()
    required_rankings = fields.Integer()
    required_cuisines = fields.Integer()


class CareerSchema(Schema):
    level = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    rankings = fields.Integer()
    cuisines = fields.Integer()
    next = fields.Nested(CareerStepSchema, allow_none=True)


class RewardSummarySchema(Schema):
    points = fields.Integer()
    badges = fields.List(fields.Nested(BadgeProgressSchema))
    career = fields.Nested(CareerSchema)


# --- what rewards announce -----------------------------------------------------------------


class PointsAwardedSchema(Schema):
    user_id = fields.UUID()
    activity_type = fields.String()
    points = fields.Integer()
    reference_id = fields.UUID()
    total_points = fields.Integer()


class BadgeAwardedSchema(Schema):
    user_id = fields.UUID()
    badge_code = fields.String()
    badge_name = fields.String()
