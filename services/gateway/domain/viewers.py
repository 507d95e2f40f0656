"""Anonymous viewer ids: issued and signed by the gateway, so that a client cannot make up
viewers (SPEC §5). No I/O.

A viewer id is `<id>.<signature>`: 16 random bytes and the first 16 bytes of their
HMAC-SHA256 under VIEWER_ID_SECRET, both base64url without padding (45 characters, safe
in a URL, a header and a cookie). A client keeps it in the `bellyfed_viewer` cookie or
sends it back as `X-Anonymous-Id`; only the gateway can make one that verifies, so a
made-up or altered id names no viewer. What the view events carry (`anonymous_id`) is
the id part alone: one issued id is exactly one viewer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

VIEWER_HEADER = "X-Anonymous-Id"
VIEWER_COOKIE = "bellyfed_viewer"
COOKIE_MAX_AGE = 365 * 24 * 3600  # a year: a browser comes back as the same viewer
ID_BYTES = 16
SIGNATURE_BYTES = 16  # of HMAC-SHA256's 32: 128 bits to forge, by guessing
_PART = r"[A-Za-z0-9_-]{22}"  # 16 bytes in base64url, unpadded
SIGNED_ID = re.compile(rf"({_PART})\.({_PART})\Z")
SIGNED_ID_LENGTH = 45
# what the signature covers besides the id: these MACs sign nothing else
_PURPOSE = b"bellyfed-viewer-id:"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class ViewerIds:
    """Issues viewer ids and tells a genuine one from any other text. `secure_cookie`: the
    cookie is sent over HTTPS only (VIEWER_COOKIE_SECURE)."""

    secret: str = field(repr=False)
    secure_cookie: bool = True

    def issue(self) -> str:
        """A new viewer id, signed."""
        viewer = _b64(secrets.token_bytes(ID_BYTES))
        return f"{viewer}.{self._signature(viewer)}"

    def viewer(self, presented: str | None) -> str | None:
        """The viewer a presented id names: its id part when the gateway signed it (any
        key but VIEWER_ID_SECRET, any altered character: None). Compared in constant
        time, and as text: of the few spellings base64 has for one signature only the
        one the gateway writes verifies."""
        if not presented or len(presented) != SIGNED_ID_LENGTH:
            return None
        match = SIGNED_ID.match(presented)
        if match is None:
            return None
        viewer, signature = match.groups()
        return viewer if hmac.compare_digest(self._signature(viewer), signature) else None

    def first_viewer(self, presented: Iterable[str | None]) -> str | None:
        """The viewer of the first of the presented ids that verifies (None if none does)."""
        for candidate in presented:
            if (viewer := self.viewer(candidate)) is not None:
                return viewer
        return None

    def give(self, response: Response, signed_id: str) -> None:
        """Hand a new viewer id to the client: the X-Anonymous-Id header (for apps and
        pages on another origin, which keep it and send it back) and the cookie (for
        browsers, which send it back by themselves)."""
        response.headers[VIEWER_HEADER] = signed_id
        response.set_cookie(VIEWER_COOKIE, signed_id, max_age=COOKIE_MAX_AGE, path="/",
                            secure=self.secure_cookie, httponly=True, samesite="Lax")

    def _signature(self, viewer: str) -> str:
        mac = hmac.new(self.secret.encode(), _PURPOSE + viewer.encode("ascii"), hashlib.sha256)
        return _b64(mac.digest()[:SIGNATURE_BYTES])


def presented_ids(request: Request, declared: str | None = None) -> list[str | None]:
    """Where a client may name its viewer id, in the order they are believed: the body of
    a view it reports itself (`declared`), the X-Anonymous-Id header, the cookie."""
    return [declared, request.headers.get(VIEWER_HEADER), request.cookies.get(VIEWER_COOKIE)]
