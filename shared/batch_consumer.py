"""Consume events in batches, for handlers that write far faster per batch than per event.

    @consume_batch([RESTAURANT_VIEWED, DISH_VIEWED])   # EventTypes of producers' contracts
    def record_views(self, envelopes: list[dict]) -> None: ...

One durable queue (`batch--<service>.<method>`) is bound to every event type listed. An
entry may instead be an `EventReader(EVENT, accepts=..., upcasters=...)`, for an event
type read across versions (shared/events.py, "Versions"); a plain EventType accepts its
current and previous version. The handler gets every
envelope in the newest accepted version's shape; a version not accepted is dead-lettered
at once with the reason, and its neighbours go on.

A message of a batched event type (shared.contract) holds a JSON array of envelopes: each
is read on its own (one that is not an envelope, or in a version not accepted, is
dead-lettered alone), and the message is acked once all of its envelopes are applied.

The consumer keeps up to BATCH_MAX_SIZE × BATCH_MAX_IN_FLIGHT messages prefetched (of a
batched event type, BATCHED_PREFETCH: each holds many events)
and hands the handler a batch when BATCH_MAX_SIZE envelopes have arrived or the oldest has
waited BATCH_MAX_WAIT seconds, so a burst is written in few requests while a lone event
still goes out within moments.

Delivery is the same as `consume_event`'s (shared/consumer.py): a body that is not an
envelope is dead-lettered; every message is acked only after its batch succeeded. A batch
that fails is retried one message at a time, and a batched message that fails alone is
split into its envelopes, each put back on the queue as its own message, so one poison
event does not take its neighbours with it: each failing event goes through the delay
queues and, in the end, to `dlq.<service>`. Handlers must be idempotent by event_id (a
crash redelivers the whole unacked batch); `shared.dynamodb.apply_once` is.

All channel work (consume, ack, requeue) happens in the consumer's own green thread:
workers hand it their acks through a queue, since two green threads writing one socket is
an error under eventlet.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from functools import partial

import eventlet
from eventlet.queue import LightQueue
from kombu import Connection, Consumer, Queue, binding
from marshmallow import ValidationError
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import get_event_exchange
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import Entrypoint

from shared import metrics
from shared.consumer import FailureRouting
from shared.contract import EventType
from shared.events import EventReader, UnacceptedEvent, envelopes_in, parse_envelope

log = logging.getLogger(__name__)

RECONNECT_DELAY = 1.0
OUTAGE_DELAY = 0.5  # seconds before a batch that met an outage goes again, doubling
MAX_OUTAGE_DELAY = 30.0
HEARTBEAT_SECONDS = 30
BATCHED_PREFETCH = 24  # messages of a batched event type held at once: each holds up to
# EVENT_BUFFER_BATCH events (shared.event_buffer)


def batch_queue_name(service: str, method: str) -> str:
    return f"batch--{service}.{method}"


class BatchEventConsumer(Entrypoint):
    def __init__(self, bindings: list[EventType | EventReader], transient=None, **kwargs):
        """`transient(exc) -> bool` names the failures that are the store's, not an
        event's (e.g. shared.dynamodb.is_transient): a batch failing so is retried whole,
        with growing delays, for as long as it takes, and no event spends an attempt."""
        self.readers = {
            (reader.producer, reader.event_type): reader
            for reader in (each if isinstance(each, EventReader) else EventReader(each)
                           for each in bindings)
        }
        self.bindings = list(self.readers)
        self.batched = any(reader.event.batched for reader in self.readers.values())
        self.transient = transient or (lambda exc: False)
        super().__init__(**kwargs)

    def setup(self):
        config = self.container.config
        self.max_size = int(config.get("BATCH_MAX_SIZE", 500))
        self.max_wait = float(config.get("BATCH_MAX_WAIT", 0.1))
        self.max_in_flight = int(config.get("BATCH_MAX_IN_FLIGHT", 2))
        self.amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self.queue = Queue(
            batch_queue_name(self.container.service_name, self.method_name), durable=True,
            bindings=[binding(get_event_exchange(source, config), routing_key=event_type)
                      for source, event_type in self.bindings],
        )
        self.routing = FailureRouting(config, self.container.service_name, self.queue.name,
                                      self._settle_ack, self._settle_requeue,
                                      frozenset(event_type for _, event_type in self.bindings))
        self.routing.declare(self.queue)
        self.settlements: LightQueue = LightQueue()
        # (envelopes, their bodies, message) for each message, oldest first
        self.pending: deque = deque()
        self.pending_events = 0
        self.oldest_at: float | None = None
        self.in_flight = 0
        self.draining = False
        self.stopping = False
        self.thread = None

    def start(self):
        self.thread = self.container.spawn_managed_thread(self._run)

    def stop(self):
        # take no new batch, let running ones finish and settle, then close: what is still
        # prefetched goes back to the queue with the connection
        self.draining = True
        while self.in_flight:
            eventlet.sleep(0.02)
        self.stopping = True
        if self.thread is not None:
            self.thread.wait()

    def kill(self):
        self.stopping = True
        if self.thread is not None:
            self.thread.kill()

    # --- the consumer thread: owns the connection and every channel operation -------------

    def _run(self):
        while not self.stopping:
            connection = Connection(self.amqp_uri, heartbeat=HEARTBEAT_SECONDS)
            lost = (OSError, *connection.connection_errors, *connection.channel_errors)
            try:
                with connection:
                    self._consume(connection)
            except lost as exc:
                if self.stopping:
                    break
                log.warning("batch consumer %s lost the broker (%s); reconnecting",
                            self.queue.name, exc)
                # unacked messages go back to the queue with the connection
                self.pending.clear()
                self.pending_events = 0
                self.oldest_at = None
                self._drop_settlements()
                eventlet.sleep(RECONNECT_DELAY)

    def _consume(self, connection):
        channel = connection.channel()
        prefetch = (BATCHED_PREFETCH if self.batched
                    else self.max_size * (self.max_in_flight + 1))
        channel.basic_qos(0, prefetch, False)
        consumer = Consumer(channel, queues=[self.queue], callbacks=[self._on_message],
                            accept=["json"])
        consumer.consume()
        tick = max(0.005, min(self.max_wait, 0.1))
        next_heartbeat = time.monotonic()
        while not self.stopping:
            with contextlib.suppress(TimeoutError):  # nothing arrived in this tick
                connection.drain_events(timeout=tick)
            # send ours and check the broker's, twice per interval, busy or idle
            if time.monotonic() >= next_heartbeat:
                connection.heartbeat_check(rate=2)
                next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS / 2
            self._settle()
            if not self.draining:
                self._dispatch_ready()
        self._settle()
        consumer.cancel()

    def _on_message(self, body, message):
        envelopes, bodies, rejected = [], [], []
        for each in envelopes_in(body):
            try:
                envelopes.append(self._read(parse_envelope(each)))
                bodies.append(each)
            except ValidationError as exc:
                rejected.append((each, f"not a valid envelope: {exc.messages}"))
            except UnacceptedEvent as exc:
                rejected.append((each, str(exc)))
        if rejected and not envelopes:
            if isinstance(body, list):
                self.routing.dead_letter(message, body, "; ".join(
                    sorted({error for _, error in rejected})))
            else:
                self.routing.dead_letter(message, body, rejected[0][1])
            self._settle()
            return
        if rejected and not self.routing.dead_letter_part(message, rejected):
            self._settle()  # requeued whole
            return
        if not envelopes:  # an empty array: nothing to apply
            self._settle_ack(message)
            self._settle()
            return
        if not self.pending:
            self.oldest_at = time.monotonic()
        self.pending.append((envelopes, bodies, message))
        self.pending_events += len(envelopes)

    def _read(self, envelope: dict) -> dict:
        # bound by (source exchange, routing key), so the envelope should name one of ours
        key = (envelope["producer"], envelope["event_type"])
        reader = self.readers.get(key)
        if reader is None:
            raise UnacceptedEvent(f"{'.'.join(key)} is not an event this consumer reads")
        return reader.read(envelope)

    def _dispatch_ready(self):
        while self.pending and self.in_flight < self.max_in_flight:
            full = self.pending_events >= self.max_size
            waited = time.monotonic() - (self.oldest_at or time.monotonic())
            if not full and waited < self.max_wait:
                return
            batch, size = [], 0  # whole messages, up to max_size events (at least one)
            while self.pending and (not batch
                                    or size + len(self.pending[0][0]) <= self.max_size):
                batch.append(self.pending.popleft())
                size += len(batch[-1][0])
            self.pending_events -= size
            self.oldest_at = time.monotonic() if self.pending else None
            self._spawn(batch)

    def _spawn(self, batch, context_data=None, outage: int = 0):
        self.in_flight += 1
        try:
            self.container.spawn_worker(
                self, ([envelope for envelopes, _, _ in batch for envelope in envelopes],), {},
                context_data=context_data or {},
                handle_result=partial(self._handle_result, batch, outage=outage),
            )
        except ContainerBeingKilled:
            self.in_flight -= 1
            for _, _, message in batch:
                self._settle_requeue(message)

    def _settle(self):
        while True:
            try:
                action, message = self.settlements.get_nowait()
            except eventlet.queue.Empty:
                return
            try:
                message.ack() if action == "ack" else message.requeue()
            except Exception as exc:  # the channel is gone: the broker redelivers it
                log.warning("could not %s a message (%s); the broker will redeliver it",
                            action, exc)

    def _drop_settlements(self):
        while not self.settlements.empty():
            self.settlements.get_nowait()

    # --- worker side: results become settlements for the consumer thread -------------------

    def _settle_ack(self, message):
        self.settlements.put(("ack", message))

    def _settle_requeue(self, message):
        self.settlements.put(("requeue", message))

    def _handle_result(self, batch, worker_ctx, result=None, exc_info=None, outage=0):
        if exc_info is not None and self.transient(exc_info[1]):
            # the store is away (unreachable, throttling): no event is at fault, so none
            # spends an attempt; the batch waits, holding its place, and goes again
            delay = min(MAX_OUTAGE_DELAY, OUTAGE_DELAY * 2 ** outage)
            metrics.duplicates.take()  # of the failed try: the batch goes again
            self.routing.count([body for _, bodies, _ in batch for body in bodies],
                               metrics.RETRIED)
            log.warning("batch of %d: %s; trying again in %.1fs", len(batch), exc_info[1],
                        delay)
            eventlet.spawn_after(delay, self._retry_batch, batch, outage + 1)
            return result, exc_info
        self.in_flight -= 1
        if exc_info is None:
            # applied, or duplicates apply_once or a claim found (shared.metrics.duplicates)
            metrics.consumed(self.container.service_name,
                             [body for _, bodies, _ in batch for body in bodies])
            for _, _, message in batch:
                self._settle_ack(message)
        elif len(batch) > 1:
            metrics.duplicates.take()  # of the failed batch: each message goes again
            log.warning("a batch of %d messages failed (%s); retrying them one by one",
                        len(batch), exc_info[1])
            for item in batch:
                self._spawn([item], context_data=_headers(item[2]))
        else:
            [(_, bodies, message)] = batch
            if len(bodies) > 1:
                log.warning("a message of %d events failed (%s); retrying them one by one",
                            len(bodies), exc_info[1])
                self.routing.split(message, bodies)
            else:
                self.routing.retry_or_dead_letter(message, bodies[0], exc_info[1])
        return result, exc_info

    def _retry_batch(self, batch, outage: int):
        if self.draining:  # stopping: hand the batch back to the broker
            self.in_flight -= 1
            for _, _, message in batch:
                self._settle_requeue(message)
            return
        self.in_flight -= 1
        self._spawn(batch, outage=outage)


def _headers(message) -> dict:
    prefix = "nameko."
    return {key[len(prefix):]: value for key, value in (message.headers or {}).items()
            if key.startswith(prefix)}


consume_batch = BatchEventConsumer.decorator
