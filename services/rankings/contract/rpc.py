"""What rankings' RPCs accept and answer (SPEC §4), area by area.

No schema here has a password field that dumps: a password is only ever loaded.
"""

from __future__ import annotations

import decimal
import uuid
from datetime import datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared.schemas import (
    Cursor,
    PagedQuery,
    StrictBoolean,
    name_field,
    paging_fields,
    text_field,
    web_url,
)

MAX_RANK = 5  # a one-best list holds ranks 1..5
TASTE_STATUSES = ("ACCEPTABLE", "SECOND_CHANCE", "DISSATISFIED")
ROLES = ("user", "admin")
RATINGS = ("1", "2", "3", "4", "5")
MAX_PHOTOS = 10
MAX_DISH_TYPE = 100

USERNAME_PATTERN = r"[A-Za-z0-9_.-]{3,50}\Z"
PASSWORD_LENGTH = {"min": 8, "max": 128}
MAX_EMAIL_LENGTH = 254

HISTORY_PAGE = {"default_limit": 20, "max_limit": 100}
BEST_DISHES_PAGE = {"default_limit": 20, "max_limit": 50}
REVIEWS_PAGE = {"default_limit": 50, "max_limit": 50}
COMMENTS_PAGE = {"default_limit": 20, "max_limit": 100}
FOLLOWS_PAGE = {"default_limit": 20, "max_limit": 50}
FAVORITES_PAGE = {"default_limit": 20, "max_limit": 50}

# each list's order, as its cursor holds it (the kinds of the key's columns, in order)
HISTORY_ORDER = ("ranking_history", (int,))  # id: newest change first
# the moment the list is scored as of (its first page's), then its order: best score
# first, then the most rankings, then dish id (the first two negated: one direction)
BEST_DISHES_ORDER = ("best_dishes", (datetime, decimal.Decimal, int, uuid.UUID))
REVIEWS_ORDER = ("reviews", (datetime, uuid.UUID))  # created_at, id: newest first
COMMENTS_ORDER = ("comments", (datetime, uuid.UUID))  # created_at, id: oldest first
# followed at, the other user's id: newest first (followers and following alike)
FOLLOWS_ORDER = ("follows", (datetime, uuid.UUID))
# favorited at, the restaurant's id: newest first
FAVORITES_ORDER = ("favorites", (datetime, uuid.UUID))


def stars(**kwargs) -> fields.Integer:
    """A whole number of stars, 1..5: not "4", not 4.0, not true."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=5), **kwargs)


class TrimmedEmail(fields.Email):
    """An email address without the spaces a form may have added around it."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


# --- rewards: points, badges, career (shown on profiles) ----------------------------------

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


class UserIdInput(Schema):
    class Meta:
        unknown = RAISE

    user_id = fields.UUID(required=True)


# --- users: accounts and profiles ---------------------------------------------------------

class RegisterInput(Schema):
    class Meta:
        unknown = RAISE

    email = TrimmedEmail(required=True, validate=validate.Length(max=MAX_EMAIL_LENGTH))
    username = fields.String(required=True, validate=validate.Regexp(
        USERNAME_PATTERN, error="3 to 50 letters, digits, '_', '.' or '-'"))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(**PASSWORD_LENGTH))
    display_name = name_field(100, allow_none=True)


class CredentialsInput(Schema):
    """What a login sends: any password length up to the maximum is checked, not judged."""

    class Meta:
        unknown = RAISE

    email = fields.String(required=True, validate=validate.Length(max=MAX_EMAIL_LENGTH))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(max=PASSWORD_LENGTH["max"]))


# --- sessions: refresh tokens (SPEC §7) -----------------------------------------------------

REFRESH_TOKEN_MAX_LENGTH = 200


class RefreshInput(Schema):
    """POST /auth/refresh and /auth/logout: the refresh token a sign-in (or the last
    refresh) gave."""

    class Meta:
        unknown = RAISE

    refresh_token = fields.String(required=True, load_only=True, validate=validate.Length(
        min=1, max=REFRESH_TOKEN_MAX_LENGTH))


class PasswordChangeInput(Schema):
    """POST /users/me/password: the current password, and the new one (judged as a new
    account's is)."""

    class Meta:
        unknown = RAISE

    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(max=PASSWORD_LENGTH["max"]))
    new_password = fields.String(required=True, load_only=True,
                                 validate=validate.Length(**PASSWORD_LENGTH))


class SessionSchema(Schema):
    """A session's next refresh token, and whose it is (with the account's role now: a
    role change applies from the next refresh on)."""

    user_id = fields.UUID()
    role = fields.String()
    refresh_token = fields.String()
    refresh_expires_at = fields.AwareDateTime()


class UserUpdateInput(Schema):
    """A user's own profile edits; every field optional, null clears it."""

    class Meta:
        unknown = RAISE

    display_name = name_field(100, allow_none=True)
    bio = text_field(2000, allow_none=True)
    location = text_field(100, allow_none=True)
    profile_image_url = web_url(allow_none=True)
    # whether anyone may read the user's ranking history (GET /users/{id}/rankings/history)
    history_public = StrictBoolean()


class UserPrivateSchema(Schema):
    """A user as they themselves (and the gateway's auth) see the account."""

    id = fields.UUID()
    email = fields.String()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    profile_image_url = fields.String(allow_none=True)
    history_public = fields.Boolean()
    role = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ProfileLiteSchema(Schema):
    """Enough of a user to show their name and picture next to what they did."""

    id = fields.UUID()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    profile_image_url = fields.String(allow_none=True)


class PublicProfileSchema(ProfileLiteSchema):
    """What anyone sees of a user; points, badges and career come from the rewards area."""

    bio = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    history_public = fields.Boolean()  # whether anyone may read their ranking history
    followers_count = fields.Integer()
    following_count = fields.Integer()
    ranking_count = fields.Integer()
    review_count = fields.Integer()
    points = fields.Integer()
    badges = fields.List(fields.Nested(BadgeProgressSchema))
    career = fields.Nested(CareerSchema)


# --- rankings: one-best lists, dish stats, best dishes ------------------------------------

def dish_type_field(**kwargs) -> fields.String:
    return name_field(MAX_DISH_TYPE, **kwargs)


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

    dish_type = dish_type_field(required=True)


class HistoryQuery(PagedQuery):
    """One user's ranking history, newest change first: of one dish type, or of all."""

    dish_type = dish_type_field()
    limit, offset = paging_fields(**HISTORY_PAGE).values()
    cursor = Cursor(*HISTORY_ORDER)


class BestDishesQuery(PagedQuery):
    dish_type = dish_type_field(required=True)
    city = name_field(100, required=True)
    limit, offset = paging_fields(**BEST_DISHES_PAGE).values()
    cursor = Cursor(*BEST_DISHES_ORDER)


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
    dish_name = fields.String(allow_none=True)  # as rankings knows it (null: not yet)
    dish_type = fields.String()
    restaurant_id = fields.UUID()
    restaurant_name = fields.String(allow_none=True)
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


# --- reviews, likes, comments, summaries --------------------------------------------------

class ReviewInput(Schema):
    """A new review; an edit loads it with partial=True."""

    class Meta:
        unknown = RAISE

    rating = stars(required=True)
    content = text_field(5000, allow_none=True)
    photos = fields.List(web_url(), validate=validate.Length(max=MAX_PHOTOS))


class CommentInput(Schema):
    class Meta:
        unknown = RAISE

    content = name_field(2000, required=True)


class ReviewsQuery(PagedQuery):
    limit, offset = paging_fields(**REVIEWS_PAGE).values()
    cursor = Cursor(*REVIEWS_ORDER)


class CommentsQuery(PagedQuery):
    limit, offset = paging_fields(**COMMENTS_PAGE).values()
    cursor = Cursor(*COMMENTS_ORDER)


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


# --- follows ------------------------------------------------------------------------------

class FollowsQuery(PagedQuery):
    limit, offset = paging_fields(**FOLLOWS_PAGE).values()
    cursor = Cursor(*FOLLOWS_ORDER)


class FollowSchema(Schema):
    follower_id = fields.UUID()
    followed_id = fields.UUID()
    created_at = fields.AwareDateTime()


class FollowerSchema(Schema):
    """One entry of a followers or following list: the other user, and since when."""

    user = fields.Nested(ProfileLiteSchema)
    followed_at = fields.AwareDateTime()


# --- favorites ----------------------------------------------------------------------------

class FavoritesQuery(PagedQuery):
    limit, offset = paging_fields(**FAVORITES_PAGE).values()
    cursor = Cursor(*FAVORITES_ORDER)


class FavoriteSchema(Schema):
    """A restaurant the user keeps as a favorite, and since when."""

    restaurant_id = fields.UUID()
    favorited_at = fields.AwareDateTime()
