"""Gateway rules with no I/O: who is asking, from what device, what they may do."""

from __future__ import annotations

import hmac
import re
import uuid

from werkzeug.wrappers import Request

from shared.errors import Forbidden, Unauthorized

DEVICE_TYPES = ("mobile", "tablet", "desktop")
ADMIN_TOKEN_HEADER = "X-Admin-Token"
DEV_USER_HEADER = "X-User-Id"
_TABLET = re.compile(r"ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))", re.I)
_MOBILE = re.compile(r"mobi|iphone|ipod|android|blackberry|opera mini|windows phone", re.I)
MAX_USER_AGENT = 512


def device_type(user_agent: str | None, declared: str | None = None) -> str:
    """The client's own word when it is one we know, otherwise a guess from the User-Agent."""
    if declared and declared.lower() in DEVICE_TYPES:
        return declared.lower()
    agent = user_agent or ""
    if _TABLET.search(agent):
        return "tablet"
    if _MOBILE.search(agent):
        return "mobile"
    return "desktop"


def acting_user_id(request: Request, *, dev_user_header: bool = False,
                   required: bool = False) -> str | None:
    """Who is asking: the user's id, or None for an anonymous request.

    The one place that decides it. Until the security issue brings tokens, the only
    way to say who you are is the development header X-User-Id (a user's uuid), and
    only on a gateway started with DEV_USER_HEADER on; otherwise everyone is
    anonymous. A missing or malformed header is anonymous too, which routes that
    need a user (`required=True`) refuse with Unauthorized.
    """
    if not dev_user_header:
        if required:
            raise Unauthorized("this route needs a signed-in user")
        return None
    presented = request.headers.get(DEV_USER_HEADER)
    if presented is None:
        if required:
            raise Unauthorized("this route needs a signed-in user",
                               {"header": DEV_USER_HEADER})
        return None
    try:
        return str(uuid.UUID(presented))
    except ValueError:
        if required:
            raise Unauthorized(f"{DEV_USER_HEADER} must be a user id (a uuid)",
                               {"header": DEV_USER_HEADER}) from None
        return None


def require_admin(request: Request, configured_token: str | None) -> None:
    """Temporary admin check until the security issue brings tokens and roles.

    Admin routes answer only to a request carrying X-Admin-Token equal to the
    ADMIN_TOKEN the gateway was started with; with no ADMIN_TOKEN configured
    they are closed to everyone.
    """
    if not configured_token:
        raise Forbidden("admin routes are disabled on this gateway")
    presented = request.headers.get(ADMIN_TOKEN_HEADER)
    if not presented:
        raise Unauthorized("this route needs an admin token", {"header": ADMIN_TOKEN_HEADER})
    if not hmac.compare_digest(presented.encode(), configured_token.encode()):
        raise Forbidden("the admin token is not valid")


def view_context(request: Request, *, dev_user_header: bool = False) -> dict:
    """Who looked, from what: carried on every analytics event the gateway emits."""
    user_agent = (request.headers.get("User-Agent") or "")[:MAX_USER_AGENT]
    return {
        "user_id": acting_user_id(request, dev_user_header=dev_user_header),
        "device_type": device_type(user_agent, request.headers.get("X-Device-Type")),
        "user_agent": user_agent,
    }


def listing_event(query: dict, answer: dict, context: dict) -> tuple[str, dict]:
    """restaurants_searched when the client searched (q), else restaurants_listed."""
    event_type = "restaurants_searched" if query.get("q") else "restaurants_listed"
    filters = {key: query[key] for key in ("city", "cuisine", "q") if query.get(key)}
    payload = {
        "filters": filters,
        "limit": query.get("limit"),
        "offset": query.get("offset"),
        "result_count": answer["count"],
        "total": answer["total"],
        "restaurant_ids": [item["id"] for item in answer["items"]],
        **context,
    }
    return event_type, payload


def restaurant_event(restaurant_id: str, context: dict) -> dict:
    return {"restaurant_id": restaurant_id, **context}
