"""Event versions through the real broker: a producer moves kitchen.dish_priced from v1 to
v2 under running consumers; one nobody upgraded dead-letters v2 and reads it once
upgraded; the batch consumer reads across versions."""

from __future__ import annotations

import io

import eventlet
import pytest
from kombu import Connection

from shared import deadletters
from shared.batch_consumer import consume_batch
from shared.consumer import (
    ATTEMPTS_HEADER,
    consume_event,
    dead_letter_queue_name,
    retry_queue_name,
)
from shared.deadletters import read_dead_letters
from shared.events import (
    EnvelopePublisher,
    EventReader,
)
from shared.tests.event_types import (
    DISH_PLATED,
    DISH_PRICED,
    DISH_PRICED_V2,
    price_in_sen,
    v1,
    v2,
)

# --- through the real broker: a producer moves from v1 to v2 ----------------------------------

SEEN: list[tuple[int, int, dict]] = []  # (seq, version read, payload), in handling order


class Till:
    """The consumer, released BEFORE the producer moves (step 1): reads v2, lifts v1."""

    name = "till"

    @consume_event(DISH_PRICED, accepts=(1, 2), upcasters={1: price_in_sen})
    def on_dish_priced(self, event):
        SEEN.append((event["payload"]["seq"], event["version"], event["payload"]))


class TillNobodyUpgraded:
    """The same consumer as it was before the change: written for v1 (the contract's
    current then), so it accepts v1 only."""

    name = "till"

    @consume_event(DISH_PRICED)
    def on_dish_priced(self, event):
        SEEN.append((event["payload"]["seq"], event["version"], event["payload"]))


@pytest.fixture
def till_config(service_config):
    SEEN.clear()
    return {**service_config, "EVENT_MAX_ATTEMPTS": 3, "EVENT_RETRY_DELAY": 0.1}


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    with eventlet.Timeout(timeout):
        while not predicate():
            eventlet.sleep(interval)


def queue_depth(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue, durable=True,
                                                        passive=True).message_count


def test_a_producer_moves_to_v2_without_breaking_a_consumer(container_factory, till_config):
    amqp_uri = till_config["AMQP_URI"]
    container = container_factory(Till, till_config)
    container.start()
    kitchen = EnvelopePublisher(amqp_uri, "kitchen")

    # before: the producer publishes v1 (its contract's current), the consumer lifts it
    before = [kitchen.dispatch(DISH_PRICED, v1(seq)) for seq in range(10)]
    wait_for(lambda: len(SEEN) >= 10)

    # the producer moves: one line in its contract. During the rolling deploy a replica of
    # the old code still publishes v1 next to the new ones
    old_replica = [kitchen.dispatch(DISH_PRICED, v1(seq)) for seq in range(10, 15)]
    new_replicas = [kitchen.dispatch(DISH_PRICED_V2, v2(seq)) for seq in range(15, 30)]
    wait_for(lambda: len(SEEN) >= 30)
    eventlet.sleep(0.3)  # anything extra (a duplicate, a retry) has had time to arrive

    assert {envelope["version"] for envelope in before + old_replica} == {1}
    assert {envelope["version"] for envelope in new_replicas} == {2}
    assert sorted(seq for seq, _, _ in SEEN) == list(range(30))  # each once, none lost
    assert all(version == 2 and payload == v2(seq) for seq, version, payload in SEEN)
    assert queue_depth(amqp_uri, dead_letter_queue_name("till")) == 0


def test_a_consumer_nobody_upgraded_dead_letters_the_new_version_and_reads_it_once_upgraded(
    container_factory, till_config, monkeypatch
):
    amqp_uri = till_config["AMQP_URI"]
    old = container_factory(TillNobodyUpgraded, till_config)
    old.start()
    kitchen = EnvelopePublisher(amqp_uri, "kitchen")
    for seq in range(6):  # the producer went first: v2, and a replica not rolled yet v1
        if seq % 2:
            kitchen.dispatch(DISH_PRICED_V2, v2(seq))
        else:
            kitchen.dispatch(DISH_PRICED, v1(seq))

    dlq = dead_letter_queue_name("till")
    wait_for(lambda: queue_depth(amqp_uri, dlq) == 3 and len(SEEN) == 3)
    # v1 still flows; v2 never reached the handler, and was not retried in a loop
    assert sorted(seq for seq, _, _ in SEEN) == [0, 2, 4]
    assert all(version == 1 for _, version, _ in SEEN)
    queue = "evt-kitchen-dish_priced--till.on_dish_priced"
    assert [queue_depth(amqp_uri, retry_queue_name(queue, n)) for n in (1, 2)] == [0, 0]
    with Connection(amqp_uri) as connection:
        letters = read_dead_letters(connection.channel(), "till")
        assert sorted(letter.body["payload"]["seq"] for letter in letters) == [1, 3, 5]
        assert {letter.error for letter in letters} == {
            "version 2 of kitchen.dish_priced is not accepted here (accepts 1)"}
        assert {letter.message.headers[ATTEMPTS_HEADER] for letter in letters} == {0}
        assert {letter.origin for letter in letters} == {queue}
    # (closing the connection put the letters back in the queue)

    # the consumer is upgraded (same service, same queue), and the letters replayed
    old.stop()
    SEEN.clear()
    container_factory(Till, till_config).start()
    monkeypatch.setenv("AMQP_URI", amqp_uri)
    assert deadletters.main(["replay", "--all", "--service", "till"], out=io.StringIO()) == 0
    wait_for(lambda: len(SEEN) >= 3)
    eventlet.sleep(0.3)
    assert sorted((seq, version) for seq, version, _ in SEEN) == [(1, 2), (3, 2), (5, 2)]
    assert queue_depth(amqp_uri, dlq) == 0


BATCHES: list[list[tuple[str, int, dict]]] = []


class Counter:
    name = "counter"

    @consume_batch([EventReader(DISH_PRICED, accepts=(1, 2), upcasters={1: price_in_sen}),
                    DISH_PLATED])
    def on_kitchen(self, envelopes):
        BATCHES.append([(envelope["event_type"], envelope["version"], envelope["payload"])
                        for envelope in envelopes])


def test_the_batch_consumer_reads_across_versions_and_dead_letters_what_it_cannot(
    container_factory, service_config
):
    BATCHES.clear()
    amqp_uri = service_config["AMQP_URI"]
    container = container_factory(Counter, {**service_config, "BATCH_MAX_WAIT": 0.1,
                                            "EVENT_MAX_ATTEMPTS": 2, "EVENT_RETRY_DELAY": 0.1})
    container.start()
    kitchen = EnvelopePublisher(amqp_uri, "kitchen")
    for seq in range(20):
        if seq % 2:
            kitchen.dispatch(DISH_PRICED, v1(seq), version=1)
        else:
            kitchen.dispatch(DISH_PRICED, v2(seq), version=2)
    kitchen.dispatch(DISH_PRICED, {"seq": 20}, version=3)  # newer than this consumer knows
    kitchen.dispatch(DISH_PLATED, {"seq": 21}, version=2)  # plain: accepts v1 only
    kitchen.dispatch(DISH_PLATED, {"seq": 22})

    def received():
        return [item for batch in BATCHES for item in batch]

    dlq = dead_letter_queue_name("counter")
    wait_for(lambda: len(received()) >= 21 and queue_depth(amqp_uri, dlq) == 2)
    eventlet.sleep(0.3)
    priced = sorted((payload["seq"], version, payload) for event_type, version, payload
                    in received() if event_type == "dish_priced")
    assert priced == [(seq, 2, v2(seq)) for seq in range(20)]
    assert [(event_type, payload) for event_type, _, payload in received()
            if event_type == "dish_plated"] == [("dish_plated", {"seq": 22})]
    with Connection(amqp_uri) as connection:
        errors = sorted(letter.error for letter in read_dead_letters(connection.channel(),
                                                                     "counter"))
    assert errors == [
        "version 2 of kitchen.dish_plated is not accepted here (accepts 1)",
        "version 3 of kitchen.dish_priced is not accepted here (accepts 1, 2)",
    ]
