"""Event versions (shared/events.py, "Versions"): producers stamp the current version of
their contract's EventType; a consumer accepts the current and the previous one, lifts the
older into the shape its handler reads, and dead-letters what it cannot read, with the
reason.

The broker tests follow one event type through a breaking change: `kitchen.dish_priced`
v1 says `"price": "12.50"` (ringgit, a string), v2 renames it `"price_sen": 1250`.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import eventlet
import pytest
from kombu import Connection
from marshmallow import Schema, fields

from shared import deadletters
from shared.batch_consumer import consume_batch
from shared.consumer import (
    ATTEMPTS_HEADER,
    consume_event,
    dead_letter_queue_name,
    retry_queue_name,
)
from shared.contract import EventType
from shared.deadletters import read_dead_letters
from shared.events import (
    EnvelopePublisher,
    EventReader,
    UnacceptedEvent,
    make_envelope,
    parse_envelope,
)


class Payload(Schema):
    seq = fields.Integer()


# the kitchen's contract before and after the change: one line, its version
DISH_PRICED = EventType("kitchen", "dish_priced", 1, Payload)
DISH_PRICED_V2 = EventType("kitchen", "dish_priced", 2, Payload)
DISH_PLATED = EventType("kitchen", "dish_plated", 1, Payload)


def price_in_sen(payload: dict) -> dict:
    """dish_priced v1 -> v2: "price" (ringgit, a string) became "price_sen" (an integer)."""
    lifted = {key: value for key, value in payload.items() if key != "price"}
    lifted["price_sen"] = int(Decimal(payload["price"]) * 100)
    return lifted


def v1(seq: int) -> dict:
    return {"seq": seq, "price": f"{seq}.50"}


def v2(seq: int) -> dict:
    return {"seq": seq, "price_sen": seq * 100 + 50}


# --- producers: the contract's version --------------------------------------------------------

def test_producers_stamp_the_current_version_of_their_contract():
    assert make_envelope(DISH_PRICED, v1(1))["version"] == 1
    assert make_envelope(DISH_PRICED_V2, v2(1))["version"] == 2
    # a replica still on the old code says so explicitly
    assert make_envelope(DISH_PRICED_V2, v1(1), version=1)["version"] == 1


def test_the_outbox_stamps_the_current_version_too():
    """Services emit through their store's outbox, not make_envelope directly."""
    from unittest.mock import MagicMock

    from shared.db import Store

    store = Store(MagicMock(), "kitchen")
    assert store.emit(DISH_PRICED_V2, v2(1))["version"] == 2
    assert [e["version"] for e in store.emit_many(DISH_PRICED_V2, [v2(1), v2(2)])] == [2, 2]
    assert store.emit(DISH_PRICED_V2, v1(1), version=1)["version"] == 1


def test_a_producer_publishes_only_its_own_events():
    from unittest.mock import MagicMock

    from shared.db import Store

    with pytest.raises(ValueError, match="till cannot publish kitchen.dish_priced"):
        Store(MagicMock(), "till").emit(DISH_PRICED, v1(1))
    with pytest.raises(ValueError, match="till cannot publish kitchen.dish_priced"):
        EnvelopePublisher("memory://", "till").dispatch(DISH_PRICED, v1(1))


def test_every_event_type_the_services_publish_has_a_positive_current_version():
    from contracts.contract_map import event_types

    declared = event_types()
    assert len(declared) >= 27  # catalog 6, rankings 13, gateway 6, orders 2
    assert {producer for producer, _ in declared} == {
        "catalog", "rankings", "gateway", "orders"}
    assert all(isinstance(event.version, int) and event.version >= 1
               for event in declared.values())
    assert all(event.key == key for key, event in declared.items())


# --- consumers: the window and the upcasters ------------------------------------------------

@pytest.mark.parametrize(("current", "accepted"), [(1, {1}), (2, {1, 2}), (5, {4, 5})])
def test_a_consumer_accepts_the_current_and_the_previous_version_by_default(current, accepted):
    reader = EventReader(EventType("kitchen", "dish_priced", current, Payload))
    assert reader.accepts == accepted and reader.reads == current


def test_an_older_version_is_lifted_step_by_step_into_the_shape_the_handler_reads():
    def with_currency(payload: dict) -> dict:  # v2 -> v3: the currency is said
        return {**payload, "currency": "MYR"}

    reader = EventReader(DISH_PRICED, accepts=(1, 2, 3),
                         upcasters={1: price_in_sen, 2: with_currency})
    old = parse_envelope(make_envelope(DISH_PRICED, v1(12), version=1))
    lifted = reader.read(old)
    assert lifted["version"] == 3
    assert lifted["payload"] == {"seq": 12, "price_sen": 1250, "currency": "MYR"}
    assert lifted["event_id"] == old["event_id"]  # the same event, read anew
    assert old["payload"] == v1(12) and old["version"] == 1  # what came is left as it came
    assert reader.read(parse_envelope(make_envelope(DISH_PRICED, v2(7), version=2)))[
        "payload"] == {**v2(7), "currency": "MYR"}
    current = parse_envelope(make_envelope(DISH_PRICED, {**v2(3), "currency": "SGD"},
                                           version=3))
    assert reader.read(current) is current


def test_a_version_without_an_upcaster_is_read_as_it_is():
    """An additive change: v2 added "currency", which this handler does not read."""
    reader = EventReader(DISH_PRICED, accepts=(1, 2))
    assert reader.read(parse_envelope(make_envelope(DISH_PRICED, v1(4), version=1)))[
        "payload"] == v1(4)


@pytest.mark.parametrize(("version", "reason"), [
    (3, "version 3 of kitchen.dish_priced is not accepted here (accepts 1, 2)"),
    (1, None),
])
def test_a_version_not_accepted_or_not_liftable_is_refused_with_the_reason(version, reason):
    reader = EventReader(DISH_PRICED, accepts=(1, 2), upcasters={1: price_in_sen})
    broken = {"seq": 1, "price": "twelve"}  # a v1 its upcaster cannot lift
    with pytest.raises(UnacceptedEvent) as refused:
        reader.read(parse_envelope(make_envelope(DISH_PRICED, broken, version=version)))
    if reason is not None:
        assert str(refused.value) == reason
    else:
        assert "version 1 of kitchen.dish_priced could not be lifted from v1 to v2" in str(
            refused.value)


@pytest.mark.parametrize(("accepts", "upcasters", "complaint"), [
    ((), None, "accepts must be versions >= 1"),
    ((0, 1), None, "accepts must be versions >= 1"),
    (("1",), None, "accepts must be versions >= 1"),
    ((1, 2), {2: price_in_sen}, "not [2]"),
    ((2, 3), {1: price_in_sen}, "not [1]"),
    ((1, 2), {1: "price_in_sen"}, "must be callables"),
])
def test_declarations_that_cannot_work_are_refused_when_the_service_is_defined(
    accepts, upcasters, complaint
):
    def on_dish_priced(self, event):
        pass

    with pytest.raises(ValueError, match=re.escape(complaint)):
        consume_event(DISH_PRICED, accepts=accepts,
                      upcasters=upcasters)(on_dish_priced)


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
