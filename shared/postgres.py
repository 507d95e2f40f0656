"""PostgreSQL connections: engines from URLs, databases created on demand."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg2.extensions
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from shared import metrics
from shared.config import PG_TIMEOUT_VARIABLES
from shared.errors import ServiceUnavailable

DATABASE_URL_CONFIG_KEY = "DATABASE_URL"


def driver_url(url):
    """Plain postgresql:// URLs use psycopg2 (SQLAlchemy 2.1 would pick psycopg 3)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


# the longest one wait for PostgreSQL may take in a green process (limit_waits), None for
# no limit: past it the server is taken to be gone, not slow
_wait_limit: float | None = None


def limit_waits(seconds: float | None) -> None:
    """Bound every wait for PostgreSQL in this (monkey-patched) process: connecting, and
    each statement's answer. libpq's own connect_timeout does not hold for the green,
    asynchronous connections psycopg2 makes here; statement_timeout ends a slow statement
    on the server, not a server that stopped answering. Process-wide: the largest limit
    asked for wins."""
    global _wait_limit
    if seconds is None:
        return
    _wait_limit = seconds if _wait_limit is None else max(_wait_limit, seconds)


def _wait_green(connection, timeout=None) -> None:
    """psycopg2's wait callback under eventlet: while PostgreSQL works, other green threads
    run (psycopg2 otherwise blocks the whole process in C on every statement, so ten
    workers' queries, a lock wait among them, run one after the other)."""
    from eventlet.hubs import trampoline
    from eventlet.timeout import Timeout

    while True:
        state = connection.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state not in (psycopg2.extensions.POLL_READ, psycopg2.extensions.POLL_WRITE):
            raise psycopg2.OperationalError(f"bad state from poll: {state!r}")
        try:
            trampoline(connection.fileno(), read=state == psycopg2.extensions.POLL_READ,
                       write=state == psycopg2.extensions.POLL_WRITE, timeout=_wait_limit,
                       timeout_exc=Timeout)
        except Timeout:
            connection.close()  # whatever it was doing, this connection is done
            raise psycopg2.OperationalError(
                f"PostgreSQL did not answer within {_wait_limit:g} s") from None


def cooperate_with_eventlet() -> None:
    """Make psycopg2 yield to other green threads, once a process is monkey-patched (every
    service, the tests, the benchmarks). Process-wide; a plain process (a COPY loader, a
    script) is left alone, as COPY is not possible through the callback."""
    import sys

    eventlet = sys.modules.get("eventlet")
    # eventlet.monkey_patch() may have installed its own callback (when psycopg2 was
    # importable then): this one replaces it, for the wait limit (limit_waits)
    if (eventlet is not None and eventlet.patcher.is_monkey_patched("socket")
            and psycopg2.extensions.get_wait_callback() is not _wait_green):
        psycopg2.extensions.set_wait_callback(_wait_green)


@dataclass(frozen=True)
class Timeouts:
    """A service's time limits on PostgreSQL (seconds; SPEC: never a hang): connecting;
    one statement (a worker then answers instead of holding its RPC past the caller's
    timeout); waiting for a row lock (one held lock then pins no worker for long); a
    transaction left idle (its locks are freed). From PG_CONNECT_TIMEOUT,
    PG_STATEMENT_TIMEOUT, PG_LOCK_TIMEOUT, PG_IDLE_IN_TRANSACTION_TIMEOUT."""

    connect: float = 5.0
    statement: float = 4.0
    lock: float = 2.0
    idle_in_transaction: float = 30.0

    @classmethod
    def from_config(cls, config) -> Timeouts:
        return cls(**{field: float(config.get(key, getattr(cls, field)))
                      for field, key in TIMEOUT_CONFIG_KEYS.items()})

    def connect_args(self) -> dict:
        """psycopg2's: each setting for every connection of the engine, on connecting."""
        def ms(seconds: float) -> int:
            return max(0, round(seconds * 1000))
        return {"connect_timeout": max(1, round(self.connect)), "options": (
            f"-c statement_timeout={ms(self.statement)} -c lock_timeout={ms(self.lock)} "
            f"-c idle_in_transaction_session_timeout={ms(self.idle_in_transaction)}")}

    def longest_wait(self) -> float:
        """What one wait for the server may take at most: a statement's limit (the server
        then cancels it) and a margin, or connecting."""
        return max(self.connect, self.statement + 2.0)


TIMEOUT_CONFIG_KEYS = dict(zip(("connect", "statement", "lock", "idle_in_transaction"),
                               PG_TIMEOUT_VARIABLES, strict=True))


def store_unavailable(exc: BaseException) -> ServiceUnavailable | None:
    """What a PostgreSQL failure means to a caller, if it means the store is away or busy
    (503, try again): a statement or lock wait past its limit, a lost or refused
    connection. None for anything else (a bug, a constraint: not the caller's to retry)."""
    if not isinstance(exc, DBAPIError):
        return None
    code = getattr(exc.orig, "pgcode", None)
    if code in (LOCK_NOT_AVAILABLE, QUERY_CANCELED):
        return ServiceUnavailable("the data store is busy, try again shortly",
                                  {"retry_after": 1})
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return ServiceUnavailable("the data store is unavailable, try again shortly",
                                  {"retry_after": 2})
    return None


LOCK_NOT_AVAILABLE, QUERY_CANCELED = "55P03", "57014"


def make_engine(url, **options) -> Engine:
    cooperate_with_eventlet()
    options.setdefault("pool_pre_ping", True)
    engine = create_engine(driver_url(url), **options)
    time_statements(engine)
    return engine


STARTED_KEY = "bellyfed_statement_started"


def time_statements(engine: Engine) -> None:
    """bellyfed_postgres_statement_duration_seconds for each statement `engine` runs, by
    database (the start kept on the connection, one statement at a time on each)."""
    histogram = metrics.POSTGRES_DURATION.child(engine.url.database or "")

    def before(conn, cursor, statement, parameters, context, executemany):
        if metrics.recording:
            conn.info[STARTED_KEY] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        started = conn.info.pop(STARTED_KEY, None)
        if started is not None and metrics.recording:
            histogram.observe(time.perf_counter() - started)

    def failed(exception_context):
        conn = exception_context.connection
        if conn is not None:
            conn.info.pop(STARTED_KEY, None)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)


def ensure_database(url: str) -> bool:
    """Create the database named in `url` if it does not exist; True if created."""
    target = make_url(url)
    admin = make_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).scalar()
            if exists:
                return False
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            return True
    finally:
        admin.dispose()


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a name (the same in every replica)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def only_one(engine: Engine, name: str) -> Iterator[bool]:
    """True inside the block for the one process (of all replicas on this database) that
    holds the advisory lock `name`; False for the others, which should skip the work. A
    session lock on a connection of its own, outside any transaction, so work that takes
    long (or calls other stores) holds no transaction open; it goes with the connection if
    the process dies."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        key = lock_key(name)
        mine = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        try:
            yield mine
        finally:
            if mine:
                conn.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
