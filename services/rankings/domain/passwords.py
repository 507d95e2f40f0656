"""Password hashes: Argon2id (PyPI argon2-cffi) with a random salt each, as OWASP's
Password Storage Cheat Sheet asks; hashes of older schemes or costs still verify and are
replaced after the next good sign-in (users.verify_credentials), the one moment the
password is known.

A hash's scheme and cost travel with it (PHC string: `$argon2id$v=19$m=...,t=...,p=...$
salt$key`), so raising the cost later keeps every account working. The older scheme is
`scrypt$n$r$p$salt$key` (base64), the only one before Argon2id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from functools import cache

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import Argon2Error, VerifyMismatchError
from eventlet import tpool

# OWASP's Argon2id minimum, its first recommendation: m=19 MiB, t=2 iterations, p=1 lane (the
# cheat sheet's equivalents trade memory for iterations). About 30 ms a hash, less than the
# scrypt it replaces (so tests need no cheaper setting), and eventlet's 20 tpool threads
# hashing at once hold under 400 MiB. A 16-byte salt and a 32-byte key.
ARGON2_MEMORY_KIB, ARGON2_TIME_COST, ARGON2_PARALLELISM = 19456, 2, 1
ARGON2_SALT_BYTES, ARGON2_KEY_BYTES = 16, 32
# a stored hash asking for more is not one of ours (a corrupt row must not tie up a worker)
MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_TIME_COST, MAX_ARGON2_PARALLELISM = 256 * 1024, 10, 8
MAX_SCRYPT_MEMORY = 64 * 1024 * 1024
SCRYPT_PREFIX = "scrypt$"

hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB,
                        parallelism=ARGON2_PARALLELISM, hash_len=ARGON2_KEY_BYTES,
                        salt_len=ARGON2_SALT_BYTES, type=Type.ID)


def _encoded(password: str) -> bytes:
    # surrogatepass: any string JSON can carry hashes, rather than failing on a lone surrogate
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    """`$argon2id$v=19$m=19456,t=2,p=1$salt$key`: what the users table keeps instead of the
    password."""
    # In a real thread (the C code releases the GIL): tens of milliseconds of hashing on the
    # eventlet hub would stall every other request of the service meanwhile.
    return tpool.execute(hasher.hash, _encoded(password))


def password_matches(password: str, stored_hash: str) -> bool:
    """Whether `password` is the one `stored_hash` was made from (Argon2 or the older scrypt),
    compared in constant time; False for anything that is not a hash of ours, after as long
    as a real check would take."""
    try:
        if not isinstance(stored_hash, str):
            raise TypeError("a stored hash is text")
        if stored_hash.startswith(SCRYPT_PREFIX):
            return _scrypt_matches(password, stored_hash)
        return _argon2_matches(password, stored_hash)
    except (ValueError, TypeError, Argon2Error):  # malformed: InvalidHashError is a ValueError
        _argon2_matches(password, decoy_hash())
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash that just matched is of another scheme or cost than hash_password's,
    so the sign-in should store a new one."""
    try:
        return hasher.check_needs_rehash(stored_hash)
    except ValueError:  # not Argon2 (scrypt)
        return True


@cache
def decoy_hash() -> str:
    """Checked when there is no real hash to check (an unknown email), so that costs as long
    as a wrong password."""
    return hash_password(uuid.uuid4().hex)


def _argon2_matches(password: str, stored_hash: str) -> bool:
    cost = extract_parameters(stored_hash)
    if (cost.memory_cost > MAX_ARGON2_MEMORY_KIB or cost.time_cost > MAX_ARGON2_TIME_COST
            or cost.parallelism > MAX_ARGON2_PARALLELISM):
        raise ValueError("not a cost of ours")
    try:
        # the hash's own type and cost, not the hasher's: older ones verify too
        return tpool.execute(hasher.verify, stored_hash, _encoded(password))
    except VerifyMismatchError:  # the wrong password (other errors: a malformed hash)
        return False


def _scrypt_matches(password: str, stored_hash: str) -> bool:
    _, n, r, p, salt, key = stored_hash.split("$")
    salt_bytes = base64.b64decode(salt, validate=True)
    key_bytes = base64.b64decode(key, validate=True)
    candidate = tpool.execute(hashlib.scrypt, _encoded(password), salt=salt_bytes, n=int(n),
                              r=int(r), p=int(p), dklen=len(key_bytes), maxmem=MAX_SCRYPT_MEMORY)
    return hmac.compare_digest(candidate, key_bytes)

