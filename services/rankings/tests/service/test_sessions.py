"""Sessions over RPC against the real rankings service and PostgreSQL (SPEC §7): refresh
tokens rotated on each use, a reused one revoking its whole family, signing out, a
password change signing out everywhere, and a role change seen at the next refresh."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from shared.errors import InvalidInput, NotFound, Unauthorized

PASSWORD = "s3cret-pass"


@pytest.fixture
def user(rankings) -> dict:
    return rankings.register_user({"email": "sess@example.com", "username": "sess",
                                   "password": PASSWORD})


def test_a_session_rotates_its_refresh_token_on_each_use(rankings, user):
    opened = rankings.open_session(user["id"])
    assert set(opened) == {"user_id", "role", "refresh_token", "refresh_expires_at"}
    assert (opened["user_id"], opened["role"]) == (user["id"], "user")
    second = rankings.refresh_session(opened["refresh_token"])
    third = rankings.refresh_session(second["refresh_token"])
    tokens = {opened["refresh_token"], second["refresh_token"], third["refresh_token"]}
    assert len(tokens) == 3 and third["user_id"] == user["id"]


def test_only_a_digest_of_the_token_is_kept(rankings, user, rankings_db_engine):
    token = rankings.open_session(user["id"])["refresh_token"]
    with rankings_db_engine.connect() as conn:
        stored = conn.scalar(text("SELECT token_hash FROM sessions"))
        dump = " ".join(str(value) for row in conn.execute(text("SELECT * FROM sessions"))
                        for value in row)
    assert token not in dump and len(stored) == 64


def test_a_reused_refresh_token_signs_its_whole_family_out(rankings, user):
    stolen = rankings.open_session(user["id"])["refresh_token"]
    elsewhere = rankings.open_session(user["id"])["refresh_token"]  # another device
    rightful = rankings.refresh_session(stolen)["refresh_token"]
    with pytest.raises(Unauthorized, match="used before"):
        rankings.refresh_session(stolen)  # the thief (or the owner) uses the old one again
    with pytest.raises(Unauthorized, match="not valid"):
        rankings.refresh_session(rightful)  # the family is gone: both must sign in again
    assert rankings.refresh_session(elsewhere)["user_id"] == user["id"]  # its own family


def test_signing_out_revokes_the_session_and_says_nothing_of_unknown_tokens(rankings, user):
    token = rankings.open_session(user["id"])["refresh_token"]
    next_token = rankings.refresh_session(token)["refresh_token"]
    assert rankings.close_session(next_token) is None
    with pytest.raises(Unauthorized, match="not valid"):
        rankings.refresh_session(next_token)
    assert rankings.close_session("never-issued") is None
    assert rankings.close_session(next_token) is None  # again: the same


def test_a_password_change_signs_out_everywhere(rankings, user):
    sessions = [rankings.open_session(user["id"])["refresh_token"] for _ in range(2)]
    with pytest.raises(Unauthorized):
        rankings.change_password(user["id"], {"current_password": "wrong-password",
                                              "new_password": "n3w-s3cret-pass"})
    assert rankings.refresh_session(sessions[0])  # a wrong password changed nothing
    current = rankings.refresh_session(sessions[1])["refresh_token"]
    assert rankings.change_password(user["id"], {"current_password": PASSWORD,
                                                 "new_password": "n3w-s3cret-pass"}) is None
    for token in (current, sessions[0]):
        with pytest.raises(Unauthorized):
            rankings.refresh_session(token)
    with pytest.raises(Unauthorized):
        rankings.verify_credentials("sess@example.com", PASSWORD)
    assert rankings.verify_credentials("sess@example.com", "n3w-s3cret-pass")["id"] == user["id"]


def test_a_role_change_applies_from_the_next_refresh(rankings, user, rankings_db_engine):
    token = rankings.open_session(user["id"])["refresh_token"]
    with rankings_db_engine.begin() as conn:
        conn.execute(text("UPDATE users SET role = 'admin' WHERE id = :id"), {"id": user["id"]})
    assert rankings.refresh_session(token)["role"] == "admin"


def test_an_expired_refresh_token_is_refused(rankings, user, rankings_db_engine):
    token = rankings.open_session(user["id"])["refresh_token"]
    with rankings_db_engine.begin() as conn:
        conn.execute(text("UPDATE sessions SET expires_at = now() - interval '1 second'"))
    with pytest.raises(Unauthorized, match="not valid"):
        rankings.refresh_session(token)


@pytest.mark.parametrize(("call", "args"), [
    ("refresh_session", [""]),
    ("refresh_session", ["x" * 201]),
    ("refresh_session", [["not", "a", "string"]]),
    ("close_session", [None]),
    ("change_password", [None, {"current_password": PASSWORD, "new_password": "short"}]),
    ("change_password", [None, {"current_password": PASSWORD}]),
    ("change_password", [None, {"current_password": PASSWORD, "new_password": "n3w-pass-1",
                                "role": "admin"}]),
])
def test_bad_input_is_refused_clearly(rankings, user, call, args):
    args = [user["id"] if arg is None and call == "change_password" else arg for arg in args]
    with pytest.raises(InvalidInput):
        getattr(rankings, call)(*args)


def test_a_session_for_nobody_is_not_found(rankings):
    with pytest.raises(NotFound):
        rankings.open_session(str(uuid.uuid4()))
