"""Idempotent commands and idempotent consumers, in the service's own transaction.

Commands: a state-changing RPC takes an `idempotency_key`; the first call with
a key stores its answer with its change, and a retry (say, after the caller's
RPC timeout) gets that answer back instead of applying the change twice.

Consumers: a handler claims an event id in its `processed_events` table in the
same transaction as its effect; a redelivered event finds the claim and does
nothing.

Migrations create the tables with `create_idempotency_tables(op)`.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.orm import Session

from shared.errors import Conflict, InvalidInput

MAX_KEY_LENGTH = 200

idempotency_metadata = MetaData()
idempotency_keys = Table(
    "idempotency_keys",
    idempotency_metadata,
    Column("operation", String(100), nullable=False),
    Column("key", String(MAX_KEY_LENGTH), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response", JSONB),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    PrimaryKeyConstraint("operation", "key"),
    Index("idx_idempotency_keys_created_at", "created_at"),
)
processed_events = Table(
    "processed_events",
    idempotency_metadata,
    Column("consumer", String(200), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    PrimaryKeyConstraint("consumer", "event_id"),
    Index("idx_processed_events_processed_at", "processed_at"),
)


# what housekeeping (shared.housekeeping) deletes by; on tables that may be large when a
# migration adds them, hence built concurrently (create_housekeeping_indexes)
HOUSEKEEPING_INDEXES = {
    "idx_idempotency_keys_created_at": "ON idempotency_keys (created_at)",
    "idx_processed_events_processed_at": "ON processed_events (processed_at)",
}


def create_housekeeping_indexes(op) -> None:
    """For a service's alembic migration. CREATE INDEX CONCURRENTLY cannot run in a
    transaction, hence the autocommit block; a build that failed part way leaves an
    INVALID index, dropped and built again on the next run."""
    with op.get_context().autocommit_block():
        for name, definition in HOUSEKEEPING_INDEXES.items():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(f"CREATE INDEX CONCURRENTLY {name} {definition}")


def drop_housekeeping_indexes(op) -> None:
    with op.get_context().autocommit_block():
        for name in HOUSEKEEPING_INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def create_idempotency_tables(op) -> None:
    """For a service's alembic migration."""
    idempotency_metadata.create_all(op.get_bind())


def drop_idempotency_tables(op) -> None:
    idempotency_metadata.drop_all(op.get_bind())


def request_hash(request) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class NotYet:
    """The marker `claim_command` returns when this call is the first with its key."""


FIRST_CALL = NotYet()


def claim_command(session: Session, operation: str, key: str | None, request):
    """FIRST_CALL if this call should run; otherwise the stored answer of the first call.

    Inside the caller's transaction. Two concurrent calls with one key: the
    second waits on the first's row lock, then sees its committed answer (or,
    if the first rolled back, runs itself).
    """
    if key is None:
        return FIRST_CALL
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput("the idempotency key must be 1 to 200 characters",
                           {"idempotency_key": ["invalid"]})
    digest = request_hash(request)
    claimed = session.execute(
        insert(idempotency_keys)
        .values(operation=operation, key=key, request_hash=digest)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    ).first()
    if claimed:
        return FIRST_CALL
    stored_hash, response = session.execute(
        select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
            idempotency_keys.c.operation == operation, idempotency_keys.c.key == key
        )
    ).one()
    if stored_hash != digest:
        # the key is not echoed: the gateway scopes it (services.gateway.http), and its
        # client knows which one it sent
        raise Conflict("this idempotency key was used for a different request",
                       {"idempotency_key": ["used for a different request"]})
    return response


def record_command(session: Session, operation: str, key: str | None, response) -> None:
    """Store the first call's answer, in its transaction."""
    if key is None:
        return
    session.execute(
        idempotency_keys.update()
        .where(idempotency_keys.c.operation == operation, idempotency_keys.c.key == key)
        .values(response=response)
    )


def claim_event(session: Session, consumer: str, event_id: uuid.UUID | str) -> bool:
    """True the first time `consumer` sees `event_id` (in the caller's transaction)."""
    return session.execute(
        insert(processed_events)
        .values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(processed_events.c.event_id)
    ).first() is not None
