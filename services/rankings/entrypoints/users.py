"""The rankings service's users entrypoints (mixed into RankingsService)."""

from __future__ import annotations

from services.rankings.contract.rpc import (
    CredentialsInput,
    RegisterInput,
    UserUpdateInput,
)
from services.rankings.domain import users
from shared.rpc import service_rpc
from shared.schemas import load, parse_id, parse_ids


class UsersEntrypoints:
    """Entrypoints only: validate, call the domain with `self.store`, return."""

    @service_rpc
    def register_user(self, data: dict, idempotency_key: str | None = None) -> dict:
        fields = load(RegisterInput(), data)
        return users.register_user(self.store, fields, idempotency_key)

    @service_rpc
    def verify_credentials(self, email: str, password: str) -> dict:
        credentials = load(CredentialsInput(), {"email": email, "password": password})
        return users.verify_credentials(self.store, credentials["email"],
                                        credentials["password"])

    @service_rpc
    def get_user(self, user_id: str) -> dict:
        return users.get_user(self.store, parse_id(user_id, "user_id"))

    @service_rpc
    def update_user(self, user_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        fields = load(UserUpdateInput(), data)
        return users.update_user(self.store, parse_id(user_id, "user_id"), fields,
                                 idempotency_key)

    @service_rpc
    def get_public_profile(self, user_id: str) -> dict:
        return users.get_public_profile(self.store, parse_id(user_id, "user_id"))

    @service_rpc
    def get_public_profiles(self, user_ids: list[str]) -> list[dict]:
        return users.get_public_profiles(self.store, parse_ids(user_ids, "user_ids"))
