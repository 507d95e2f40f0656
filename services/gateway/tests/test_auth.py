"""Sign-in: services/gateway/auth.py (unit) and POST /auth/login with bad tokens (HTTP)."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from services.gateway import auth
from services.gateway.auth import LoginThrottle, SlidingWindow, TokenSettings
from services.gateway.tests.support import (
    JWT_SECRET,
    TOKENS,
    as_user,
    assert_error,
    bearer,
    token_for,
)
from shared.errors import TooManyRequests, Unauthorized

USER = str(uuid.uuid4())
OTHER_SECRET = "another-secret-that-is-long-enough-for-hs256"


def claims(**changes) -> dict:
    now = int(time.time())
    base = {"sub": USER, "role": "user", "iat": now, "exp": now + 600,
            "iss": TOKENS.issuer, "aud": TOKENS.audience}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def signed(key: str = JWT_SECRET, algorithm: str = "HS256", **changes) -> str:
    return jwt.encode(claims(**changes), key, algorithm=algorithm)


def unsigned(**changes) -> str:
    """An `alg: none` token: header and claims, no signature."""
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims(**changes))}."


BAD_TOKENS = {
    "expired": (signed(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), "expired"),
    "alg none": (unsigned(), "algorithm"),
    "another key": (signed(OTHER_SECRET), "signature"),
    "HS512": (signed(algorithm="HS512"), "algorithm"),
    "wrong audience": (signed(aud="someone-else"), "not meant for this API"),
    "no audience": (signed(aud=None), "aud"),
    "wrong issuer": (signed(iss="evil"), "not issued by this API"),
    "no sub": (signed(sub=None), "sub"),
    "no exp": (signed(exp=None), "exp"),
    "no iat": (signed(iat=None), "iat"),
    "sub not a user id": (signed(sub="admin"), "does not name a user"),
    "unknown role": (signed(role="root"), "unknown role"),
    "garbage": ("not.a.token", "not valid"),
}


# --- auth.py ------------------------------------------------------------------------------

@pytest.mark.unit
def test_issued_token_carries_the_claims():
    answer = auth.issue_token(TOKENS, USER, "admin", now=1_700_000_000)
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 3600
    header = jwt.get_unverified_header(answer["access_token"])
    assert header["alg"] == "HS256"
    decoded = jwt.decode(answer["access_token"], JWT_SECRET, algorithms=["HS256"],
                         audience="bellyfed-clients", options={"verify_exp": False})
    assert decoded == {"sub": USER, "role": "admin", "iat": 1_700_000_000,
                       "exp": 1_700_003_600, "iss": "bellyfed", "aud": "bellyfed-clients"}


@pytest.mark.unit
def test_read_token_names_the_user_and_role():
    assert auth.read_token(TOKENS, token_for(USER)) == auth.Identity(USER, "user")
    admin = auth.read_token(TOKENS, token_for(USER, "admin"))
    assert admin.is_admin and admin.user_id == USER


@pytest.mark.unit
def test_issue_token_refuses_unknown_roles():
    with pytest.raises(ValueError):
        auth.issue_token(TOKENS, USER, "root")


@pytest.mark.unit
@pytest.mark.parametrize("name", list(BAD_TOKENS))
def test_read_token_refuses_bad_tokens(name):
    token, says = BAD_TOKENS[name]
    with pytest.raises(Unauthorized) as raised:
        auth.read_token(TOKENS, token)
    assert says in raised.value.message, (name, raised.value.message)


@pytest.mark.unit
@pytest.mark.parametrize("token", [None, ""])
def test_read_token_refuses_no_token(token):
    with pytest.raises(Unauthorized, match="required"):
        auth.read_token(TOKENS, token)


@pytest.mark.unit
def test_only_the_configured_algorithm_is_accepted():
    hs512 = TokenSettings(secret=JWT_SECRET, algorithm="HS512")
    assert auth.read_token(hs512, signed(algorithm="HS512")).user_id == USER
    with pytest.raises(Unauthorized, match="algorithm"):
        auth.read_token(hs512, signed())


@pytest.mark.unit
@pytest.mark.parametrize("header, token", [
    (None, None), ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("BEARER abc", "abc")])
def test_bearer_token(header, token):
    assert auth.bearer_token(header) == token


@pytest.mark.unit
@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "abc", "Token abc"])
def test_bearer_token_refuses_other_schemes(header):
    with pytest.raises(Unauthorized):
        auth.bearer_token(header)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.unit
def test_sliding_window():
    clock = Clock()
    window = SlidingWindow(limit=2, window=10, clock=clock)
    assert window.retry_after("a") == 0
    window.record("a")
    clock.now += 4
    window.record("a")
    assert window.retry_after("a") == pytest.approx(6)
    assert window.retry_after("b") == 0
    clock.now += 6  # the first event leaves the window
    assert window.retry_after("a") == 0
    window.record("a")
    assert window.retry_after("a") == pytest.approx(4)


@pytest.mark.unit
def test_sliding_window_forgets_idle_keys():
    clock = Clock()
    window = SlidingWindow(limit=1, window=10, clock=clock, max_keys=3)
    for key in "abc":
        window.record(key)
    clock.now += 11
    window.record("d")
    assert set(window._events) == {"d"}


@pytest.mark.unit
def test_login_throttle_per_account_and_per_address():
    clock = Clock()
    throttle = LoginThrottle(per_account=2, per_address=3, window=60, clock=clock)
    throttle.failed("Aisyah@Example.com", "10.0.0.1")
    throttle.failed(" aisyah@example.com", "10.0.0.2")
    with pytest.raises(TooManyRequests) as raised:
        throttle.check("AISYAH@example.com", "10.0.0.3")  # same account, any address
    assert raised.value.status == 429
    assert raised.value.details == {"retry_after": 60}
    throttle.check("ben@example.com", "10.0.0.1")
    throttle.failed("ben@example.com", "10.0.0.1")
    throttle.failed("chen@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequests):
        throttle.check("dan@example.com", "10.0.0.1")  # same address, any account
    clock.now += 60
    throttle.check("aisyah@example.com", "10.0.0.1")


@pytest.mark.unit
def test_a_success_clears_the_accounts_count_not_the_addresses():
    throttle = LoginThrottle(per_account=2, per_address=2, window=60, clock=Clock())
    throttle.failed("a@example.com", "10.0.0.1")
    throttle.succeeded("a@example.com")
    throttle.failed("a@example.com", "10.0.0.2")
    throttle.check("a@example.com", "10.0.0.3")  # one failure since the success
    throttle.failed("b@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequests):
        throttle.check("c@example.com", "10.0.0.1")  # the address kept its count


# --- POST /auth/login ---------------------------------------------------------------------

def login(web_session, email: str, password: str):
    return web_session.post("/auth/login", json={"email": email, "password": password})


@pytest.mark.e2e
def test_login_answers_a_token_for_the_user(rankings_gateway, register, web_session):
    aisyah = register("aisyah")
    response = login(web_session, "Aisyah@Example.com", "aisyah-secret-1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    decoded = jwt.decode(body["access_token"], JWT_SECRET, algorithms=["HS256"],
                         audience="bellyfed-clients", issuer="bellyfed")
    assert decoded["sub"] == aisyah["id"] and decoded["role"] == "user"
    assert decoded["exp"] - decoded["iat"] == 3600
    me = web_session.get("/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == aisyah["id"]


@pytest.mark.e2e
def test_wrong_password_and_unknown_email_fail_alike(rankings_gateway, register, web_session):
    register("aisyah")
    wrong = login(web_session, "aisyah@example.com", "not-the-password")
    unknown = login(web_session, "nobody@example.com", "aisyah-secret-1")
    assert assert_error(wrong, 401, "unauthorized") == assert_error(unknown, 401,
                                                                      "unauthorized")
    assert wrong.json() == unknown.json()
    assert "access_token" not in wrong.text


@pytest.mark.e2e
@pytest.mark.parametrize("body", [{}, {"email": "a@example.com"}, {"password": "x" * 10},
                                  {"email": "a@example.com", "password": "x" * 10,
                                   "role": "admin"}])
def test_login_refuses_malformed_bodies(rankings_gateway, web_session, body):
    assert_error(web_session.post("/auth/login", json=body), 422, "invalid_input")


@pytest.mark.e2e
def test_login_is_rate_limited_per_account(rankings_service, start_gateway, register,
                                           web_session):
    start_gateway(LOGIN_MAX_FAILURES_PER_ACCOUNT=2, LOGIN_WINDOW_SECONDS=1.5)
    register("aisyah")
    for _ in range(2):
        assert_error(login(web_session, "aisyah@example.com", "guess-1234"), 401,
                     "unauthorized")
    # the right password too: the account waits out the window
    limited = login(web_session, "aisyah@example.com", "aisyah-secret-1")
    details = assert_error(limited, 429, "too_many_requests")
    assert limited.headers["Retry-After"] == str(details["retry_after"])
    assert 1 <= details["retry_after"] <= 2
    time.sleep(1.6)
    assert login(web_session, "aisyah@example.com", "aisyah-secret-1").status_code == 200


@pytest.mark.e2e
def test_login_is_rate_limited_per_address(rankings_service, start_gateway, register,
                                           web_session):
    start_gateway(LOGIN_MAX_FAILURES_PER_ADDRESS=3, LOGIN_WINDOW_SECONDS=60)
    register("aisyah")
    for name in ("a", "b", "c"):
        assert_error(login(web_session, f"{name}@example.com", "guess-1234"), 401,
                     "unauthorized")
    limited = login(web_session, "aisyah@example.com", "aisyah-secret-1")
    assert_error(limited, 429, "too_many_requests")
    assert int(limited.headers["Retry-After"]) > 0


@pytest.mark.e2e
def test_an_admins_token_opens_admin_routes(rankings_service, catalog, start_gateway,
                                            web_session):
    start_gateway()
    created = web_session.post("/restaurants", json={"name": "Token House", "city": "Ipoh"},
                               headers=as_user(str(uuid.uuid4())))
    assert created.status_code == 201, created.text
    renamed = {"name": "Admin House"}
    url = f"/restaurants/{created.json()['id']}"
    refused = web_session.patch(url, json=renamed, headers=as_user(USER))
    assert_error(refused, 403, "forbidden")
    changed = web_session.patch(url, json=renamed, headers=bearer(token_for(USER, "admin")))
    assert changed.status_code == 200, changed.text


@pytest.mark.e2e
@pytest.mark.parametrize("name", [None, *BAD_TOKENS])
def test_bad_tokens_are_401(rankings_gateway, web_session, name):
    headers = {} if name is None else bearer(BAD_TOKENS[name][0])
    for method, path in [("GET", "/users/me"), ("GET", "/rankings/my")]:
        details = assert_error(web_session.request(method, path, headers=headers), 401,
                               "unauthorized")
        assert details["header"] == "Authorization"
    assert web_session.get("/users/me", headers=as_user(USER)).status_code == 404  # valid


@pytest.mark.e2e
def test_a_bad_token_is_401_where_anonymous_is_fine(catalog, start_gateway, web_session):
    start_gateway()
    assert web_session.get("/restaurants").status_code == 200
    assert_error(web_session.get("/restaurants", headers=bearer(unsigned())), 401,
                 "unauthorized")
