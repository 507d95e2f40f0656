"""Accounts and profiles: registration, credentials, profile edits, what others see.

Passwords are kept only as Argon2id hashes (domain/passwords.py) and never leave this
module: no answer, event or idempotency record carries one.
"""

from __future__ import annotations

import uuid

from services.rankings.contract.events import USER_REGISTERED
from services.rankings.contract.rpc import (
    ProfileLiteSchema,
    PublicProfileSchema,
    UserPrivateSchema,
)
from services.rankings.domain.passwords import (
    decoy_hash,
    hash_password,
    needs_rehash,
    password_matches,
)
from services.rankings.domain.rewards import reward_summary
from shared.errors import NotFound, Unauthorized

user_private_schema = UserPrivateSchema()
profile_lite_schema = ProfileLiteSchema()
public_profile_schema = PublicProfileSchema()

INVALID_CREDENTIALS = "invalid email or password"


# --- reads -----------------------------------------------------------------------------------

def user_or_404(store, user_id: uuid.UUID, *, for_update: bool = False):
    user = store.get_user(user_id, for_update=for_update)
    if user is None:
        raise NotFound("user not found", {"user_id": str(user_id)})
    return user


def get_user(store, user_id: uuid.UUID) -> dict:
    return user_private_schema.dump(user_or_404(store, user_id))


def verify_credentials(store, email: str, password: str) -> dict:
    """The user whose email and password these are; Unauthorized alike for either mistake.
    A matching hash of an older scheme or cost is replaced with a current one."""
    user = store.user_with_email(email.strip())
    if user is None:
        password_matches(password, decoy_hash())
        raise Unauthorized(INVALID_CREDENTIALS)
    if not password_matches(password, user.password_hash):
        raise Unauthorized(INVALID_CREDENTIALS)
    answer = user_private_schema.dump(user)
    if needs_rehash(user.password_hash):
        _upgrade_password_hash(store, user, password)
    return answer


def _upgrade_password_hash(store, user, password: str) -> None:
    """The account's hash made again in today's scheme and cost, after a good sign-in (the
    one moment the password is known); a password changed meanwhile keeps the new one."""
    old_hash = user.password_hash
    new_hash = hash_password(password)  # slow on purpose: outside the transaction
    with store.transaction():
        store.replace_password_hash(user.id, old_hash, new_hash)


def get_public_profile(store, user_id: uuid.UUID) -> dict:
    user = user_or_404(store, user_id)
    profile = public_profile_schema.dump({
        "id": user.id, "username": user.username, "display_name": user.display_name,
        "profile_image_url": user.profile_image_url, "bio": user.bio, "location": user.location,
        "created_at": user.created_at, "history_public": user.history_public,
        **store.profile_counts(user_id)})
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
