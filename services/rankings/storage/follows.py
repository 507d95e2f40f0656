"""Where rankings stores who follows whom (queries; part of RankingsStore)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from services.rankings.storage.models import Follow, User


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

    def followers_of(self, user_id: uuid.UUID, *, limit: int, offset: int
                     ) -> tuple[list[tuple[User, object]], int]:
        """(follower, since) pairs, newest first."""
        return self._follow_page(Follow.followed_id, Follow.follower_id, user_id, limit, offset)

    def followed_by(self, user_id: uuid.UUID, *, limit: int, offset: int
                    ) -> tuple[list[tuple[User, object]], int]:
        """(followed user, since) pairs, newest first."""
        return self._follow_page(Follow.follower_id, Follow.followed_id, user_id, limit, offset)

    def _follow_page(self, own_side, other_side, user_id, limit, offset):
        total = self.session.scalar(
            select(func.count()).select_from(Follow).where(own_side == user_id))
        rows = self.session.execute(
            select(User, Follow.created_at)
            .join(Follow, other_side == User.id)
            .where(own_side == user_id)
            .order_by(Follow.created_at.desc(), User.id.desc())
            .limit(limit).offset(offset)
        ).all() if total else []
        return [tuple(row) for row in rows], total
