"""Time limits below the services (SPEC §7: never a hang): a service's PostgreSQL
connections carry statement, lock and idle-transaction timeouts from its settings, a
server that stops answering is given up on, and each of these reaches an RPC caller as
ServiceUnavailable (503, try again) while the service goes on serving others."""

from __future__ import annotations

import socket
import time

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from conftest import drop_database, fresh_database
from shared.db import Database, Store
from shared.errors import ServiceUnavailable
from shared.postgres import Timeouts, make_engine, store_unavailable
from shared.rpc import service_rpc


class ProbeStore(Store):
    pass


class Probe:
    name = "pg_probe"
    store = Database(ProbeStore)

    @service_rpc
    def settings(self) -> dict:
        return {name: self.store.session.scalar(text(f"SHOW {name}")) for name in (
            "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")}

    @service_rpc
    def sleep(self, seconds: float) -> str:
        self.store.session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})
        return "woke"

    @service_rpc
    def take_row(self, key: int) -> str:
        with self.store.transaction():
            self.store.session.execute(
                text("SELECT key FROM rows WHERE key = :key FOR UPDATE"), {"key": key})
        return "taken"

    @service_rpc
    def ping(self) -> bool:
        return self.store.ping()

    @service_rpc
    def backend(self) -> int:
        """The server process behind this worker's connection, after a short wait (so that
        calls overlap)."""
        return self.store.session.scalar(text("SELECT pg_backend_pid() FROM pg_sleep(0.05)"))


@pytest.fixture
def probe_db():
    url = fresh_database("bellyfed_test_pg_probe")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE rows (key int PRIMARY KEY)"))
        conn.execute(text("INSERT INTO rows VALUES (1), (2)"))
    yield url, engine
    engine.dispose()
    drop_database(url.rsplit("/", 1)[1])


LIMITS = {"PG_STATEMENT_TIMEOUT": 1.0, "PG_LOCK_TIMEOUT": 0.5,
          "PG_IDLE_IN_TRANSACTION_TIMEOUT": 20.0, "PG_CONNECT_TIMEOUT": 1.0}


@pytest.fixture
def probe(container_factory, service_config, probe_db):
    url, engine = probe_db
    config = {**service_config, "DATABASE_URL": url, "RPC_TIMEOUT": 10.0, **LIMITS}
    container_factory(Probe, config).start()
    with ClusterRpcProxy(config, timeout=15) as cluster:
        yield cluster.pg_probe, engine


def test_connections_carry_the_configured_limits(probe):
    service, _ = probe
    assert service.settings() == {"statement_timeout": "1s", "lock_timeout": "500ms",
                                  "idle_in_transaction_session_timeout": "20s"}


def test_a_statement_past_its_limit_is_a_503_and_the_service_goes_on(probe):
    service, _ = probe
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="busy"):
        service.sleep(5)
    assert time.monotonic() - started < 3  # the statement timeout, not the 5 s sleep
    assert service.sleep(0.01) == "woke" and service.ping() is True


def test_a_held_row_lock_pins_no_worker_for_long(probe):
    service, engine = probe
    with engine.connect() as holder, holder.begin():
        holder.execute(text("SELECT key FROM rows WHERE key = 1 FOR UPDATE"))
        started = time.monotonic()
        waiting = [service.take_row.call_async(1) for _ in range(12)]  # > max_workers
        eventlet.sleep(0.1)
        assert service.take_row(2) == "taken"  # another row, meanwhile
        for reply in waiting:
            with pytest.raises(ServiceUnavailable, match="busy"):
                reply.result()
        assert time.monotonic() - started < 5
    assert service.take_row(1) == "taken"  # released: it recovers


def test_a_database_that_never_answers_is_a_503_not_a_hang(container_factory, service_config):
    silent = socket.socket()  # accepts connections, never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    config = {**service_config, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/x",
              "RPC_TIMEOUT": 15.0, **LIMITS}
    container_factory(Probe, config).start()
    try:
        with ClusterRpcProxy(config, timeout=20) as cluster:
            started = time.monotonic()
            with pytest.raises(ServiceUnavailable, match="unavailable"):
                cluster.pg_probe.ping()
            # the wait limit: this process's longest (another test's may be larger)
            assert time.monotonic() - started < 12
    finally:
        silent.close()


def test_only_store_failures_become_unavailable():
    from sqlalchemy.exc import IntegrityError

    assert store_unavailable(ValueError("a bug")) is None
    assert store_unavailable(IntegrityError("INSERT", {}, Exception("duplicate"))) is None
    assert Timeouts(connect=5, statement=4, lock=2, idle_in_transaction=30).connect_args() == {
        "connect_timeout": 5, "options": "-c statement_timeout=4000 -c lock_timeout=2000 "
                                         "-c idle_in_transaction_session_timeout=30000"}


def test_busy_workers_keep_their_connections(probe):
    """Every worker the container may run at once has a pooled connection: 60 calls, ten at
    a time, reuse at most ten server processes (SQLAlchemy's default pool of five closed
    the other five connections on return, so about every other call connected anew)."""
    service, _ = probe
    backends = set()
    for _ in range(6):
        calls = [service.backend.call_async() for _ in range(10)]
        backends.update(call.result() for call in calls)
    assert len(backends) <= 10, f"{len(backends)} server processes for 10 workers"
