"""PostgreSQL access for services that own a database.

A service subclasses `Store` with intention-revealing queries
(`store.get_restaurant(id)`) and declares `store = Database(CatalogStore)`.
Each worker gets its own session; writes go inside `with store.transaction():`,
which commits before the entrypoint returns (nameko replies to an RPC before
dependency teardown, so committing in teardown would answer before the data is
durable). Whatever a worker left open is rolled back at teardown.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from shared.events import EnvelopePublisher, make_envelope

DATABASE_URL_CONFIG_KEY = "DATABASE_URL"


class Base(DeclarativeBase):
    """Declarative base; each service's models subclass their own copy of it."""


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


class Store:
    """A worker's view of its service's database: one session, explicit transactions."""

    def __init__(self, session: Session, publisher: EnvelopePublisher | None = None):
        self.session = session
        self._publisher = publisher
        self._pending_events: list[dict] = []

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Commit on success, roll back on error; events emitted inside follow the commit."""
        try:
            yield self
            self.session.commit()
        except BaseException:
            self.session.rollback()
            self._pending_events.clear()
            raise
        pending, self._pending_events = self._pending_events, []
        for envelope in pending:
            self._publisher.publish(envelope)

    def emit(self, event_type: str, payload: dict, version: int = 1) -> dict:
        """Queue an event to publish once the current transaction commits."""
        if self._publisher is None:
            raise RuntimeError("this store was built without an event publisher")
        envelope = make_envelope(self._publisher.producer, event_type, payload, version)
        self._pending_events.append(envelope)
        return envelope

    def ping(self) -> bool:
        self.session.execute(text("SELECT 1"))
        return True


class Database(DependencyProvider):
    """Hands each worker a `store_cls(session, publisher)` on the service's database."""

    def __init__(self, store_cls: type[Store], **engine_options):
        self.store_cls = store_cls
        self.engine_options = engine_options
        self.sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def setup(self):
        config = self.container.config
        self.engine = make_engine(config[DATABASE_URL_CONFIG_KEY], **self.engine_options)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.publisher = EnvelopePublisher(
            config[AMQP_URI_CONFIG_KEY], self.container.service_name, config
        )

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        session = self.sessionmaker()
        self.sessions[worker_ctx] = session
        return self.store_cls(session, self.publisher)

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
