"""The fault suite's producer: a "ledger" service whose entries leave through the outbox.

`record_entries(url, seqs)` commits, one transaction per entry, an `entries` row and its
`entry_recorded` event (payload {"seq": n}); the service process only runs the outbox
relay (and a `pending` RPC):

    AMQP_URI=... DATABASE_URL=... OUTBOX_POLL_INTERVAL=0.2 python tests/fault/ledger.py
"""
# eventlet is patched before anything else is imported:
# ruff: noqa: E402

import eventlet

eventlet.monkey_patch()

import os
import sys
from collections.abc import Callable, Iterable

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from marshmallow import Schema
from nameko.rpc import rpc
from sqlalchemy import BigInteger, Column, Identity, Integer, MetaData, Table
from sqlalchemy.orm import Session

from shared.config import env, env_float, nameko_config
from shared.contract import EventType
from shared.db import Store
from shared.outbox import OutboxRelay, outbox_table
from shared.postgres import make_engine

SERVICE_NAME = "ledger"
ENTRY_RECORDED = EventType("ledger", "entry_recorded", 1, Schema)

metadata = MetaData()
entries = Table(
    "entries", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("seq", Integer, nullable=False, unique=True),
)


def create_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        metadata.create_all(engine)
        outbox_table.create(engine, checkfirst=True)
    finally:
        engine.dispose()


class RolledBack(Exception):
    """Raised inside a business transaction that must not commit."""


class LedgerStore(Store):
    def record(self, seq: int) -> dict:
        self.session.execute(entries.insert().values(seq=seq))
        return self.emit(ENTRY_RECORDED, {"seq": seq})


def record_entries(database_url: str, seqs: Iterable[int],
                   rollback: Callable[[int], bool] = lambda seq: False,
                   per_transaction: int = 1) -> list[int]:
    """Commit an `entries` row and its event for each seq, one transaction per entry (or per
    `per_transaction` entries, where a test only needs many events fast). A transaction with
    a seq that `rollback(seq)` picks raises after the emit and is rolled back, rows and
    events together. Returns the committed seqs, in order."""
    seqs = list(seqs)
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    committed = []
    try:
        with Session(engine) as session:
            store = LedgerStore(session, SERVICE_NAME)
            for start in range(0, len(seqs), per_transaction):
                batch = seqs[start:start + per_transaction]
                try:
                    with store.transaction():
                        for seq in batch:
                            store.record(seq)
                        if any(rollback(seq) for seq in batch):
                            raise RolledBack(batch)
                except RolledBack:
                    continue
                committed += batch
    finally:
        engine.dispose()
    return committed


class Ledger:
    name = SERVICE_NAME
    relay = OutboxRelay()

    @rpc
    def pending(self):
        return self.relay.pending()


def config_from_env() -> dict:
    return nameko_config(
        SERVICE_NAME,
        DATABASE_URL=env("DATABASE_URL"),
        OUTBOX_POLL_INTERVAL=env_float("OUTBOX_POLL_INTERVAL", 0.2),
        OUTBOX_BATCH_SIZE=int(env_float("OUTBOX_BATCH_SIZE", 200)),
    )


if __name__ == "__main__":
    from shared.runner import serve

    settings = config_from_env()
    create_tables(settings["DATABASE_URL"])
    serve(Ledger, settings)
