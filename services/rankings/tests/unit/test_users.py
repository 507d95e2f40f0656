"""Users without I/O: credentials checks and what the user schemas accept (password hashes:
test_password_hashing.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from services.rankings.contract.events import USER_REGISTERED
from services.rankings.contract.rpc import (
    CredentialsInput,
    ProfileLiteSchema,
    RegisterInput,
    UserPrivateSchema,
    UserUpdateInput,
)
from services.rankings.domain import users
from services.rankings.domain.passwords import hash_password
from shared.errors import Unauthorized

REGISTRATION = {"email": "aisyah@example.com", "username": "aisyah", "password": "s3cret-pass"}


def errors_of(schema, data, **kwargs) -> dict:
    with pytest.raises(ValidationError) as exc:
        schema.load(data, **kwargs)
    return exc.value.messages


# --- verify_credentials (with a store double) ------------------------------------------------


class CredentialStore:
    def __init__(self, user=None):
        self.user = user
        self.asked = []

    def user_with_email(self, email):
        self.asked.append(email)
        return self.user if self.user and email.lower() == self.user.email.lower() else None


def account(password: str = "s3cret-pass"):
    now = datetime.now(UTC)
    return SimpleNamespace(
        id=uuid.uuid4(), email="Aisyah@Example.com", username="aisyah", display_name=None,
        bio=None, location=None, profile_image_url=None, role="user", created_at=now,
        updated_at=now, password_hash=hash_password(password))


def test_credentials_answer_the_user_without_the_hash():
    user = account()
    answer = users.verify_credentials(CredentialStore(user), " aisyah@example.COM ", "s3cret-pass")
    assert answer["id"] == str(user.id)
    assert "password_hash" not in answer and "password" not in answer


def test_a_wrong_password_and_an_unknown_email_fail_alike(monkeypatch):
    checked = []
    real = users.password_matches
    monkeypatch.setattr(users, "password_matches",
                        lambda password, stored: checked.append(stored) or real(password, stored))
    with pytest.raises(Unauthorized) as wrong_password:
        users.verify_credentials(CredentialStore(account()), "aisyah@example.com", "wrong-pass")
    with pytest.raises(Unauthorized) as unknown_email:
        users.verify_credentials(CredentialStore(), "nobody@example.com", "wrong-pass")
    assert wrong_password.value.message == unknown_email.value.message == (
        "invalid email or password")
    assert wrong_password.value.details == unknown_email.value.details == {}
    # an unknown email still costs one Argon2id check (against a decoy hash)
    assert len(checked) == 2 and all(stored.startswith("$argon2id$") for stored in checked)


# --- RegisterInput ---------------------------------------------------------------------------


def test_register_input_keeps_what_it_needs():
    assert RegisterInput().load({**REGISTRATION, "display_name": "Aisyah"}) == {
        **REGISTRATION, "display_name": "Aisyah"}


def test_register_input_trims_the_email_but_keeps_its_case():
    loaded = RegisterInput().load({**REGISTRATION, "email": "  Aisyah@Example.com \n"})
    assert loaded["email"] == "Aisyah@Example.com"


@pytest.mark.parametrize("email", ["", "aisyah", "aisyah@", "@example.com", "a b@example.com",
                                   "x" * 250 + "@example.com", None, 42])
def test_register_input_rejects_bad_emails(email):
    assert list(errors_of(RegisterInput(), {**REGISTRATION, "email": email})) == ["email"]


@pytest.mark.parametrize("username", ["abc", "A.b-c_9", "x" * 50])
def test_register_input_accepts_usernames(username):
    assert RegisterInput().load({**REGISTRATION, "username": username})["username"] == username


@pytest.mark.parametrize("username", ["ab", "x" * 51, "has space", "emoji😀", "semi;colon",
                                      "trailing\n", "", None])
def test_register_input_rejects_usernames(username):
    assert list(errors_of(RegisterInput(), {**REGISTRATION, "username": username})) == [
        "username"]


@pytest.mark.parametrize("password", ["x" * 8, "x" * 128])
def test_register_input_password_length_bounds_accept(password):
    assert RegisterInput().load({**REGISTRATION, "password": password})["password"] == password


@pytest.mark.parametrize("password", ["x" * 7, "x" * 129, "", None])
def test_register_input_password_length_bounds_refuse(password):
    assert list(errors_of(RegisterInput(), {**REGISTRATION, "password": password})) == [
        "password"]


def test_register_input_requires_email_username_password():
    assert set(errors_of(RegisterInput(), {})) == {"email", "username", "password"}


def test_register_input_refuses_unknown_fields_such_as_a_role():
    assert list(errors_of(RegisterInput(), {**REGISTRATION, "role": "admin"})) == ["role"]


@pytest.mark.parametrize("display_name", ["", "   ", "x" * 101])
def test_register_input_bounds_the_display_name(display_name):
    assert list(errors_of(RegisterInput(), {**REGISTRATION, "display_name": display_name})) == [
        "display_name"]


def test_credentials_input_bounds_without_judging_the_password():
    assert CredentialsInput().load({"email": "a@b.c", "password": "short"}) == {
        "email": "a@b.c", "password": "short"}
    assert list(errors_of(CredentialsInput(), {"email": "a@b.c", "password": "x" * 129})) == [
        "password"]
    assert set(errors_of(CredentialsInput(), {"email": None, "password": 3})) == {
        "email", "password"}


# --- UserUpdateInput -------------------------------------------------------------------------


def test_update_input_every_field_optional_and_null_clears():
    assert UserUpdateInput().load({}) == {}
    cleared = {"display_name": None, "bio": None, "location": None, "profile_image_url": None}
    assert UserUpdateInput().load(cleared) == cleared


@pytest.mark.parametrize(("field", "value"), [
    ("display_name", "x" * 101), ("display_name", " "), ("bio", "x" * 2001),
    ("location", "x" * 101), ("profile_image_url", "javascript:alert(1)"),
    ("profile_image_url", "ftp://example.com/me.png"), ("profile_image_url", "not a url"),
    ("profile_image_url", "https://example.com/" + "x" * 500), ("email", "new@example.com"),
    ("role", "admin"), ("password", "new-password"),
])
def test_update_input_refuses(field, value):
    assert list(errors_of(UserUpdateInput(), {field: value})) == [field]


def test_update_input_accepts_an_https_image():
    url = "https://cdn.example.com/me.png"
    assert UserUpdateInput().load({"profile_image_url": url}) == {"profile_image_url": url}


# --- answers and events never carry a password -------------------------------------------------


def test_answers_and_the_registration_event_leave_the_password_hash_out():
    user = account()
    assert "password_hash" not in UserPrivateSchema().dump(user)
    assert set(ProfileLiteSchema().dump(user)) == {"id", "username", "display_name",
                                                   "profile_image_url"}
    assert USER_REGISTERED.dump({"user_id": user.id, "username": user.username,
                                 "created_at": user.created_at, **vars(user)}) == {
        "user_id": str(user.id), "username": "aisyah", "created_at": user.created_at.isoformat()}
