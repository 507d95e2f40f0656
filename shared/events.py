"""The event envelope, and publishing events in it.

Every event on the bus is one envelope (SPEC §2):
`{event_id, event_type, version, occurred_at, producer, correlation_id, payload}`.
Events go to the producer's nameko events exchange (`<producer>.events`, topic,
routing key = event_type), so consumers use nameko's `@event_handler`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from marshmallow import RAISE, Schema, fields, validate
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY, HEADER_PREFIX
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from shared.context import CORRELATION_ID_KEY, current_correlation_id


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
    producer: str,
    event_type: str,
    payload: dict,
    version: int = 1,
    correlation_id: str | None = None,
    event_id: uuid.UUID | None = None,
) -> dict:
    """A JSON-ready envelope around `payload` (which must itself be JSON-ready).

    `event_id` is new unless given: a producer that may send the same fact twice (a
    client retrying a request) names it the same way both times, and consumers drop the
    repeat."""
    return _envelope_schema.dump(
        {
            "event_id": event_id or uuid.uuid4(),
            "event_type": event_type,
            "version": version,
            "occurred_at": datetime.now(UTC),
            "producer": producer,
            "correlation_id": correlation_id or current_correlation_id(),
            "payload": payload,
        }
    )


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

    def dispatch(self, event_type: str, payload: dict, version: int = 1,
                 event_id: uuid.UUID | None = None) -> dict:
        envelope = make_envelope(self.producer, event_type, payload, version, event_id=event_id)
        self.publish(envelope)
        return envelope


class EventDispatcher(DependencyProvider):
    """`dispatch(event_type, payload, version=1, event_id=None)`: publish now, wrapped in the
    envelope.

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
