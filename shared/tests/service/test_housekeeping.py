"""Housekeeping (shared.housekeeping) against a real PostgreSQL: idempotency keys, consumer
claims and published outbox rows past their windows are deleted, in chunks, by one replica
at a time, and nothing inside a window (or unpublished) is touched. Timers that must run in
one replica at a time take the same kind of advisory lock (shared.postgres.only_one)."""

from __future__ import annotations

import time
import uuid

import eventlet
import pytest
from sqlalchemy import func, select, text

from conftest import drop_database, fresh_database
from shared.housekeeping import Housekeeping, housekeeping_round
from shared.idempotency import idempotency_keys, idempotency_metadata, processed_events
from shared.outbox import outbox_metadata, outbox_table
from shared.postgres import lock_key, make_engine, only_one

HOURS = {"idempotency_keys": 24.0, "processed_events": 336.0, "outbox": 168.0}


@pytest.fixture
def database():
    url = fresh_database("bellyfed_test_housekeeping")
    engine = make_engine(url)
    idempotency_metadata.create_all(engine)
    outbox_metadata.create_all(engine)
    yield url, engine
    engine.dispose()
    drop_database(url.rsplit("/", 1)[1])


def fill(engine, *, old: int, recent: int) -> None:
    """`old` rows of each table past its window (and as many unpublished outbox rows just
    as old, which must stay), `recent` rows inside it."""
    with engine.begin() as conn:
        for table, column, window in ((idempotency_keys, "created_at", 24),
                                      (processed_events, "processed_at", 336)):
            for ago in [window + 1] * old + [window - 1] * recent:
                when = func.now() - text(f"interval '{ago} hours'")
                values = ({"operation": "op", "key": uuid.uuid4().hex, "request_hash": "0" * 64}
                          if table is idempotency_keys else
                          {"consumer": "c", "event_id": uuid.uuid4()})
                conn.execute(table.insert().values(**values, **{column: when}))
        for ago, published in ([(169, True)] * old + [(167, True)] * recent
                               + [(500, False)] * old):
            event_id = uuid.uuid4()
            conn.execute(outbox_table.insert().values(
                event_id=event_id, event_type="thing_happened",
                envelope={"event_id": str(event_id)},
                created_at=func.now() - text(f"interval '{ago} hours'"),
                published_at=(func.now() - text(f"interval '{ago} hours'")) if published
                else None))


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            "idempotency_keys": conn.scalar(select(func.count()).select_from(idempotency_keys)),
            "processed_events": conn.scalar(select(func.count()).select_from(processed_events)),
            "outbox published": conn.scalar(select(func.count()).select_from(outbox_table)
                                            .where(outbox_table.c.published_at.is_not(None))),
            "outbox unpublished": conn.scalar(select(func.count()).select_from(outbox_table)
                                              .where(outbox_table.c.published_at.is_(None))),
        }


def test_rows_past_their_windows_go_in_chunks_and_the_rest_stay(database):
    _, engine = database
    fill(engine, old=23, recent=4)
    deleted = housekeeping_round(engine, HOURS, chunk=5)
    assert deleted == {"idempotency_keys": 23, "processed_events": 23, "outbox": 23}
    assert counts(engine) == {"idempotency_keys": 4, "processed_events": 4,
                              "outbox published": 4, "outbox unpublished": 23}
    assert housekeeping_round(engine, HOURS, chunk=5) == {
        "idempotency_keys": 0, "processed_events": 0, "outbox": 0}


def test_a_round_stops_at_its_budget_and_the_next_goes_on(database):
    _, engine = database
    fill(engine, old=12, recent=0)
    first = housekeeping_round(engine, HOURS, chunk=5, budget=0.0)  # one chunk a table
    assert first == {"idempotency_keys": 5, "processed_events": 5, "outbox": 5}
    housekeeping_round(engine, HOURS, chunk=5)
    assert counts(engine)["processed_events"] == 0


def test_one_replica_at_a_time(database):
    """While another replica holds the lock, a round does nothing (and says so)."""
    url, engine = database
    fill(engine, old=3, recent=0)
    other_replica = make_engine(url)
    try:
        with only_one(other_replica, "housekeeping") as mine:
            assert mine
            with only_one(engine, "housekeeping") as also_mine:
                assert not also_mine
            assert housekeeping_round(engine, HOURS) is None
            assert counts(engine)["idempotency_keys"] == 3
        assert housekeeping_round(engine, HOURS)["idempotency_keys"] == 3  # released
    finally:
        other_replica.dispose()


def test_the_lock_goes_with_a_replica_that_dies(database):
    url, engine = database
    dying = make_engine(url)
    conn = dying.connect()
    conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key("t")})
    with only_one(engine, "t") as mine:
        assert not mine
    conn.invalidate()  # the connection is gone, as with a killed process
    dying.dispose()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with only_one(engine, "t") as mine:
            if mine:
                break
        time.sleep(0.1)
    assert mine


class Probe:
    name = "housekeeping_probe"
    housekeeping = Housekeeping()


def test_a_service_keeps_house_on_its_own(database, container_factory, service_config):
    url, engine = database
    fill(engine, old=7, recent=2)
    container = container_factory(Probe, {**service_config, "DATABASE_URL": url,
                                          "HOUSEKEEPING_INTERVAL": 0.2})
    container.start()
    extension = next(ext for ext in container.extensions if isinstance(ext, Housekeeping))
    expected = {"idempotency_keys": 2, "processed_events": 2, "outbox published": 2,
                "outbox unpublished": 7}
    deadline = time.monotonic() + 45  # the first round waits up to its interval, spread out
    while time.monotonic() < deadline and counts(engine) != expected:
        eventlet.sleep(0.1)  # (a round deletes table after table)
    assert counts(engine) == expected
    assert any(r and r["processed_events"] == 7 for r in extension.rounds)
