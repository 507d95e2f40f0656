"""Gateway rules with no I/O: who is asking, from what device, what they may do, and how
answers of several services join into one."""

from __future__ import annotations

import re
import uuid
from datetime import UTC

from werkzeug.wrappers import Request

from services.gateway.auth import Identity, TokenSettings, bearer_token, read_token
from services.gateway.contract.events import (
    DEVICE_TYPES,
    RESTAURANTS_LISTED,
    RESTAURANTS_SEARCHED,
)
from shared.contract import EventType
from shared.errors import ServiceTimeout, ServiceUnavailable, Unauthorized

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


AUTHORIZATION_HEADER = "Authorization"


def acting_identity(request: Request, tokens: TokenSettings | None = None) -> Identity | None:
    """Who is asking: the identity of the request's access token, or None for an anonymous
    request (no Authorization header).

    The one place that reads it. A bad token (expired, forged, malformed...) is
    Unauthorized on every route, never treated as anonymous; what each route lets an
    identity do is services.gateway.access's business.
    """
    try:
        token = bearer_token(request.headers.get(AUTHORIZATION_HEADER))
        if token is None:
            return None
        if tokens is None:
            raise Unauthorized("sign-in is not configured on this gateway")
        return read_token(tokens, token)
    except Unauthorized as exc:
        exc.details = {"header": AUTHORIZATION_HEADER, **exc.details}
        raise


def order_request(fields: dict) -> dict:
    """A validated order body (OrderInput) as the orders service takes it: ids as text."""
    data = {
        "restaurant_id": str(fields["restaurant_id"]),
        "items": [{"dish_id": str(item["dish_id"]), "quantity": item["quantity"]}
                  for item in fields["items"]],
    }
    if "notes" in fields:
        data["notes"] = fields["notes"]
    return data


def metrics_window(query: dict) -> tuple[str, str]:
    """The validated from/to of GET /orders/metrics as UTC ISO-8601 text."""
    return tuple(query[key].astimezone(UTC).isoformat() for key in ("from", "to"))


def user_id_of(identity: Identity | None) -> str | None:
    """The signed-in user's id, None for an anonymous request."""
    return identity.user_id if identity else None


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


# --- answers assembled from several services ----------------------------------------------

UNAVAILABLE = (ServiceTimeout, ServiceUnavailable)


def settle(outcomes: dict, optional: tuple[str, ...] = ()) -> tuple[dict, list[str]]:
    """Each source's answer, from `{source: answer or the exception it raised}`.

    A source named in `optional` that timed out or is unavailable answers None and is
    listed (second value); any other failure is raised, the first source's first.
    """
    answers, unavailable = {}, []
    for source, outcome in outcomes.items():
        if isinstance(outcome, UNAVAILABLE) and source in optional:
            answers[source] = None
            unavailable.append(source)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            answers[source] = outcome
    return answers, unavailable


def dashboard(restaurant: dict, period: str, traffic: dict | None,
              review_summary: dict | None, unavailable: list[str]) -> dict:
    """The restaurant dashboard (SPEC §5). What a missing source would have said is null,
    or an empty list for the time series, and `partial` says so."""
    traffic = traffic or {}
    return {
        "restaurant": restaurant,
        "view_data": traffic.get("view_data"),
        "review_analytics": review_summary,
        "traffic_data": traffic.get("traffic_data", []),
        "hourly_views": traffic.get("hourly_views"),
        "device_data": traffic.get("device_data"),
        "period": period,
        "partial": bool(unavailable),
        "unavailable": list(unavailable),
    }


def _same_id(value) -> str:
    return str(value).lower()


def ids_to_fetch(items: list[dict], key: str) -> list[str]:
    """The distinct ids items refer to under `key`, in order: one bulk read asks for each once."""
    return list(dict.fromkeys(_same_id(item[key]) for item in items if item.get(key)))


def joined(items: list[dict], key: str, found: list[dict], as_name: str) -> list[dict]:
    """Each item with what its `key` refers to under `as_name` (None when it was not found,
    say a restaurant deleted since it was counted); `found` is a bulk read's answer."""
    by_id = {_same_id(thing["id"]): thing for thing in found}
    return [{**item, as_name: by_id.get(_same_id(item.get(key)))} for item in items]
