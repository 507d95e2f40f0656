"""The gateway's request policies: the CORS policy, the write limit, and their settings."""

from __future__ import annotations

import uuid

import pytest

from services.gateway import config
from services.gateway.auth import Identity, WriteLimit
from services.gateway.http import CorsPolicy
from services.gateway.tests.support import as_user, assert_error
from shared.config import ConfigError
from shared.errors import TooManyRequests

APP = "https://app.bellyfed.example"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# --- WriteLimit ---------------------------------------------------------------------------

@pytest.mark.unit
def test_writes_are_limited_per_user_then_free_again():
    clock = Clock()
    limit = WriteLimit(per_user=2, per_address=5, window=60, clock=clock)
    aisyah, ben = Identity("aisyah", "user"), Identity("ben", "user")
    limit.check(aisyah, "10.0.0.1")
    clock.now += 10
    limit.check(aisyah, "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        limit.check(aisyah, "10.0.0.2")  # another address is still the same user
    assert refused.value.details == {"retry_after": 50}
    limit.check(ben, "10.0.0.1")  # another user has their own allowance
    clock.now += 50
    limit.check(aisyah, "10.0.0.1")  # the first write left the window


@pytest.mark.unit
def test_refused_writes_do_not_use_up_the_allowance():
    clock = Clock()
    limit = WriteLimit(per_user=1, per_address=1, window=10, clock=clock)
    limit.check(Identity("aisyah", "user"), None)
    for _ in range(5):
        with pytest.raises(TooManyRequests):
            limit.check(Identity("aisyah", "user"), None)
    clock.now += 10
    limit.check(Identity("aisyah", "user"), None)


@pytest.mark.unit
def test_anonymous_writes_are_limited_per_address():
    limit = WriteLimit(per_user=100, per_address=1, window=60, clock=Clock())
    limit.check(None, "10.0.0.1")
    limit.check(None, "10.0.0.2")
    with pytest.raises(TooManyRequests):
        limit.check(None, "10.0.0.1")
    limit.check(Identity("aisyah", "user"), "10.0.0.1")  # signing in counts per user


# --- CorsPolicy and CORS_ORIGINS ----------------------------------------------------------

@pytest.mark.unit
def test_cors_headers_only_for_allowed_origins():
    policy = CorsPolicy(frozenset({APP}))
    assert policy.headers(APP)["Access-Control-Allow-Origin"] == APP
    assert policy.headers(APP)["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in policy.headers("https://evil.example")
    assert "Access-Control-Allow-Origin" not in policy.headers(None)
    assert CorsPolicy().headers(APP) == {}
    assert CorsPolicy(frozenset({"*"})).headers("https://any.example")[
        "Access-Control-Allow-Origin"] == "*"


@pytest.mark.unit
@pytest.mark.parametrize("raw, expected", [
    (None, []), ("", []), ("*", ["*"]),
    (f"{APP}, http://localhost:3000/", [APP, "http://localhost:3000"]),
])
def test_cors_origins_setting(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("CORS_ORIGINS", raising=False)
    else:
        monkeypatch.setenv("CORS_ORIGINS", raw)
    assert config.cors_origins() == expected


@pytest.mark.unit
@pytest.mark.parametrize("raw", ["app.bellyfed.example", "https://a.example/path",
                                 "ftp://a.example", "https://a.example:99999999"])
def test_a_cors_origin_that_is_no_origin_is_a_config_error(monkeypatch, raw):
    monkeypatch.setenv("CORS_ORIGINS", raw)
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        config.cors_origins()


# --- over HTTP -----------------------------------------------------------------------------

@pytest.mark.e2e
def test_cors_over_http(gateway_with_cors, web_session):
    answer = web_session.get("/restaurants", headers={"Origin": APP})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert "X-Request-ID" in answer.headers["Access-Control-Expose-Headers"]
    error = web_session.get("/nope", headers={"Origin": APP})
    assert error.status_code == 404 and error.headers["Access-Control-Allow-Origin"] == APP
    foreign = web_session.get("/restaurants", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 200
    assert "Access-Control-Allow-Origin" not in foreign.headers

    preflight = web_session.options("/restaurants", headers={
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 204, preflight.text
    assert preflight.headers["Access-Control-Allow-Origin"] == APP
    assert {"GET", "POST"} <= set(preflight.headers["Access-Control-Allow-Methods"].split(", "))
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.content == b""

    refused = web_session.options("/restaurants", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert_error(refused, 403, "forbidden")
    assert_error(web_session.options("/nowhere", headers={
        "Origin": APP, "Access-Control-Request-Method": "GET"}), 404, "not_found")
    # an OPTIONS that is no preflight is a method the API does not serve
    assert_error(web_session.options("/restaurants"), 405, "method_not_allowed")


@pytest.fixture
def gateway_with_cors(catalog, start_gateway):
    return start_gateway(CORS_ORIGINS=[APP])


@pytest.mark.e2e
def test_writes_past_the_limit_are_429_and_reads_go_on(catalog, start_gateway, web_session):
    start_gateway(WRITE_LIMIT_PER_USER=2, WRITE_LIMIT_PER_ADDRESS=1, WRITE_WINDOW_SECONDS=60)
    owner, other = as_user(str(uuid.uuid4())), as_user(str(uuid.uuid4()))
    body = {"name": "Kedai", "city": "Ipoh"}
    created = [web_session.post("/restaurants", json=body, headers=owner) for _ in range(2)]
    assert [response.status_code for response in created] == [201, 201]
    limited = web_session.post("/restaurants", json=body, headers=owner)
    assert_error(limited, 429, "too_many_requests")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert web_session.get("/restaurants", headers=owner).json()["total"] == 2
    assert web_session.post("/restaurants", json=body, headers=other).status_code == 201
    # anonymous writes count per address
    view = f"/restaurants/{created[0].json()['id']}/analytics"
    assert web_session.post(view, json={}).status_code == 202
    assert_error(web_session.post(view, json={}), 429, "too_many_requests")
