"""PostgreSQL connections: engines from URLs, databases created on demand."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

DATABASE_URL_CONFIG_KEY = "DATABASE_URL"


def driver_url(url):
    """Plain postgresql:// URLs use psycopg2 (SQLAlchemy 2.1 would pick psycopg 3)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def make_engine(url, **options) -> Engine:
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


