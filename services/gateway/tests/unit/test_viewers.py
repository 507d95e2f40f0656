"""Anonymous viewer ids (services/gateway/domain/viewers.py) and their settings: only an id
the gateway signed names a viewer. No I/O."""

from __future__ import annotations

import base64
import re

import pytest
from werkzeug.wrappers import Response

from services.gateway import config
from services.gateway.domain.viewers import (
    COOKIE_MAX_AGE,
    SIGNED_ID_LENGTH,
    VIEWER_COOKIE,
    VIEWER_HEADER,
    ViewerIds,
)
from shared.config import ConfigError

VIEWERS = ViewerIds("unit-test-viewer-secret-" + "0123456789abcdef" * 2)
SIGNED = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}")


def flipped(text: str, at: int) -> str:
    """`text` with one character changed."""
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]


def test_an_issued_id_is_compact_url_safe_and_new_every_time():
    issued = {VIEWERS.issue() for _ in range(1000)}
    assert len(issued) == 1000
    for signed in issued:
        assert SIGNED.fullmatch(signed) and len(signed) == SIGNED_ID_LENGTH == 45


def test_an_issued_id_names_its_viewer_however_often_it_is_presented():
    signed = VIEWERS.issue()
    viewer, signature = signed.split(".")
    assert [VIEWERS.viewer(signed) for _ in range(3)] == [viewer] * 3
    assert len(base64.urlsafe_b64decode(signature + "==")) == 16  # 128 bits of HMAC-SHA256
    # the same key, another process: the same verdict (nothing is kept between requests)
    assert ViewerIds(VIEWERS.secret).viewer(signed) == viewer


def test_an_id_the_gateway_did_not_sign_names_nobody():
    signed = VIEWERS.issue()
    viewer, signature = signed.split(".")
    for presented in [
        None, "", "visitor-1", "x" * 45, viewer, f"{viewer}.", f".{signature}",
        flipped(signed, 0),                   # another id under this signature
        flipped(signed, SIGNED_ID_LENGTH - 1),  # a tampered signature
        f"{viewer}.{VIEWERS.issue().split('.')[1]}",  # another id's signature
        ViewerIds("another-gateway-viewer-secret-long-enough").issue(),
        signed + "\n", " " + signed[1:], signed.replace(".", ":"),
        signed + signed,
    ]:
        assert VIEWERS.viewer(presented) is None, presented


def test_a_signature_is_checked_as_the_gateway_writes_it():
    """base64 spells 16 bytes with 22 characters whose last carries 4 unused bits: another
    spelling of the same signature does not verify, so one id never makes two viewers."""
    signed = VIEWERS.issue()
    viewer, signature = signed.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    for other in {alphabet[(last & ~15) | low] for low in range(16)} - {signature[-1]}:
        respelled = f"{viewer}.{signature[:-1]}{other}"
        assert base64.urlsafe_b64decode(respelled.split(".")[1] + "==") == \
            base64.urlsafe_b64decode(signature + "==")
        assert VIEWERS.viewer(respelled) is None


def test_the_first_presented_id_that_verifies_is_the_viewer():
    first, second = VIEWERS.issue(), VIEWERS.issue()
    assert VIEWERS.first_viewer(["made-up", None, first, second]) == first.split(".")[0]
    assert VIEWERS.first_viewer(["made-up", None, flipped(first, 44)]) is None
    assert VIEWERS.first_viewer([]) is None


def test_a_new_id_goes_out_in_the_header_and_a_long_lived_cookie():
    response = Response()
    signed = VIEWERS.issue()
    VIEWERS.give(response, signed)
    assert response.headers[VIEWER_HEADER] == signed
    cookie = response.headers["Set-Cookie"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0] == f"{VIEWER_COOKIE}={signed}"  # no quoting needed
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/",
            f"Max-Age={COOKIE_MAX_AGE}"} <= set(attributes)
    assert COOKIE_MAX_AGE >= 180 * 24 * 3600

    plain = Response()
    ViewerIds(VIEWERS.secret, secure_cookie=False).give(plain, signed)
    assert "Secure" not in [part.strip() for part in plain.headers["Set-Cookie"].split(";")]


def test_the_key_never_shows():
    assert VIEWERS.secret not in repr(VIEWERS)


# --- config: VIEWER_ID_SECRET, VIEWER_COOKIE_SECURE ---------------------------------------

@pytest.fixture
def jwt_set(monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "j" * 32)
    for name in ("VIEWER_ID_SECRET", "VIEWER_COOKIE_SECURE", "DEV_MODE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_viewer_key_is_required_outside_dev_mode(jwt_set):
    with pytest.raises(ConfigError, match="VIEWER_ID_SECRET"):
        config.load()
    jwt_set.setenv("DEV_MODE", "0")
    with pytest.raises(ConfigError, match="VIEWER_ID_SECRET"):
        config.load()


def test_dev_mode_makes_a_random_viewer_key(jwt_set, caplog):
    jwt_set.setenv("DEV_MODE", "1")
    first, second = config.load()["VIEWER_ID_SECRET"], config.load()["VIEWER_ID_SECRET"]
    assert first != second and len(first) >= 32
    assert "VIEWER_ID_SECRET is not set" in caplog.text


@pytest.mark.parametrize("value", ["short", "j" * 32])  # too short; the JWT key itself
def test_an_unusable_viewer_key_is_refused(jwt_set, value):
    jwt_set.setenv("DEV_MODE", "1")
    jwt_set.setenv("VIEWER_ID_SECRET", value)
    with pytest.raises(ConfigError, match="VIEWER_ID_SECRET"):
        config.load()


def test_viewer_settings(jwt_set):
    jwt_set.setenv("VIEWER_ID_SECRET", "v" * 32)
    loaded = config.load()
    assert (loaded["VIEWER_ID_SECRET"], loaded["VIEWER_COOKIE_SECURE"]) == ("v" * 32, True)
    jwt_set.setenv("VIEWER_COOKIE_SECURE", "0")
    assert config.load()["VIEWER_COOKIE_SECURE"] is False
    jwt_set.setenv("VIEWER_COOKIE_SECURE", "sometimes")
    with pytest.raises(ConfigError, match="VIEWER_COOKIE_SECURE"):
        config.load()
