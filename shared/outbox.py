"""Transactional outbox: an event leaves only if its transaction committed, and always does.

A PostgreSQL-owning service writes each event as a row of its `outbox` table in
the same transaction as the business change (`Store.emit`). The relay — an
extension running inside every replica of the service — publishes committed
rows in id order, a round of up to OUTBOX_BATCH_SIZE at a time with one wait for the
broker's confirms of them all (shared.events.BatchPublisher), and marks them published:

- rows are claimed with `SELECT … FOR UPDATE SKIP LOCKED`, so replicas share
  the work without publishing a row twice in the normal case;
- it wakes on the NOTIFY that each commit sends, and polls as a fallback;
- if the broker is down, rows stay unpublished and go when it is back;
- if the relay dies after publishing but before marking, the rows go again:
  delivery is at least once, and consumers are idempotent by event_id;
- a row no queue is bound for stays unpublished until one is (below);
- published rows are deleted after OUTBOX_RETENTION_HOURS, by housekeeping
  (shared.housekeeping: one replica at a time, as fast as they were written).

Migrations create the table with `create_outbox_table(op)`.

Unroutable rows
---------------
Rows go out mandatory (but the event types a contract declares `no_consumer_yet`:
shared.contract), so the broker hands back a message no queue is bound for (a handler
renamed, its queue deleted, a consumer not deployed yet) rather than confirming it into
nowhere. Such a row is not marked published: it is counted (`counts["unroutable"]`, each
time it comes back), logged as an error naming its event type and routing key, and tried
again.

- Order. A return holds back its event type (its routing key), not the whole outbox: the
  returned row and every later row of that type in the round stay unpublished, even one
  that did route (a queue bound meanwhile), so that a queue bound for the type receives
  its rows in id order; a row of the type that went before the return is marked. Rows of
  other types go on: a return means no queue at all receives the type, so no consumer
  can see them out of order with it. (A consumer that later adds the type to a queue that
  already reads other types gets the held backlog after them, as it gets any history it
  starts reading late.)
- Pace. A held type is left out of the rounds (`event_type NOT IN ...`: every other row
  still flows at full speed) and tried again after a pause that starts at the poll
  interval and doubles with each return in a row, up to OUTBOX_UNROUTABLE_PAUSE_MAX: a
  row that keeps coming back costs one publish a pause, never a busy loop, and its rows
  go within one pause of a queue being bound. A round in which the held type routes
  again ends its hold. Holds live in each replica's memory; another replica learns of an
  unbound type from its own first return.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import eventlet
import psycopg2
from eventlet.green.select import select as wait_readable
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    String,
    Table,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from shared import metrics
from shared.events import BatchPublisher, PublishIncomplete
from shared.postgres import DATABASE_URL_CONFIG_KEY, driver_url, make_engine

log = logging.getLogger(__name__)

outbox_metadata = MetaData()
outbox_table = Table(
    "outbox",
    outbox_metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Index("idx_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    Index("idx_outbox_published_at", "published_at"),
)


# both halves use idx_outbox_unpublished (id WHERE published_at IS NULL); ids follow
# commits closely enough that the lowest waiting id's row is the oldest waiting
BACKLOG = text("""
    SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL),
           (SELECT EXTRACT(EPOCH FROM now() - created_at) FROM outbox
            WHERE published_at IS NULL ORDER BY id LIMIT 1)
""")


def notify_channel(producer: str) -> str:
    return f"outbox_{producer}"


def create_outbox_table(op) -> None:
    """For a service's alembic migration: `create_outbox_table(op)`."""
    outbox_table.create(op.get_bind())


def drop_outbox_table(op) -> None:
    outbox_table.drop(op.get_bind())


# the envelopes written and the relay woken (at commit) in one round trip
WRITE_OUTBOX = text("""
    WITH written AS (
        INSERT INTO outbox (event_id, event_type, envelope)
        SELECT (envelope->>'event_id')::uuid, envelope->>'event_type', envelope
        FROM jsonb_array_elements(CAST(:envelopes AS jsonb)) AS envelope
        RETURNING 1
    )
    SELECT pg_notify(:channel, '')
""")


def add_to_outbox(session: Session, envelopes: list[dict]) -> None:
    """Write envelopes (one producer's) in the session's transaction; NOTIFY goes at commit."""
    if not envelopes:
        return
    session.execute(WRITE_OUTBOX, {"envelopes": json.dumps(envelopes),
                                   "channel": notify_channel(envelopes[0]["producer"])})


@dataclass
class Hold:
    """An event type the broker returned: left out of the rounds until `until`."""

    returns: int  # in a row
    until: float  # on the relay's clock


class Relay:
    """Publishes committed outbox rows. Plain object: the nameko extension below runs it.

    `counts` (exported by type as shared.metrics' bellyfed_events_published_total and
    friends): "published" rows marked, "unroutable" rows the broker returned
    (each time), "failed rounds"; `held`: the event types held back now (above)."""

    def __init__(self, database_url: str, amqp_uri: str, producer: str, *,
                 batch_size: int = 200, poll_interval: float = 1.0,
                 unroutable_pause_max: float = 30.0,
                 clock: Callable[[], float] = time.monotonic):
        self.database_url = database_url
        self.engine = make_engine(database_url, pool_size=2, max_overflow=0)
        self.publisher = BatchPublisher(amqp_uri, producer)
        self.producer = producer
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.unroutable_pause_max = unroutable_pause_max
        self.counts: Counter = Counter()
        self.held: dict[str, Hold] = {}
        self._clock = clock
        self._listener = None
        self._round_was_full = False

    # --- one pass --------------------------------------------------------------------

    def relay_batch(self) -> int:
        """Publish up to batch_size unpublished rows, in id order, but for the event types
        held back (above); returns how many were marked published."""
        now = self._clock()
        waiting = sorted(name for name, hold in self.held.items() if hold.until > now)
        query = select(outbox_table.c.id, outbox_table.c.event_type, outbox_table.c.envelope
                       ).where(outbox_table.c.published_at.is_(None))
        if waiting:
            query = query.where(outbox_table.c.event_type.not_in(waiting))
        failure = None
        with self.engine.connect() as conn, conn.begin():
            rows = conn.execute(
                query.order_by(outbox_table.c.id).limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            # the whole round goes out before one wait for its confirms
            try:
                published = self.publisher.publish_all([envelope for *_, envelope in rows])
            except PublishIncomplete as exc:
                failure, published = exc, exc
            marked, returned = self._routed(rows, published.confirmed, published.returned)
            # what went out is marked (and committed) even when the broker failed half way
            self._mark_published(conn, [row_id for row_id, _ in marked])
        self._round_was_full = len(rows) == self.batch_size
        self.counts["published"] += len(marked)
        if marked:
            for event_type, count in Counter(event_type for _, event_type in marked).items():
                metrics.EVENTS_PUBLISHED.inc(self.producer, event_type, amount=count)
        complete = failure is None and not self._round_was_full
        self._note_routing(rows, marked, returned, complete, now)
        if failure is not None:
            raise failure
        return len(marked)

    @staticmethod
    def _routed(rows, confirmed: int, returned_at: frozenset[int]
                ) -> tuple[list[tuple[int, str]], Counter]:
        """The (id, event type) of the rows to mark, and how many rows of each type came
        back: of the confirmed rows, all but those returned and those after a return of
        their own type (they wait, in order, behind it)."""
        marked, returned = [], Counter()
        for position, (row_id, event_type, _) in enumerate(rows[:confirmed]):
            if position in returned_at:
                returned[event_type] += 1
            elif event_type not in returned:
                marked.append((row_id, event_type))
        return marked, returned

    def _note_routing(self, rows, marked, returned: Counter, complete: bool, now: float
                      ) -> None:
        """Hold back the types that came back; end the hold of a type tried again that
        routed, or that has no row left (another replica published them)."""
        tried = {event_type for _, event_type, _ in rows}
        went = {event_type for _, event_type in marked}
        for event_type in [name for name, hold in self.held.items() if hold.until <= now]:
            if event_type in returned:
                continue
            if event_type in went or (complete and event_type not in tried):
                del self.held[event_type]
                if event_type in went:
                    log.info("outbox: %s.%s events route again; the ones held back go",
                                self.producer, event_type)
        for event_type, count in returned.items():
            self.counts["unroutable"] += count
            metrics.EVENTS_UNROUTABLE.inc(self.producer, event_type, amount=count)
            hold = self.held.setdefault(event_type, Hold(0, now))
            hold.returns += 1
            pause = min(self.unroutable_pause_max, self.poll_interval * 2 ** (hold.returns - 1))
            hold.until = now + pause
            log.error("outbox: %d %s.%s event(s) came back unroutable from exchange %s "
                      "(routing key %r): no queue is bound for them; they stay unpublished "
                      "and are tried again in %.1fs (return %d in a row)", count,
                      self.producer, event_type, self.publisher.exchange.name, event_type,
                      pause, hold.returns)

    @staticmethod
    def _mark_published(conn: Connection, ids: list[int]) -> None:
        if ids:
            conn.execute(
                update(outbox_table).where(outbox_table.c.id.in_(ids))
                .values(published_at=func.now())
            )

    def relay_all(self) -> int:
        """Rounds until one is not full; returns how many rows were marked published."""
        total = self.relay_batch()
        while self._round_was_full:
            total += self.relay_batch()
        return total

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(
                select(func.count()).select_from(outbox_table)
                .where(outbox_table.c.published_at.is_(None))
            )

    def backlog_reader(self, timeout: float = metrics.SCRAPE_TIMEOUT_SECONDS):
        """For shared.metrics: a function answering (rows waiting, seconds the oldest has
        waited or None), on an engine of its own (one connection, `timeout` to get it and
        as the statement timeout: a scrape never waits on the relay, nor long), and how to
        close that engine."""
        engine = make_engine(self.database_url, pool_size=1, max_overflow=0,
                             pool_timeout=timeout, connect_args={
                                 "connect_timeout": max(1, round(timeout)),
                                 "options": f"-c statement_timeout={int(timeout * 1000)}"})

        def read() -> tuple[int, float | None]:
            with engine.connect() as conn:
                rows, oldest = conn.execute(BACKLOG).one()
            return int(rows), None if oldest is None else float(oldest)

        return read, engine.dispose

    # --- waiting for work ---------------------------------------------------------------

    def _listen(self):
        if self._listener is None or self._listener.closed:
            url = driver_url(self.database_url)
            conn = psycopg2.connect(
                host=url.host, port=url.port, user=url.username, password=url.password,
                dbname=url.database,
            )
            conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
            with conn.cursor() as cursor:
                cursor.execute(f'LISTEN "{notify_channel(self.producer)}"')
            self._listener = conn
        return self._listener

    def wait_for_work(self, timeout: float) -> None:
        """Until a commit NOTIFYs the channel, or `timeout` passes (the polling fallback)."""
        try:
            listener = self._listen()
            if not listener.notifies:
                wait_readable([listener], [], [], timeout)
            listener.poll()
            listener.notifies.clear()
        except Exception:
            log.warning("outbox listener lost; polling", exc_info=True)
            self.close_listener()
            eventlet.sleep(timeout)

    def close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.close()
            self._listener = None

    # --- the loop -----------------------------------------------------------------------

    def run_forever(self, should_stop) -> None:
        failures = 0
        while not should_stop():
            try:
                self.relay_batch()
                failures = 0
            except Exception:
                failures += 1
                self.counts["failed rounds"] += 1
                metrics.OUTBOX_FAILED_ROUNDS.inc(self.producer)
                delay = min(30.0, 0.25 * 2 ** min(failures, 7))
                log.warning("outbox relay failed (%s in a row); retrying in %.1fs",
                            failures, delay, exc_info=failures == 1)
                eventlet.sleep(delay)
                continue
            if not self._round_was_full:  # (a held type waits out its pause: above)
                self.wait_for_work(self.poll_interval)

    def close(self) -> None:
        self.close_listener()
        self.publisher.close()
        self.engine.dispose()


class OutboxRelay(DependencyProvider):
    """Runs the relay in every replica of a service: `relay = OutboxRelay()`.

    Config: OUTBOX_POLL_INTERVAL (s, default 1), OUTBOX_BATCH_SIZE (200),
    OUTBOX_UNROUTABLE_PAUSE_MAX (s, 30: the longest pause
    before an event type no queue is bound for is tried again).
    """

    def setup(self):
        config = self.container.config
        self.relay = Relay(
            config[DATABASE_URL_CONFIG_KEY], config[AMQP_URI_CONFIG_KEY],
            self.container.service_name,
            batch_size=int(config.get("OUTBOX_BATCH_SIZE", 200)),
            poll_interval=float(config.get("OUTBOX_POLL_INTERVAL", 1.0)),
            unroutable_pause_max=float(config.get("OUTBOX_UNROUTABLE_PAUSE_MAX", 30)),
        )
        self._stopping = False
        self._thread = None
        read, self._close_backlog = self.relay.backlog_reader()
        self._unwatch = metrics.watch_outbox(self.container.service_name, read)

    def start(self):
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox-relay")

    def _run(self):
        self.relay.run_forever(lambda: self._stopping)

    def stop(self):
        self._stopping = True
        if self._thread is not None:
            self._thread.kill()
        self._unwatch()
        self._close_backlog()
        self.relay.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.relay
