"""The transactional outbox and its relay, with the real broker and PostgreSQL."""

from __future__ import annotations

import logging

import eventlet
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.orm import Session

from conftest import drop_database, fresh_database
from shared.contract import EventType
from shared.db import Store
from shared.events import PublishIncomplete
from shared.outbox import Relay, outbox_metadata
from shared.postgres import make_engine
from shared.tests.event_types import ENTRY_AUDITED, ENTRY_RECORDED, ENTRY_VOIDED

metadata = MetaData()
entries = Table("entries", metadata, Column("seq", Integer, primary_key=True))


class LedgerStore(Store):
    def record(self, seq: int) -> None:
        self.session.execute(entries.insert().values(seq=seq))
        self.emit(ENTRY_RECORDED, {"seq": seq})


@pytest.fixture(scope="module")
def ledger_db_url():
    url = fresh_database("bellyfed_test_outbox")
    engine = make_engine(url)
    metadata.create_all(engine)
    outbox_metadata.create_all(engine)
    engine.dispose()
    yield url
    drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def engine(ledger_db_url):
    engine = make_engine(ledger_db_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE entries, outbox"))
    yield engine
    engine.dispose()


@pytest.fixture
def relays(ledger_db_url, rabbit_config):
    made = []

    def make(amqp_uri: str | None = None, **options) -> Relay:
        relay = Relay(ledger_db_url, amqp_uri or rabbit_config["AMQP_URI"], "ledger", **options)
        made.append(relay)
        return relay

    yield make
    for relay in made:
        relay.close()


def record(engine, seqs, fail_on=()) -> list[int]:
    """One transaction per entry; those in fail_on raise after emitting and roll back."""
    committed = []
    for seq in seqs:
        with Session(engine) as session:
            store = LedgerStore(session, "ledger")
            try:
                with store.transaction():
                    store.record(seq)
                    if seq in fail_on:
                        raise RuntimeError("business rule says no")
                committed.append(seq)
            except RuntimeError:
                pass
    return committed


def unpublished(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


def commit_events(engine, events: list[tuple[EventType, int]]) -> None:
    """One transaction per (event type, seq): its entries row and its event."""
    for event, seq in events:
        with Session(engine) as session:
            store = LedgerStore(session, "ledger")
            with store.transaction():
                session.execute(entries.insert().values(seq=seq))
                store.emit(event, {"seq": seq})


def unpublished_rows(engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            "SELECT event_type, (envelope->'payload'->>'seq')::int FROM outbox "
            "WHERE published_at IS NULL ORDER BY id"))]


def bound_only_to(recorder, routing_key: str):
    """An EventRecorder whose queue receives `routing_key` only (not '#')."""
    channel = recorder.connection.default_channel
    channel.queue_unbind(recorder.queue.name, recorder.exchange.name, "#")
    channel.queue_bind(recorder.queue.name, recorder.exchange.name, routing_key)
    return recorder


def seqs_of(bodies) -> list[int]:
    return [body["payload"]["seq"] for body in bodies]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rolled_back_changes_leave_no_event(engine, relays, record_events):
    events = record_events("ledger")
    committed = record(engine, range(10), fail_on={2, 5})
    assert relays().relay_all() == 8
    assert [body["payload"]["seq"] for body in events.take(8)] == committed
    assert events.take_all() == []
    with engine.connect() as conn:
        assert sorted(conn.scalars(select(entries.c.seq))) == committed


def test_rows_are_published_in_commit_order_and_marked(engine, relays, record_events):
    events = record_events("ledger")
    record(engine, range(25))
    relay = relays(batch_size=10)
    assert relay.relay_batch() == 10 and unpublished(engine) == 15
    assert relay.relay_all() == 15 and unpublished(engine) == 0
    bodies = events.take(25)
    assert [body["payload"]["seq"] for body in bodies] == list(range(25))
    assert {body["producer"] for body in bodies} == {"ledger"}


def test_two_relays_share_the_rows_without_publishing_one_twice(engine, relays, record_events):
    events = record_events("ledger")
    record(engine, range(300))
    first, second = relays(batch_size=7), relays(batch_size=7)
    counts = [eventlet.spawn(relay.relay_all) for relay in (first, second)]
    total = sum(thread.wait() for thread in counts)
    assert total == 300 and unpublished(engine) == 0
    seqs = [body["payload"]["seq"] for body in events.take(300)]
    assert sorted(seqs) == list(range(300))
    assert events.take_all() == []


def test_rows_wait_while_the_broker_is_unreachable(engine, relays, record_events):
    events = record_events("ledger")
    record(engine, range(5))
    down = relays("pyamqp://guest:guest@127.0.0.1:1//")  # nothing listens on port 1
    with pytest.raises(Exception):  # noqa: B017 - whatever kombu raises, rows must stay
        down.relay_batch()
    assert unpublished(engine) == 5
    assert relays().relay_all() == 5
    assert [body["payload"]["seq"] for body in events.take(5)] == list(range(5))


def test_a_commit_wakes_the_relay_before_the_polling_interval(engine, relays, record_events):
    events = record_events("ledger")
    relay = relays(poll_interval=30)
    stopping = []
    thread = eventlet.spawn(relay.run_forever, lambda: bool(stopping))
    try:
        eventlet.sleep(0.5)  # the relay is now waiting on LISTEN
        record(engine, [1])
        [body] = events.take(1, timeout=5)  # well before the 30 s poll
        assert body["payload"] == {"seq": 1}
    finally:
        stopping.append(True)
        thread.kill()


def test_a_publish_failing_half_way_keeps_what_went_out_marked(engine, relays, record_events):
    events = record_events("ledger")
    record(engine, range(5))
    relay = relays()
    real_open, calls = relay.publisher._open, []

    def opened_failing_on_third():
        connection = real_open()
        producer = relay.publisher._producer
        real_publish = producer.publish

        def publish(envelope, **options):
            calls.append(envelope)
            if len(calls) == 3:
                raise ConnectionError("broker went away")
            real_publish(envelope, **options)
        producer.publish = publish
        return connection

    relay.publisher._open = opened_failing_on_third
    with pytest.raises(PublishIncomplete, match="broker went away"):
        relay.relay_batch()
    assert unpublished(engine) == 3  # the two that went out (and were confirmed) stay marked
    relay.publisher._open = real_open
    assert relay.relay_all() == 3
    assert [body["payload"]["seq"] for body in events.take(5)] == list(range(5))
    assert events.take_all() == []


def test_a_round_waits_once_for_the_confirms_of_all_its_rows(engine, relays, record_events):
    events = record_events("ledger")
    record(engine, range(150))
    relay = relays()
    waits = []
    real_wait = relay.publisher._wait_for_confirms
    relay.publisher._wait_for_confirms = lambda *args: waits.append(args) or real_wait(*args)
    assert relay.relay_batch() == 150
    assert len(waits) == 1 and unpublished(engine) == 0
    assert [body["payload"]["seq"] for body in events.take(150)] == list(range(150))


def test_a_nack_marks_only_the_rows_confirmed_before_it(engine, relays, record_events):
    events = record_events("ledger")
    record(engine, range(6))
    relay = relays()
    real_open = relay.publisher._open

    def opened_nacking_the_fourth():
        connection = real_open()
        publisher = relay.publisher
        real_ack = publisher._on_ack

        def ack(delivery_tag, multiple):
            # the broker's answer, rewritten: 1-3 confirmed, 4 refused, 5-6 confirmed
            for tag in range(publisher._acked + 1, delivery_tag + 1) if multiple else [
                    delivery_tag]:
                if tag == 4:
                    publisher._on_nack(tag, False)
                else:
                    real_ack(tag, False)
        publisher._on_ack = ack
        publisher._channel.events["basic_ack"] = {ack}
        return connection

    relay.publisher._open = opened_nacking_the_fourth
    with pytest.raises(PublishIncomplete, match="nack"):
        relay.relay_batch()
    assert unpublished(engine) == 3
    relay.publisher._open = real_open
    assert relay.relay_all() == 3
    seqs = [body["payload"]["seq"] for body in events.take(9)]
    assert seqs == [0, 1, 2, 3, 4, 5, 3, 4, 5]  # at least once: 4-6 went again


# --- rows no queue is bound for -----------------------------------------------------------

def test_a_row_no_queue_is_bound_for_stays_unpublished_until_one_is(
        engine, relays, record_events, caplog):
    recorded = bound_only_to(record_events("ledger"), "entry_recorded")
    commit_events(engine, [(ENTRY_RECORDED, 0), (ENTRY_RECORDED, 1), (ENTRY_VOIDED, 2),
                           (ENTRY_RECORDED, 3), (ENTRY_VOIDED, 4), (ENTRY_RECORDED, 5)])
    clock = Clock()
    relay = relays(poll_interval=1.0, clock=clock)
    with caplog.at_level(logging.ERROR, logger="shared.outbox"):
        assert relay.relay_batch() == 4
    # the rows before the returned one, and the other type's after it, went and are marked
    assert unpublished_rows(engine) == [("entry_voided", 2), ("entry_voided", 4)]
    assert seqs_of(recorded.take(4)) == [0, 1, 3, 5]
    assert relay.counts["unroutable"] == 2 and relay.counts["published"] == 4
    [error] = [record.getMessage() for record in caplog.records
               if record.levelno == logging.ERROR]
    assert "2 ledger.entry_voided event(s) came back unroutable" in error
    assert "exchange ledger.events (routing key 'entry_voided')" in error

    # held back for its pause (the poll interval, doubling): the other rows still go
    commit_events(engine, [(ENTRY_RECORDED, 6)])
    assert relay.relay_batch() == 1 and relay.counts["unroutable"] == 2
    clock.now += 1.0
    assert relay.relay_batch() == 0 and relay.counts["unroutable"] == 4  # tried: unbound
    assert relay.held["entry_voided"].until == clock.now + 2.0

    voided = bound_only_to(record_events("ledger"), "entry_voided")  # its consumer, late
    clock.now += 1.0
    assert relay.relay_batch() == 0  # still within its pause
    clock.now += 1.0
    assert relay.relay_batch() == 2 and unpublished(engine) == 0
    assert seqs_of(voided.take(2)) == [2, 4]  # in order
    assert relay.held == {} and relay.counts["unroutable"] == 4
    assert seqs_of(recorded.take_all()) == [6]


def test_a_row_that_keeps_coming_back_does_not_spin_the_relay(engine, relays, record_events):
    recorded = bound_only_to(record_events("ledger"), "entry_recorded")
    commit_events(engine, [(ENTRY_VOIDED, 0)])
    relay = relays(poll_interval=0.1, unroutable_pause_max=0.4)
    stopping = []
    thread = eventlet.spawn(relay.run_forever, lambda: bool(stopping))
    try:
        eventlet.sleep(0.3)
        # twenty commits wake the relay twenty times, and their rows go at once
        commit_events(engine, [(ENTRY_RECORDED, seq) for seq in range(1, 21)])
        assert seqs_of(recorded.take(20)) == list(range(1, 21))
        eventlet.sleep(1.0)
        # tried again after 0.1, 0.2, 0.4, 0.4 s...: a handful of returns in ~1.5 s, where a
        # relay trying it every round would have had one a wake-up and a poll (30 or more)
        assert 1 <= relay.counts["unroutable"] <= 7
        assert unpublished_rows(engine) == [("entry_voided", 0)]
        voided = bound_only_to(record_events("ledger"), "entry_voided")
        assert seqs_of(voided.take(1, timeout=2)) == [0]  # within one pause of the binding
        with eventlet.Timeout(2):  # marked once its confirm came, and the hold ended
            while unpublished(engine) or relay.held:
                eventlet.sleep(0.02)
    finally:
        stopping.append(True)
        thread.kill()


def test_an_event_announced_without_a_consumer_is_published_with_no_queue_bound(
        engine, relays):
    # ENTRY_AUDITED's contract says no_consumer_yet: published without the mandatory check
    commit_events(engine, [(ENTRY_AUDITED, 0), (ENTRY_RECORDED, 1), (ENTRY_AUDITED, 2)])
    relay = relays()
    assert relay.relay_batch() == 2
    assert unpublished_rows(engine) == [("entry_recorded", 1)]  # mandatory: came back
    assert relay.counts["unroutable"] == 1 and list(relay.held) == ["entry_recorded"]
