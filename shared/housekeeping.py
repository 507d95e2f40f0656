"""Housekeeping: what a service's database keeps only for a while goes once its window has
passed, in one replica at a time, at the pace it was written.

- `idempotency_keys` (a retried command's first answer): IDEMPOTENCY_KEY_RETENTION_HOURS,
  24 by default, as long as a client may retry a request with the same key.
- `processed_events` (a consumer's claim on an event id): PROCESSED_EVENT_RETENTION_HOURS,
  336 (14 days) by default. It must outlast the longest an event may wait before it is
  delivered again (a queue backed up, a dead letter replayed): a redelivery after its
  claim is gone would be applied twice.
- `outbox` rows published more than OUTBOX_RETENTION_HOURS (168) ago.

Every HOUSEKEEPING_INTERVAL seconds (300) each replica tries a PostgreSQL advisory lock;
the one that gets it deletes, in chunks of HOUSEKEEPING_CHUNK rows (5,000) each in its own
short transaction (no long lock, no bloat of one huge delete), until nothing is past its
window or HOUSEKEEPING_BUDGET seconds (60) have gone; the others skip the round. Each
window's column is indexed, so a chunk never scans the table.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

import eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import text
from sqlalchemy.engine import Engine

from shared.postgres import DATABASE_URL_CONFIG_KEY, make_engine, only_one

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    table: str
    column: str  # the moment a row's window starts; indexed
    config_key: str
    default_hours: float
    condition: str = "TRUE"  # only rows this holds for ever expire


WINDOWS = (
    Window("idempotency_keys", "created_at", "IDEMPOTENCY_KEY_RETENTION_HOURS", 24.0),
    Window("processed_events", "processed_at", "PROCESSED_EVENT_RETENTION_HOURS", 336.0),
    Window("outbox", "published_at", "OUTBOX_RETENTION_HOURS", 168.0,
           condition="published_at IS NOT NULL"),
)


def prune(engine: Engine, window: Window, hours: float, *, chunk: int,
          deadline: float) -> int:
    """Delete the rows of `window` older than `hours`, a chunk per transaction, until none
    is left or `deadline` (time.monotonic()) passes; how many."""
    delete = text(
        f"DELETE FROM {window.table} WHERE ctid = ANY(ARRAY("
        f"SELECT ctid FROM {window.table} WHERE {window.condition} AND {window.column} "
        f"< now() - make_interval(secs => :seconds) LIMIT :chunk))")
    deleted = 0
    while True:
        with engine.begin() as conn:
            count = conn.execute(delete, {"seconds": hours * 3600, "chunk": chunk}).rowcount
        deleted += count
        if count < chunk or time.monotonic() >= deadline:
            return deleted
        eventlet.sleep(0)  # the service's own work goes on between chunks


def housekeeping_round(engine: Engine, hours: dict[str, float], *, chunk: int = 5000,
                       budget: float = 60.0, lock_name: str = "housekeeping"
                       ) -> dict[str, int] | None:
    """One round (module docstring): rows deleted per table, or None if another replica
    holds the lock."""
    with only_one(engine, lock_name) as mine:
        if not mine:
            return None
        deadline = time.monotonic() + budget
        return {window.table: prune(engine, window, hours[window.table], chunk=chunk,
                                    deadline=deadline) for window in WINDOWS}


class Housekeeping(DependencyProvider):
    """Runs housekeeping rounds in a service that owns a database: `housekeeping =
    Housekeeping()`. Config: HOUSEKEEPING_INTERVAL (s, 300), HOUSEKEEPING_CHUNK (5000),
    HOUSEKEEPING_BUDGET (s, 60), and each window's retention (module docstring)."""

    def setup(self):
        config = self.container.config
        self.interval = float(config.get("HOUSEKEEPING_INTERVAL", 300.0))
        self.chunk = int(config.get("HOUSEKEEPING_CHUNK", 5000))
        self.budget = float(config.get("HOUSEKEEPING_BUDGET", 60.0))
        self.hours = {window.table: float(config.get(window.config_key, window.default_hours))
                      for window in WINDOWS}
        self.engine = make_engine(config[DATABASE_URL_CONFIG_KEY], pool_size=1, max_overflow=1)
        self.rounds: list[dict[str, int] | None] = []  # the last few, newest last
        self._thread = None

    def start(self):
        self._thread = self.container.spawn_managed_thread(self._run,
                                                           identifier="housekeeping")

    def run_round(self) -> dict[str, int] | None:
        deleted = housekeeping_round(self.engine, self.hours, chunk=self.chunk,
                                     budget=self.budget,
                                     lock_name=f"housekeeping:{self.container.service_name}")
        self.rounds = [*self.rounds[-9:], deleted]
        if deleted and any(deleted.values()):
            log.info("housekeeping deleted %s", ", ".join(
                f"{count} {table}" for table, count in deleted.items() if count))
        return deleted

    def _run(self):
        # replicas started together spread out; each round then tries the lock
        eventlet.sleep(random.uniform(0, min(self.interval, 30.0)))
        while True:
            try:
                self.run_round()
            except Exception:
                log.warning("housekeeping round failed; trying again next round", exc_info=True)
            eventlet.sleep(self.interval)

    def stop(self):
        if self._thread is not None:
            self._thread.kill()
        self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self
