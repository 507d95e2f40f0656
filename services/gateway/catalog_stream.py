"""The catalog's events, delivered to every gateway process, keeping its read model
(services.gateway.domain.read_model) current.

Each gateway process binds its own queue to the catalog's events exchange: exclusive to
its connection and deleted with it, so every replica sees every event (a broadcast, not
competing consumers) and a replica that is gone leaves nothing behind. A lost
connection loses that queue and whatever was in it: the model stops keeping answers at
once, and when the stream is back (a new queue bound and consuming) it drops what it
held before it serves from memory again.

| variable | default | meaning |
|---|---|---|
| READ_MODEL_MAX_ENTRIES | 5000 | restaurants, dishes and answers held (least recently used |
|   | | go first); 0 turns the read model off (every read asks the catalog) |
| READ_MODEL_MAX_AGE | 300 | seconds anything is held at most |
| READ_MODEL_RANKED_MAX_AGE | 1 | seconds a menu or search (with its `average_rank`s) is held |
| READ_MODEL_OFFLINE_GRACE | 60 | seconds it answers from memory after losing its stream |
"""

from __future__ import annotations

import logging
import uuid

import eventlet
from kombu import Connection, Queue, binding
from marshmallow import ValidationError
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from services.catalog.contract.events import EVENTS, PRODUCER
from services.gateway.domain.read_model import ReadModel
from shared.events import EventReader, UnacceptedEvent, parse_envelope

log = logging.getLogger(__name__)

HEARTBEAT = 10  # seconds: a broker that went silent is noticed within two of them
READERS = {name: EventReader(event) for name, event in EVENTS.items()}


def read_model_settings(config: dict) -> dict:
    return {
        "max_entries": int(config.get("READ_MODEL_MAX_ENTRIES", 5000)),
        "max_age": float(config.get("READ_MODEL_MAX_AGE", 300.0)),
        "ranked_max_age": float(config.get("READ_MODEL_RANKED_MAX_AGE", 1.0)),
        "offline_grace": float(config.get("READ_MODEL_OFFLINE_GRACE", 60.0)),
    }


class CatalogStream(DependencyProvider):
    """Gives workers the process's ReadModel, and feeds it from the broker."""

    def setup(self):
        settings = read_model_settings(self.container.config)
        self.enabled = settings["max_entries"] > 0
        self.model = ReadModel(**{**settings, "max_entries": max(settings["max_entries"], 1)})
        self.amqp_uri = self.container.config[AMQP_URI_CONFIG_KEY]
        self.exchange = get_event_exchange(PRODUCER, self.container.config)
        self.queue = Queue(
            f"gateway-read-model-{uuid.uuid4().hex}",
            bindings=[binding(self.exchange, routing_key=name) for name in READERS],
            exclusive=True, auto_delete=True, durable=False,
        )
        self._running = False
        self._thread = None

    def start(self):
        if self.enabled:
            self._running = True
            self._thread = self.container.spawn_managed_thread(self._consume)

    def stop(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self.model.stream_down()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.model

    # --- the stream ------------------------------------------------------------------------

    def _consume(self) -> None:
        delay = 0.2
        while self._running:
            try:
                with Connection(self.amqp_uri, heartbeat=HEARTBEAT, connect_timeout=5) as conn:
                    conn.ensure_connection(max_retries=1)
                    self.exchange(conn.default_channel).declare()
                    with conn.Consumer([self.queue], callbacks=[self._on_message],
                                       accept=["json"], no_ack=True):
                        self.model.stream_up()
                        log.info("read model: following the catalog's events (%s)",
                                 self.queue.name)
                        delay = 0.2
                        while self._running:
                            try:
                                conn.drain_events(timeout=1)
                            except TimeoutError:
                                conn.heartbeat_check()
            except Exception as exc:  # the broker went away, or refused us: try again
                self.model.stream_down()
                if not self._running:
                    break
                log.warning("read model: the catalog's event stream is lost (%s: %s); "
                            "reconnecting in %.1fs", type(exc).__name__, exc, delay)
                eventlet.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _on_message(self, body, message) -> None:
        try:
            envelope = parse_envelope(body)
            reader = READERS[envelope["event_type"]]
            envelope = reader.read(envelope)
            self.model.apply(envelope["event_type"], envelope["payload"])
        except (UnacceptedEvent, ValidationError, KeyError, TypeError, ValueError) as exc:
            # a change it cannot read: what it holds may now be stale, so hold nothing
            log.warning("read model: unreadable catalog event (%s); dropping what it holds",
                        exc)
            self.model.drop("unreadable event")
