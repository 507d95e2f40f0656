"""Event consumers that never drop an event.

nameko's `@event_handler` acks a message even when the handler raises, so the
event is gone. `@consume_event(EVENT)` (an EventType of the producer's contract) instead:

- hands the handler the parsed envelope (SPEC §2); a body that is not a valid
  envelope goes straight to the service's dead-letter queue, with the reason;
- reads it across versions (shared/events.py, "Versions"): `accepts=(1, 2)` (default: the
  EventType's current version and the previous one) and `upcasters={1: v1_to_v2}`; the
  handler gets the envelope in the newest accepted version's shape, and a version it does
  not accept goes straight to the dead-letter queue with the reason (no retries: waiting
  does not make it readable; replaying after the consumer's upgrade does);
- on success, acks;
- on failure, republishes the message to a delay queue for attempt n
  (`<queue>.retry.<n>`, TTL = EVENT_RETRY_DELAY × 2^(n-1), capped at 60 s),
  from which RabbitMQ dead-letters it back to the handler's queue, then acks;
  after EVENT_MAX_ATTEMPTS it goes to `dlq.<service>` with the error recorded.
  Republishing happens before the ack, so a crash in between duplicates the
  message rather than losing it, and handlers are idempotent by event_id
  (`store.first_time(...)`, `shared.dynamodb.apply_once(...)`). A failing message
  never blocks the others: it waits in its delay queue, not in the handler.
- declares its queue, delay queues and dead-letter queue durable at service
  start, so events published while the service is down wait for it.

`python -m shared.deadletters` lists, shows and replays dead letters.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from functools import partial

from kombu import Queue
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher, get_connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled

from shared import metrics
from shared.contract import EventType
from shared.events import EventReader, UnacceptedEvent, context_headers, parse_envelope

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-bellyfed-attempts"
ERROR_HEADER = "x-bellyfed-error"
ORIGIN_HEADER = "x-bellyfed-queue"
OUTAGES_HEADER = "x-bellyfed-outages"
FAILED_AT_HEADER = "x-bellyfed-failed-at"
MAX_DELAY_SECONDS = 60.0
MAX_ERROR_LENGTH = 2000


def dead_letter_queue_name(service: str) -> str:
    return f"dlq.{service}"


def retry_queue_name(queue: str, attempt: int) -> str:
    return f"{queue}.retry.{attempt}"


def retry_delay(base_seconds: float, attempt: int) -> float:
    """Seconds before attempt `attempt + 1`, after `attempt` failures."""
    return min(MAX_DELAY_SECONDS, base_seconds * 2 ** (attempt - 1))


def dead_letter_queue(service: str) -> Queue:
    return Queue(dead_letter_queue_name(service), durable=True)


class FailureRouting:
    """Where a failed message goes next: its delay queue for the next attempt, or the
    service's dead-letter queue. Shared by the one-at-a-time and the batch consumers;
    `ack`/`requeue` are the consumer's own (they must run where its channel lives)."""

    def __init__(self, config: dict, service_name: str, queue_name: str, ack, requeue,
                 event_types: frozenset[str] = frozenset()):
        """`event_types`: those the consumer reads, the label of bellyfed_events_consumed
        (any other type a body names is counted as "other": the labels stay a fixed set)."""
        self.service_name = service_name
        self.event_types = event_types
        self.max_attempts = int(config.get("EVENT_MAX_ATTEMPTS", 5))
        base_delay = float(config.get("EVENT_RETRY_DELAY", 1.0))
        self.queue_name = queue_name
        self.retry_queues = {
            attempt: Queue(
                retry_queue_name(queue_name, attempt), durable=True,
                queue_arguments={
                    "x-message-ttl": int(retry_delay(base_delay, attempt) * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": queue_name,
                },
            )
            for attempt in range(1, self.max_attempts)
        }
        self.dead_letters = dead_letter_queue(service_name)
        self.amqp_uri = config[AMQP_URI_CONFIG_KEY]
        metrics.watch_dead_letters(self.amqp_uri, self.dead_letters.name)
        self.publisher = Publisher(self.amqp_uri, serializer="json", use_confirms=True)
        self.ack = ack
        self.requeue = requeue

    def declare(self, queue: Queue) -> None:
        """The consumer's queue, its delay queues and the dead-letter queue, all durable."""
        with get_connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for each in [queue, *self.retry_queues.values(), self.dead_letters]:
                each(channel).declare()
            channel.close()

    def count(self, bodies, outcome: str) -> None:
        """bellyfed_events_consumed: `bodies` (an envelope, or a batched message's list of
        them) ended with `outcome`; any but "applied" is counted here."""
        if not metrics.recording:
            return
        for body in bodies if isinstance(bodies, list) else [bodies]:
            event_type = body.get("event_type") if isinstance(body, dict) else None
            metrics.EVENTS_CONSUMED.inc(
                self.service_name,
                event_type if event_type in self.event_types else metrics.OTHER, outcome)

    def retry_or_dead_letter(self, message, body, exc: BaseException) -> None:
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        if attempts < self.max_attempts:
            self.count(body, metrics.RETRIED)
            self.republish(message, body, retry_queue_name(self.queue_name, attempts),
                           {ATTEMPTS_HEADER: attempts})
        else:
            self.dead_letter(message, body, f"{type(exc).__name__}: {exc}", attempts)

    def retry_after_outage(self, message, body) -> None:
        """Later, through the delay queues, growing, for as long as it takes: the failure
        was the store's, not the event's, so no attempt is spent and nothing ends in the
        dead-letter queue."""
        self.count(body, metrics.RETRIED)
        if not self.retry_queues:
            self.requeue(message)
            return
        outages = int((message.headers or {}).get(OUTAGES_HEADER, 0)) + 1
        delay_queue = min(outages, max(self.retry_queues))
        self.republish(message, body, retry_queue_name(self.queue_name, delay_queue),
                       {OUTAGES_HEADER: outages})

    def dead_letter(self, message, body, error: str, attempts: int = 0) -> None:
        log.error("dead letter from %s: %s", self.queue_name, error)
        self.count(body, metrics.DEAD_LETTERED)
        self.republish(message, body, self.dead_letters.name,
                       self._letter_headers(error, attempts))

    def _letter_headers(self, error: str, attempts: int) -> dict:
        return {ATTEMPTS_HEADER: attempts, ERROR_HEADER: error[:MAX_ERROR_LENGTH],
                ORIGIN_HEADER: self.queue_name, FAILED_AT_HEADER: datetime.now(UTC).isoformat()}

    def republish(self, message, body, queue_name: str, headers: dict) -> None:
        """Publish (with confirm) then ack; if publishing fails, requeue instead: never lose it."""
        try:
            self._publish(message, body, queue_name, headers)
        except Exception:
            log.warning("could not move a failed message to %s; requeueing it", queue_name,
                        exc_info=True)
            self.requeue(message)
            return
        self.ack(message)

    def dead_letter_part(self, message, parts: list[tuple[dict, str]]) -> bool:
        """Letters for some envelopes of a batched message ((body, error) each), the
        message itself left unsettled for the rest; False (the message requeued) when a
        letter could not be published."""
        try:
            for body, error in parts:
                log.error("dead letter from %s: %s", self.queue_name, error)
                self._publish(message, body, self.dead_letters.name,
                              self._letter_headers(error, 0))
                self.count(body, metrics.DEAD_LETTERED)
        except Exception:
            log.warning("could not dead-letter part of a message; requeueing it", exc_info=True)
            self.requeue(message)
            return False
        return True

    def split(self, message, bodies: list[dict]) -> None:
        """A batched message's envelopes back on the consumer's queue, each its own message
        (in its correlation), then the message acked: each is retried, and in the end
        dead-lettered, alone. If publishing fails the message is requeued whole."""
        try:
            for body in bodies:
                self._publish(message, body, self.queue_name,
                              context_headers(body.get("correlation_id")))
        except Exception:
            log.warning("could not split a failed message; requeueing it", exc_info=True)
            self.requeue(message)
            return
        self.ack(message)

    def _publish(self, message, body, queue_name: str, headers: dict) -> None:
        keep = {key: value for key, value in (message.headers or {}).items()
                if not key.startswith("x-death") and not key.startswith("x-first-death")}
        self.publisher.publish(body, exchange="", routing_key=queue_name,
                               headers={**keep, **headers}, message_id=uuid.uuid4().hex)


class ReliableEventHandler(EventHandler):
    def __init__(self, event: EventType, transient=None, accepts=None, upcasters=None,
                 **kwargs):
        """`transient(exc) -> bool` names failures of a store the handler writes to (e.g.
        shared.dynamodb.is_transient): those retry without spending attempts.
        `accepts`, `upcasters`: the versions read, and how older ones are lifted
        (shared.events.EventReader)."""
        if event.batched:  # its messages are arrays of envelopes (shared.contract)
            raise TypeError(f"{event} is batched: consume it with "
                            "shared.batch_consumer.consume_batch")
        super().__init__(event.producer, event.name, handler_type=SERVICE_POOL,
                         reliable_delivery=True, requeue_on_error=False, **kwargs)
        self.transient = transient or (lambda exc: False)
        self.reader = EventReader(event, accepts, upcasters)

    service_name = ""  # the consuming service's (a label of bellyfed_events_consumed)

    def setup(self):
        super().setup()  # sets self.queue, durable, bound to <source>.events
        self.service_name = self.container.service_name
        self.routing = FailureRouting(self.container.config, self.container.service_name,
                                      self.queue.name, self._ack, self._requeue,
                                      frozenset({self.event_type}))
        self.routing.declare(self.queue)

    def handle_message(self, body, message):
        try:
            envelope = self.reader.read(parse_envelope(body))
        except ValidationError as exc:
            self.routing.dead_letter(message, body, f"not a valid envelope: {exc.messages}")
            return
        except UnacceptedEvent as exc:
            self.routing.dead_letter(message, body, str(exc))
            return
        context_data = self.unpack_message_headers(message)
        try:
            self.container.spawn_worker(
                self, (envelope,), {}, context_data=context_data,
                handle_result=partial(self.handle_result, message, body),
            )
        except ContainerBeingKilled:
            self._requeue(message)

    def handle_result(self, message, body, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            # applied, or a duplicate the handler's claim found (shared.metrics.duplicates)
            metrics.consumed(self.service_name, [body])
            self._ack(message)
        elif self.transient(exc_info[1]):
            metrics.duplicates.take()  # of the failed try
            log.warning("%s: %s; retrying later", self.queue.name, exc_info[1])
            self.routing.retry_after_outage(message, body)
        else:
            metrics.duplicates.take()
            self.routing.retry_or_dead_letter(message, body, exc_info[1])
        return result, exc_info

    # nameko's ack_message/requeue_message only catch amqp's ConnectionError; a socket error
    # (the broker went away while a worker ran) would kill the worker's thread, and with it
    # the whole container. The unsettled message is redelivered by the broker anyway.
    def _ack(self, message) -> None:
        try:
            self.queue_consumer.ack_message(message)
        except OSError as exc:
            log.warning("could not ack a message (%s); the broker will redeliver it", exc)

    def _requeue(self, message) -> None:
        try:
            self.queue_consumer.requeue_message(message)
        except OSError as exc:
            log.warning("could not requeue a message (%s); the broker will redeliver it", exc)


consume_event = ReliableEventHandler.decorator
