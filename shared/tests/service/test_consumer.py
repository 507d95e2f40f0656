"""The reliable consumer, idempotency and dead letters, with the real broker and PostgreSQL."""

from __future__ import annotations

import io
import json
import uuid

import eventlet
import pytest
from kombu import Connection, Producer
from sqlalchemy import BigInteger, Column, Identity, Integer, MetaData, String, Table, select
from sqlalchemy.dialects.postgresql import UUID

from conftest import drop_database, fresh_database
from shared import deadletters
from shared.consumer import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    ORIGIN_HEADER,
    consume_event,
    dead_letter_queue,
    dead_letter_queue_name,
)
from shared.db import Database, Store
from shared.events import EnvelopePublisher
from shared.idempotency import idempotency_metadata
from shared.postgres import make_engine
from shared.tests.event_types import ENTRY_RECORDED

metadata = MetaData()
effects = Table(
    "effects", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("handler", String(50), nullable=False),
)


class TallyStore(Store):
    def record_effect(self, event: dict, handler: str) -> None:
        self.session.execute(effects.insert().values(
            event_id=event["event_id"], seq=event["payload"]["seq"], handler=handler))


FAILURES: dict[int, int] = {}  # seq -> failures still to inject
OUTAGES: dict[int, int] = {}  # seq -> "the store is away" failures still to inject


class StoreAway(Exception):
    """Stands for a store outage (shared.dynamodb.is_transient's kind of failure)."""


class Tally:
    name = "tally"
    store = Database(TallyStore)

    @consume_event(ENTRY_RECORDED,
                   transient=lambda exc: isinstance(exc, StoreAway))
    def on_entry(self, event):
        seq = event["payload"]["seq"]
        if OUTAGES.get(seq, 0) > 0:
            OUTAGES[seq] -= 1
            raise StoreAway(f"store away for {seq}")
        if FAILURES.get(seq, 0) > 0:
            FAILURES[seq] -= 1
            raise RuntimeError(f"injected failure for {seq}")
        with self.store.transaction():
            if self.store.first_time("tally.on_entry", event):
                self.store.record_effect(event, "on_entry")


@pytest.fixture(scope="module")
def tally_db_url():
    url = fresh_database("bellyfed_test_tally")
    engine = make_engine(url)
    metadata.create_all(engine)
    idempotency_metadata.create_all(engine)
    engine.dispose()
    yield url
    drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def tally(container_factory, service_config, tally_db_url):
    engine = make_engine(tally_db_url)
    with engine.begin() as conn:
        conn.execute(effects.delete())
        conn.execute(idempotency_metadata.tables["processed_events"].delete())
    FAILURES.clear()
    OUTAGES.clear()
    config = {**service_config, "DATABASE_URL": tally_db_url,
              "EVENT_MAX_ATTEMPTS": 3, "EVENT_RETRY_DELAY": 0.1}
    container = container_factory(Tally, config)
    container.start()
    yield container, engine
    engine.dispose()


def applied(engine) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.scalars(select(effects.c.seq)))


def wait_for(predicate, timeout=10.0):
    with eventlet.Timeout(timeout):
        while not predicate():
            eventlet.sleep(0.05)


def publisher(config) -> EnvelopePublisher:
    return EnvelopePublisher(config["AMQP_URI"], "ledger")


def test_each_event_applied_once_even_when_delivered_twice(tally, service_config):
    container, engine = tally
    ledger = publisher(service_config)
    envelopes = [ledger.dispatch(ENTRY_RECORDED, {"seq": seq}) for seq in range(20)]
    for envelope in envelopes[:10]:  # a redelivery of the first ten
        ledger.publish(envelope)
    wait_for(lambda: len(applied(engine)) >= 20)
    eventlet.sleep(0.5)  # the duplicates have had time to arrive
    assert applied(engine) == list(range(20))


def test_transient_failures_are_retried_until_applied(tally, service_config):
    container, engine = tally
    FAILURES.update({3: 1, 7: 2})  # 7 fails twice: third and last attempt succeeds
    ledger = publisher(service_config)
    for seq in range(10):
        ledger.dispatch(ENTRY_RECORDED, {"seq": seq})
    wait_for(lambda: len(applied(engine)) >= 10)
    assert applied(engine) == list(range(10))
    assert FAILURES == {3: 0, 7: 0}


def test_an_outage_of_the_store_spends_no_attempts(tally, service_config):
    container, engine = tally
    OUTAGES.update({4: 6})  # twice as many failures as the 3 attempts allowed
    ledger = publisher(service_config)
    for seq in range(6):
        ledger.dispatch(ENTRY_RECORDED, {"seq": seq})
    wait_for(lambda: len(applied(engine)) >= 6, timeout=20)
    assert applied(engine) == list(range(6))
    assert OUTAGES == {4: 0}
    with Connection(service_config["AMQP_URI"]) as connection:
        dead = connection.default_channel.queue_declare(
            dead_letter_queue_name("tally"), durable=True, passive=True).message_count
    assert dead == 0


def test_a_poison_message_ends_in_the_dead_letter_queue_without_blocking_others(
    tally, service_config
):
    container, engine = tally
    FAILURES[5] = 1_000
    ledger = publisher(service_config)
    for seq in range(10):
        ledger.dispatch(ENTRY_RECORDED, {"seq": seq})
    wait_for(lambda: len(applied(engine)) >= 9)
    assert applied(engine) == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    [letter] = wait_for_dead_letters(service_config, 1)
    assert letter.headers[ATTEMPTS_HEADER] == 3  # EVENT_MAX_ATTEMPTS
    assert "injected failure for 5" in letter.headers[ERROR_HEADER]
    assert FAILURES[5] == 1_000 - 3


def test_a_body_that_is_not_an_envelope_is_dead_lettered_at_once(tally, service_config):
    container, engine = tally
    ledger = publisher(service_config)
    ledger._publisher.publish({"seq": 1}, exchange=ledger.exchange,
                              routing_key="entry_recorded")
    [letter] = wait_for_dead_letters(service_config, 1)
    assert "not a valid envelope" in letter.headers[ERROR_HEADER]
    assert applied(engine) == []


def test_dead_letters_can_be_listed_and_replayed(tally, service_config, monkeypatch):
    container, engine = tally
    FAILURES[2] = 3  # fails every attempt the first time round
    publisher(service_config).dispatch(ENTRY_RECORDED, {"seq": 2})
    wait_for_dead_letters(service_config, 1, keep=True)
    monkeypatch.setenv("AMQP_URI", service_config["AMQP_URI"])

    listing = io.StringIO()
    assert deadletters.main(["list", "--service", "tally"], out=listing) == 0
    assert "1 dead letter(s)" in listing.getvalue() and "entry_recorded" in listing.getvalue()
    message_id = listing.getvalue().split()[0]

    assert deadletters.main(["replay", message_id, "--service", "tally"], out=io.StringIO()) == 0
    wait_for(lambda: applied(engine) == [2])
    after = io.StringIO()
    deadletters.main(["list", "--service", "tally"], out=after)
    assert "0 dead letter(s)" in after.getvalue()


def test_a_replay_the_broker_returns_stays_a_dead_letter(service_config, monkeypatch, capsys):
    """A letter whose queue is gone (its handler renamed since) comes back from the broker
    unroutable: it stays in the dead-letter queue, and the tool says so; the others of the
    same run are replayed."""
    monkeypatch.setenv("AMQP_URI", service_config["AMQP_URI"])
    with Connection(service_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        dead_letter_queue("tally")(channel).declare()
        channel.queue_declare("test-replays-here", durable=True, auto_delete=False)
        for message_id, origin in (("a-kept", "evt-ledger-entry_recorded--tally.renamed"),
                                   ("b-replayed", "test-replays-here")):
            Producer(channel).publish(
                {"seq": 1}, exchange="", routing_key=dead_letter_queue_name("tally"),
                serializer="json", message_id=message_id, delivery_mode=2,
                headers={ORIGIN_HEADER: origin, ATTEMPTS_HEADER: 3, ERROR_HEADER: "boom",
                         FAILED_AT_HEADER: "2024-01-01T00:00:00+00:00"})

        out = io.StringIO()
        assert deadletters.main(["replay", "--all", "--service", "tally"], out=out) == 1
        assert out.getvalue() == "replayed b-replayed to test-replays-here\n"
        assert ("not replayed: a-kept: no queue evt-ledger-entry_recorded--tally.renamed to "
                "replay it to (the broker returned it: NO_ROUTE); it stays a dead letter"
                ) in capsys.readouterr().err
        replayed = channel.basic_get("test-replays-here", no_ack=True)
        assert json.loads(replayed.body) == {"seq": 1} and ORIGIN_HEADER not in replayed.headers

        [kept] = deadletters.read_dead_letters(channel, "tally")
        assert (kept.message_id, kept.origin, kept.attempts, kept.error) == (
            "a-kept", "evt-ledger-entry_recorded--tally.renamed", 3, "boom")


def test_unknown_dead_letter_id_is_an_error(service_config, monkeypatch):
    monkeypatch.setenv("AMQP_URI", service_config["AMQP_URI"])
    assert deadletters.main(["show", uuid.uuid4().hex, "--service", "tally"],
                            out=io.StringIO()) == 1


def wait_for_dead_letters(config, count: int, keep: bool = False, timeout: float = 10.0):
    """Messages in dlq.tally once there are `count` (left in the queue if `keep`)."""
    with Connection(config["AMQP_URI"]) as connection:
        channel = connection.channel()
        queue = dead_letter_queue_name("tally")
        with eventlet.Timeout(timeout):
            while channel.queue_declare(queue, passive=True).message_count < count:
                eventlet.sleep(0.05)
        if keep:
            return []
        letters = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            letters.append(message)
        return letters




def test_a_lost_connection_at_ack_time_does_not_kill_the_consumer():
    """The broker redelivers what was not acked; the worker must not die trying."""
    from unittest import mock

    from shared.consumer import ReliableEventHandler

    handler = ReliableEventHandler(ENTRY_RECORDED)
    handler.queue_consumer = mock.Mock()
    handler.queue_consumer.ack_message.side_effect = ConnectionResetError(104, "reset")
    handler.queue_consumer.requeue_message.side_effect = BrokenPipeError(32, "pipe")
    assert handler.handle_result(mock.Mock(), {}, mock.Mock()) == (None, None)
    handler._requeue(mock.Mock())  # no exception either
