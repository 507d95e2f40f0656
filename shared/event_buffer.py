"""Events that are worth sending but not worth waiting for (the gateway's views): kept in
memory and published in batches by a background green thread, off the request path.

    views = BufferedEventDispatcher()
    ...
    self.views(RESTAURANT_VIEWED, payload)   # returns at once; never raises for the broker

- A request only appends to a bounded buffer: with the broker down, slow or in a memory
  alarm, it still answers at once. When the buffer is full the newest events are dropped,
  counted and logged (at most once a minute), never queued without bound.
- Only batched event types (shared.contract) go through it: the flusher takes up to
  EVENT_BUFFER_BATCH events every EVENT_BUFFER_FLUSH_INTERVAL seconds (sooner when a
  batch fills) and publishes them as one message per event type, its body the JSON array
  of that type's envelopes, on one channel in confirm mode; it waits for the broker's
  confirms of the whole batch once. (One message per event cost the broker a quarter of a
  core, and the consumer as much again, at 1,700 views a second: bench/gateway_read.py.)
  A batch that is not confirmed (a nack, a timeout, a lost connection) is published
  again, whole, on a new connection: each event keeps its event_id, so consumers that
  apply events once (analytics) count each once.
- Published mandatory (as the outbox's events: shared.events, "Unroutable events"): an
  event no queue is bound for is returned by the broker, counted and logged (at most once
  a minute) as unroutable rather than taken for delivered.
- A graceful stop flushes what is buffered (within EVENT_BUFFER_STOP_TIMEOUT seconds). A
  crash, or a stop while the broker is unreachable, loses what was buffered: at most one
  flush interval of events while the broker is healthy.

| variable | default | meaning |
|---|---|---|
| EVENT_BUFFER_MAX | 10000 | events held at most; past it new ones are dropped (counted) |
| EVENT_BUFFER_BATCH | 500 | events per published batch at most |
| EVENT_BUFFER_FLUSH_INTERVAL | 0.05 | seconds between flushes when no batch has filled |
| EVENT_BUFFER_CONFIRM_TIMEOUT | 5 | seconds a batch waits for its confirms before it is resent |
| EVENT_BUFFER_STOP_TIMEOUT | 5 | seconds a graceful stop spends flushing |
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import eventlet
import orjson
from amqp import Message
from eventlet.event import Event
from kombu import Connection
from marshmallow import ValidationError
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from shared.context import current_correlation_id
from shared.contract import EventType, publishes_mandatory
from shared.events import Returned, on_return

log = logging.getLogger(__name__)

DROP_LOG_INTERVAL = 60.0
YIELD_EVERY = 25  # events the flusher handles between two turns of the event loop


class BatchNotConfirmed(Exception):
    """The broker did not confirm every message of a batch (nack or timeout)."""


@dataclass
class Pending:
    """One event as the request left it: built into its envelope by the flusher."""

    event: EventType
    payload: dict
    correlation_id: str | None
    occurred_at: datetime
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)


def envelope_of(item: Pending, schema) -> dict:
    """The envelope the flusher publishes for `item` (shared.events.EnvelopeSchema's
    shape), its payload as the event type's schema dumps it. A payload that does not fit
    its schema is a ValidationError: a bug, never sent."""
    payload = schema.dump(item.payload)
    if errors := schema.validate(payload):
        raise ValidationError(errors)
    return {"event_id": str(item.event_id), "event_type": item.event.name,
            "version": item.event.version, "occurred_at": item.occurred_at.isoformat(),
            "producer": item.event.producer, "correlation_id": item.correlation_id,
            "payload": payload}


def pending(event: EventType, payload: dict, event_id: uuid.UUID | None = None) -> Pending:
    """An event as a request leaves it: now, in the current request's correlation."""
    item = Pending(event, payload, current_correlation_id(), datetime.now(UTC))
    if event_id is not None:
        item.event_id = event_id
    return item


class EventBuffer:
    """The bounded buffer and its counts; no I/O."""

    def __init__(self, max_events: int, clock: Callable[[], float] = time.monotonic):
        self.max_events = max_events
        self._events: deque[Pending] = deque()
        self.counts: Counter = Counter()
        self._clock = clock
        self._dropped_since_log = 0
        self._last_drop_log = float("-inf")

    def add(self, pending: Pending) -> bool:
        if len(self._events) >= self.max_events:
            self.counts["dropped (buffer full)"] += 1
            self._dropped_since_log += 1
            now = self._clock()
            if now - self._last_drop_log >= DROP_LOG_INTERVAL:
                log.warning("event buffer full (%d held): dropped %d event(s) since the last "
                            "report, %d in all", len(self._events), self._dropped_since_log,
                            self.counts["dropped (buffer full)"])
                self._dropped_since_log = 0
                self._last_drop_log = now
            return False
        self._events.append(pending)
        self.counts["buffered"] += 1
        return True

    def take(self, limit: int) -> list[Pending]:
        batch = []
        while self._events and len(batch) < limit:
            batch.append(self._events.popleft())
        return batch

    def __len__(self) -> int:
        return len(self._events)


@contextlib.contextmanager
def corked(transport):
    """Every frame py-amqp writes to `transport` inside the block leaves in one write at
    its end: a batch of publishes costs one system call, not one per message."""
    write = transport._write
    frames: list[bytes] = []
    # py-amqp reuses one buffer for the frames it writes: keep a copy of each
    transport._write = lambda data: frames.append(bytes(data))
    try:
        yield
    finally:
        transport._write = write
    if frames:
        transport.write(b"".join(frames))


def messages_of(envelopes: list[tuple[object, dict]]) -> list[tuple[object, str, list]]:
    """The messages a batch of (exchange, envelope) travels in: (exchange, routing key,
    body) for each event type, in the order each first appears, its body the array of its
    envelopes in the order they came."""
    messages: dict[tuple[str, str], tuple[object, str, list]] = {}
    for exchange, envelope in envelopes:
        key = (exchange.name, envelope["event_type"])
        if key not in messages:
            messages[key] = (exchange, envelope["event_type"], [])
        messages[key][2].append(envelope)
    return list(messages.values())


class BatchPublisher:
    """Publishes a batch on one channel in confirm mode and waits for all its confirms."""

    def __init__(self, amqp_uri: str, confirm_timeout: float,
                 clock: Callable[[], float] = time.monotonic):
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self._connection: Connection | None = None
        self._declared: set[str] = set()
        self.returned = 0  # events in the unroutable messages the broker handed back
        self._clock = clock
        self._last_return_log = float("-inf")

    def _channel(self):
        if self._connection is None:
            connection = Connection(self.amqp_uri, connect_timeout=self.confirm_timeout,
                                    heartbeat=0)
            connection.ensure_connection(max_retries=1)
            channel = connection.default_channel
            channel.confirm_select()
            self._acked = 0
            self._nacked = False
            self._published = 0
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            on_return(channel, self._on_return)
            self._connection = connection
            self._declared = set()
        return self._connection.default_channel

    def _on_ack(self, delivery_tag, multiple):
        self._acked = max(self._acked, delivery_tag)

    def _on_nack(self, delivery_tag, multiple):
        self._nacked = True

    def _on_return(self, returned: Returned) -> None:
        self.returned += returned.events
        now = self._clock()
        if now - self._last_return_log >= DROP_LOG_INTERVAL:
            self._last_return_log = now
            log.error("%d %s event(s) came back unroutable from exchange %s (routing key "
                      "%r): no queue is bound for them (%d unroutable in all)",
                      returned.events, returned.routing_key, returned.exchange,
                      returned.routing_key, self.returned)

    def publish(self, envelopes: list[tuple[object, dict]]) -> None:
        """`envelopes`: (exchange, envelope) pairs. Raises when not all were confirmed."""
        channel = self._channel()
        for exchange, _ in envelopes:
            if exchange.name not in self._declared:
                exchange(channel).declare()
                self._declared.add(exchange.name)
        with corked(self._connection.connection.transport):
            for count, (exchange, routing_key, body) in enumerate(messages_of(envelopes), 1):
                if count % YIELD_EVERY == 0:
                    eventlet.sleep(0)  # nothing else writes on this connection meanwhile
                # each envelope names its own correlation id: the message names none
                message = Message(orjson.dumps(body), content_type="application/json",
                                  content_encoding="utf-8", delivery_mode=2)
                channel.basic_publish(message, exchange=exchange.name, routing_key=routing_key,
                                      mandatory=publishes_mandatory(body[0]["producer"],
                                                                    routing_key))
                self._published += 1
        deadline = time.monotonic() + self.confirm_timeout
        while self._acked < self._published and not self._nacked:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BatchNotConfirmed(f"{self._published - self._acked} message(s) not "
                                        f"confirmed within {self.confirm_timeout}s")
            try:
                self._connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue
        if self._nacked:
            raise BatchNotConfirmed("the broker refused (nacked) part of the batch")

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a broken connection: nothing left to do
                log.debug("closing the event buffer's connection", exc_info=True)
            self._connection = None


class BufferedEventDispatcher(DependencyProvider):
    """`dispatch(EVENT, payload, event_id=None)`: buffered, returns at once (see above)."""

    def setup(self):
        config = self.container.config
        self.buffer = EventBuffer(int(config.get("EVENT_BUFFER_MAX", 10000)))
        self.batch_size = int(config.get("EVENT_BUFFER_BATCH", 500))
        self.flush_interval = float(config.get("EVENT_BUFFER_FLUSH_INTERVAL", 0.05))
        self.stop_timeout = float(config.get("EVENT_BUFFER_STOP_TIMEOUT", 5.0))
        self.publisher = BatchPublisher(config[AMQP_URI_CONFIG_KEY],
                                        float(config.get("EVENT_BUFFER_CONFIRM_TIMEOUT", 5.0)))
        self._config = config
        self._exchanges: dict[str, object] = {}
        self._schemas: dict[EventType, object] = {}
        self._wake = Event()
        self._in_hand: list = []  # envelopes taken from the buffer, not yet confirmed
        self._running = False
        self._thread = None

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._flush_forever)

    def stop(self):
        self._running = False
        self._poke()
        if self._thread is not None:
            with eventlet.Timeout(self.stop_timeout, False):
                self._thread.wait()
            self._thread.kill()
        left = len(self.buffer) + len(self._in_hand)
        if left:
            self.buffer.counts["lost at stop"] += left
            log.warning("stopping with %d buffered event(s) unpublished", left)
        self.publisher.close()

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self.publisher.close()

    def get_dependency(self, worker_ctx):
        return self.dispatch

    def dispatch(self, event: EventType, payload: dict, event_id: uuid.UUID | None = None
                 ) -> None:
        if event.producer != self.container.service_name:
            raise ValueError(f"{self.container.service_name} cannot publish {event}")
        if not event.batched:  # its consumers would not read an array of envelopes
            raise ValueError(f"{event} is not a batched event type (shared.contract)")
        added = self.buffer.add(pending(event, payload, event_id))
        if added and len(self.buffer) >= self.batch_size:
            self._poke()

    @property
    def counts(self) -> Counter:
        return self.buffer.counts + Counter({"unroutable": self.publisher.returned})

    # --- the flusher ----------------------------------------------------------------------

    def _poke(self) -> None:
        if not self._wake.ready():
            self._wake.send()

    def _flush_forever(self) -> None:
        delay = self.flush_interval
        while self._running or self._in_hand or len(self.buffer):
            if not self._in_hand:
                with eventlet.Timeout(self.flush_interval, False):
                    self._wake.wait()
                self._wake = Event()
                self._in_hand = self._envelopes(self.buffer.take(self.batch_size))
            if not self._in_hand:
                if not self._running and not len(self.buffer):
                    return
                continue
            try:
                self.publisher.publish(self._in_hand)
            except Exception as exc:  # not confirmed: the same envelopes go again
                self.publisher.close()
                self.buffer.counts["batches resent"] += 1
                log.warning("could not publish %d buffered event(s) (%s: %s); retrying in "
                            "%.2fs", len(self._in_hand), type(exc).__name__, exc, delay)
                eventlet.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.buffer.counts["published"] += len(self._in_hand)
            self._in_hand = []
            delay = self.flush_interval

    def _envelopes(self, batch: list[Pending]) -> list[tuple[object, dict]]:
        """Each event in its envelope, its payload as its schema says; one that does not
        fit its schema is a bug: logged and dropped, never sent."""
        envelopes = []
        for count, item in enumerate(batch, 1):
            if count % YIELD_EVERY == 0:
                eventlet.sleep(0)  # a large batch never holds requests up for long
            schema = self._schemas.get(item.event)
            if schema is None:
                schema = self._schemas[item.event] = item.event.payload()
            try:
                envelope = envelope_of(item, schema)
            except ValidationError as errors:
                self.buffer.counts["dropped (invalid)"] += 1
                log.error("not publishing an invalid %s: %s", item.event, errors.messages)
                continue
            exchange = self._exchanges.get(item.event.producer)
            if exchange is None:
                exchange = get_event_exchange(item.event.producer, self._config)
                self._exchanges[item.event.producer] = exchange
            envelopes.append((exchange, envelope))
        return envelopes
