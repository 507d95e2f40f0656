"""Prometheus metrics (shared.metrics) of a real service: served on METRICS_PORT, and
recorded by the building blocks as an RPC, an outbox row, an event consumed (applied,
duplicate, dead-lettered) and a DynamoDB call go through the real broker and stores."""

from __future__ import annotations

import json

import eventlet
import pytest
import requests
from kombu import Connection, Exchange, Producer
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import find_free_port
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Column, Integer, MetaData, Table, text

from conftest import drop_database, fresh_database
from shared import metrics
from shared.consumer import consume_event, dead_letter_queue_name
from shared.db import Database, Store
from shared.dynamodb import DynamoDB
from shared.events import EnvelopePublisher, make_envelope
from shared.idempotency import idempotency_metadata
from shared.metrics import Family, Metrics
from shared.outbox import OutboxRelay, outbox_metadata
from shared.postgres import make_engine
from shared.rpc import RpcClient, service_rpc
from shared.tests.event_types import ENTRY_RECORDED, ENTRY_VOIDED

metadata = MetaData()
entries = Table("metered_entries", metadata, Column("seq", Integer, primary_key=True))


class LedgerStore(Store):
    def record(self, seq: int) -> None:
        self.session.execute(entries.insert().values(seq=seq))
        self.emit(ENTRY_RECORDED, {"seq": seq})


class Ledger:
    """The producer: an RPC that writes a row and its event, a DynamoDB call."""

    name = "ledger"
    store = Database(LedgerStore)
    relay = OutboxRelay()
    dynamodb = DynamoDB()
    metrics = Metrics()

    @service_rpc
    def record(self, seq: int) -> int:
        with self.store.transaction():
            self.store.record(seq)
        return seq

    @service_rpc
    def tables(self) -> bool:
        return self.dynamodb.ping()


class MeteredTally:
    """The consumer, and an RPC client of the ledger."""

    name = "metered_tally"
    store = Database(Store)
    ledger = RpcClient("ledger")
    metrics = Metrics()

    @consume_event(ENTRY_RECORDED)
    def on_entry(self, event):
        with self.store.transaction():
            self.store.first_time("metered_tally.on_entry", event)

    @service_rpc
    def record_through_ledger(self, seq: int) -> int:
        return self.ledger.record(seq)

    @service_rpc
    def ask_nobody(self) -> None:
        self.ledger.no_such_method()


@pytest.fixture(scope="module")
def metered_db_url():
    url = fresh_database("bellyfed_test_metrics")
    engine = make_engine(url)
    for each in (metadata, outbox_metadata, idempotency_metadata):
        each.create_all(engine)
    engine.dispose()
    yield url
    drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def metered(container_factory, service_config, dynamodb_settings, metered_db_url):
    engine = make_engine(metered_db_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE metered_entries, outbox, processed_events"))
    engine.dispose()
    ports = find_free_port(), find_free_port()
    config = {**service_config, "DATABASE_URL": metered_db_url, "DYNAMODB": dynamodb_settings,
              "EVENT_MAX_ATTEMPTS": 2, "EVENT_RETRY_DELAY": 0.1}
    for service_cls, port in zip((MeteredTally, Ledger), ports, strict=True):
        container_factory(service_cls, {**config, "METRICS_PORT": port}).start()
    yield ports
    metrics.recording = True


def scrape(port: int) -> dict[tuple, float]:
    """Every sample the port serves, parsed: (name, sorted labels) -> value."""
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def gauge(samples: dict, name: str, **labels) -> float:
    """A sample that must be there (a scrape-time gauge that could not be read is absent)."""
    key = (name, tuple(sorted(labels.items())))
    assert key in samples, f"no {name}{labels} in the scrape"
    return samples[key]


def wait_for(predicate, timeout: float = 10.0) -> None:
    with eventlet.Timeout(timeout):
        while not predicate():
            eventlet.sleep(0.05)


def consumed(port: int, outcome: str) -> float:
    return value(scrape(port), "bellyfed_events_consumed_total", service="metered_tally",
                 event_type="entry_recorded", outcome=outcome)


def test_a_service_serves_the_families_after_real_calls(metered, service_config,
                                                        metered_db_url):
    tally_port, ledger_port = metered
    before = scrape(tally_port)
    with ServiceRpcProxy("metered_tally", service_config) as tally:
        assert tally.record_through_ledger(1) == 1
        with pytest.raises(Exception):  # noqa: B017 - a remote error, whichever kind
            tally.ask_nobody()
    with ServiceRpcProxy("ledger", service_config) as ledger:
        assert ledger.tables() is True
    # the row's event goes out through the outbox and is applied by the tally
    wait_for(lambda: consumed(tally_port, "applied") >= 1 + value(
        before, "bellyfed_events_consumed_total", service="metered_tally",
        event_type="entry_recorded", outcome="applied"))
    after = scrape(ledger_port)  # one registry per process: either port serves it all

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    rpc = {"service": "ledger", "method": "record"}
    assert grew("bellyfed_rpc_client_calls_total", outcome="ok", **rpc) == 1
    assert grew("bellyfed_rpc_client_duration_seconds_count", **rpc) == 1
    assert grew("bellyfed_rpc_client_calls_total", service="ledger", method="no_such_method",
                outcome="error") == 1
    assert grew("bellyfed_rpc_server_calls_total", outcome="ok", **rpc) == 1
    assert grew("bellyfed_rpc_server_duration_seconds_count", **rpc) == 1
    assert grew("bellyfed_events_published_total", producer="ledger",
                event_type="entry_recorded") == 1
    assert grew("bellyfed_dynamodb_call_duration_seconds_count", operation="ListTables",
                outcome="ok") == 1
    assert grew("bellyfed_postgres_statement_duration_seconds_count",
                database=metered_db_url.rsplit("/", 1)[1]) > 0
    # nothing waits in the outbox now, and the families say so
    assert gauge(after, "bellyfed_outbox_backlog", producer="ledger") == 0
    assert gauge(after, "bellyfed_outbox_oldest_unpublished_age_seconds", producer="ledger") == 0
    assert gauge(after, "bellyfed_dead_letter_queue_depth",
                 queue=dead_letter_queue_name("metered_tally")) == 0


def test_consumed_events_are_counted_by_outcome(metered, service_config):
    tally_port, _ = metered
    before = {outcome: consumed(tally_port, outcome)
              for outcome in ("applied", "duplicate", "dead_lettered")}
    ledger = EnvelopePublisher(service_config["AMQP_URI"], "ledger")
    envelope = ledger.dispatch(ENTRY_RECORDED, {"seq": 7})
    wait_for(lambda: consumed(tally_port, "applied") == before["applied"] + 1)
    ledger.publish(envelope)  # a redelivery: the claim finds it
    wait_for(lambda: consumed(tally_port, "duplicate") == before["duplicate"] + 1)
    with Connection(service_config["AMQP_URI"]) as conn:  # not an envelope: dead-lettered
        Producer(conn.channel()).publish(
            json.dumps({"event_type": "entry_recorded", "junk": True}),
            exchange=Exchange("ledger.events", type="topic", durable=True),
            routing_key="entry_recorded", content_type="application/json")
    wait_for(lambda: consumed(tally_port, "dead_lettered") == before["dead_lettered"] + 1)
    assert consumed(tally_port, "applied") == before["applied"] + 1
    # the dead-letter queue's depth, read at scrape time (cached a few seconds)
    queue = dead_letter_queue_name("metered_tally")
    eventlet.sleep(metrics.DEAD_LETTER_CACHE_SECONDS)
    assert gauge(scrape(tally_port), "bellyfed_dead_letter_queue_depth", queue=queue) == 1


def test_the_outbox_backlog_is_read_at_scrape_time(metered, metered_db_url):
    """A row no queue is bound for stays unpublished (shared.outbox): the backlog and the
    age of the oldest unpublished row show it, and the relay counts it unroutable."""
    _, ledger_port = metered
    envelope = make_envelope(ENTRY_VOIDED, {"seq": 1})
    engine = make_engine(metered_db_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO outbox (event_id, event_type, envelope, created_at) "
            "VALUES (:id, 'entry_voided', CAST(:envelope AS jsonb), "
            "now() - interval '90 seconds')"),
            {"id": envelope["event_id"], "envelope": json.dumps(envelope)})
    engine.dispose()
    wait_for(lambda: value(scrape(ledger_port), "bellyfed_events_unroutable_total",
                           producer="ledger", event_type="entry_voided") >= 1)
    samples = scrape(ledger_port)
    assert gauge(samples, "bellyfed_outbox_backlog", producer="ledger") == 1
    assert gauge(samples, "bellyfed_outbox_oldest_unpublished_age_seconds",
                 producer="ledger") >= 90


def test_with_recording_off_nothing_is_counted(metered, service_config):
    tally_port, _ = metered
    rpc = {"service": "ledger", "method": "record", "outcome": "ok"}
    before = value(scrape(tally_port), "bellyfed_rpc_client_calls_total", **rpc)
    metrics.recording = False  # what METRICS_ENABLED=0 sets
    with ServiceRpcProxy("metered_tally", service_config) as tally:
        tally.record_through_ledger(2)
    assert value(scrape(tally_port), "bellyfed_rpc_client_calls_total", **rpc) == before


def test_a_family_makes_each_child_once():
    from prometheus_client import CollectorRegistry, Counter

    family = Family(Counter("made_once", "test", ("a",), registry=CollectorRegistry()))
    family.inc("x")
    family.inc("x", amount=2)
    assert list(family.children) == [("x",)]
    assert family.children[("x",)]._value.get() == 3
