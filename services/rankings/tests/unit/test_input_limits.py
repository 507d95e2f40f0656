"""Input limits of everything rankings accepts (issue #7): accounts, profiles, one-best
lists, reviews, comments, follows and rewards. Each string, list, number and page size
bounded, at the limit accepted and one past it refused; unknown and read-only fields (role,
ids, authors, counters, timestamps) refused by name (422 for bodies, 400 for queries)."""

from __future__ import annotations

import uuid

from services.rankings.contract import rpc
from services.rankings.contract.rpc import (
    MAX_RANK,
    BestDishesQuery,
    CommentInput,
    CommentsQuery,
    CredentialsInput,
    DishTypeInput,
    FavoritesQuery,
    FollowsQuery,
    HistoryQuery,
    PasswordChangeInput,
    PlaceDishInput,
    RefreshInput,
    RegisterInput,
    ReviewInput,
    ReviewsQuery,
    UserIdInput,
    UserUpdateInput,
)
from shared.schemas import MAX_OFFSET
from shared.tests.input_limits import (
    accepted,
    refused,
    schema_limit_tests,
)

EMAIL = "aisyah@example.com"
PASSWORD = "correct horse battery"
# a valid example of everything rankings accepts: a new input schema needs one here
VALID = {
    RegisterInput: {"email": EMAIL, "username": "aisyah", "password": PASSWORD},
    CredentialsInput: {"email": EMAIL, "password": PASSWORD},
    RefreshInput: {"refresh_token": "a-refresh-token"},
    PasswordChangeInput: {"current_password": PASSWORD, "new_password": PASSWORD + " 2"},
    UserUpdateInput: {},
    PlaceDishInput: {"dish_id": str(uuid.uuid4()), "rank": 1},
    DishTypeInput: {"dish_type": "nasi lemak"},
    HistoryQuery: {},
    BestDishesQuery: {"dish_type": "nasi lemak", "city": "Ipoh"},
    ReviewInput: {"rating": 4},
    CommentInput: {"content": "The sambal!"},
    ReviewsQuery: {},
    CommentsQuery: {},
    FollowsQuery: {},
    FavoritesQuery: {},
    UserIdInput: {"user_id": str(uuid.uuid4())},
}


def email(length: int) -> str:
    """A valid address of `length` characters (labels of at most 63)."""
    local = "a" * 64
    labels, left = [], length - len(local) - 1 - len(".com")
    while left > 0:
        label = min(63, left)
        labels.append("d" * label)
        left -= label + 1
    return f"{local}@{'.'.join(labels)}.com"


def url(length: int) -> str:
    start = "https://cdn.example.com/"
    return start + "p" * (length - len(start))


PHOTO = url(40)

# schema, field, the largest accepted value, the smallest refused one
LIMITS = [
    (RegisterInput, "email", email(254), email(255)),
    (RegisterInput, "username", "u" * 50, "u" * 51),
    (RegisterInput, "password", "p" * 128, "p" * 129),
    (RegisterInput, "display_name", "d" * 100, "d" * 101),
    (CredentialsInput, "email", "e" * 254, "e" * 255),
    (CredentialsInput, "password", "p" * 128, "p" * 129),
    (RefreshInput, "refresh_token", "t" * 200, "t" * 201),
    (PasswordChangeInput, "current_password", "p" * 128, "p" * 129),
    (PasswordChangeInput, "new_password", "p" * 128, "p" * 129),
    (UserUpdateInput, "display_name", "d" * 100, "d" * 101),
    (UserUpdateInput, "bio", "b" * 2000, "b" * 2001),
    (UserUpdateInput, "location", "l" * 100, "l" * 101),
    (UserUpdateInput, "profile_image_url", url(500), url(501)),
    (PlaceDishInput, "rank", MAX_RANK, MAX_RANK + 1),
    (PlaceDishInput, "rank", 1, -(2**63)),
    (PlaceDishInput, "notes", "n" * 2000, "n" * 2001),
    (PlaceDishInput, "photo_urls", [PHOTO] * 10, [PHOTO] * 11),
    (PlaceDishInput, "photo_urls", [url(500)], [url(501)]),
    (DishTypeInput, "dish_type", "t" * 100, "t" * 101),
    (HistoryQuery, "limit", "100", "101"),
    (HistoryQuery, "dish_type", "t" * 100, "t" * 101),
    (HistoryQuery, "offset", str(MAX_OFFSET), "99999999999999999999"),
    (BestDishesQuery, "dish_type", "t" * 100, "t" * 101),
    (BestDishesQuery, "city", "c" * 100, "c" * 101),
    (BestDishesQuery, "limit", "50", "51"),
    (BestDishesQuery, "offset", str(MAX_OFFSET), str(MAX_OFFSET + 1)),
    (ReviewInput, "rating", 5, 6),
    (ReviewInput, "content", "c" * 5000, "c" * 5001),
    (ReviewInput, "photos", [PHOTO] * 10, [PHOTO] * 11),
    (ReviewInput, "photos", [url(500)], [url(501)]),
    (CommentInput, "content", "c" * 2000, "c" * 2001),
    (ReviewsQuery, "limit", "50", "51"),
    (ReviewsQuery, "offset", str(MAX_OFFSET), str(MAX_OFFSET + 1)),
    (CommentsQuery, "limit", "100", "101"),
    (CommentsQuery, "offset", str(MAX_OFFSET), str(MAX_OFFSET + 1)),
    (FollowsQuery, "limit", "50", "51"),
    (FollowsQuery, "offset", str(MAX_OFFSET), "99999999999999999999"),
    (FavoritesQuery, "limit", "50", "51"),
    (FavoritesQuery, "offset", str(MAX_OFFSET), "99999999999999999999"),
]

NOW = "2024-01-01T00:00:00Z"
# who a user is, what they earned and when things happened are never a client's to say
READ_ONLY = [
    (RegisterInput, "role", "admin"),
    (RegisterInput, "id", str(uuid.uuid4())),
    (RegisterInput, "created_at", NOW),
    (RegisterInput, "points", 1000),
    (PasswordChangeInput, "role", "admin"),
    (PasswordChangeInput, "user_id", str(uuid.uuid4())),
    (UserUpdateInput, "role", "admin"),
    (UserUpdateInput, "id", str(uuid.uuid4())),
    (UserUpdateInput, "email", "someone.else@example.com"),
    (UserUpdateInput, "username", "someone_else"),
    (UserUpdateInput, "password", PASSWORD),
    (UserUpdateInput, "created_at", NOW),
    (UserUpdateInput, "updated_at", NOW),
    (UserUpdateInput, "points", 1000),
    (UserUpdateInput, "followers_count", 1000),
    (PlaceDishInput, "user_id", str(uuid.uuid4())),
    (PlaceDishInput, "dish_type", "laksa"),       # the list's, from the path
    (PlaceDishInput, "ranked_at", NOW),
    (PlaceDishInput, "updated_at", NOW),
    (ReviewInput, "id", str(uuid.uuid4())),
    (ReviewInput, "user_id", str(uuid.uuid4())),
    (ReviewInput, "restaurant_id", str(uuid.uuid4())),
    (ReviewInput, "like_count", 1000),
    (ReviewInput, "comment_count", 1000),
    (ReviewInput, "created_at", NOW),
    (CommentInput, "id", str(uuid.uuid4())),
    (CommentInput, "user_id", str(uuid.uuid4())),
    (CommentInput, "review_id", str(uuid.uuid4())),
    (CommentInput, "created_at", NOW),
]

globals().update(schema_limit_tests((rpc,),
                                    VALID, LIMITS, READ_ONLY))


def test_the_longest_email_is_accepted_as_sent():
    assert len(email(254)) == 254
    assert accepted(RegisterInput, {**VALID[RegisterInput], "email": email(254)})["email"] \
        == email(254)


def test_a_password_never_appears_in_the_refusal():
    details = refused(RegisterInput, {**VALID[RegisterInput], "password": "p" * 129})
    assert "p" * 129 not in repr(details)
