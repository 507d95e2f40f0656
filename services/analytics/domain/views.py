"""Views and engagement as DynamoDB writes (Increment / PutIfAbsent), with no I/O.

One view of an entity (`<TYPE>#<id>` in table Analytics, seed 000 layout) means:
- `VIEWS`: view_count +1, last_viewed_at;
- `DATE#<yyyy-mm-dd>`: views +1, hour_<HH> +1, device_<type> +1, and its `date`;
- `PERIOD#<period>#<bucket>` for day/week/month/year: views +1, with period_key and
  entity_id for the PeriodViewsIndex (trending);
- `VIEWER#<viewer>`: a marker written only if absent, whose creation adds 1 to
  unique_viewers: exact unique viewers with O(1) work per view (SPEC §5).
Hours and days are the event's occurred_at in UTC, so a redelivered or late event lands
where it happened, not where it was processed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from marshmallow import Schema, ValidationError

from services.analytics.contract.rpc import (
    ENGAGEMENT_TYPES,
    ENTITY_TYPES,
    LISTING_ID,
    EntitySchema,
)
from services.analytics.domain.periods import PERIODS, as_utc, bucket, day_key
from services.gateway.contract import events as gateway
from services.gateway.contract.events import DEVICE_TYPES, MAX_LISTED_IDS
from shared.errors import InvalidInput
from shared.schemas import load
from shared.writes import Increment, PutIfAbsent

ANALYTICS = "Analytics"
ENGAGEMENTS = "Engagements"
ENGAGEMENT_TTL = timedelta(days=90)
VIEWS_SK = "VIEWS"
ENGAGEMENT_SK = "ENGAGEMENT"

# who looked: read when there (the device is read apart: see device_of)
_VIEWER = ("user_id", "anonymous_id")


def _view_reader(event, *fields: str):
    return event.reader(*fields, *_VIEWER, optional=_VIEWER)


# event type -> (entity type, what is read of its payload, id field)
ENTITY_VIEW_EVENTS = {
    event.name: (entity_type, _view_reader(event, id_field), id_field)
    for event, entity_type, id_field in (
        (gateway.RESTAURANT_VIEWED, "restaurant", "restaurant_id"),
        (gateway.RESTAURANT_MENU_VIEWED, "menu", "restaurant_id"),
        (gateway.RESTAURANT_REVIEWS_VIEWED, "reviews", "restaurant_id"),
        (gateway.DISH_VIEWED, "dish", "dish_id"),
    )
}
LISTING_EVENTS = (gateway.RESTAURANTS_LISTED.name, gateway.RESTAURANTS_SEARCHED.name)
VIEW_EVENTS = (*ENTITY_VIEW_EVENTS, *LISTING_EVENTS)

# both listing events carry the same payload
_listing_schema = gateway.RESTAURANTS_LISTED.reader(
    "restaurant_ids", *_VIEWER, optional=("restaurant_ids", *_VIEWER))


def _not_one_of(argument: str, choices: tuple[str, ...]) -> InvalidInput:
    return InvalidInput("the request has invalid fields", {"fields": {argument: [
        f"must be one of: {', '.join(choices)}"]}})


# --- keys ------------------------------------------------------------------------------------

def entity_key(entity_type: str, entity_id) -> str:
    """`RESTAURANT#<id>` from the public type name (`restaurant`) and the id."""
    if entity_type not in ENTITY_TYPES:
        raise _not_one_of("entity_type", ENTITY_TYPES)
    return f"{entity_type.upper()}#{entity_id}"


def parse_entity_type(value) -> str:
    """An RPC's entity_type argument, one of ENTITY_TYPES; InvalidInput otherwise."""
    if value not in ENTITY_TYPES:
        raise _not_one_of("entity_type", ENTITY_TYPES)
    return value


def parse_entity(entity_type, entity_id) -> tuple[str, str]:
    """An RPC's (entity_type, entity_id): the id canonical (a uuid's lowercase form, or
    `all` for the listing); InvalidInput naming the bad argument otherwise."""
    entity = load(EntitySchema, {"entity_type": entity_type, "entity_id": entity_id})
    return entity["entity_type"], entity["entity_id"]


def date_sk(day: date) -> str:
    return f"DATE#{day_key(day)}"


def period_sk(period: str, period_bucket: str) -> str:
    return f"PERIOD#{period}#{period_bucket}"


def period_key(entity_type: str, period: str, period_bucket: str) -> str:
    """The PeriodViewsIndex partition: every entity of a type viewed in one bucket."""
    return f"{entity_type.upper()}#{period}#{period_bucket}"


def viewer_sk(viewer: str) -> str:
    return f"VIEWER#{viewer}"


def hour_attribute(instant: datetime) -> str:
    return f"hour_{instant.hour:02d}"


def viewer_identity(payload: dict) -> str | None:
    """Who counts as one viewer: the signed-in user, else the client's anonymous id, else
    nobody (the view still counts, as a view, not as a viewer)."""
    if payload.get("user_id"):
        return f"user#{uuid.UUID(str(payload['user_id']))}"
    anonymous = (payload.get("anonymous_id") or "").strip()
    return f"anon#{anonymous}" if anonymous else None


def device_of(payload: dict) -> str | None:
    """The device a view came from, if it is one we count. The gateway always says
    (from the client or its User-Agent); a device it did not name is counted as no device
    rather than guessed, so the device split never claims more than it was told."""
    device = payload.get("device_type")
    device = device.strip().lower() if isinstance(device, str) else None
    return device if device in DEVICE_TYPES else None


# --- views -----------------------------------------------------------------------------------

def entity_view_writes(entity_type: str, entity_id: str, occurred_at: datetime,
                       viewer: str | None, device: str | None) -> list[Increment | PutIfAbsent]:
    """The writes one view of `<TYPE>#<entity_id>` at `occurred_at` (UTC) means."""
    pk = entity_key(entity_type, entity_id)
    occurred_at = as_utc(occurred_at)
    day = occurred_at.date()
    seen_at = occurred_at.isoformat()
    views_key = {"pk": pk, "sk": VIEWS_SK}
    daily = {"views": 1, hour_attribute(occurred_at): 1}
    if device:
        daily[f"device_{device}"] = 1
    writes: list[Increment | PutIfAbsent] = [
        # last_viewed_at: the latest view applied (a late redelivery may set an older time;
        # the counters, which are what the dashboards sum, stay exact regardless)
        Increment(ANALYTICS, views_key, add={"view_count": 1},
                  set={"last_viewed_at": seen_at}),
        Increment(ANALYTICS, {"pk": pk, "sk": date_sk(day)}, add=daily,
                  set_if_absent={"date": day_key(day)}),
    ]
    for period in PERIODS:
        period_bucket = bucket(period, day)
        writes.append(Increment(
            ANALYTICS, {"pk": pk, "sk": period_sk(period, period_bucket)}, add={"views": 1},
            set_if_absent={"period_key": period_key(entity_type, period, period_bucket),
                           "entity_id": entity_id}))
    if viewer:
        # the same key on every delivery, never deleted: a first view's marker stands for
        # its event's own (shared.writes.PutIfAbsent.marks_event), one write less
        writes.append(PutIfAbsent(
            ANALYTICS, {"pk": pk, "sk": viewer_sk(viewer), "first_viewed_at": seen_at},
            on_new=(Increment(ANALYTICS, views_key, add={"unique_viewers": 1}),),
            marks_event=True))
    return writes


def listed_restaurant_ids(restaurant_ids: list) -> list[str]:
    """The distinct ids of a listing, in order, at most MAX_LISTED_IDS of them."""
    return list(dict.fromkeys(str(restaurant_id) for restaurant_id in restaurant_ids))[
        :MAX_LISTED_IDS]


def impression_writes(restaurant_ids: list) -> list[Increment]:
    """Each listed restaurant appeared once more in a list."""
    return [Increment(ANALYTICS, {"pk": entity_key("restaurant", restaurant_id),
                                  "sk": VIEWS_SK}, add={"impressions": 1})
            for restaurant_id in listed_restaurant_ids(restaurant_ids)]


def _payload(schema: Schema, envelope: dict) -> dict:
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        raise InvalidInput("the event has no payload object", {"fields": {"payload": [
            "expected an object"]}})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise InvalidInput("the event payload has invalid fields",
                           {"fields": {"payload": exc.messages}}) from None


def view_writes(envelope: dict) -> list[Increment | PutIfAbsent]:
    """Every write a gateway view event means (InvalidInput if it cannot be used).

    restaurant_viewed / restaurant_menu_viewed / restaurant_reviews_viewed / dish_viewed:
    one view of RESTAURANT / MENU / REVIEWS / DISH#<id>. restaurants_listed and
    restaurants_searched: one view of LISTING#all, and one impression for each listed
    restaurant. (dish_viewed's trending point is the activity side's write.)
    """
    event_type = envelope.get("event_type")
    occurred_at = as_utc(envelope.get("occurred_at"))
    if event_type in LISTING_EVENTS:
        payload = _payload(_listing_schema, envelope)
        entity_type, entity_id = "listing", LISTING_ID
    elif event_type in ENTITY_VIEW_EVENTS:
        entity_type, schema, id_field = ENTITY_VIEW_EVENTS[event_type]
        payload = _payload(schema, envelope)
        entity_id = str(payload[id_field])
    else:
        raise _not_one_of("event_type", VIEW_EVENTS)
    writes = entity_view_writes(entity_type, entity_id, occurred_at,
                                viewer_identity(payload), device_of(envelope["payload"]))
    if event_type in LISTING_EVENTS:
        writes += impression_writes(payload.get("restaurant_ids", []))
    return writes


# --- engagement ------------------------------------------------------------------------------

def engagement_writes(record_id: str, entity_type: str, entity_id: str, engagement_type: str,
                      user_id: str | None, occurred_at: datetime) -> list[PutIfAbsent]:
    """The raw engagement record (kept 90 days) and, only when the record is new, +1 on the
    entity's `engagement_<type>` counter: the count follows the records, so a retried
    record counts once even without the event marker."""
    if engagement_type not in ENGAGEMENT_TYPES:
        raise _not_one_of("engagement_type", ENGAGEMENT_TYPES)
    pk = entity_key(entity_type, entity_id)
    occurred_at = as_utc(occurred_at)
    record = {
        "pk": pk,
        # fixed-width time first, so an entity's records sort by time
        "sk": f"{occurred_at.isoformat(timespec='microseconds')}#{record_id}",
        "record_id": str(record_id),
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "engagement_type": engagement_type,
        "occurred_at": occurred_at.isoformat(),
        "expires_at": int((occurred_at + ENGAGEMENT_TTL).timestamp()),
    }
    if user_id:
        record["user_id"] = str(user_id)
    counter = Increment(ANALYTICS, {"pk": pk, "sk": ENGAGEMENT_SK},
                        add={f"engagement_{engagement_type}": 1})
    return [PutIfAbsent(ENGAGEMENTS, record, on_new=(counter,))]
