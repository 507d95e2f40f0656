"""Sign-in without I/O: tokens (services/gateway/domain/auth.py) and the sign-in throttle."""

from __future__ import annotations

import jwt
import pytest

from services.gateway.domain import auth
from services.gateway.domain.auth import TokenSettings
from services.gateway.tests.support import (
    BAD_TOKENS,
    JWT_SECRET,
    TOKEN_USER,
    TOKENS,
    signed,
    token_for,
)
from shared.errors import Unauthorized

USER = TOKEN_USER


def test_issued_token_carries_the_claims():
    answer = auth.issue_token(TOKENS, USER, "admin", now=1_700_000_000)
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 900
    header = jwt.get_unverified_header(answer["access_token"])
    assert header["alg"] == "HS256"
    decoded = jwt.decode(answer["access_token"], JWT_SECRET, algorithms=["HS256"],
                         audience="bellyfed-clients", options={"verify_exp": False})
    assert decoded == {"sub": USER, "role": "admin", "iat": 1_700_000_000,
                       "exp": 1_700_000_900, "iss": "bellyfed", "aud": "bellyfed-clients"}


def test_read_token_names_the_user_and_role():
    assert auth.read_token(TOKENS, token_for(USER)) == auth.Identity(USER, "user")
    admin = auth.read_token(TOKENS, token_for(USER, "admin"))
    assert admin.is_admin and admin.user_id == USER


def test_issue_token_refuses_unknown_roles():
    with pytest.raises(ValueError):
        auth.issue_token(TOKENS, USER, "root")


@pytest.mark.parametrize("name", list(BAD_TOKENS))
def test_read_token_refuses_bad_tokens(name):
    token, says = BAD_TOKENS[name]
    with pytest.raises(Unauthorized) as raised:
        auth.read_token(TOKENS, token)
    assert says in raised.value.message, (name, raised.value.message)


@pytest.mark.parametrize("token", [None, ""])
def test_read_token_refuses_no_token(token):
    with pytest.raises(Unauthorized, match="required"):
        auth.read_token(TOKENS, token)


def test_only_the_configured_algorithm_is_accepted():
    hs512 = TokenSettings(secret=JWT_SECRET, algorithm="HS512")
    assert auth.read_token(hs512, signed(algorithm="HS512")).user_id == USER
    with pytest.raises(Unauthorized, match="algorithm"):
        auth.read_token(hs512, signed())


@pytest.mark.parametrize("header, token", [
    (None, None), ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("BEARER abc", "abc")])
def test_bearer_token(header, token):
    assert auth.bearer_token(header) == token


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "abc", "Token abc"])
def test_bearer_token_refuses_other_schemes(header):
    with pytest.raises(Unauthorized):
        auth.bearer_token(header)


class FakeClock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_verified_tokens_read_a_token_once_until_it_expires(monkeypatch):
    import time

    clock = FakeClock(time.time())
    verified = auth.VerifiedTokens(TOKENS, clock=clock)
    token = auth.issue_token(TOKENS, USER, "admin", now=clock.now)["access_token"]
    reads = []
    real_read = auth._read
    monkeypatch.setattr(auth, "_read", lambda *args: reads.append(args) or real_read(*args))
    assert verified.read(token) == auth.Identity(USER, "admin")
    clock.now += TOKENS.ttl_seconds - 1
    assert verified.read(token) == auth.Identity(USER, "admin")
    assert len(reads) == 1  # its signature and claims checked once
    clock.now += 1  # exp reached (as PyJWT: expired once now reaches exp): checked again
    assert verified.read(token) == auth.Identity(USER, "admin")
    assert len(reads) == 2


@pytest.mark.parametrize("name", list(BAD_TOKENS))
def test_verified_tokens_refuse_what_read_token_refuses_every_time(name):
    token, says = BAD_TOKENS[name]
    verified = auth.VerifiedTokens(TOKENS)
    for _ in range(2):
        with pytest.raises(Unauthorized) as raised:
            verified.read(token)
        assert says in raised.value.message
    assert len(verified._known) == 0


def test_verified_tokens_forget_the_oldest_half_when_full():
    verified = auth.VerifiedTokens(TOKENS, max_entries=4)
    tokens = [token_for(f"{USER[:-1]}{n}") for n in range(5)]
    for token in tokens:
        verified.read(token)
    assert list(verified._known) == tokens[2:]  # two forgotten, the newest three kept
    assert verified.read(tokens[0]).user_id.endswith("0")  # read again when it comes back
