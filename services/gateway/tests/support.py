"""What the gateway's tests share: tokens, good and bad, and assertions on answers."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid

import jwt

from services.gateway.domain.auth import TokenSettings, issue_token
from services.gateway.domain.viewers import ViewerIds

# the admin of admin_headers: a user id in an admin-role token
ADMIN_ID = "00000000-0000-4000-8000-00000000ad01"
# the test gateway's JWT_SECRET; tokens as_user mints are signed with it
JWT_SECRET = "test-jwt-secret-" + "0123456789abcdef" * 4  # 80 chars: fine for HS512 too
TOKENS = TokenSettings(secret=JWT_SECRET)
# the test gateway's VIEWER_ID_SECRET: VIEWERS' ids are the ones it issues
VIEWER_ID_SECRET = "test-viewer-secret-" + "fedcba9876543210" * 4
VIEWERS = ViewerIds(VIEWER_ID_SECRET)
MAX_BODY_BYTES = 4096
READY_TIMEOUT = 1.0

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# what must never reach a client: stack traces, exception class names, SQL, driver names
LEAKS = (
    "Traceback", 'File "', "Exception", "Error:", "RemoteError", "ValidationError",
    "NotImplementedError", "KeyError", "TypeError", "ValueError", "AttributeError",
    "BadRequest", "InvalidInput", "NotFound", "Forbidden", "Unauthorized",
    "PayloadTooLarge", "ServiceUnavailable", "ServiceTimeout", "BellyfedError",
    "UnknownService", "Timeout(", "sqlalchemy", "psycopg", "SELECT ", "INSERT ", "UPDATE ",
    "DELETE FROM", " WHERE ", "ARRAY",
)


def assert_no_leak(text: str) -> None:
    for fragment in LEAKS:
        assert fragment not in text, f"response leaks {fragment!r}: {text}"


def assert_error(response, status: int, code: str) -> dict:
    """The response is exactly `{"error": {"code", "message", "details"}}`; returns details."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/json", response.headers
    assert_no_leak(response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, body
    assert error["code"] == code, body
    assert isinstance(error["message"], str) and error["message"].strip(), body
    assert isinstance(error["details"], dict), body
    return error["details"]


def assert_page(response, names: list[str], total: int, next_offset: int | None) -> list[dict]:
    """A 200 list answer `{items, count, total, total_is_estimate, next_offset,
    next_cursor}` whose items have these names (a counted total; a next_cursor exactly
    when there is a next page)."""
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"items", "count", "total", "total_is_estimate", "next_offset",
                         "next_cursor"}, body
    assert body["total_is_estimate"] is False
    assert [item["name"] for item in body["items"]] == names
    assert body["count"] == len(names)
    assert body["total"] == total
    assert body["next_offset"] == next_offset
    assert (body["next_cursor"] is None) == (next_offset is None), body
    return body["items"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def token_for(user_id: str, role: str = "user", **overrides) -> str:
    """An access token the test gateway accepts (overrides: other settings, say an expiry)."""
    settings = TokenSettings(**{**TOKENS.__dict__, **overrides})
    return issue_token(settings, user_id, role)["access_token"]


def as_user(user_id: str) -> dict:
    """Headers of a request made by this user: a token signed with the test secret."""
    return bearer(token_for(user_id))


def as_admin_user(user_id: str) -> dict:
    """Headers of a request made by this user with the admin role."""
    return bearer(token_for(user_id, "admin"))


# --- tokens that must be refused (unit tests of auth.py, and 401s over HTTP) ---------------

TOKEN_USER = str(uuid.uuid4())
OTHER_SECRET = "another-secret-that-is-long-enough-for-hs256"


def claims(**changes) -> dict:
    now = int(time.time())
    base = {"sub": TOKEN_USER, "role": "user", "iat": now, "exp": now + 600,
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


# --- User-Agents of real devices, for the device type of a view --------------------------

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
ANDROID_PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                 "(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36")
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/124.0 Safari/537.36")
DESKTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
           "(KHTML, like Gecko) Chrome/124.0 Safari/537.36")


def read_model_of(container):
    """The gateway container's read model (services.gateway.domain.read_model)."""
    from services.gateway.catalog_stream import CatalogStream
    [stream] = [d for d in container.dependencies if isinstance(d, CatalogStream)]
    return stream.model


def wait_read_model_up(container, timeout: float = 10.0) -> None:
    """Until its event stream is up it keeps nothing: a test that counts on what it holds
    waits for that first."""
    deadline = time.monotonic() + timeout
    while not read_model_of(container).online:
        assert time.monotonic() < deadline, "the read model's stream did not come up"
        time.sleep(0.02)
