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

Every event type is published mandatory (the broker hands back a message no queue is bound
for, and the outbox keeps its row until one is: shared.outbox), except one its contract
declares `no_consumer_yet=True`: announced for whoever will need it, with no consumer today,
so it is published without that check (docs/events.md, "No event goes unrouted").
`contracts/test_contracts.py` checks the flag against the services' event bindings, both
ways.
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
    no_consumer_yet: bool = False  # published without the mandatory check (above)

    @property
    def key(self) -> tuple[str, str]:
        return self.producer, self.name

    @property
    def mandatory(self) -> bool:
        """Published mandatory: a message of it that no queue is bound for comes back."""
        return not self.no_consumer_yet

    def __str__(self) -> str:
        return f"{self.producer}.{self.name}"

    def dump(self, data) -> dict:
        """The payload of `data` (an object or a dict), as the schema says."""
        return self.payload().dump(data)

    def reader(self, *fields: str, optional: Iterable[str] = ()) -> Schema:
        """The schema a consumer loads the payload with: only the `fields` it reads (every
        other field, known or not, is ignored), `optional` ones allowed to be missing."""
        return self.payload(only=fields, partial=tuple(optional))


# every contract's EVENTS, once its module is imported (a producer imports its own)
_declared: dict[tuple[str, str], EventType] = {}


def event_types(*types: EventType) -> dict[str, EventType]:
    """A contract's event types by name (its `EVENTS`), each name once; declared, so that
    publishers that hold only an envelope (the outbox relay) find them: `declared_event`."""
    by_name: dict[str, EventType] = {}
    for event in types:
        if event.name in by_name:
            raise ValueError(f"{event} is declared twice")
        by_name[event.name] = event
    _declared.update((event.key, event) for event in types)
    return by_name


def declared_event(producer: str, name: str) -> EventType | None:
    """The event type a contract's `EVENTS` declares as `producer`'s `name`, if any (and
    its contract module was imported)."""
    return _declared.get((producer, name))


def publishes_mandatory(producer: str, name: str) -> bool:
    """Whether `producer`'s events named `name` go out mandatory: all but those a contract
    declares `no_consumer_yet` (an event type no contract declares is mandatory too, so a
    typo or a missing import holds events back, loudly, rather than losing them)."""
    event = declared_event(producer, name)
    return event is None or event.mandatory
