"""The rankings service's users entrypoints (mixed into RankingsService)."""

from __future__ import annotations

from services.rankings.contract.rpc import (
    CredentialsInput,
    PasswordChangeInput,
    RefreshInput,
    RegisterInput,
    UserUpdateInput,
)
from services.rankings.domain import sessions, users
from shared.rpc import service_rpc
from shared.schemas import load, parse_id, parse_ids


class UsersEntrypoints:
    """Entrypoints only: validate, call the domain with `self.store`, return."""

    @service_rpc
    def register_user(self, data: dict, idempotency_key: str | None = None) -> dict:
        fields = load(RegisterInput, data)
        return users.register_user(self.store, fields, idempotency_key)

    @service_rpc
    def verify_credentials(self, email: str, password: str) -> dict:
        credentials = load(CredentialsInput, {"email": email, "password": password})
        return users.verify_credentials(self.store, credentials["email"],
                                        credentials["password"])

    @service_rpc
    def get_user(self, user_id: str) -> dict:
        return users.get_user(self.store, parse_id(user_id, "user_id"))

    @service_rpc
    def update_user(self, user_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        fields = load(UserUpdateInput, data)
        return users.update_user(self.store, parse_id(user_id, "user_id"), fields,
                                 idempotency_key)

    @service_rpc
    def get_public_profile(self, user_id: str) -> dict:
        return users.get_public_profile(self.store, parse_id(user_id, "user_id"))

    @service_rpc
    def get_public_profiles(self, user_ids: list[str]) -> list[dict]:
        return users.get_public_profiles(self.store, parse_ids(user_ids, "user_ids"))

    # --- sessions (SPEC §7) ---------------------------------------------------------------

    @service_rpc
    def open_session(self, user_id: str) -> dict:
        """A new session for an account whose credentials the caller just verified."""
        return sessions.open_session(self.store, parse_id(user_id, "user_id"))

    @service_rpc
    def refresh_session(self, refresh_token: str) -> dict:
        fields = load(RefreshInput, {"refresh_token": refresh_token})
        return sessions.refresh_session(self.store, fields["refresh_token"])

    @service_rpc
    def close_session(self, refresh_token: str) -> None:
        fields = load(RefreshInput, {"refresh_token": refresh_token})
        sessions.close_session(self.store, fields["refresh_token"])

    @service_rpc
    def change_password(self, user_id: str, data: dict) -> None:
        fields = load(PasswordChangeInput, data)
        sessions.change_password(self.store, parse_id(user_id, "user_id"),
                                 fields["current_password"], fields["new_password"])
