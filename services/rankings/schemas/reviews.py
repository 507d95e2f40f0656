"""Reviews: what rankings accepts and answers about reviews, likes, comments and summaries,
what it announces, and what its own summary consumers read back from those events."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from services.rankings.schemas.users import name, text, web_url
from shared.schemas import QuerySchema, paging_fields

RATINGS = ("1", "2", "3", "4", "5")
MAX_PHOTOS = 10

REVIEWS_PAGE = {"default_limit": 50, "max_limit": 50}
COMMENTS_PAGE = {"default_limit": 20, "max_limit": 100}


def stars(**kwargs) -> fields.Integer:
    """A whole number of stars, 1..5: not "4", not 4.0, not true."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=5), **kwargs)


# --- what rankings accepts -------------------------------------------------------------------

class ReviewInput(Schema):
    """A new review; an edit loads it with partial=True."""

    class Meta:
        unknown = RAISE

    rating = stars(required=True)
    content = text(5000, allow_none=True)
    photos = fields.List(web_url(), validate=validate.Length(max=MAX_PHOTOS))


class CommentInput(Schema):
    class Meta:
        unknown = RAISE

    content = name(2000, required=True)


class ReviewsQuery(QuerySchema):
    limit, offset = paging_fields(**REVIEWS_PAGE).values()


class CommentsQuery(QuerySchema):
    limit, offset = paging_fields(**COMMENTS_PAGE).values()


# --- what rankings answers -------------------------------------------------------------------

class ReviewSchema(Schema):
    id = fields.UUID()
    user_id = fields.UUID()
    username = fields.String()
    restaurant_id = fields.UUID()
    rating = fields.Integer()
    content = fields.String(allow_none=True)
    photos = fields.List(fields.String())
    like_count = fields.Integer()
    comment_count = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class CommentSchema(Schema):
    id = fields.UUID()
    review_id = fields.UUID()
    user_id = fields.UUID()
    username = fields.String()
    content = fields.String()
    created_at = fields.AwareDateTime()


class LikeSchema(Schema):
    review_id = fields.UUID()
    like_count = fields.Integer()


class ReviewSummarySchema(Schema):
    restaurant_id = fields.UUID()
    total_reviews = fields.Integer()
    average_rating = fields.Float()  # two decimals
    rating_distribution = fields.Dict(keys=fields.String(validate=validate.OneOf(RATINGS)),
                                      values=fields.Integer())


class RecomputeResultSchema(Schema):
    restaurants = fields.Integer()
    reviews = fields.Integer()


# --- what rankings announces -----------------------------------------------------------------

class ReviewEventSchema(Schema):
    """review_created and review_deleted."""

    review_id = fields.UUID(attribute="id")
    user_id = fields.UUID()
    restaurant_id = fields.UUID()
    rating = fields.Integer()


class ReviewUpdatedEventSchema(ReviewEventSchema):
    previous_rating = fields.Integer()


class ReviewLikedEventSchema(Schema):
    review_id = fields.UUID()
    user_id = fields.UUID()  # who liked it
    author_id = fields.UUID()


class ReviewCommentedEventSchema(Schema):
    review_id = fields.UUID()
    comment_id = fields.UUID()
    user_id = fields.UUID()  # who commented
    author_id = fields.UUID()


# --- what the summary reads back from those events --------------------------------------------

class ReviewRatingPayload(Schema):
    class Meta:
        unknown = EXCLUDE

    review_id = fields.UUID(required=True)
    restaurant_id = fields.UUID(required=True)
    rating = stars(required=True)
    previous_rating = stars(load_default=None)
