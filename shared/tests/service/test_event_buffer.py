"""Buffered events (shared.event_buffer) with the real broker: batches confirmed, resent
whole after a failure, flushed at a graceful stop, bounded while the broker is away."""

from __future__ import annotations

import logging
import uuid

import eventlet
import pytest
from kombu import Connection, Exchange, Queue
from marshmallow import Schema, ValidationError, fields
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook

from shared.contract import EventType
from shared.event_buffer import (
    BufferedEventDispatcher,
    EventBuffer,
    envelope_of,
    messages_of,
    pending,
)
from shared.events import parse_envelope


class Plate(Schema):
    seq = fields.Integer(required=True)


DISH_PLATED = EventType("pass", "dish_plated", 1, Plate, batched=True)
DISH_SENT_BACK = EventType("pass", "dish_sent_back", 1, Plate, batched=True)
DISH_BURNT = EventType("pass", "dish_burnt", 1, Plate)  # not batched


class Pass:
    name = "pass"
    plated = BufferedEventDispatcher()

    @rpc
    def plate(self, first: int, count: int) -> None:
        for seq in range(first, first + count):
            self.plated(DISH_PLATED, {"seq": seq})

    @rpc
    def send_back(self, seq: int) -> None:
        self.plated(DISH_SENT_BACK, {"seq": seq})

    @rpc
    def burn(self, seq: int) -> None:
        self.plated(DISH_BURNT, {"seq": seq})


@pytest.fixture
def start_pass(container_factory, service_config):
    def start(**config):
        container = container_factory(Pass, {**service_config, **config})
        container.start()
        return container

    return start


def buffered_of(container) -> BufferedEventDispatcher:
    [buffered] = [d for d in container.dependencies if isinstance(d, BufferedEventDispatcher)]
    return buffered


def plate(container, first: int, count: int) -> None:
    with entrypoint_hook(container, "plate") as call:
        call(first, count)


def seqs(bodies) -> list[int]:
    return sorted(parse_envelope(body)["payload"]["seq"] for body in bodies)


def test_every_buffered_event_arrives_once_in_its_envelope(start_pass, record_events):
    events = record_events("pass")
    container = start_pass(EVENT_BUFFER_BATCH=50)
    plate(container, 0, 120)
    bodies = events.take(120, timeout=10)
    assert events.take_all() == []
    assert seqs(bodies) == list(range(120))
    envelope = parse_envelope(bodies[0])
    assert (envelope["producer"], envelope["event_type"], envelope["version"]) == (
        "pass", "dish_plated", 1)
    assert len({body["event_id"] for body in bodies}) == 120
    assert buffered_of(container).counts["published"] == 120


def test_a_batch_the_broker_did_not_confirm_is_resent_whole(start_pass, record_events):
    events = record_events("pass")
    container = start_pass()
    buffered = buffered_of(container)
    publish = buffered.publisher.publish
    attempts = []

    def unconfirmed_once(envelopes):
        attempts.append([envelope["event_id"] for _, envelope in envelopes])
        publish(envelopes)  # sent, but as if its confirms never came
        if len(attempts) == 1:
            raise ConnectionError("confirms lost")

    buffered.publisher.publish = unconfirmed_once
    plate(container, 0, 10)
    bodies = events.take(20, timeout=10)
    assert attempts[0] == attempts[1]  # the same envelopes, the same ids
    assert seqs(bodies) == sorted(list(range(10)) * 2)  # consumers drop the repeats by id
    assert len({body["event_id"] for body in bodies}) == 10


def test_a_graceful_stop_publishes_what_is_buffered(start_pass, record_events):
    events = record_events("pass")
    container = start_pass(EVENT_BUFFER_FLUSH_INTERVAL=30)  # no timed flush in this test
    plate(container, 0, 5)
    assert events.take_all(settle=0.3) == []
    container.stop()
    assert seqs(events.take(5)) == list(range(5))


def test_with_the_broker_away_the_buffer_holds_its_bound_and_counts_the_rest(
        start_pass, record_events):
    events = record_events("pass")
    container = start_pass(EVENT_BUFFER_MAX=20)
    buffered = buffered_of(container)
    publish = buffered.publisher.publish
    away = [True]

    def broker_away(envelopes):
        if away[0]:
            raise ConnectionError("broker down")
        publish(envelopes)

    buffered.publisher.publish = broker_away
    plate(container, 0, 50)  # returns at once: nothing waits for the broker
    # the flusher holds the first batch it took, the buffer the next ones up to its bound
    counts = buffered.counts
    assert counts["dropped (buffer full)"] == 50 - counts["buffered"]
    assert counts["buffered"] >= 20
    away[0] = False
    bodies = events.take(counts["buffered"], timeout=15)
    assert seqs(bodies) == list(range(counts["buffered"]))  # the newest were dropped


def test_events_no_queue_is_bound_for_are_counted_and_logged_unroutable(start_pass, caplog):
    container = start_pass()  # nothing binds pass.events
    with caplog.at_level(logging.ERROR, logger="shared.event_buffer"):
        plate(container, 0, 30)
        buffered = buffered_of(container)
        with eventlet.Timeout(5):
            while buffered.counts["unroutable"] < 30:
                eventlet.sleep(0.02)
    assert buffered.counts["unroutable"] == 30
    errors = [record.getMessage() for record in caplog.records
              if record.levelno == logging.ERROR]
    assert len(errors) == 1  # once a minute at most, however many come back
    assert "came back unroutable from exchange pass.events (routing key 'dish_plated')" in (
        errors[0])


def test_an_envelope_is_what_the_event_schema_says():
    item = pending(DISH_PLATED, {"seq": 3, "not": "in the schema"}, uuid.uuid4())
    envelope = envelope_of(item, Plate())
    assert envelope["payload"] == {"seq": 3}
    assert parse_envelope(envelope)["event_id"] == item.event_id
    with pytest.raises(ValidationError):
        envelope_of(pending(DISH_PLATED, {}), Plate())


def test_the_buffer_is_bounded_and_first_in_first_out():
    buffer = EventBuffer(max_events=3)
    added = [buffer.add(pending(DISH_PLATED, {"seq": seq})) for seq in range(5)]
    assert added == [True, True, True, False, False]
    assert [item.payload["seq"] for item in buffer.take(2)] == [0, 1]
    assert buffer.counts["dropped (buffer full)"] == 2
    assert len(buffer) == 1


def test_a_flush_travels_in_one_message_per_event_type(start_pass, rabbit_config):
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        queue = Queue(f"test-raw-{uuid.uuid4().hex}", exchange=Exchange(
            "pass.events", type="topic", durable=True), routing_key="#", auto_delete=True)
        queue(connection.default_channel).declare()
        container = start_pass(EVENT_BUFFER_FLUSH_INTERVAL=1.5)  # one flush
        with entrypoint_hook(container, "send_back") as send_back:
            plate(container, 0, 3)
            send_back(3)
            plate(container, 4, 2)
        messages = []
        with eventlet.Timeout(5):
            while len(messages) < 2:
                message = queue(connection.default_channel).get(no_ack=True)
                if message is None:
                    eventlet.sleep(0.02)
                else:
                    messages.append((message.delivery_info["routing_key"], message.payload))
    assert sorted((key, [envelope["payload"]["seq"] for envelope in body])
                  for key, body in messages) == [("dish_plated", [0, 1, 2, 4, 5]),
                                                 ("dish_sent_back", [3])]


def test_messages_keep_each_type_in_the_order_it_came():
    exchange = Exchange("pass.events")
    envelopes = [(exchange, {"event_type": name, "seq": seq})
                 for seq, name in enumerate(["b", "a", "b", "a", "c"])]
    assert [(key, [envelope["seq"] for envelope in body])
            for _, key, body in messages_of(envelopes)] == [("b", [0, 2]), ("a", [1, 3]),
                                                            ("c", [4])]


def test_only_a_batched_event_type_is_buffered(start_pass):
    container = start_pass()
    with entrypoint_hook(container, "burn") as burn, pytest.raises(ValueError,
                                                                  match="not a batched"):
        burn(1)
