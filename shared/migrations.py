"""Alembic, per service: each service keeps its own `migrations/` folder.

`upgrade(service, url)` applies a service's migrations under a PostgreSQL
advisory lock, so several replicas starting together migrate once.
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text

from shared.postgres import ensure_database, make_engine

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
LOCK_POLL_SECONDS = 0.2  # how soon a replica that found the migrations locked asks again


def alembic_config(service: str, url: str, migrations_dir: Path | None = None) -> Config:
    config = Config()
    location = migrations_dir or SERVICES_DIR / service / "migrations"
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service: str, url: str, migrations_dir: Path | None = None) -> None:
    """Create the database if needed and bring it to the newest revision."""
    ensure_database(url)
    config = alembic_config(service, url, migrations_dir)
    engine = make_engine(url)
    lock_id = migrations_lock(service)
    try:
        with engine.connect() as conn:
            take_lock(conn, lock_id)
            try:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
                conn.commit()
    finally:
        engine.dispose()


def migrations_lock(service: str) -> int:
    """The advisory lock a service's migrations run under."""
    return zlib.crc32(f"bellyfed-migrations-{service}".encode())


def take_lock(conn, lock_id: int) -> None:
    """The session-level advisory lock `lock_id`, asked for until it is free, and no
    transaction left open. A replica blocked in pg_advisory_lock would hold a snapshot the
    lock holder's CREATE INDEX CONCURRENTLY waits for (a deadlock, the index left INVALID);
    and alembic runs its own transaction only on a connection outside one, which a
    migration's autocommit_block needs."""
    while not conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": lock_id}).scalar():
        conn.commit()
        time.sleep(LOCK_POLL_SECONDS)
    conn.commit()


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            _run(connection, target_metadata)
        engine.dispose()
    else:
        _run(connection, target_metadata)


def _run(connection, target_metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
