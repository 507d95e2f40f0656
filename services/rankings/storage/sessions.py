"""Where rankings keeps sessions (queries; part of RankingsStore)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update

from services.rankings.storage.models import Session


class SessionsQueries:
    """Mixed into RankingsStore: `self.session` is the worker's SQLAlchemy session."""

    def add_session(self, *, user_id: uuid.UUID, family_id: uuid.UUID, token_hash: str,
                    expires_at: datetime) -> Session:
        row = Session(user_id=user_id, family_id=family_id, token_hash=token_hash,
                      expires_at=expires_at)
        self.session.add(row)
        self.session.flush()
        return row

    def session_with_hash(self, token_hash: str) -> Session | None:
        """The session of a refresh token, locked: two refreshes with one token take turns,
        and the second sees it rotated."""
        return self.session.scalars(select(Session).where(Session.token_hash == token_hash)
                                    .with_for_update()).first()

    def rotate_session(self, row: Session) -> None:
        row.rotated_at = func.now()

    def revoke_family(self, family_id: uuid.UUID) -> int:
        return self.session.execute(
            update(Session).where(Session.family_id == family_id,
                                  Session.revoked_at.is_(None))
            .values(revoked_at=func.now())).rowcount

    def revoke_user_sessions(self, user_id: uuid.UUID) -> int:
        return self.session.execute(
            update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
            .values(revoked_at=func.now())).rowcount
