"""Accounts and profiles: registration, credentials, profile edits, what others see.

Passwords are kept only as scrypt hashes (random salt per password) and never
leave this module: no answer, event or idempotency record carries one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from functools import cache

from eventlet import tpool

from services.rankings.contract.events import USER_REGISTERED
from services.rankings.contract.rpc import (
    ProfileLiteSchema,
    PublicProfileSchema,
    UserPrivateSchema,
)
from services.rankings.domain.rewards import reward_summary
from shared.errors import NotFound, Unauthorized

user_private_schema = UserPrivateSchema()
profile_lite_schema = ProfileLiteSchema()
public_profile_schema = PublicProfileSchema()

# scrypt cost: 16 MiB and some tens of milliseconds per hash (the parameters travel with each
# hash, so raising them later still verifies the old ones)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAX_SCRYPT_MEMORY = 64 * 1024 * 1024
INVALID_CREDENTIALS = "invalid email or password"


# --- passwords -------------------------------------------------------------------------------

def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # In a real thread (hashlib releases the GIL): tens of milliseconds of hashing on the
    # eventlet hub would stall every other request of the service meanwhile.
    # surrogatepass: any string JSON can carry hashes, rather than failing on a lone surrogate
    return tpool.execute(hashlib.scrypt, password.encode("utf-8", "surrogatepass"), salt=salt,
                         n=n, r=r, p=p, dklen=length, maxmem=MAX_SCRYPT_MEMORY)


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$key` (base64): what the users table keeps instead of the password."""
    salt = os.urandom(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def password_matches(password: str, stored_hash: str) -> bool:
    """Constant-time comparison with a stored hash; False for anything not one of ours."""
    try:
        scheme, n, r, p, salt, key = stored_hash.split("$")
        if scheme != "scrypt":
            return False
        salt_bytes, key_bytes = base64.b64decode(salt, validate=True), base64.b64decode(
            key, validate=True)
        candidate = _scrypt(password, salt_bytes, int(n), int(r), int(p), len(key_bytes))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, key_bytes)


@cache
def _decoy_hash() -> str:
    """Checked when the email is unknown, so an unknown email costs as long as a wrong password."""
    return hash_password(uuid.uuid4().hex)


# --- reads -----------------------------------------------------------------------------------

def user_or_404(store, user_id: uuid.UUID, *, for_update: bool = False):
    user = store.get_user(user_id, for_update=for_update)
    if user is None:
        raise NotFound("user not found", {"user_id": str(user_id)})
    return user


def get_user(store, user_id: uuid.UUID) -> dict:
    return user_private_schema.dump(user_or_404(store, user_id))


def verify_credentials(store, email: str, password: str) -> dict:
    """The user whose email and password these are; Unauthorized alike for either mistake."""
    user = store.user_with_email(email.strip())
    if user is None:
        password_matches(password, _decoy_hash())
        raise Unauthorized(INVALID_CREDENTIALS)
    if not password_matches(password, user.password_hash):
        raise Unauthorized(INVALID_CREDENTIALS)
    return user_private_schema.dump(user)


def get_public_profile(store, user_id: uuid.UUID) -> dict:
    user = user_or_404(store, user_id)
    profile = public_profile_schema.dump({
        "id": user.id, "username": user.username, "display_name": user.display_name,
        "profile_image_url": user.profile_image_url, "bio": user.bio, "location": user.location,
        "created_at": user.created_at, **store.profile_counts(user_id)})
    return {**profile, **reward_summary(store, user_id)}  # already an answer (JSON-ready)


def get_public_profiles(store, user_ids: list[uuid.UUID]) -> list[dict]:
    """The users that exist, in the order asked, each once."""
    found = {user.id: user for user in store.get_users(user_ids)}
    return [profile_lite_schema.dump(found[user_id])
            for user_id in dict.fromkeys(user_ids) if user_id in found]


# --- writes ----------------------------------------------------------------------------------

def register_user(store, fields: dict, idempotency_key: str | None = None) -> dict:
    """A new account, an ordinary user whatever its email (SPEC §7: admins are made by an
    operator, services.rankings.jobs create-admin); Conflict when its email or username
    is taken, whatever their case."""
    email, username = fields["email"], fields["username"]
    password_hash = hash_password(fields["password"])  # slow on purpose: outside the transaction

    def apply():
        user = store.add_user({
            "email": email, "username": username,
            "display_name": fields.get("display_name"), "password_hash": password_hash,
            "role": "user",
        })
        store.emit(USER_REGISTERED, USER_REGISTERED.dump(
            {"user_id": user.id, "username": user.username, "created_at": user.created_at}))
        return user_private_schema.dump(user)

    # the password stays out of the idempotency record, even as part of a digest
    request = {"email": email, "username": username, "display_name": fields.get("display_name")}
    return store.command("register_user", idempotency_key, request, apply)


def update_user(store, user_id: uuid.UUID, fields: dict,
                idempotency_key: str | None = None) -> dict:
    def apply():
        user = user_or_404(store, user_id, for_update=True)
        return user_private_schema.dump(store.update_user(user, fields))

    request = {"user_id": user_id, "fields": fields}
    return store.command("update_user", idempotency_key, request, apply)
