"""What the services' contract packages (`services/<name>/contract/`) are made of.

A contract package holds everything another service may depend on: RPC input and answer
schemas, status values, limits, and the event types the service publishes. This module
gives the one shape of an event type. It is plain marshmallow, like shared.schemas, so a
contract package installs with nothing else.

    RESTAURANT_CREATED = EventType("catalog", "restaurant_created", 1, RestaurantSchema)

    store.emit(RESTAURANT_CREATED, payload)             # the producer (shared.db)
    @consume_event(RESTAURANT_CREATED)                  # a consumer (shared.consumer)
    RESTAURANT_CREATED.reader("id", "name")             # the fields that consumer reads

`version` is the version producers stamp now; how it moves is in shared/events.py
("Versions").

A `batched` event type travels many envelopes to a message (a JSON array of envelopes,
all of that type: shared.event_buffer publishes them so): for events published by the
thousand a second (the gateway's views), where one message per event costs the broker
and every consumer far more than the event is worth (one may still come alone, as a
plain envelope). Consumers read it with shared.batch_consumer's `consume_batch`, which
unpacks the array; `consume_event` refuses to bind one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from marshmallow import EXCLUDE, Schema


class Payload(Schema):
    """The base of every event payload schema: a consumer ignores the fields it does not
    know (SPEC §2), so a producer may add one without a new version."""

    class Meta:
        unknown = EXCLUDE


@dataclass(frozen=True)
class EventType:
    """One kind of event a service publishes: who publishes it, its name (the routing
    key), the version of its payload's shape that producers stamp now, and the schema
    of that payload (dumped by the producer, loaded by consumers)."""

    producer: str
    name: str
    version: int
    payload: type[Schema]
    batched: bool = False  # many envelopes to a message (above)

    @property
    def key(self) -> tuple[str, str]:
        return self.producer, self.name

    def __str__(self) -> str:
        return f"{self.producer}.{self.name}"

    def dump(self, data) -> dict:
        """The payload of `data` (an object or a dict), as the schema says."""
        return self.payload().dump(data)

    def reader(self, *fields: str, optional: Iterable[str] = ()) -> Schema:
        """The schema a consumer loads the payload with: only the `fields` it reads (every
        other field, known or not, is ignored), `optional` ones allowed to be missing."""
        return self.payload(only=fields, partial=tuple(optional))


def event_types(*types: EventType) -> dict[str, EventType]:
    """A contract's event types by name (its `EVENTS`), each name once."""
    by_name: dict[str, EventType] = {}
    for event in types:
        if event.name in by_name:
            raise ValueError(f"{event} is declared twice")
        by_name[event.name] = event
    return by_name
