"""POST /auth/login over HTTP, and bad tokens refused on every route (401)."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from services.gateway.tests.support import (
    BAD_TOKENS,
    JWT_SECRET,
    TOKEN_USER,
    as_user,
    assert_error,
    bearer,
    token_for,
    unsigned,
)

USER = TOKEN_USER


def login(web_session, email: str, password: str):
    return web_session.post("/auth/login", json={"email": email, "password": password})


def test_login_answers_a_token_for_the_user(rankings_gateway, register, web_session):
    aisyah = register("aisyah")
    response = login(web_session, "Aisyah@Example.com", "aisyah-secret-1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token",
                         "refresh_expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert 29 * 86400 < body["refresh_expires_in"] <= 30 * 86400
    decoded = jwt.decode(body["access_token"], JWT_SECRET, algorithms=["HS256"],
                         audience="bellyfed-clients", issuer="bellyfed")
    assert decoded["sub"] == aisyah["id"] and decoded["role"] == "user"
    assert decoded["exp"] - decoded["iat"] == 900
    me = web_session.get("/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == aisyah["id"]


def test_wrong_password_and_unknown_email_fail_alike(rankings_gateway, register, web_session):
    register("aisyah")
    wrong = login(web_session, "aisyah@example.com", "not-the-password")
    unknown = login(web_session, "nobody@example.com", "aisyah-secret-1")
    assert assert_error(wrong, 401, "unauthorized") == assert_error(unknown, 401,
                                                                      "unauthorized")
    assert wrong.json() == unknown.json()
    assert "access_token" not in wrong.text


@pytest.mark.parametrize("body", [{}, {"email": "a@example.com"}, {"password": "x" * 10},
                                  {"email": "a@example.com", "password": "x" * 10,
                                   "role": "admin"}])
def test_login_refuses_malformed_bodies(rankings_gateway, web_session, body):
    assert_error(web_session.post("/auth/login", json=body), 422, "invalid_input")


def test_login_is_rate_limited_per_account(rankings_service, start_gateway, register,
                                           web_session):
    start_gateway(LOGIN_MAX_FAILURES_PER_ACCOUNT=2, LOGIN_WINDOW_SECONDS=1)
    register("aisyah")
    for _ in range(2):
        assert_error(login(web_session, "aisyah@example.com", "guess-1234"), 401,
                     "unauthorized")
    # the right password too: the account waits out the window
    limited = login(web_session, "aisyah@example.com", "aisyah-secret-1")
    details = assert_error(limited, 429, "too_many_requests")
    assert limited.headers["Retry-After"] == str(details["retry_after"])
    assert 1 <= details["retry_after"] <= 2
    time.sleep(1.2)
    assert login(web_session, "aisyah@example.com", "aisyah-secret-1").status_code == 200


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


def test_a_parallel_burst_of_guesses_gets_no_more_than_the_allowance(
        rankings_service, start_gateway, register, web_session):
    """Checked and counted in one step per account: 30 guesses at once, from ten workers,
    get 5 answers of 401 and no more (the rest 429), where 14 got through before."""
    import eventlet

    start_gateway(LOGIN_MAX_FAILURES_PER_ACCOUNT=5, LOGIN_MAX_FAILURES_PER_ADDRESS=1000,
                  LOGIN_MAX_AT_ONCE_PER_ADDRESS=100, LOGIN_WINDOW_SECONDS=60)
    register("aisyah")
    pool = eventlet.GreenPool(30)
    statuses = list(pool.imap(lambda _: login(web_session, "aisyah@example.com",
                                              "guess-1234").status_code, range(30)))
    assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 30, (
        statuses)
    # one at a time, the rest of the allowance: five guesses in all, then 429
    more = 0
    while login(web_session, "aisyah@example.com", "guess-1234").status_code == 401:
        more += 1
        assert more <= 5
    assert statuses.count(401) + more == 5
    assert login(web_session, "aisyah@example.com", "aisyah-secret-1").status_code == 429


def test_behind_trusted_proxies_each_client_counts_alone(rankings_service, start_gateway,
                                                        register, web_session):
    """Behind an Ingress every request comes from its address: X-Forwarded-For, believed
    from the trusted proxy only, tells the clients apart (and a forged hop does not)."""
    start_gateway(LOGIN_MAX_FAILURES_PER_ADDRESS=2, LOGIN_WINDOW_SECONDS=60,
                  TRUSTED_PROXIES="127.0.0.0/8")
    register("aisyah")

    def from_client(address: str, email: str):
        return web_session.post("/auth/login", headers={"X-Forwarded-For": address},
                                json={"email": email, "password": "guess-1234"})

    for name in ("a", "b"):
        assert from_client("198.51.100.1", f"{name}@example.com").status_code == 401
    assert from_client("198.51.100.1", "c@example.com").status_code == 429
    assert from_client("6.6.6.6, 198.51.100.1", "c@example.com").status_code == 429  # forged
    assert from_client("198.51.100.2", "c@example.com").status_code == 401  # another client
    signed_in = web_session.post("/auth/login", headers={"X-Forwarded-For": "198.51.100.3"},
                                 json={"email": "aisyah@example.com",
                                       "password": "aisyah-secret-1"})
    assert signed_in.status_code == 200


def redis_url() -> str:
    """The machine's Redis (scripts/test starts it), on a database of the tests' own."""
    import redis

    url = "redis://127.0.0.1:6379/3"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not running on 127.0.0.1:6379 ({exc}): scripts/test starts it")
    return url


def test_two_gateways_share_one_budget_through_redis(rankings_service, start_gateway, register,
                                                     web_session, web_config_port):
    import requests
    from nameko.testing.utils import find_free_port

    shared = {"REDIS_URL": redis_url(), "LIMITS_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
              "LOGIN_MAX_FAILURES_PER_ACCOUNT": 3, "LOGIN_WINDOW_SECONDS": 60}
    start_gateway(**shared)
    other_port = find_free_port()
    start_gateway(WEB_SERVER_ADDRESS=f"127.0.0.1:{other_port}", **shared)
    register("aisyah")
    first = f"http://127.0.0.1:{web_config_port}/auth/login"
    second = f"http://127.0.0.1:{other_port}/auth/login"
    guess = {"email": "aisyah@example.com", "password": "guess-1234"}
    assert [requests.post(url, json=guess, timeout=10).status_code
            for url in (first, second, first)] == [401, 401, 401]
    # the allowance is spent on both: each replica knows what the others counted
    assert requests.post(second, json=guess, timeout=10).status_code == 429
    assert requests.post(first, json=guess, timeout=10).status_code == 429


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


@pytest.mark.parametrize("name", [None, *BAD_TOKENS])
def test_bad_tokens_are_401(rankings_gateway, web_session, name):
    headers = {} if name is None else bearer(BAD_TOKENS[name][0])
    for method, path in [("GET", "/users/me"), ("GET", "/rankings/my")]:
        details = assert_error(web_session.request(method, path, headers=headers), 401,
                               "unauthorized")
        assert details["header"] == "Authorization"
    assert web_session.get("/users/me", headers=as_user(USER)).status_code == 404  # valid


def test_a_bad_token_is_401_where_anonymous_is_fine(catalog, start_gateway, web_session):
    start_gateway()
    assert web_session.get("/restaurants").status_code == 200
    assert_error(web_session.get("/restaurants", headers=bearer(unsigned())), 401,
                 "unauthorized")


# --- sessions: refresh, sign out, password change (SPEC §7) ----------------------------------

def signed_in(web_session, email: str, password: str) -> dict:
    response = login(web_session, email, password)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(web_session, token: str):
    return web_session.post("/auth/refresh", json={"refresh_token": token})


def test_a_refresh_token_gives_the_next_pair_once(rankings_gateway, register, web_session):
    aisyah = register("aisyah")
    first = signed_in(web_session, "aisyah@example.com", "aisyah-secret-1")
    renewed = refresh(web_session, first["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    body = renewed.json()
    assert body["refresh_token"] != first["refresh_token"]
    me = web_session.get("/users/me", headers=bearer(body["access_token"]))
    assert me.json()["id"] == aisyah["id"]
    # the first one again: the whole session is signed out, the new pair's refresh too
    reused = refresh(web_session, first["refresh_token"])
    assert_error(reused, 401, "unauthorized")
    assert "used before" in reused.json()["error"]["message"]
    assert_error(refresh(web_session, body["refresh_token"]), 401, "unauthorized")


def test_signing_out_ends_the_session(rankings_gateway, register, web_session):
    register("aisyah")
    tokens = signed_in(web_session, "aisyah@example.com", "aisyah-secret-1")
    out = web_session.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204 and out.content == b""
    assert_error(refresh(web_session, tokens["refresh_token"]), 401, "unauthorized")
    # an unknown token signs nobody out, and says so to nobody
    assert web_session.post("/auth/logout", json={"refresh_token": "nope"}).status_code == 204


def test_a_password_change_ends_every_session(rankings_gateway, register, web_session):
    register("aisyah")
    phone = signed_in(web_session, "aisyah@example.com", "aisyah-secret-1")
    laptop = signed_in(web_session, "aisyah@example.com", "aisyah-secret-1")
    change = {"current_password": "aisyah-secret-1", "new_password": "a-new-secret-2"}
    wrong = web_session.post("/users/me/password", headers=bearer(phone["access_token"]),
                             json={**change, "current_password": "not-it-at-all"})
    assert_error(wrong, 401, "unauthorized")
    assert_error(web_session.post("/users/me/password", json=change), 401, "unauthorized")
    changed = web_session.post("/users/me/password", headers=bearer(phone["access_token"]),
                               json=change)
    assert changed.status_code == 204, changed.text
    for device in (phone, laptop):
        assert_error(refresh(web_session, device["refresh_token"]), 401, "unauthorized")
    assert_error(login(web_session, "aisyah@example.com", "aisyah-secret-1"), 401,
                 "unauthorized")
    assert signed_in(web_session, "aisyah@example.com", "a-new-secret-2")["access_token"]


@pytest.mark.parametrize(("path", "body"), [
    ("/auth/refresh", {}),
    ("/auth/refresh", {"refresh_token": ""}),
    ("/auth/refresh", {"refresh_token": "x" * 201}),
    ("/auth/refresh", {"refresh_token": 12}),
    ("/auth/logout", {"refresh_token": None}),
    ("/auth/logout", {"refresh_token": "t", "extra": 1}),
])
def test_bad_session_requests_are_422(rankings_gateway, web_session, path, body):
    assert_error(web_session.post(path, json=body), 422, "invalid_input")


def test_a_short_new_password_is_422(rankings_gateway, register, web_session):
    register("aisyah")
    tokens = signed_in(web_session, "aisyah@example.com", "aisyah-secret-1")
    short = web_session.post("/users/me/password", headers=bearer(tokens["access_token"]),
                             json={"current_password": "aisyah-secret-1", "new_password": "x"})
    assert_error(short, 422, "invalid_input")


@pytest.mark.parametrize("path", ["/auth/refresh", "/auth/logout", "/users/me/password"])
def test_a_bad_idempotency_key_is_400_on_the_session_routes(rankings_gateway, web_session,
                                                            path):
    response = web_session.post(path, json={}, headers={**as_user(USER),
                                                        "Idempotency-Key": "tab\there"})
    assert_error(response, 400, "bad_request")
