"""The fault suite's consumer: a "tally" service applying ledger's entry_recorded events.

Each applied event is one `effects` row, with the pid that applied it (deliberately no unique
constraint, so applying an event twice shows); the claim in `processed_events` makes it
idempotent. Env knobs:

| variable | default | meaning |
|---|---|---|
| TALLY_IDEMPOTENT | 1 | 0 switches the `first_time` claim off (the negative control) |
| TALLY_FAIL_RATE | 0 | probability that a handler call raises before its effect |
| TALLY_POISON_SEQ | (none) | the seq whose every handler call raises |
| EVENT_MAX_ATTEMPTS, EVENT_RETRY_DELAY | 5, 1 | shared.consumer's retry bounds |

Every injected failure is also written (and committed) to `failures`, and every
redelivery the claim turned away to `redeliveries`, so tests can count them exactly.

    AMQP_URI=... DATABASE_URL=... python tests/fault/tally.py
"""
# eventlet is patched before anything else is imported:
# ruff: noqa: E402

import eventlet

eventlet.monkey_patch()

import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from marshmallow import Schema
from nameko.dependency_providers import Config
from sqlalchemy import BigInteger, Column, Identity, Integer, MetaData, String, Table
from sqlalchemy.dialects.postgresql import UUID

from shared.config import env, nameko_config
from shared.consumer import consume_event
from shared.contract import EventType
from shared.db import Database, Store
from shared.idempotency import idempotency_metadata
from shared.postgres import make_engine

SERVICE_NAME = "tally"
CONSUMER = "tally.on_entry"
# the fault suite's own producer (tests/fault/ledger.py)
ENTRY_RECORDED = EventType("ledger", "entry_recorded", 1, Schema)
QUEUE = "evt-ledger-entry_recorded--tally.on_entry"  # nameko's name for the handler's queue

metadata = MetaData()
effects = Table(
    "effects", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("pid", Integer, nullable=False),  # the process that applied it
)
redeliveries = Table(
    "redeliveries", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("seq", Integer, nullable=False),
)
failures = Table(
    "failures", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
)


def create_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        metadata.create_all(engine)
        idempotency_metadata.create_all(engine)
    finally:
        engine.dispose()


class TransientFailure(Exception):
    pass


class PoisonFailure(Exception):
    pass


class TallyStore(Store):
    def _row(self, event: dict) -> dict:
        return {"event_id": event["event_id"], "seq": event["payload"]["seq"]}

    def apply(self, event: dict) -> None:
        self.session.execute(effects.insert().values(**self._row(event), pid=os.getpid()))

    def note_redelivery(self, event: dict) -> None:
        self.session.execute(redeliveries.insert().values(**self._row(event)))

    def note_failure(self, event: dict, kind: str) -> None:
        with self.transaction():
            self.session.execute(failures.insert().values(**self._row(event), kind=kind))


class Tally:
    name = SERVICE_NAME
    store = Database(TallyStore)
    config = Config()

    @consume_event(ENTRY_RECORDED)
    def on_entry(self, event):
        seq = event["payload"]["seq"]
        if seq == self.config.get("TALLY_POISON_SEQ"):
            self.store.note_failure(event, "poison")
            raise PoisonFailure(f"seq {seq} always fails")
        if random.random() < self.config.get("TALLY_FAIL_RATE", 0.0):
            self.store.note_failure(event, "transient")
            raise TransientFailure(f"injected transient failure for seq {seq}")
        with self.store.transaction():
            idempotent = self.config.get("TALLY_IDEMPOTENT", True)
            if not idempotent or self.store.first_time(CONSUMER, event):
                self.store.apply(event)
            else:
                self.store.note_redelivery(event)


def config_from_env() -> dict:
    poison = env("TALLY_POISON_SEQ")
    return nameko_config(
        SERVICE_NAME,
        DATABASE_URL=env("DATABASE_URL"),
        TALLY_IDEMPOTENT=env("TALLY_IDEMPOTENT", "1") != "0",
        TALLY_FAIL_RATE=float(env("TALLY_FAIL_RATE", "0")),
        TALLY_POISON_SEQ=None if poison is None else int(poison),
        EVENT_MAX_ATTEMPTS=int(env("EVENT_MAX_ATTEMPTS", "5")),
        EVENT_RETRY_DELAY=float(env("EVENT_RETRY_DELAY", "1")),
    )


if __name__ == "__main__":
    from shared.runner import serve

    settings = config_from_env()
    create_tables(settings["DATABASE_URL"])
    serve(Tally, settings)
