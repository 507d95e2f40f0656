"""Password hashes without I/O: Argon2id at OWASP's cost, older hashes still verify and are
upgraded by the next good sign-in, nothing malformed ever matches, and hashing never
stalls the service (it runs in a real thread)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace

import eventlet
import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from services.rankings.domain import passwords, users
from services.rankings.domain.passwords import hash_password, needs_rehash, password_matches
from shared.errors import Unauthorized

PASSWORD = "s3cret-pass"


def scrypt_hash(password: str, n: int = 2**14, r: int = 8, p: int = 1) -> str:
    """A hash as accounts made before Argon2id keep it: `scrypt$n$r$p$salt$key` (base64)."""
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32,
                         maxmem=64 * 1024 * 1024)
    return "$".join(["scrypt", str(n), str(r), str(p), base64.b64encode(salt).decode(),
                     base64.b64encode(key).decode()])


def argon2_hash(password: str, **cost) -> str:
    return PasswordHasher(**cost).hash(password)


OLD_HASHES = {"scrypt": scrypt_hash(PASSWORD),
              "weak-argon2": argon2_hash(PASSWORD, memory_cost=8, time_cost=1, parallelism=1)}


# --- what a hash is ---------------------------------------------------------------------------


def test_a_hash_is_argon2id_at_owasps_minimum_cost_and_never_contains_the_password():
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    cost = extract_parameters(stored)
    assert (cost.type, cost.memory_cost, cost.time_cost, cost.parallelism) == (
        Type.ID, 19 * 1024, 2, 1)  # OWASP Password Storage Cheat Sheet: 19 MiB, t=2, p=1
    assert (cost.salt_len, cost.hash_len) == (16, 32)
    assert PASSWORD not in stored
    assert len(stored) <= 255  # users.password_hash


def test_each_hash_has_its_own_salt():
    assert hash_password("same password") != hash_password("same password")


def test_the_right_password_matches_and_nothing_else_does():
    stored = hash_password(PASSWORD)
    assert password_matches(PASSWORD, stored)
    assert not password_matches("s3cret-pasS", stored)
    assert not password_matches(PASSWORD + " ", stored)
    assert not password_matches("", stored)


def test_any_text_hashes_and_matches_even_a_lone_surrogate():
    for password in ["pässwörd ✓ 密码", "\ud800 lone surrogate"]:
        stored = hash_password(password)
        assert password_matches(password, stored)
        assert not password_matches(password + "x", stored)


def test_a_fresh_hash_needs_no_rehash():
    assert not needs_rehash(hash_password(PASSWORD))


# --- older hashes -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2**12, 2**14])
def test_an_old_scrypt_hash_still_verifies_and_asks_for_a_rehash(n):
    stored = scrypt_hash(PASSWORD, n=n)
    assert password_matches(PASSWORD, stored)
    assert not password_matches("wrong-pass", stored)
    assert needs_rehash(stored)


@pytest.mark.parametrize("cost", [
    {"memory_cost": 8, "time_cost": 1, "parallelism": 1},  # weaker than ours
    {"memory_cost": 19456, "time_cost": 1, "parallelism": 1},
    {"memory_cost": 19456, "time_cost": 2, "parallelism": 1, "type": Type.I},  # not Argon2id
    {"memory_cost": 19456, "time_cost": 2, "parallelism": 1, "salt_len": 8},
])
def test_an_argon2_hash_of_another_cost_or_type_verifies_and_asks_for_a_rehash(cost):
    stored = argon2_hash(PASSWORD, **cost)
    assert password_matches(PASSWORD, stored)
    assert not password_matches("wrong-pass", stored)
    assert needs_rehash(stored)


# --- nothing malformed matches ----------------------------------------------------------------


@pytest.mark.parametrize("stored", [
    "", "not-a-real-hash", "-", "bcrypt$16384$8$1$c2FsdA==$a2V5",
    "scrypt$16384$8$1$!!$a2V5", "scrypt$x$8$1$c2FsdA==$a2V5", "scrypt$16384$8$1$c2FsdA==",
    "scrypt$1000$8$1$c2FsdA==$a2V5",  # n not a power of two
    "scrypt$1073741824$8$1$c2FsdA==$a2V5",  # more memory than any hash of ours
    "$argon2id$", "$argon2id$v=19$m=19456,t=2,p=1$", "$argon2id$v=19$m=19456,t=2,p=1$$",
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$!!notbase64",
    "$argon2id$v=19$m=19456,t=x,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5",
    "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5",  # 4 GiB
    "$argon2id$v=19$m=19456,t=100000,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5",
    "$argon2x$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5",
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5é",  # not ASCII
    None, 42,
])
def test_something_that_is_not_one_of_our_hashes_never_matches(stored):
    assert password_matches("anything", stored) is False


def test_a_malformed_hash_costs_a_real_check(monkeypatch):
    checked = []
    real = passwords._argon2_matches
    monkeypatch.setattr(passwords, "_argon2_matches",
                        lambda password, stored: checked.append(stored) or real(password, stored))
    assert not password_matches(PASSWORD, "not-a-real-hash")
    # refused before any work, then a check as long as a wrong password takes
    assert checked == ["not-a-real-hash", passwords.decoy_hash()]


# --- the rehash on sign-in (verify_credentials, with a store double) --------------------------


class CredentialStore:
    """One account; records what replace_password_hash was asked and what was committed."""

    def __init__(self, stored_hash: str):
        now = datetime.now(UTC)
        self.user = SimpleNamespace(
            id=uuid.uuid4(), email="aisyah@example.com", username="aisyah", display_name=None,
            bio=None, location=None, profile_image_url=None, role="user", created_at=now,
            updated_at=now, password_hash=stored_hash)
        self.stored_hash = stored_hash  # what the table holds
        self.replaced = []
        self.commits = 0

    def user_with_email(self, email):
        if email.lower() != self.user.email:
            return None
        return SimpleNamespace(**{**vars(self.user), "password_hash": self.stored_hash})

    @contextmanager
    def transaction(self):
        yield self
        self.commits += 1

    def replace_password_hash(self, user_id, old_hash, new_hash):
        self.replaced.append((user_id, old_hash, new_hash))
        if user_id != self.user.id or old_hash != self.stored_hash:
            return False
        self.stored_hash = new_hash
        return True


def sign_in(store: CredentialStore, password: str) -> dict:
    return users.verify_credentials(store, "aisyah@example.com", password)


@pytest.mark.parametrize("old_hash", OLD_HASHES.values(), ids=OLD_HASHES.keys())
def test_a_good_sign_in_replaces_an_older_hash_with_a_fresh_argon2id_one(old_hash):
    store = CredentialStore(old_hash)
    answer = sign_in(store, PASSWORD)
    assert answer["id"] == str(store.user.id) and "password_hash" not in answer
    assert store.stored_hash != old_hash
    assert store.stored_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert not needs_rehash(store.stored_hash)
    assert password_matches(PASSWORD, store.stored_hash)
    assert [old for _, old, _ in store.replaced] == [old_hash] and store.commits == 1
    # the next sign-in finds nothing to do
    assert sign_in(store, PASSWORD)["id"] == answer["id"]
    assert len(store.replaced) == 1


@pytest.mark.parametrize("old_hash", OLD_HASHES.values(), ids=OLD_HASHES.keys())
def test_a_wrong_password_never_rehashes(old_hash):
    store = CredentialStore(old_hash)
    with pytest.raises(Unauthorized):
        sign_in(store, "wrong-pass")
    assert store.stored_hash == old_hash
    assert store.replaced == [] and store.commits == 0


def test_a_current_hash_is_left_as_it_is():
    current = hash_password(PASSWORD)
    store = CredentialStore(current)
    sign_in(store, PASSWORD)
    assert store.stored_hash == current and store.replaced == []


def test_a_malformed_stored_hash_is_a_wrong_password_and_stays():
    store = CredentialStore("not-a-real-hash")
    with pytest.raises(Unauthorized) as exc:
        sign_in(store, "not-a-real-hash")
    assert exc.value.message == "invalid email or password"
    assert store.stored_hash == "not-a-real-hash" and store.replaced == []


def test_a_password_changed_during_the_rehash_is_kept(monkeypatch):
    store = CredentialStore(scrypt_hash(PASSWORD))
    changed = hash_password("changed-meanwhile")
    real = users.hash_password

    def hash_while_the_password_changes(password):
        store.stored_hash = changed  # a change_password committed meanwhile
        return real(password)

    monkeypatch.setattr(users, "hash_password", hash_while_the_password_changes)
    assert sign_in(store, PASSWORD)["id"] == str(store.user.id)
    assert store.stored_hash == changed


# --- hashing never stalls the service ---------------------------------------------------------


@pytest.mark.parametrize("work", [
    lambda: hash_password("correct horse battery staple"),
    lambda: password_matches("correct horse battery staple", passwords.decoy_hash()),
    lambda: password_matches("correct horse battery staple", OLD_HASHES["scrypt"]),
], ids=["hash", "verify", "verify-scrypt"])
def test_other_green_threads_run_while_a_password_is_hashed(work):
    passwords.decoy_hash()  # made beforehand: only the check itself is timed
    ticks = []

    def tick():
        while True:
            ticks.append(1)
            eventlet.sleep(0.001)

    ticker = eventlet.spawn(tick)
    eventlet.sleep(0)  # let it start
    before = len(ticks)
    work()
    during = len(ticks) - before
    ticker.kill()
    # a check takes tens of milliseconds; on the hub it would allow no tick at all
    assert during >= 3
