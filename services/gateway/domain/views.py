"""Who looked at what, from which device: the view events the gateway publishes (its
contract's), built from a request. No I/O."""

from __future__ import annotations

import re
import uuid

from werkzeug.wrappers import Request

from services.gateway.contract.events import DEVICE_TYPES, RESTAURANTS_LISTED, RESTAURANTS_SEARCHED
from services.gateway.domain.auth import Identity
from services.gateway.domain.identity import user_id_of
from services.gateway.domain.viewers import ViewerIds, presented_ids
from shared.contract import EventType

_TABLET = re.compile(r"ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))", re.I)
_MOBILE = re.compile(r"mobi|iphone|ipod|android|blackberry|opera mini|windows phone", re.I)
MAX_USER_AGENT = 512
# what a body's anonymous_id may look like (422 otherwise): a viewer id the gateway issued
# (services.gateway.domain.viewers), or any other short token, which names no viewer
ANONYMOUS_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")


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


def view_context(request: Request, identity: Identity | None,
                 viewer_ids: ViewerIds | None = None, declared: str | None = None) -> dict:
    """Who looked, from what: carried on every analytics event the gateway emits.

    `anonymous_id` is the viewer of a viewer id the gateway signed, from the body
    (`declared`), the X-Anonymous-Id header or the cookie; anything else, or no
    `viewer_ids` to check it with, is None: a view, but no viewer."""
    user_agent = (request.headers.get("User-Agent") or "")[:MAX_USER_AGENT]
    anonymous = (viewer_ids.first_viewer(presented_ids(request, declared))
                 if viewer_ids is not None else None)
    return {
        "user_id": user_id_of(identity),
        "anonymous_id": anonymous,
        "device_type": device_type(user_agent, request.headers.get("X-Device-Type")),
        "user_agent": user_agent,
    }


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
    """A view the client reports itself: its device type, when it gives one, wins over the
    headers'. Who is signed in is never the body's to say, and its anonymous id counts
    only as view_context checked it."""
    payload = restaurant_event(restaurant_id, context)
    if body.get("device_type"):
        payload["device_type"] = body["device_type"]
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
