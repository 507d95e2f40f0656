"""The event envelope, publishing events in it, and reading them across versions.

Every event on the bus is one envelope (SPEC §2):
`{event_id, event_type, version, occurred_at, producer, correlation_id, payload}`.
Events go to the producer's nameko events exchange (`<producer>.events`, topic,
routing key = event_type), where consumers bind as nameko's `@event_handler` does
(`shared.consumer.consume_event`, `shared.batch_consumer.consume_batch`).

Versions
--------
`version` numbers the shape of an event type's payload. It changes only when a consumer
could misread the new shape: a field renamed, removed, retyped or given a new meaning.
Adding an optional field is not a new version (consumers ignore unknown payload fields).

- Producers: the `EventType` in the producer's contract package
  (`services/<name>/contract/events.py`, shared.contract) is the one place that says which
  version of the type is current; `make_envelope` stamps it unless its caller names a
  version (only a test or a deliberate old-shape publisher should).
- Consumers (`@consume_event(EVENT, accepts=, upcasters=)`, and `EventReader` entries in
  `@consume_batch`'s bindings): a consumer accepts the current and the previous version
  (default: the EventType's version and that - 1) and its handler is written for the newest
  version it accepts. An older message is lifted into that shape by the consumer's
  upcasters, `{1: v1_to_v2, 2: v2_to_v3}` (payload in, payload out; a version with no
  upcaster is taken to need none for what this handler reads). The handler sees the lifted
  envelope: `version` is the one it reads.
- A message of a version the consumer does not accept (too old, or newer than it knows),
  or one its upcaster cannot lift, goes at once to `dlq.<service>` with the reason, e.g.
  "version 3 of catalog.restaurant_created is not accepted here (accepts 1, 2)": never
  dropped, never retried in a loop, replayable (`python -m shared.deadletters replay`)
  once the consumer is upgraded.

Moving an event type from vN to vN+1 without breaking anyone (consumers first):
1. Release the consumers that read it with `accepts=(N, N + 1)`, their handler written for
   N+1 and an upcaster from N. Producers still send vN, which the upcaster lifts.
2. Then bump the EventType's version to N+1: producers send vN+1, which every running consumer,
   upgraded in step 1, already accepts; messages of vN still in queues, delay queues, the
   outbox or dead-letter queues (or from a producer replica not yet rolled) are still
   read. The consumers may now drop `accepts=`: the default window is {N+1, N}.
3. A consumer nobody upgraded dead-letters vN+1 with the reason: late, never lost.
Dual-publishing (the producer sending both versions during the transition) was not chosen:
each fact would travel twice under one event_id, consumers would need a rule to pick one
and drop the other, the outbox and traffic double, and the transition still ends with
every consumer reading the new version, which is what step 1 does with one message.

Unroutable events
-----------------
The relay's and the event buffer's publishes are mandatory (all but the event types a
contract declares `no_consumer_yet`: shared.contract.publishes_mandatory): a message no
queue is bound for comes back (basic.return) instead of being confirmed into nowhere.
`on_return` hands each one over as a `Returned`; RabbitMQ sends it before that message's
confirm, so once a publisher holds its confirms it knows which messages came back.
"""

from __future__ import annotations

import contextlib
import copy
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from kombu import Connection, Producer
from marshmallow import RAISE, Schema, fields, validate
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY, HEADER_PREFIX
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from shared.context import CORRELATION_ID_KEY, current_correlation_id
from shared.contract import EventType, publishes_mandatory


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)  # a time without its zone is refused
    producer = fields.String(required=True, validate=validate.Length(min=1, max=50))
    correlation_id = fields.String(load_default=None, allow_none=True)
    payload = fields.Dict(required=True)


_envelope_schema = EnvelopeSchema()


def make_envelope(
    event: EventType,
    payload: dict,
    version: int | None = None,
    correlation_id: str | None = None,
    event_id: uuid.UUID | None = None,
) -> dict:
    """A JSON-ready envelope of `event` around `payload` (which must itself be JSON-ready).

    `version` is the event type's current one unless given; producers leave it out, so
    that their contract stays the one place that says it.

    `event_id` is new unless given: a producer that may send the same fact twice (a
    client retrying a request) names it the same way both times, and consumers drop the
    repeat."""
    return _envelope_schema.dump(
        {
            "event_id": event_id or uuid.uuid4(),
            "event_type": event.name,
            "version": event.version if version is None else version,
            "occurred_at": datetime.now(UTC),
            "producer": event.producer,
            "correlation_id": correlation_id or current_correlation_id(),
            "payload": payload,
        }
    )


def envelopes_in(body) -> list:
    """The envelopes one message carries: a batched event type's message holds a JSON
    array of them (shared.contract), any other message one."""
    return list(body) if isinstance(body, list) else [body]


def parse_envelope(body: dict) -> dict:
    """Validate a received envelope; raises marshmallow.ValidationError."""
    return _envelope_schema.load(body)


def context_headers(correlation_id: str | None) -> dict:
    """nameko context headers, so the consumer's worker inherits the correlation id."""
    if not correlation_id:
        return {}
    return {f"{HEADER_PREFIX}.{CORRELATION_ID_KEY}": correlation_id}


class EnvelopePublisher:
    """Publishes envelopes to one producer's events exchange, persistent, with confirms."""

    def __init__(self, amqp_uri: str, producer: str, config: dict | None = None):
        self.producer = producer
        self.exchange = get_event_exchange(producer, config or {})
        self._publisher = Publisher(
            amqp_uri, serializer="json", use_confirms=True, declare=[self.exchange]
        )

    def publish(self, envelope: dict) -> None:
        self._publisher.publish(
            envelope,
            exchange=self.exchange,
            routing_key=envelope["event_type"],
            extra_headers=context_headers(envelope.get("correlation_id")),
        )

    def dispatch(self, event: EventType, payload: dict, version: int | None = None,
                 event_id: uuid.UUID | None = None) -> dict:
        if event.producer != self.producer:
            raise ValueError(f"{self.producer} cannot publish {event}")
        envelope = make_envelope(event, payload, version, event_id=event_id)
        self.publish(envelope)
        return envelope


@dataclass(frozen=True)
class Returned:
    """A mandatory message the broker handed back (basic.return): no queue is bound for its
    routing key on its exchange. `event_ids` are those of the envelopes it carried (none
    when its body is not envelopes)."""

    exchange: str
    routing_key: str
    reason: str  # the broker's reply text: NO_ROUTE
    event_ids: tuple[str, ...]

    @property
    def events(self) -> int:
        """The events it carried (a message that is not ours counts as one)."""
        return len(self.event_ids) or 1


def _event_ids_in(body: bytes) -> tuple[str, ...]:
    try:
        envelopes = envelopes_in(orjson.loads(body))
    except orjson.JSONDecodeError:
        return ()
    return tuple(str(envelope["event_id"]) for envelope in envelopes
                 if isinstance(envelope, dict) and "event_id" in envelope)


def on_return(channel, handler: Callable[[Returned], None]) -> None:
    """Call `handler` with each message `channel` gets back (basic.return), while it reads
    the frames that came before that message's confirm. (A channel with no handler would
    raise the return as a ChannelError from whatever it was waiting for instead.)"""

    def returned(exc, exchange: str, routing_key: str, message) -> None:
        handler(Returned(exchange, routing_key, getattr(exc, "reply_text", str(exc)),
                         _event_ids_in(message.body)))

    channel.events["basic_return"].add(returned)


@dataclass(frozen=True)
class Published:
    """What the broker said of a batch: `confirmed` envelopes, from the first, are on it,
    except those at the positions `returned`, which it handed back unroutable."""

    confirmed: int
    returned: frozenset[int] = frozenset()


class PublishIncomplete(Exception):
    """A batch publish that stopped part way: `confirmed` envelopes, from the first, are
    on the broker (but those at the positions `returned`, which came back unroutable); the
    rest may or may not be (send them again)."""

    def __init__(self, confirmed: int, reason: str, returned: frozenset[int] = frozenset()):
        super().__init__(f"{reason} ({confirmed} confirmed first)")
        self.confirmed = confirmed
        self.returned = frozenset(position for position in returned if position < confirmed)


class BatchPublisher:
    """Publishes many envelopes to one producer's events exchange, persistent, and waits
    once for the broker's confirms of them all, where EnvelopePublisher waits a round trip
    per envelope (the outbox relay's rounds: shared.outbox).

    One connection and channel of its own, in confirm mode, kept between batches and
    opened again after any failure. Mandatory (but the event types declared
    `no_consumer_yet`): `publish_all` answers `Published`, every envelope confirmed and the
    positions of those the broker returned unroutable, or raises PublishIncomplete naming
    the first ones the broker confirmed (its confirms may come for many at once, and a nack
    for one means those after it are not known to be there either) and which of them came
    back."""

    def __init__(self, amqp_uri: str, producer: str, config: dict | None = None,
                 confirm_timeout: float = 10.0):
        self.amqp_uri = amqp_uri
        self.producer = producer
        self.exchange = get_event_exchange(producer, config or {})
        self.confirm_timeout = confirm_timeout
        self._connection = None

    def _open(self):
        if self._connection is None:
            connection = Connection(self.amqp_uri, connect_timeout=5)
            try:
                channel = connection.channel()
                self.exchange(channel).declare()
                channel.confirm_select()
                channel.events["basic_ack"].add(self._on_ack)
                channel.events["basic_nack"].add(self._on_nack)
                on_return(channel, self._on_return)
            except Exception:
                connection.release()
                raise
            self._connection, self._channel = connection, channel
            self._producer = Producer(channel, serializer="json")
            self._sent, self._acked, self._acked_alone, self._nacked = 0, 0, set(), None
            self._returned: set[str] = set()  # event ids, of this batch
        return self._connection

    def _on_return(self, returned: Returned) -> None:
        self._returned.update(returned.event_ids)

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._acked = max(self._acked, delivery_tag)
        else:
            self._acked_alone.add(delivery_tag)
        while self._acked + 1 in self._acked_alone:  # the confirmed run from the first
            self._acked += 1
            self._acked_alone.discard(self._acked)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        first = self._acked + 1 if multiple else delivery_tag
        self._nacked = first if self._nacked is None else min(self._nacked, first)

    def publish_all(self, envelopes: list[dict]) -> Published:
        if not envelopes:
            return Published(0)
        connection = self._open()
        start = self._sent  # delivery tags count from 1 on the channel
        self._returned.clear()
        failure = None
        try:
            for envelope in envelopes:
                self._producer.publish(
                    envelope, exchange=self.exchange, routing_key=envelope["event_type"],
                    headers=context_headers(envelope.get("correlation_id")),
                    mandatory=publishes_mandatory(self.producer, envelope["event_type"]),
                    delivery_mode=2, retry=False, declare=())
                self._sent += 1
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
        try:  # after a failure, briefly: what went out before it may still be confirmed
            self._wait_for_confirms(connection, self.confirm_timeout if failure is None
                                    else min(self.confirm_timeout, 2.0))
        except Exception as exc:
            failure = failure or f"{type(exc).__name__}: {exc}"
        # each return came before its message's confirm: those confirmed are all known
        returned = frozenset(position for position, envelope in enumerate(envelopes)
                             if str(envelope["event_id"]) in self._returned)
        if failure is None and self._nacked is None:
            return Published(len(envelopes), returned)
        last = self._acked if self._nacked is None else min(self._acked, self._nacked - 1)
        self.close()
        raise PublishIncomplete(max(0, min(last, self._sent) - start),
                                failure or "the broker refused a message (nack)", returned)

    def _wait_for_confirms(self, connection, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self._acked < self._sent and self._nacked is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no confirm within {timeout:.0f} s")
            connection.drain_events(timeout=remaining)

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.release()
            self._connection = None


class EventDispatcher(DependencyProvider):
    """`dispatch(EVENT, payload, version=None, event_id=None)`: publish now, wrapped in
    the envelope (version: the EventType's current one).

    For services without a database of their own (the gateway). A service that
    changes PostgreSQL emits through its store instead, so the event follows
    the commit (shared.db.Store.emit).
    """

    def setup(self):
        self.publisher = EnvelopePublisher(
            self.container.config[AMQP_URI_CONFIG_KEY],
            self.container.service_name,
            self.container.config,
        )

    def get_dependency(self, worker_ctx):
        return self.publisher.dispatch


# --- reading: what one consumer accepts of one event type ---------------------------------

Upcaster = Callable[[dict], dict]


class UnacceptedEvent(Exception):
    """A message this consumer cannot read: its version is not accepted, or its upcaster
    failed. The message goes to the dead-letter queue with this reason, not to a retry."""


class EventReader:
    """How one consumer reads one event type: the versions it accepts, and the upcasters
    that lift an older one into the shape its handler is written for (the newest accepted).

        EventReader(RESTAURANT_CREATED)                           # current and previous
        EventReader(RESTAURANT_CREATED, accepts=(1, 2),
                    upcasters={1: lambda payload: {...}})         # v1 lifted to v2
    """

    def __init__(self, event: EventType, accepts: Iterable[int] | None = None,
                 upcasters: Mapping[int, Upcaster] | None = None):
        self.event = event
        self.producer = event.producer
        self.event_type = event.name
        if accepts is None:
            accepts = [version for version in (event.version - 1, event.version)
                       if version >= 1]
        self.accepts = frozenset(accepts)
        self.upcasters = dict(upcasters or {})
        if not self.accepts or any(
                isinstance(version, bool) or not isinstance(version, int) or version < 1
                for version in self.accepts):
            raise ValueError(f"{self.name}: accepts must be versions >= 1, got {accepts!r}")
        self.reads = max(self.accepts)
        stray = sorted(version for version in self.upcasters
                       if not min(self.accepts) <= version < self.reads)
        if stray:
            raise ValueError(f"{self.name}: upcasters lift versions {min(self.accepts)} to "
                             f"{self.reads - 1} (each to the next); not {stray}")
        if not all(callable(upcaster) for upcaster in self.upcasters.values()):
            raise ValueError(f"{self.name}: upcasters must be callables payload -> payload")

    @property
    def name(self) -> str:
        return f"{self.producer}.{self.event_type}"

    def describe_accepts(self) -> str:
        return ", ".join(str(version) for version in sorted(self.accepts))

    def read(self, envelope: dict) -> dict:
        """`envelope` (parsed) in the shape the handler reads; raises UnacceptedEvent."""
        version = envelope["version"]
        if version not in self.accepts:
            raise UnacceptedEvent(
                f"version {version} of {self.name} is not accepted here "
                f"(accepts {self.describe_accepts()})")
        if version == self.reads:
            return envelope
        payload = copy.deepcopy(envelope["payload"])  # the body may be republished as it came
        for step in range(version, self.reads):
            upcaster = self.upcasters.get(step)
            if upcaster is None:
                continue
            try:
                payload = upcaster(payload)
            except Exception as exc:
                raise UnacceptedEvent(
                    f"version {version} of {self.name} could not be lifted from v{step} to "
                    f"v{step + 1}: {type(exc).__name__}: {exc}") from exc
            if not isinstance(payload, dict):
                raise UnacceptedEvent(
                    f"the v{step} upcaster of {self.name} returned "
                    f"{type(payload).__name__}, not a payload dict")
        return {**envelope, "version": self.reads, "payload": payload}
