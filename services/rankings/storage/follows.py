"""Where rankings stores who follows whom (queries; part of RankingsStore)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from services.rankings.contract.rpc import FOLLOWS_ORDER
from services.rankings.storage.models import Follow, User
from shared.pages import Keyset, Page, fetch_page

# newest first, then the other user's id: each list's own index (storage.models) holds its
# user's follows in this order
FOLLOWERS = Keyset(FOLLOWS_ORDER[0], (Follow.created_at, Follow.follower_id), descending=True)
FOLLOWING = Keyset(FOLLOWS_ORDER[0], (Follow.created_at, Follow.followed_id), descending=True)


class FollowsQueries:
    """Mixed into RankingsStore: `self.session` is the worker's SQLAlchemy session."""

    def add_follow(self, follower_id: uuid.UUID, followed_id: uuid.UUID) -> dict | None:
        """The new follow {follower_id, followed_id, created_at}, or None if it existed."""
        row = self.session.execute(
            insert(Follow).values(follower_id=follower_id, followed_id=followed_id)
            .on_conflict_do_nothing()
            .returning(Follow.follower_id, Follow.followed_id, Follow.created_at)
        ).first()
        return dict(row._mapping) if row else None

    def remove_follow(self, follower_id: uuid.UUID, followed_id: uuid.UUID) -> bool:
        """False if there was no such follow."""
        return self.session.execute(
            delete(Follow).where(Follow.follower_id == follower_id,
                                 Follow.followed_id == followed_id)
            .returning(Follow.follower_id)
        ).first() is not None

    def followers_of(self, user_id: uuid.UUID, *, limit: int, offset: int,
                     cursor: tuple | None = None) -> Page:
        """Page of (follower, since) pairs, newest first."""
        return self._follow_page(Follow.followed_id, FOLLOWERS, user_id, limit, offset, cursor)

    def followed_by(self, user_id: uuid.UUID, *, limit: int, offset: int,
                    cursor: tuple | None = None) -> Page:
        """Page of (followed user, since) pairs, newest first."""
        return self._follow_page(Follow.follower_id, FOLLOWING, user_id, limit, offset, cursor)

    def _follow_page(self, own_side, keyset: Keyset, user_id, limit, offset, cursor) -> Page:
        other_side = keyset.columns[-1]
        query = (select(User, Follow.created_at).join(Follow, other_side == User.id)
                 .where(own_side == user_id))
        found = fetch_page(self.session, query, keyset, limit, offset, cursor)
        return Page([tuple(row) for row in found.rows], found.total, found.next_cursor)
