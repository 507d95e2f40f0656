"""Every users RPC against the real broker and PostgreSQL: accounts, credentials, profiles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import eventlet
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.rankings.storage import RankingsStore
from services.rankings.storage.models import DishRanking, Follow, Review, User
from shared.errors import Conflict, InvalidInput, NotFound, Unauthorized
from shared.events import parse_envelope

PASSWORD = "s3cret-pass"
REPO_ROOT = Path(__file__).resolve().parents[4]
CURRENT_COST = "$argon2id$v=19$m=19456,t=2,p=1$"  # domain/passwords.py
# PASSWORD as accounts made before Argon2id keep it, and at a weaker Argon2 cost
OLD_HASHES = {
    "scrypt": ("scrypt$16384$8$1$bGVnYWN5LXNhbHQtMDAwMQ=="
               "$xOrjx+EWm9jCsIkiBuDzVX3d+gH4lQBhmyxZZPNvOiE="),
    "weak-argon2": ("$argon2id$v=19$m=8,t=1,p=1$DKKdcdrDwX1uasl3AKWxOA"
                    "$d9I5kPyxMHdhL/UAL4FJ59rEy2nsZSqGj1O4EMNmzG4"),
}
PRIVATE_FIELDS = {"id", "email", "username", "display_name", "bio", "location",
                  "profile_image_url", "history_public", "role", "created_at", "updated_at"}


@pytest.fixture
def events(record_events):
    """Bound to rankings.events before the service starts."""
    return record_events("rankings")


@pytest.fixture
def service(events, rankings):
    return rankings


def register(rankings, username: str, email: str | None = None, **fields) -> dict:
    return rankings.register_user({"email": email or f"{username}@example.com",
                                   "username": username, "password": PASSWORD, **fields})


def received(events, event_type: str, count: int = 1) -> list[dict]:
    """The next `count` parsed envelopes of `event_type` (others, e.g. rewards', skipped)."""
    found = []
    with eventlet.Timeout(10):
        while len(found) < count:
            [body] = events.take(1)
            if body["event_type"] == event_type:
                envelope = parse_envelope(body)
                assert envelope["producer"] == "rankings" and envelope["version"] == 1
                found.append(envelope)
    return found


def no_more(events, event_type: str) -> None:
    assert [body for body in events.take_all() if body["event_type"] == event_type] == []


def stored_user(engine, user_id: str):
    with engine.connect() as conn:
        return conn.execute(select(User).where(User.id == user_id)).one()


# --- register_user ---------------------------------------------------------------------------


def test_register_answers_the_private_user_without_any_password(service, events,
                                                                rankings_db_engine):
    user = register(service, "aisyah", email="Aisyah@Example.com", display_name="Aisyah")
    assert set(user) == PRIVATE_FIELDS
    assert user["email"] == "Aisyah@Example.com"
    assert (user["username"], user["display_name"], user["role"]) == ("aisyah", "Aisyah", "user")
    assert (user["bio"], user["location"], user["profile_image_url"]) == (None, None, None)
    assert datetime.fromisoformat(user["created_at"]).utcoffset().total_seconds() == 0
    assert PASSWORD not in repr(user)

    row = stored_user(rankings_db_engine, user["id"])
    assert row.password_hash.startswith(CURRENT_COST) and PASSWORD not in row.password_hash

    [event] = received(events, "user_registered")
    assert event["payload"] == {"user_id": user["id"], "username": "aisyah",
                                "created_at": user["created_at"]}
    assert PASSWORD not in repr(event) and "argon2" not in repr(event)


@pytest.mark.parametrize(("email", "username"), [
    ("AISYAH@example.com", "someone_else"),
    ("  aisyah@EXAMPLE.com ", "someone_else"),
    ("someone@example.com", "AISYAH"),
])
def test_a_taken_email_or_username_in_any_case_is_a_conflict(service, events, email, username):
    register(service, "aisyah")
    with pytest.raises(Conflict) as exc:
        register(service, username, email=email)
    assert exc.value.details["fields"]
    [_] = received(events, "user_registered")
    no_more(events, "user_registered")


def test_racing_registrations_for_one_email_make_one_account(service, events,
                                                             rankings_db_engine):
    replies = [service.register_user.call_async({
        "email": "Race@Example.com" if n % 2 else "race@example.com",
        "username": f"racer{n}", "password": PASSWORD}) for n in range(8)]
    outcomes = []
    for reply in replies:
        try:
            outcomes.append(reply.result()["id"])
        except Conflict as exc:
            assert list(exc.details["fields"]) == ["email"]
            outcomes.append("conflict")
    assert len([outcome for outcome in outcomes if outcome != "conflict"]) == 1
    with rankings_db_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM users WHERE lower(email) = "
                                "'race@example.com'")) == 1
    received(events, "user_registered")
    no_more(events, "user_registered")


def test_racing_registrations_for_one_username_make_one_account(service):
    replies = [service.register_user.call_async({
        "email": f"racer{n}@example.com", "username": "Racer" if n % 2 else "racer",
        "password": PASSWORD}) for n in range(8)]
    conflicts = 0
    for reply in replies:
        try:
            reply.result()
        except Conflict as exc:
            assert list(exc.details["fields"]) == ["username"]
            conflicts += 1
    assert conflicts == 7


@pytest.mark.parametrize("data", [
    {"email": "not-an-email", "username": "aisyah", "password": PASSWORD},
    {"email": "a@example.com", "username": "a", "password": PASSWORD},
    {"email": "a@example.com", "username": "bad name", "password": PASSWORD},
    {"email": "a@example.com", "username": "aisyah", "password": "short"},
    {"email": "a@example.com", "username": "aisyah", "password": "x" * 129},
    {"email": "a@example.com", "username": "aisyah", "password": PASSWORD, "role": "admin"},
    {"email": "a@example.com", "username": "aisyah"},
    {"email": "a@example.com", "username": "aisyah", "password": "nul\x00password"},
])
def test_register_refuses_invalid_input(service, data):
    with pytest.raises(InvalidInput) as exc:
        service.register_user(data)
    assert exc.value.details["fields"]
    assert PASSWORD not in repr(exc.value.details)


def test_register_refuses_something_that_is_not_an_object(service):
    with pytest.raises(InvalidInput):
        service.register_user(["aisyah"])


def test_register_retried_with_its_idempotency_key_makes_one_account(service, events):
    data = {"email": "retry@example.com", "username": "retry", "password": PASSWORD}
    first = service.register_user(data, idempotency_key="signup-1")
    assert service.register_user(data, idempotency_key="signup-1") == first
    [_] = received(events, "user_registered")
    no_more(events, "user_registered")
    with pytest.raises(Conflict):  # the same key for another request
        service.register_user({**data, "username": "other"}, idempotency_key="signup-1")


@pytest.mark.parametrize("email", ["admin@bellyfed.local", "Admin@Bellyfed.Local"])
def test_no_email_address_registers_an_admin(service, email):
    # whoever registers the demo admin's address first is an ordinary user (SPEC §7)
    assert register(service, "first", email=email)["role"] == "user"
    assert service.verify_credentials(email, PASSWORD)["role"] == "user"


def rankings_job(rankings_config, *args, password: str | None = None):
    env = {**os.environ, "RANKINGS_DATABASE_URL": rankings_config["DATABASE_URL"]}
    env.pop("ADMIN_PASSWORD", None)
    if password is not None:
        env["ADMIN_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "services.rankings.jobs", *args],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)


def test_the_create_admin_job_creates_an_admin_account(service, events, rankings_config):
    made = rankings_job(rankings_config, "create-admin", " Ops@Example.com ",
                        password="operator-secret-1")
    assert made.returncode == 0, made.stderr
    answer = json.loads(made.stdout)
    assert (answer["email"], answer["username"], answer["role"], answer["created"]) == (
        "ops@example.com", "ops", "admin", True)
    assert "operator-secret-1" not in made.stdout + made.stderr
    assert service.verify_credentials("ops@example.com", "operator-secret-1")["role"] == "admin"
    [registered] = received(events, "user_registered")  # registered as any account is
    assert registered["payload"]["user_id"] == answer["id"]
    # again: nothing new, the password stays
    again = rankings_job(rankings_config, "create-admin", "ops@example.com",
                         password="another-secret-2")
    assert again.returncode == 0 and json.loads(again.stdout)["created"] is False
    assert service.verify_credentials("ops@example.com", "operator-secret-1")["role"] == "admin"


def test_the_create_admin_job_promotes_and_sets_a_password_only_when_asked(service,
                                                                            rankings_config):
    user = register(service, "siti", email="siti@example.com")
    promoted = rankings_job(rankings_config, "create-admin", "siti@example.com")
    assert promoted.returncode == 0, promoted.stderr  # no password needed to promote
    assert json.loads(promoted.stdout) == {
        "id": user["id"], "email": "siti@example.com", "username": "siti", "role": "admin",
        "previous_role": "user", "created": False, "password_set": False}
    assert service.verify_credentials("siti@example.com", PASSWORD)["role"] == "admin"
    reset = rankings_job(rankings_config, "create-admin", "siti@example.com",
                         "--set-password", password="a-new-secret-3")
    assert reset.returncode == 0 and json.loads(reset.stdout)["password_set"] is True
    assert service.verify_credentials("siti@example.com", "a-new-secret-3")["id"] == user["id"]


@pytest.mark.parametrize(("email", "password", "says"), [
    ("new@example.com", None, "a password is needed"),
    ("new@example.com", "short", "password"),
    ("not-an-email", "operator-secret-1", "email"),
])
def test_the_create_admin_job_refuses_what_registering_refuses(service, rankings_config, email,
                                                               password, says):
    refused = rankings_job(rankings_config, "create-admin", email, password=password)
    assert refused.returncode == 2 and says in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    with pytest.raises(Unauthorized):
        service.verify_credentials(email, password or "x")


def test_the_set_role_job_makes_an_existing_account_an_admin_and_back(service, rankings_config):
    user = register(service, "siti", email="Siti@Example.com")
    env = {**os.environ, "RANKINGS_DATABASE_URL": rankings_config["DATABASE_URL"]}

    def job(*args):
        return subprocess.run([sys.executable, "-m", "services.rankings.jobs", *args],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                              env=env)

    done = job("set-role", "siti@example.com", "admin")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"id": user["id"], "email": "Siti@Example.com",
                                       "role": "admin", "previous_role": "user"}
    assert service.verify_credentials("siti@example.com", PASSWORD)["role"] == "admin"
    assert job("set-role", "siti@example.com", "user").returncode == 0
    assert service.get_user(user["id"])["role"] == "user"

    missing = job("set-role", "nobody@example.com", "admin")
    assert missing.returncode == 1 and "nobody@example.com" in missing.stderr
    assert job("set-role", "siti@example.com", "superuser").returncode == 2  # argparse
    assert service.get_user(user["id"])["role"] == "user"


# --- verify_credentials ------------------------------------------------------------------------


def test_verify_credentials_answers_the_user(service):
    user = register(service, "aisyah", email="Aisyah@Example.com")
    assert service.verify_credentials("Aisyah@Example.com", PASSWORD) == user
    assert service.verify_credentials("  aisyah@example.com", PASSWORD) == user


@pytest.mark.parametrize(("email", "password"), [
    ("aisyah@example.com", "wrong-password"),
    ("aisyah@example.com", PASSWORD.upper()),
    ("nobody@example.com", PASSWORD),
    ("made@example.com", "not-a-real-hash"),  # a row without a real hash never logs in
])
def test_verify_credentials_fails_alike_for_every_mistake(service, make_user, email, password):
    register(service, "aisyah")
    make_user("made")
    with pytest.raises(Unauthorized) as exc:
        service.verify_credentials(email, password)
    assert exc.value.message == "invalid email or password"
    assert exc.value.details == {}


def test_verify_credentials_refuses_malformed_input(service):
    with pytest.raises(InvalidInput):
        service.verify_credentials(None, PASSWORD)
    with pytest.raises(InvalidInput):
        service.verify_credentials("a@example.com", "x" * 129)


# --- older password hashes: upgraded by the next good sign-in ----------------------------------


@pytest.fixture
def old_account(service, rankings_db_engine):
    """old_account("scrypt") -> id: aisyah@example.com, PASSWORD kept in an older hash."""

    def make(scheme: str) -> str:
        user = register(service, "aisyah")
        with rankings_db_engine.begin() as conn:
            conn.execute(User.__table__.update().where(User.id == user["id"]).values(
                password_hash=OLD_HASHES[scheme], updated_at=text("now() - interval '1 day'")))
        return user["id"]

    return make


@pytest.mark.parametrize("scheme", OLD_HASHES)
def test_a_good_sign_in_upgrades_an_older_hash_to_argon2id(service, old_account, scheme,
                                                          rankings_db_engine):
    user_id = old_account(scheme)
    before = stored_user(rankings_db_engine, user_id)
    answer = service.verify_credentials("aisyah@example.com", PASSWORD)
    assert answer == service.get_user(user_id)
    after = stored_user(rankings_db_engine, user_id)
    assert after.password_hash != OLD_HASHES[scheme]
    assert after.password_hash.startswith(CURRENT_COST) and PASSWORD not in after.password_hash
    assert after.updated_at == before.updated_at  # nothing the user sees changed
    # the new hash signs in, and is kept as it is
    assert service.verify_credentials("aisyah@example.com", PASSWORD)["id"] == user_id
    assert stored_user(rankings_db_engine, user_id).password_hash == after.password_hash
    with pytest.raises(Unauthorized):
        service.verify_credentials("aisyah@example.com", "wrong-password")


@pytest.mark.parametrize("scheme", OLD_HASHES)
def test_a_wrong_password_leaves_an_older_hash_as_it_is(service, old_account, scheme,
                                                       rankings_db_engine):
    user_id = old_account(scheme)
    for wrong in ["wrong-password", PASSWORD.upper(), OLD_HASHES[scheme]]:
        with pytest.raises(Unauthorized) as exc:
            service.verify_credentials("aisyah@example.com", wrong)
        assert exc.value.message == "invalid email or password"
    assert stored_user(rankings_db_engine, user_id).password_hash == OLD_HASHES[scheme]


def test_a_malformed_stored_hash_is_a_wrong_password_never_an_error(service, rankings_db_engine):
    user = register(service, "aisyah")
    for malformed in ["-", "scrypt$16384$8$1$!!$a2V5", "$argon2id$v=19$m=19456,t=2,p=1$$",
                      "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5"]:
        with rankings_db_engine.begin() as conn:
            conn.execute(User.__table__.update().where(User.id == user["id"]).values(
                password_hash=malformed))
        for password in [PASSWORD, malformed]:
            with pytest.raises(Unauthorized):
                service.verify_credentials("aisyah@example.com", password)
        assert stored_user(rankings_db_engine, user["id"]).password_hash == malformed


def test_an_account_with_an_older_hash_changes_its_password(service, old_account,
                                                           rankings_db_engine):
    user_id = old_account("scrypt")
    service.change_password(user_id, {"current_password": PASSWORD,
                                      "new_password": "a-new-secret-4"})
    assert stored_user(rankings_db_engine, user_id).password_hash.startswith(CURRENT_COST)
    assert service.verify_credentials("aisyah@example.com", "a-new-secret-4")["id"] == user_id


def test_a_rehash_never_overwrites_a_hash_changed_meanwhile(service, old_account,
                                                           rankings_db_engine):
    user_id = old_account("scrypt")
    with Session(rankings_db_engine) as session:
        store = RankingsStore(session, "rankings")
        # a password change committed between the sign-in's read and its rehash
        assert not store.replace_password_hash(uuid.UUID(user_id), "what it was when read",
                                               "$argon2id$the-rehash")
        assert store.replace_password_hash(uuid.UUID(user_id), OLD_HASHES["scrypt"],
                                           "$argon2id$the-rehash")
        session.commit()
    assert stored_user(rankings_db_engine, user_id).password_hash == "$argon2id$the-rehash"


# --- get_user / update_user --------------------------------------------------------------------


def test_get_user(service):
    user = register(service, "aisyah")
    assert service.get_user(user["id"]) == user


def test_get_user_unknown_or_malformed(service):
    with pytest.raises(NotFound) as exc:
        service.get_user(str(uuid.uuid4()))
    assert exc.value.message == "user not found"
    with pytest.raises(InvalidInput) as exc:
        service.get_user("not-a-uuid")
    assert list(exc.value.details["fields"]) == ["user_id"]


def test_update_user_changes_and_clears_profile_fields(service):
    user = register(service, "aisyah", display_name="Aisyah")
    updated = service.update_user(user["id"], {
        "bio": "Nasi lemak hunter", "location": "Ipoh",
        "profile_image_url": "https://cdn.example.com/aisyah.png"})
    assert (updated["bio"], updated["location"], updated["profile_image_url"]) == (
        "Nasi lemak hunter", "Ipoh", "https://cdn.example.com/aisyah.png")
    assert updated["display_name"] == "Aisyah"
    assert updated["updated_at"] > user["updated_at"]
    assert (updated["email"], updated["created_at"]) == (user["email"], user["created_at"])

    cleared = service.update_user(user["id"], {"bio": None, "display_name": None})
    assert (cleared["bio"], cleared["display_name"], cleared["location"]) == (None, None, "Ipoh")
    assert service.get_user(user["id"]) == cleared


@pytest.mark.parametrize("data", [
    {"email": "new@example.com"}, {"role": "admin"}, {"password": "new-password"},
    {"profile_image_url": "javascript:alert(1)"}, {"bio": "x" * 2001},
])
def test_update_user_refuses_invalid_input(service, data):
    user = register(service, "aisyah")
    with pytest.raises(InvalidInput):
        service.update_user(user["id"], data)
    assert service.get_user(user["id"]) == user


def test_update_user_unknown(service):
    with pytest.raises(NotFound):
        service.update_user(str(uuid.uuid4()), {"bio": "hi"})


def test_update_user_retried_with_its_key_answers_the_first_result(service):
    user = register(service, "aisyah")
    first = service.update_user(user["id"], {"bio": "one"}, idempotency_key="edit-1")
    service.update_user(user["id"], {"bio": "two"})
    assert service.update_user(user["id"], {"bio": "one"}, idempotency_key="edit-1") == first
    assert service.get_user(user["id"])["bio"] == "two"


# --- public profiles ---------------------------------------------------------------------------


def test_public_profile_counts_follows_rankings_and_reviews(service, make_user, catalog_facts,
                                                           rankings_db_engine):
    user = register(service, "aisyah", display_name="Aisyah")
    service.update_user(user["id"], {"bio": "Makan!", "location": "Ipoh"})
    fans = [make_user(f"fan{n}") for n in range(3)]
    idol = make_user("idol")
    restaurant = catalog_facts.restaurant("Warung A")
    other = catalog_facts.restaurant("Warung B")
    with rankings_db_engine.begin() as conn:
        conn.execute(Follow.__table__.insert(), [
            {"follower_id": fan, "followed_id": user["id"]} for fan in fans]
            + [{"follower_id": user["id"], "followed_id": idol}])
        conn.execute(Review.__table__.insert(), [
            {"id": uuid.uuid4(), "user_id": user["id"], "restaurant_id": place, "rating": 4}
            for place in (restaurant, other)])
        conn.execute(DishRanking.__table__.insert(), [
            {"user_id": user["id"], "dish_id": uuid.uuid4(), "dish_type": dish_type,
             "restaurant_id": place, "rank": rank, "taste_status": taste_status}
            for dish_type, place, rank, taste_status in [
                ("nasi lemak", restaurant, 1, None), ("laksa", restaurant, 1, None),
                ("laksa", other, None, "ACCEPTABLE")]  # the last one tried, not ranked
        ])

    profile = service.get_public_profile(user["id"])
    assert {key: profile[key] for key in (
        "id", "username", "display_name", "bio", "location", "profile_image_url", "created_at",
        "followers_count", "following_count", "ranking_count", "review_count")} == {
        "id": user["id"], "username": "aisyah", "display_name": "Aisyah", "bio": "Makan!",
        "location": "Ipoh", "profile_image_url": None, "created_at": user["created_at"],
        "followers_count": 3, "following_count": 1, "ranking_count": 2, "review_count": 2}
    assert isinstance(profile["points"], int)
    assert isinstance(profile["badges"], list)
    assert {"level", "name", "rankings", "cuisines", "next"} <= set(profile["career"])
    assert "email" not in profile and "role" not in profile and "password_hash" not in profile


def test_public_profile_of_a_newcomer_counts_zero(service):
    user = register(service, "newbie")
    profile = service.get_public_profile(user["id"])
    assert (profile["followers_count"], profile["following_count"], profile["ranking_count"],
            profile["review_count"], profile["points"]) == (0, 0, 0, 0, 0)


def test_public_profile_unknown_or_malformed(service):
    with pytest.raises(NotFound):
        service.get_public_profile(str(uuid.uuid4()))
    with pytest.raises(InvalidInput):
        service.get_public_profile("nope")


def test_public_profiles_in_bulk_keep_order_and_skip_unknown_ids(service):
    first, second = register(service, "first"), register(service, "second")
    service.update_user(second["id"], {"profile_image_url": "https://cdn.example.com/s.png"})
    unknown = str(uuid.uuid4())
    answer = service.get_public_profiles([second["id"], unknown, first["id"], second["id"]])
    assert answer == [
        {"id": second["id"], "username": "second", "display_name": None,
         "profile_image_url": "https://cdn.example.com/s.png"},
        {"id": first["id"], "username": "first", "display_name": None,
         "profile_image_url": None},
    ]
    assert service.get_public_profiles([]) == []


def test_public_profiles_refuse_malformed_ids(service):
    with pytest.raises(InvalidInput):
        service.get_public_profiles(["nope"])
    with pytest.raises(InvalidInput):
        service.get_public_profiles("not-a-list")
    with pytest.raises(InvalidInput):
        service.get_public_profiles([str(uuid.uuid4()) for _ in range(501)])
