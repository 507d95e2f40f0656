"""Sessions (SPEC §7): a sign-in opens one, its refresh token rotated on every use.

A refresh token is 32 random bytes (URL-safe base64); only its SHA-256 is stored. Each
refresh answers a new token of the same family and marks the old one rotated; a rotated
token used again means two parties hold it (one of them a thief), so the whole family is
revoked: both must sign in again. Signing out revokes the family; a password change
revokes every session of the account. The account's role is read at each refresh: a role
change applies from the next one.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from services.rankings.contract.rpc import SessionSchema
from services.rankings.domain.users import (
    INVALID_CREDENTIALS,
    hash_password,
    password_matches,
    user_or_404,
)
from shared.errors import Unauthorized

DEFAULT_TTL = timedelta(days=30)
INVALID_REFRESH_TOKEN = "the refresh token is not valid: sign in again"
REUSED_REFRESH_TOKEN = ("the refresh token was used before: every session it belongs to "
                        "is signed out, sign in again")
session_schema = SessionSchema()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _issue(store, user, family_id: uuid.UUID, ttl: timedelta) -> dict:
    token = secrets.token_urlsafe(32)
    row = store.add_session(user_id=user.id, family_id=family_id, token_hash=digest(token),
                            expires_at=datetime.now(UTC) + ttl)
    return session_schema.dump({"user_id": user.id, "role": user.role,
                                "refresh_token": token,
                                "refresh_expires_at": row.expires_at})


def open_session(store, user_id: uuid.UUID, ttl: timedelta = DEFAULT_TTL) -> dict:
    """A new session (a family of its own) for an account that just proved who it is."""
    with store.transaction():
        return _issue(store, user_or_404(store, user_id), uuid.uuid4(), ttl)


def refresh_session(store, token: str, ttl: timedelta = DEFAULT_TTL) -> dict:
    """The next refresh token of `token`'s session; Unauthorized for a token unknown,
    expired or signed out, and for one used before (its family is revoked then)."""
    with store.transaction():
        row = store.session_with_hash(digest(token))
        if row is None or row.revoked_at is not None or row.expires_at <= datetime.now(UTC):
            raise Unauthorized(INVALID_REFRESH_TOKEN)
        if row.rotated_at is not None:
            store.revoke_family(row.family_id)
            reused = True
        else:
            reused = False
            store.rotate_session(row)
            answer = _issue(store, user_or_404(store, row.user_id), row.family_id, ttl)
    if reused:  # the revocation is committed: the thief's copy is dead too
        raise Unauthorized(REUSED_REFRESH_TOKEN)
    return answer


def close_session(store, token: str) -> None:
    """Sign out: the token's family is revoked. A token nobody knows changes nothing (and
    says so to no one)."""
    with store.transaction():
        row = store.session_with_hash(digest(token))
        if row is not None:
            store.revoke_family(row.family_id)


def change_password(store, user_id: uuid.UUID, current: str, new: str) -> None:
    """The account's password is `new` once `current` is right (Unauthorized otherwise);
    every session of the account is revoked."""
    user = user_or_404(store, user_id)
    if not password_matches(current, user.password_hash):
        raise Unauthorized(INVALID_CREDENTIALS)
    new_hash = hash_password(new)  # slow on purpose: outside the transaction
    store.session.rollback()
    with store.transaction():
        user = user_or_404(store, user_id, for_update=True)
        if not password_matches(current, user.password_hash):  # changed meanwhile
            raise Unauthorized(INVALID_CREDENTIALS)
        user.password_hash = new_hash
        store.revoke_user_sessions(user_id)
