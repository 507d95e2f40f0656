"""Access tokens and sign-in attempts, with no I/O.

A token is a JWT signed with the gateway's secret under one fixed algorithm (HS256 unless
configured otherwise); reading one accepts that algorithm only, so `alg: none` and tokens
signed with another algorithm or key are refused. `exp`, `iat` and `sub` are required, and
the issuer and audience must be this API's.

Sign-in attempts, writes and reads are counted in services.gateway.domain.limits.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from shared.errors import Unauthorized

TOKEN_TYPE = "bearer"
ROLES = ("user", "admin")
REQUIRED_CLAIMS = ("exp", "iat", "sub")
# at least 256 bits for HMAC-SHA256 (RFC 7518 §3.2)
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    algorithm: str = "HS256"
    ttl_seconds: int = 900  # 15 minutes (SPEC §7): then a refresh
    issuer: str = "bellyfed"
    audience: str = "bellyfed-clients"


@dataclass(frozen=True)
class Identity:
    """Who a valid token speaks for."""

    user_id: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def issue_token(settings: TokenSettings, user_id: str, role: str,
                now: float | None = None) -> dict:
    """The login answer: `{access_token, token_type, expires_in}` for this user."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    issued_at = int(time.time() if now is None else now)
    claims = {
        "sub": str(user_id),
        "role": role,
        "iat": issued_at,
        "exp": issued_at + settings.ttl_seconds,
        "iss": settings.issuer,
        "aud": settings.audience,
    }
    token = jwt.encode(claims, settings.secret, algorithm=settings.algorithm)
    return {"access_token": token, "token_type": TOKEN_TYPE,
            "expires_in": settings.ttl_seconds}


# what each refusal tells the client: enough to fix their side, nothing about ours
_REFUSALS = (
    (jwt.ExpiredSignatureError, "the access token has expired"),
    (jwt.InvalidAudienceError, "the access token is not meant for this API"),
    (jwt.InvalidIssuerError, "the access token was not issued by this API"),
    (jwt.InvalidAlgorithmError, "the access token is not signed with the expected algorithm"),
    (jwt.InvalidSignatureError, "the access token's signature is not valid"),
    (jwt.ImmatureSignatureError, "the access token is not valid yet"),
)


def read_token(settings: TokenSettings, token: str | None) -> Identity:
    """Who the token speaks for, or Unauthorized saying what is wrong with it."""
    return _read(settings, token)[0]


def _read(settings: TokenSettings, token: str | None) -> tuple[Identity, float]:
    """read_token's identity, and the moment the token expires (its `exp`)."""
    if not token:
        raise Unauthorized("an access token is required")
    try:
        claims = jwt.decode(token, settings.secret, algorithms=[settings.algorithm],
                            options={"require": list(REQUIRED_CLAIMS)},
                            audience=settings.audience, issuer=settings.issuer)
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"the access token has no {exc.claim} claim") from None
    except jwt.InvalidTokenError as exc:
        message = next((text for kind, text in _REFUSALS if isinstance(exc, kind)),
                       "the access token is not valid")
        raise Unauthorized(message) from None
    try:
        user_id = str(uuid.UUID(str(claims["sub"])))
    except ValueError:
        raise Unauthorized("the access token does not name a user") from None
    role = claims.get("role", "user")
    if role not in ROLES:
        raise Unauthorized("the access token has an unknown role")
    return Identity(user_id, role), float(claims["exp"])


class VerifiedTokens:
    """The tokens this gateway has read, each with who it speaks for, until it expires.

    A client sends the same token with every request for as long as it lasts, and it says
    the same each time: its signature and claims are checked once, not on every request
    (a tenth of the gateway's work on POST /orders). A token refused is not kept; past
    `max_entries` the oldest half is forgotten (read again if it comes back)."""

    def __init__(self, settings: TokenSettings, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.time):
        self.settings = settings
        self.max_entries = max_entries
        self.clock = clock
        self._known: dict[str, tuple[Identity, float]] = {}

    def read(self, token: str | None) -> Identity:
        """As read_token: who the token speaks for, or Unauthorized."""
        known = self._known.get(token) if token else None
        if known is not None:
            identity, expires = known
            if self.clock() < expires:  # as PyJWT: expired once now reaches exp
                return identity
            del self._known[token]
        identity, expires = _read(self.settings, token)
        if len(self._known) >= self.max_entries:
            for old in list(self._known)[:self.max_entries // 2]:  # insertion order
                del self._known[old]
        self._known[token] = (identity, expires)
        return identity


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None without the header.
    Any other scheme, or no token after it, is Unauthorized: never silently anonymous."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != TOKEN_TYPE or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <access token>'")
    return token.strip()
