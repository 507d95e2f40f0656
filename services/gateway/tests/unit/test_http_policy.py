"""The gateway's request policies without I/O: the CORS policy, the write limit, and their
settings."""

from __future__ import annotations

import pytest

from services.gateway import config
from services.gateway.domain.auth import Identity, WriteLimit
from services.gateway.http import CorsPolicy
from shared.config import ConfigError
from shared.errors import TooManyRequests

APP = "https://app.bellyfed.example"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# --- WriteLimit ---------------------------------------------------------------------------

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


def test_refused_writes_do_not_use_up_the_allowance():
    clock = Clock()
    limit = WriteLimit(per_user=1, per_address=1, window=10, clock=clock)
    limit.check(Identity("aisyah", "user"), None)
    for _ in range(5):
        with pytest.raises(TooManyRequests):
            limit.check(Identity("aisyah", "user"), None)
    clock.now += 10
    limit.check(Identity("aisyah", "user"), None)


def test_anonymous_writes_are_limited_per_address():
    limit = WriteLimit(per_user=100, per_address=1, window=60, clock=Clock())
    limit.check(None, "10.0.0.1")
    limit.check(None, "10.0.0.2")
    with pytest.raises(TooManyRequests):
        limit.check(None, "10.0.0.1")
    limit.check(Identity("aisyah", "user"), "10.0.0.1")  # signing in counts per user


# --- CorsPolicy and CORS_ORIGINS ----------------------------------------------------------

def test_cors_headers_only_for_allowed_origins():
    policy = CorsPolicy(frozenset({APP}))
    assert policy.headers(APP)["Access-Control-Allow-Origin"] == APP
    assert policy.headers(APP)["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in policy.headers("https://evil.example")
    assert "Access-Control-Allow-Origin" not in policy.headers(None)
    assert CorsPolicy().headers(APP) == {}
    assert CorsPolicy(frozenset({"*"})).headers("https://any.example")[
        "Access-Control-Allow-Origin"] == "*"


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


@pytest.mark.parametrize("raw", ["app.bellyfed.example", "https://a.example/path",
                                 "ftp://a.example", "https://a.example:99999999"])
def test_a_cors_origin_that_is_no_origin_is_a_config_error(monkeypatch, raw):
    monkeypatch.setenv("CORS_ORIGINS", raw)
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        config.cors_origins()
