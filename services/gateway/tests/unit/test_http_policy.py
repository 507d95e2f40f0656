"""The gateway's request policies without I/O: the CORS policy and its settings (the
limits: test_limits.py)."""

from __future__ import annotations

import pytest

from services.gateway import config
from services.gateway.http import CorsPolicy
from shared.config import ConfigError

APP = "https://app.bellyfed.example"


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
