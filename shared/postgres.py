"""PostgreSQL connections: engines from URLs, databases created on demand."""

from __future__ import annotations

import psycopg2.extensions
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

DATABASE_URL_CONFIG_KEY = "DATABASE_URL"


def driver_url(url):
    """Plain postgresql:// URLs use psycopg2 (SQLAlchemy 2.1 would pick psycopg 3)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def _wait_green(connection, timeout=None) -> None:
    """psycopg2's wait callback under eventlet: while PostgreSQL works, other green threads
    run (psycopg2 otherwise blocks the whole process in C on every statement, so ten
    workers' queries, a lock wait among them, run one after the other)."""
    from eventlet.hubs import trampoline

    while True:
        state = connection.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            trampoline(connection.fileno(), read=True)
        elif state == psycopg2.extensions.POLL_WRITE:
            trampoline(connection.fileno(), write=True)
        else:
            raise psycopg2.OperationalError(f"bad state from poll: {state!r}")


def cooperate_with_eventlet() -> None:
    """Make psycopg2 yield to other green threads, once a process is monkey-patched (every
    service, the tests, the benchmarks). Process-wide; a plain process (a COPY loader, a
    script) is left alone, as COPY is not possible through the callback."""
    import sys

    eventlet = sys.modules.get("eventlet")
    if (eventlet is not None and eventlet.patcher.is_monkey_patched("socket")
            and psycopg2.extensions.get_wait_callback() is None):
        psycopg2.extensions.set_wait_callback(_wait_green)


def make_engine(url, **options) -> Engine:
    cooperate_with_eventlet()
    options.setdefault("pool_pre_ping", True)
    return create_engine(driver_url(url), **options)


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


