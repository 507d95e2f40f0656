"""The batch consumer with the real broker: batches form, every event arrives, a poison
event is dead-lettered alone (in a batched message too), and a stopped consumer leaves
nothing unsettled."""

from __future__ import annotations

import eventlet
import pytest
from kombu import Connection, Producer
from nameko.events import get_event_exchange

from shared.batch_consumer import batch_queue_name, consume_batch
from shared.consumer import ReliableEventHandler, dead_letter_queue_name
from shared.deadletters import read_dead_letters
from shared.events import EnvelopePublisher, make_envelope
from shared.tests.event_types import ENTRY_RECORDED, LINE_WRITTEN, TICKET_PUNCHED

BATCHES: list[list[int]] = []
POISON: set[int] = set()


def count(envelopes) -> None:
    """What both test services do with a batch: record its seqs, or fail on a poison one."""
    seqs = [envelope["payload"]["seq"] for envelope in envelopes]
    if POISON.intersection(seqs):
        raise RuntimeError(f"poison in {sorted(POISON.intersection(seqs))}")
    BATCHES.append(seqs)


class Counter:
    name = "counter"

    @consume_batch([ENTRY_RECORDED, LINE_WRITTEN])
    def on_entries(self, envelopes):
        count(envelopes)


def started(container_factory, service_config, service):
    BATCHES.clear()
    POISON.clear()
    config = {**service_config, "BATCH_MAX_SIZE": 50, "BATCH_MAX_WAIT": 0.2,
              "EVENT_MAX_ATTEMPTS": 2, "EVENT_RETRY_DELAY": 0.1}
    container = container_factory(service, config)
    container.start()
    return container


@pytest.fixture
def counter(container_factory, service_config):
    return started(container_factory, service_config, Counter)


def received() -> list[int]:
    return sorted(seq for batch in BATCHES for seq in batch)


def wait_for(predicate, timeout=10.0):
    with eventlet.Timeout(timeout):
        while not predicate():
            eventlet.sleep(0.02)


def test_a_burst_arrives_in_batches_from_every_bound_source(counter, service_config):
    ledger = EnvelopePublisher(service_config["AMQP_URI"], "ledger")
    journal = EnvelopePublisher(service_config["AMQP_URI"], "journal")
    for seq in range(300):
        (ledger if seq % 2 else journal).dispatch(
            ENTRY_RECORDED if seq % 2 else LINE_WRITTEN, {"seq": seq})
    wait_for(lambda: len(received()) >= 300)
    assert received() == list(range(300))
    assert max(len(batch) for batch in BATCHES) == 50  # full batches, never larger
    assert len(BATCHES) < 30


def test_a_lone_event_is_not_held_back_waiting_for_a_full_batch(counter, service_config):
    EnvelopePublisher(service_config["AMQP_URI"], "ledger").dispatch(ENTRY_RECORDED,
                                                                     {"seq": 1})
    wait_for(lambda: received() == [1], timeout=3.0)


def test_a_poison_event_is_dead_lettered_alone(counter, service_config):
    POISON.add(7)
    ledger = EnvelopePublisher(service_config["AMQP_URI"], "ledger")
    for seq in range(20):
        ledger.dispatch(ENTRY_RECORDED, {"seq": seq})
    wait_for(lambda: len(received()) >= 19)
    with Connection(service_config["AMQP_URI"]) as connection:
        def dead():
            return connection.default_channel.queue_declare(
                dead_letter_queue_name("counter"), durable=True, passive=True).message_count
        wait_for(lambda: dead() == 1)
        [letter] = read_dead_letters(connection.default_channel, "counter")
    assert received() == [seq for seq in range(20) if seq != 7]
    assert "poison in [7]" in letter.error
    assert letter.body["payload"] == {"seq": 7}


def test_stopping_settles_what_was_handled(counter, service_config):
    ledger = EnvelopePublisher(service_config["AMQP_URI"], "ledger")
    for seq in range(100):
        ledger.dispatch(ENTRY_RECORDED, {"seq": seq})
    wait_for(lambda: len(received()) >= 100)
    counter.stop()
    with Connection(service_config["AMQP_URI"]) as connection:
        queue = connection.default_channel.queue_declare(
            batch_queue_name("counter", "on_entries"), durable=True, passive=True)
    assert queue.message_count == 0  # every handled message was acked before the close


# --- batched event types: a message holds an array of envelopes ------------------------------

class Gate:
    name = "gate"

    @consume_batch([TICKET_PUNCHED])
    def on_tickets(self, envelopes):
        count(envelopes)


@pytest.fixture
def gate(container_factory, service_config):
    return started(container_factory, service_config, Gate)


def punch(service_config, *bodies) -> None:
    """Each body as one message of the turnstile's ticket_punched (an array, or not)."""
    with Connection(service_config["AMQP_URI"]) as connection:
        producer = Producer(connection.default_channel,
                            exchange=get_event_exchange("turnstile", service_config))
        for body in bodies:
            producer.publish(body, routing_key=TICKET_PUNCHED.name, serializer="json")


def tickets(*seqs: int) -> list[dict]:
    return [make_envelope(TICKET_PUNCHED, {"seq": seq}) for seq in seqs]


def letters(service_config, count: int) -> list:
    with Connection(service_config["AMQP_URI"]) as connection:
        def dead():
            return connection.default_channel.queue_declare(
                dead_letter_queue_name("gate"), durable=True, passive=True).message_count
        wait_for(lambda: dead() == count)
        return read_dead_letters(connection.default_channel, "gate")


def queued(service_config) -> int:
    with Connection(service_config["AMQP_URI"]) as connection:
        return connection.default_channel.queue_declare(
            batch_queue_name("gate", "on_tickets"), durable=True, passive=True).message_count


def test_a_batched_message_is_applied_envelope_by_envelope(gate, service_config):
    punch(service_config, tickets(*range(0, 40)), tickets(*range(40, 80)), tickets(80),
          tickets(81)[0])  # a lone envelope, not in an array, is read too
    wait_for(lambda: len(received()) >= 82)
    assert received() == list(range(82))
    assert max(len(batch) for batch in BATCHES) <= 50  # whole messages up to the size
    gate.stop()
    assert queued(service_config) == 0  # every message acked


def test_an_envelope_that_is_not_one_is_dead_lettered_alone(gate, service_config):
    punch(service_config, [*tickets(0), {"nonsense": True}, *tickets(2)])
    [letter] = letters(service_config, 1)
    wait_for(lambda: received() == [0, 2])
    assert letter.body == {"nonsense": True}
    assert "not a valid envelope" in letter.error


def test_a_poison_event_in_a_batched_message_is_dead_lettered_alone(gate, service_config):
    POISON.add(7)
    punch(service_config, tickets(*range(20)))
    [letter] = letters(service_config, 1)
    wait_for(lambda: len(received()) >= 19)
    assert received() == [seq for seq in range(20) if seq != 7]
    assert "poison in [7]" in letter.error
    assert letter.body["payload"] == {"seq": 7}  # the one envelope, not its message


def test_consume_event_refuses_a_batched_event_type():
    with pytest.raises(TypeError, match="consume_batch"):
        ReliableEventHandler(TICKET_PUNCHED)
