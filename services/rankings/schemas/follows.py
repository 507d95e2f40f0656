"""Follows: what rankings answers about who follows whom, and what it announces."""

from __future__ import annotations

from marshmallow import Schema, fields

from services.rankings.schemas.users import ProfileLiteSchema
from shared.schemas import QuerySchema, paging_fields

FOLLOWS_PAGE = {"default_limit": 20, "max_limit": 50}


class FollowsQuery(QuerySchema):
    limit, offset = paging_fields(**FOLLOWS_PAGE).values()


class FollowSchema(Schema):
    follower_id = fields.UUID()
    followed_id = fields.UUID()
    created_at = fields.AwareDateTime()


class FollowerSchema(Schema):
    """One entry of a followers or following list: the other user, and since when."""

    user = fields.Nested(ProfileLiteSchema)
    followed_at = fields.AwareDateTime()


class FollowEventSchema(Schema):
    """user_followed and user_unfollowed."""

    follower_id = fields.UUID()
    followed_id = fields.UUID()
    user_id = fields.UUID(attribute="follower_id", dump_only=True)
