"""The events rankings publishes (from its outbox, once their change committed).

Consumers read only the fields they need (`EVENT.reader(...)`) and ignore the rest.
"""

from __future__ import annotations

from marshmallow import fields, validate

from services.rankings.contract.rpc import MAX_RANK, stars
from shared.contract import EventType, Payload, event_types

PRODUCER = "rankings"



def _rank(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_RANK), **kwargs)


class UserRegisteredSchema(Payload):
    user_id = fields.UUID(required=True)
    username = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class RankingEventPayload(Payload):
    user_id = fields.UUID(required=True)
    dish_id = fields.UUID(required=True)
    dish_type = fields.String(required=True)
    restaurant_id = fields.UUID(required=True)


class DishRankedPayload(RankingEventPayload):
    """A dish entered the user's list of its dish type."""

    city = fields.String(allow_none=True, required=True)
    cuisine_type = fields.List(fields.String(), required=True)
    rank = _rank(required=True)


class RankingMovedPayload(RankingEventPayload):
    """A ranked dish changed rank: moved by the user, or shifted by another dish's change."""

    old_rank = _rank(required=True)
    new_rank = _rank(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(("moved", "shifted")))


class RankingRemovedPayload(RankingEventPayload):
    """A dish left the list: removed, dropped (pushed past 5), or given a taste status."""

    old_rank = _rank(required=True)
    reason = fields.String(required=True,
                           validate=validate.OneOf(("removed", "dropped", "tasted")))


class ReviewEventSchema(Payload):
    """review_created and review_deleted."""

    review_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    rating = stars(required=True)


class ReviewUpdatedEventSchema(ReviewEventSchema):
    previous_rating = stars(required=True)


class ReviewLikedEventSchema(Payload):
    review_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)  # who liked it
    author_id = fields.UUID(required=True)


class ReviewCommentedEventSchema(Payload):
    review_id = fields.UUID(required=True)
    comment_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)  # who commented
    author_id = fields.UUID(required=True)


class FollowEventSchema(Payload):
    """user_followed and user_unfollowed."""

    follower_id = fields.UUID(required=True)
    followed_id = fields.UUID(required=True)
    user_id = fields.UUID(attribute="follower_id", dump_only=True)  # who acted


class PointsAwardedSchema(Payload):
    user_id = fields.UUID(required=True)
    activity_type = fields.String(required=True)
    points = fields.Integer(required=True)
    reference_id = fields.UUID(required=True)
    total_points = fields.Integer(required=True)


class BadgeAwardedSchema(Payload):
    user_id = fields.UUID(required=True)
    badge_code = fields.String(required=True)
    badge_name = fields.String(required=True)


# no_consumer_yet (user_registered, points_awarded, badge_awarded): announced for whoever
# needs them, consumed by nobody yet, so published without the mandatory check; the change
# that makes a service consume one drops its flag (contracts/test_contracts.py insists),
# after which an unbound queue holds it in the outbox (docs/events.md)
USER_REGISTERED = EventType(PRODUCER, "user_registered", 1, UserRegisteredSchema,
                            no_consumer_yet=True)
DISH_RANKED = EventType(PRODUCER, "dish_ranked", 1, DishRankedPayload)
RANKING_MOVED = EventType(PRODUCER, "ranking_moved", 1, RankingMovedPayload)
RANKING_REMOVED = EventType(PRODUCER, "ranking_removed", 1, RankingRemovedPayload)
REVIEW_CREATED = EventType(PRODUCER, "review_created", 1, ReviewEventSchema)
REVIEW_UPDATED = EventType(PRODUCER, "review_updated", 1, ReviewUpdatedEventSchema)
REVIEW_DELETED = EventType(PRODUCER, "review_deleted", 1, ReviewEventSchema)
REVIEW_LIKED = EventType(PRODUCER, "review_liked", 1, ReviewLikedEventSchema)
REVIEW_COMMENTED = EventType(PRODUCER, "review_commented", 1, ReviewCommentedEventSchema)
USER_FOLLOWED = EventType(PRODUCER, "user_followed", 1, FollowEventSchema)
USER_UNFOLLOWED = EventType(PRODUCER, "user_unfollowed", 1, FollowEventSchema)
POINTS_AWARDED = EventType(PRODUCER, "points_awarded", 1, PointsAwardedSchema,
                           no_consumer_yet=True)
BADGE_AWARDED = EventType(PRODUCER, "badge_awarded", 1, BadgeAwardedSchema,
                          no_consumer_yet=True)

EVENTS = event_types(USER_REGISTERED, DISH_RANKED, RANKING_MOVED, RANKING_REMOVED,
                     REVIEW_CREATED, REVIEW_UPDATED, REVIEW_DELETED, REVIEW_LIKED,
                     REVIEW_COMMENTED, USER_FOLLOWED, USER_UNFOLLOWED, POINTS_AWARDED,
                     BADGE_AWARDED)
