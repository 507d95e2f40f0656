"""Who looked at what, from which device: the view events the gateway publishes (its
contract's), built from a request. No I/O."""

from __future__ import annotations

import re
import uuid

from werkzeug.wrappers import Request

from services.gateway.contract.events import DEVICE_TYPES, RESTAURANTS_LISTED, RESTAURANTS_SEARCHED
from services.gateway.domain.auth import Identity
from services.gateway.domain.identity import user_id_of
from shared.contract import EventType

_TABLET = re.compile(r"ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))", re.I)
_MOBILE = re.compile(r"mobi|iphone|ipod|android|blackberry|opera mini|windows phone", re.I)
MAX_USER_AGENT = 512
ANONYMOUS_ID_HEADER = "X-Anonymous-Id"
# a client's own id for a visitor without an account: counts them once as a unique viewer
ANONYMOUS_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


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


def view_context(request: Request, identity: Identity | None) -> dict:
    """Who looked, from what: carried on every analytics event the gateway emits."""
    user_agent = (request.headers.get("User-Agent") or "")[:MAX_USER_AGENT]
    return {
        "user_id": user_id_of(identity),
        "anonymous_id": anonymous_id(request.headers.get(ANONYMOUS_ID_HEADER)),
        "device_type": device_type(user_agent, request.headers.get("X-Device-Type")),
        "user_agent": user_agent,
    }


def anonymous_id(presented: str | None) -> str | None:
    """The X-Anonymous-Id a client sent, when well formed; a malformed one is ignored (the
    view still counts, only not as a unique viewer)."""
    return presented if presented and ANONYMOUS_ID.match(presented) else None


def listing_event(query: dict, answer: dict, context: dict) -> tuple[EventType, dict]:
    """restaurants_searched when the client searched (q), else restaurants_listed."""
    event_type = RESTAURANTS_SEARCHED if query.get("q") else RESTAURANTS_LISTED
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


def dish_event(dish_id: str, context: dict) -> dict:
    return {"dish_id": dish_id, **context}


def tracked_view_event(restaurant_id: str, context: dict, body: dict) -> dict:
    """A view the client reports itself: its device type and anonymous id, when it gives
    them, win over the headers'. Who is signed in is never the body's to say."""
    payload = restaurant_event(restaurant_id, context)
    for key in ("device_type", "anonymous_id"):
        if body.get(key):
            payload[key] = body[key]
    return payload


def view_event_id(restaurant_id: str, payload: dict, idempotency_key: str | None):
    """The same id for the same client's retries of one tracked view (None: a new one).
    The key is the client's; who sent it is part of the name, so two clients' keys never
    collide."""
    if not idempotency_key:
        return None
    viewer = payload.get("user_id") or payload.get("anonymous_id") or ""
    return uuid.uuid5(uuid.NAMESPACE_URL,
                      f"bellyfed:restaurant_viewed:{restaurant_id}:{viewer}:{idempotency_key}")
