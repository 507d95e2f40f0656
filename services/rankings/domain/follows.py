"""Follows: a user follows another (never themselves, never twice) and may stop."""

from __future__ import annotations

import uuid

from services.rankings.contract.events import USER_FOLLOWED, USER_UNFOLLOWED
from services.rankings.contract.rpc import FollowerSchema, FollowSchema
from services.rankings.domain.users import user_or_404
from shared.errors import Conflict, InvalidInput, NotFound
from shared.schemas import paged

follower_schema = FollowerSchema()


def follow_user(store, user_id: uuid.UUID, target_id: uuid.UUID,
                idempotency_key: str | None = None) -> dict:
    if user_id == target_id:
        raise InvalidInput("you cannot follow yourself",
                           {"fields": {"target_id": ["cannot follow yourself"]}})

    def apply():
        user_or_404(store, user_id)
        user_or_404(store, target_id)
        follow = store.add_follow(user_id, target_id)
        if follow is None:
            raise Conflict("you already follow this user", {"user_id": str(target_id)})
        store.emit(USER_FOLLOWED, USER_FOLLOWED.dump(follow))
        return FollowSchema().dump(follow)

    request = {"user_id": user_id, "target_id": target_id}
    return store.command("follow_user", idempotency_key, request, apply)


def unfollow_user(store, user_id: uuid.UUID, target_id: uuid.UUID,
                  idempotency_key: str | None = None) -> None:
    def apply():
        user_or_404(store, user_id)
        if not store.remove_follow(user_id, target_id):
            raise NotFound("you do not follow this user", {"user_id": str(target_id)})
        store.emit(USER_UNFOLLOWED, USER_UNFOLLOWED.dump(
            {"follower_id": user_id, "followed_id": target_id}))

    request = {"user_id": user_id, "target_id": target_id}
    store.command("unfollow_user", idempotency_key, request, apply)


def _follow_list(found, query: dict) -> dict:
    items = [{"user": user, "followed_at": since} for user, since in found.rows]
    return paged(found, follower_schema.dump(items, many=True), query)


def list_followers(store, user_id: uuid.UUID, query: dict) -> dict:
    """Who follows `user_id`, newest follower first."""
    user_or_404(store, user_id)
    return _follow_list(store.followers_of(user_id, **query), query)


def list_following(store, user_id: uuid.UUID, query: dict) -> dict:
    """Whom `user_id` follows, most recently followed first."""
    user_or_404(store, user_id)
    return _follow_list(store.followed_by(user_id, **query), query)
