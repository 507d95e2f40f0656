"""Who is asking: the identity of a request's access token. No I/O."""

from __future__ import annotations

from werkzeug.wrappers import Request

from services.gateway.domain.auth import (
    Identity,
    TokenSettings,
    VerifiedTokens,
    bearer_token,
    read_token,
)
from shared.errors import Unauthorized

AUTHORIZATION_HEADER = "Authorization"


def acting_identity(request: Request, tokens: TokenSettings | VerifiedTokens | None = None
                    ) -> Identity | None:
    """Who is asking: the identity of the request's access token, or None for an anonymous
    request (no Authorization header).

    The one place that reads it. A bad token (expired, forged, malformed...) is
    Unauthorized on every route, never treated as anonymous; what each route lets an
    identity do is services.gateway.domain.access's business.
    """
    try:
        token = bearer_token(request.headers.get(AUTHORIZATION_HEADER))
        if token is None:
            return None
        if tokens is None:
            raise Unauthorized("sign-in is not configured on this gateway")
        if isinstance(tokens, VerifiedTokens):
            return tokens.read(token)
        return read_token(tokens, token)
    except Unauthorized as exc:
        exc.details = {"header": AUTHORIZATION_HEADER, **exc.details}
        raise


def user_id_of(identity: Identity | None) -> str | None:
    """The signed-in user's id, None for an anonymous request."""
    return identity.user_id if identity else None
