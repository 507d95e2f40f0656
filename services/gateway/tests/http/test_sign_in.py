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
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    decoded = jwt.decode(body["access_token"], JWT_SECRET, algorithms=["HS256"],
                         audience="bellyfed-clients", issuer="bellyfed")
    assert decoded["sub"] == aisyah["id"] and decoded["role"] == "user"
    assert decoded["exp"] - decoded["iat"] == 3600
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
