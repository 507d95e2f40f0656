"""PostgreSQL access for services that own a database.

A service subclasses `Store` with intention-revealing queries
(`store.get_restaurant(id)`) and declares `store = Database(CatalogStore)`.
Each worker gets its own session; writes go inside `with store.transaction():`,
which commits before the entrypoint returns (nameko replies to an RPC before
dependency teardown, so committing in teardown would answer before the data is
durable). Whatever a worker left open is rolled back at teardown.

Events are emitted with `store.emit(...)` inside the transaction: they are
written to the service's outbox with the change and published by its relay
(shared.outbox), so an event exists exactly when its change committed.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar

from nameko.extensions import DependencyProvider
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from shared import metrics
from shared.contract import EventType
from shared.events import make_envelope
from shared.idempotency import FIRST_CALL, claim_command, claim_event, record_command
from shared.migrations import upgrade
from shared.outbox import add_to_outbox
from shared.postgres import (
    DATABASE_URL_CONFIG_KEY,
    Timeouts,
    limit_waits,
    make_engine,
    store_unavailable,
)
from shared.rpc import STORE_ERRORS

if store_unavailable not in STORE_ERRORS:
    STORE_ERRORS.append(store_unavailable)  # a service with a database answers 503 for it

MIGRATE_ON_START_CONFIG_KEY = "MIGRATE_ON_START"

T = TypeVar("T")


class Store:
    """A worker's view of its service's database: one session, explicit transactions."""

    def __init__(self, session: Session, producer: str | None = None):
        self.session = session
        self.producer = producer

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Commit on success, roll back on error (events emitted inside go with it)."""
        try:
            yield self
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise

    def emit(self, event: EventType, payload: dict, version: int | None = None) -> dict:
        """Write an event of this service's contract to the outbox, in the current
        transaction."""
        return self.emit_many(event, [payload], version)[0]

    def emit_many(self, event: EventType, payloads: list[dict],
                  version: int | None = None) -> list[dict]:
        """Several events of one type in one statement (bulk writes, seeding)."""
        if self.producer is None:
            raise RuntimeError("this store was built without a producer name")
        if event.producer != self.producer:
            raise ValueError(f"{self.producer} cannot publish {event}")
        envelopes = [make_envelope(event, payload, version) for payload in payloads]
        add_to_outbox(self.session, envelopes)
        return envelopes

    def first_time(self, consumer: str, event: dict) -> bool:
        """Claim `event` for `consumer`; False if it was already handled (a redelivery).

        Call inside `transaction()`, before the effect, so claim and effect commit together.
        """
        first = claim_event(self.session, consumer, event["event_id"])
        if not first:  # its consumer counts it a duplicate (bellyfed_events_consumed)
            metrics.note_duplicates([event["event_id"]])
        return first

    def command(self, operation: str, idempotency_key: str | None, request,
                apply: Callable[[], T]) -> T:
        """Run `apply` in one transaction, once per idempotency key.

        A retry with the same key (after a timeout, say) gets the first call's
        answer and changes nothing; the same key with a different request is a
        Conflict. Without a key, `apply` simply runs in a transaction.
        """
        with self.transaction():
            previous = claim_command(self.session, operation, idempotency_key, request)
            if previous is not FIRST_CALL:
                return previous
            answer = apply()
            record_command(self.session, operation, idempotency_key, answer)
        return answer

    def ping(self) -> bool:
        self.session.execute(text("SELECT 1"))
        return True


class Database(DependencyProvider):
    """Hands each worker a `store_cls(session, producer)` on the service's database.

    With MIGRATE_ON_START in the config (shared.config.postgres_settings: on by default
    in a deployed service, off in tests, which migrate their databases themselves), the
    service's migrations are applied first, under an advisory lock so replicas starting
    together migrate once."""

    def __init__(self, store_cls: type[Store], **engine_options):
        self.store_cls = store_cls
        self.engine_options = engine_options
        self.sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def setup(self):
        config = self.container.config
        if config.get(MIGRATE_ON_START_CONFIG_KEY):
            upgrade(self.container.service_name, config[DATABASE_URL_CONFIG_KEY])
        timeouts = Timeouts.from_config(config)
        limit_waits(timeouts.longest_wait())
        self.engine = make_engine(config[DATABASE_URL_CONFIG_KEY], **{
            "connect_args": timeouts.connect_args(), **self.pool_options(),
            **self.engine_options})
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    def pool_options(self) -> dict:
        """A connection kept for every worker the container may run at once. SQLAlchemy's
        default (5, and 10 more closed on return) made every other transaction of ten busy
        workers connect afresh, a new server process each time."""
        workers = self.container.max_workers
        return {"pool_size": workers, "max_overflow": max(2, workers // 2)}

    def stop(self):
        self.engine.dispose()

    def kill(self):
        # workers are being killed mid-flight: drop their connections so the server
        # aborts their transactions and frees their locks now, not at some timeout
        for session in list(self.sessions.values()):
            with suppress(Exception):
                session.invalidate()
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        session = self.sessionmaker()
        self.sessions[worker_ctx] = session
        return self.store_cls(session, self.container.service_name)

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
