"""Prometheus metrics: every family defined once, here, and served by each process.

    metrics = Metrics()     # in a service class: serves METRICS_PORT (0 or unset: no server)

The building blocks record into these families themselves (shared.rpc, shared.consumer,
shared.batch_consumer, shared.outbox, shared.dynamodb, shared.postgres, the gateway's
services/gateway/http.py); a service only adds the line above. The gateway also answers
`GET /metrics` when METRICS_ROUTE=1 (services/gateway/entrypoints/metrics.py).

Families (labels; where recorded):

- bellyfed_http_requests_total (route, method, status), bellyfed_http_request_duration_seconds
  (route, method): the gateway's JsonWebServer; route is the URL rule's template
  (`/restaurants/<uuid:restaurant_id>`), "unmatched" when none matched.
- bellyfed_rpc_client_calls_total (service, method, outcome: ok, error, timeout),
  bellyfed_rpc_client_duration_seconds (service, method): shared.rpc's RpcClient.
- bellyfed_rpc_server_calls_total (service, method, outcome: ok, error),
  bellyfed_rpc_server_duration_seconds (service, method): shared.rpc's Rpc entrypoint.
- bellyfed_events_published_total, bellyfed_events_unroutable_total (producer, event_type),
  bellyfed_outbox_failed_rounds_total (producer): shared.outbox's Relay.
- bellyfed_events_consumed_total (service, event_type, outcome: applied, duplicate, retried,
  dead_lettered): shared.consumer, shared.batch_consumer.
- bellyfed_outbox_backlog, bellyfed_outbox_oldest_unpublished_age_seconds (producer): a
  query at scrape time (shared.outbox's backlog reader).
- bellyfed_dead_letter_queue_depth (queue): a passive queue_declare at scrape time, cached.
- bellyfed_dynamodb_call_duration_seconds (operation, outcome: ok, error): botocore's
  events (shared.dynamodb).
- bellyfed_postgres_statement_duration_seconds (database): SQLAlchemy's engine events
  (shared.postgres).

Cheap on the hot path: a labelled child is made once and then found in a dict (`Family`),
never through prometheus_client's `labels()` (a lock and a tuple of strings each call);
METRICS_ENABLED=0 turns recording off (one test of a module global), so its cost can be
measured against the same build. What costs a query or a broker round trip (the outbox
backlog, the dead-letter depth) runs at scrape time only, bounded by a timeout and cached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from shared.config import env_flag

log = logging.getLogger(__name__)

METRICS_PORT_CONFIG_KEY = "METRICS_PORT"
METRICS_ENABLED_CONFIG_KEY = "METRICS_ENABLED"
SCRAPE_TIMEOUT_SECONDS = 1.0  # each store a collector asks at scrape time
DEAD_LETTER_CACHE_SECONDS = 5.0

# on unless METRICS_ENABLED says off; a Metrics provider also sets it from its config
recording: bool = env_flag("METRICS_ENABLED", True)

# latencies from a cached read (sub-millisecond) to a timed-out call (RPC_TIMEOUT: 5 s)
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0, 10.0)


class Family:
    """A metric family whose children are made once per label values, then looked up."""

    def __init__(self, metric):
        self.metric = metric
        self.children: dict[tuple, object] = {}

    def child(self, *labels):
        child = self.children.get(labels)
        if child is None:
            child = self.children[labels] = self.metric.labels(*(str(v) for v in labels))
        return child

    def inc(self, *labels, amount: float = 1) -> None:
        if recording and amount:
            self.child(*labels).inc(amount)

    def observe(self, seconds: float, *labels) -> None:
        if recording:
            self.child(*labels).observe(seconds)


def _counter(name: str, documentation: str, labels: tuple[str, ...]) -> Family:
    return Family(Counter(name, documentation, labels))


def _histogram(name: str, documentation: str, labels: tuple[str, ...]) -> Family:
    return Family(Histogram(name, documentation, labels, buckets=LATENCY_BUCKETS))


HTTP_REQUESTS = _counter("bellyfed_http_requests", "HTTP requests the gateway answered",
                         ("route", "method", "status"))
HTTP_DURATION = _histogram("bellyfed_http_request_duration_seconds",
                           "Seconds the gateway took to answer", ("route", "method"))
RPC_CLIENT_CALLS = _counter("bellyfed_rpc_client_calls", "RPC calls made, by outcome",
                            ("service", "method", "outcome"))
RPC_CLIENT_DURATION = _histogram("bellyfed_rpc_client_duration_seconds",
                                 "Seconds an RPC call waited for its answer",
                                 ("service", "method"))
RPC_SERVER_CALLS = _counter("bellyfed_rpc_server_calls", "RPC requests handled, by outcome",
                            ("service", "method", "outcome"))
RPC_SERVER_DURATION = _histogram("bellyfed_rpc_server_duration_seconds",
                                 "Seconds from taking an RPC request to replying",
                                 ("service", "method"))
EVENTS_PUBLISHED = _counter("bellyfed_events_published",
                            "Outbox rows published (confirmed, routed and marked)",
                            ("producer", "event_type"))
EVENTS_UNROUTABLE = _counter("bellyfed_events_unroutable",
                             "Outbox rows the broker returned: no queue bound for them",
                             ("producer", "event_type"))
OUTBOX_FAILED_ROUNDS = _counter("bellyfed_outbox_failed_rounds",
                                "Outbox relay rounds that failed (broker or database)",
                                ("producer",))
EVENTS_CONSUMED = _counter("bellyfed_events_consumed", "Events consumed, by outcome",
                           ("service", "event_type", "outcome"))
DYNAMODB_DURATION = _histogram("bellyfed_dynamodb_call_duration_seconds",
                               "Seconds a DynamoDB API call took (retries included)",
                               ("operation", "outcome"))
POSTGRES_DURATION = _histogram("bellyfed_postgres_statement_duration_seconds",
                               "Seconds a PostgreSQL statement took", ("database",))

APPLIED, DUPLICATE, RETRIED, DEAD_LETTERED = "applied", "duplicate", "retried", "dead_lettered"
OTHER = "other"  # an event type a consumer does not read (a label from a fixed set)


# --- consumers: which events turned out to be duplicates ----------------------------------

class _Duplicates:
    """The event ids a worker found already applied (shared.db.Store.first_time,
    shared.dynamodb.apply_once), for its consumer to count when the worker ends. Kept per
    green thread: a nameko worker and its handle_result run in the same one."""

    def __init__(self):
        import threading  # eventlet's, in a monkey-patched service: one per green thread

        self._local = threading.local()

    def note(self, event_ids) -> None:
        if recording:
            found = getattr(self._local, "ids", None)
            if found is None:
                found = self._local.ids = set()
            found.update(str(event_id) for event_id in event_ids)

    def take(self) -> set[str]:
        found = getattr(self._local, "ids", None)
        self._local.ids = None
        return found or set()


duplicates = _Duplicates()


def note_duplicates(event_ids) -> None:
    """These events were already applied: their consumer counts them as duplicates."""
    duplicates.note(event_ids)


def consumed(service: str, envelopes: list[dict], outcome: str | None = None) -> None:
    """Count envelopes a worker finished: `outcome`, or (None) applied but for those
    noted as duplicates in this green thread."""
    if not recording:
        return
    found = duplicates.take() if outcome is None else set()
    for envelope in envelopes:
        event_type = envelope.get("event_type", OTHER) if isinstance(envelope, dict) else OTHER
        this = outcome or (DUPLICATE if str(envelope.get("event_id")) in found else APPLIED)
        EVENTS_CONSUMED.inc(service, event_type, this)


# --- collected at scrape time ---------------------------------------------------------------

class ScrapeCollector:
    """Gauges read from the stores when Prometheus scrapes: the outbox backlog of each
    producer this process relays for, and the depth of each dead-letter queue it fills."""

    def __init__(self):
        self.outboxes: dict[str, Callable[[], tuple[int, float | None]]] = {}
        self.dead_letters: dict[str, Callable[[], int]] = {}
        self._depths: dict[str, tuple[float, int | None]] = {}

    def describe(self):
        return []  # values come from the stores: nothing to check at registration

    def collect(self):
        backlog = GaugeMetricFamily("bellyfed_outbox_backlog",
                                    "Outbox rows not yet published", labels=["producer"])
        age = GaugeMetricFamily("bellyfed_outbox_oldest_unpublished_age_seconds",
                                "Age of the oldest unpublished outbox row (0: none)",
                                labels=["producer"])
        for producer, read in list(self.outboxes.items()):
            try:
                rows, oldest = read()
            except Exception as exc:  # the database is away or slow: no sample this time
                log.warning("metrics: %s's outbox backlog unreadable: %s", producer, exc)
                continue
            backlog.add_metric([producer], rows)
            age.add_metric([producer], max(0.0, oldest or 0.0))
        depth = GaugeMetricFamily("bellyfed_dead_letter_queue_depth",
                                  "Messages in a dead-letter queue", labels=["queue"])
        for queue, read in list(self.dead_letters.items()):
            value = self._depth(queue, read)
            if value is not None:
                depth.add_metric([queue], value)
        yield from (backlog, age, depth)

    def forget(self, queue: str) -> None:
        self._depths.pop(queue, None)

    def _depth(self, queue: str, read: Callable[[], int]) -> int | None:
        at, value = self._depths.get(queue, (0.0, None))
        if time.monotonic() - at < DEAD_LETTER_CACHE_SECONDS:
            return value
        try:
            value = read()
        except Exception as exc:
            log.warning("metrics: depth of %s unreadable: %s", queue, exc)
            value = None
        self._depths[queue] = (time.monotonic(), value)
        return value


scrape = ScrapeCollector()
REGISTRY.register(scrape)


def watch_outbox(producer: str, read: Callable[[], tuple[int, float | None]]
                 ) -> Callable[[], None]:
    """Report `producer`'s outbox backlog at scrape time: `read()` answers (rows waiting,
    seconds the oldest has waited or None), bounded by its own timeout (shared.outbox's
    backlog reader); returns how to stop."""
    scrape.outboxes[producer] = read

    def stop() -> None:
        if scrape.outboxes.get(producer) is read:
            del scrape.outboxes[producer]

    return stop


def watch_dead_letters(amqp_uri: str, queue: str) -> None:
    """Report `queue`'s depth at scrape time (a passive declare, cached a few seconds);
    the latest broker named for a queue is the one asked."""

    def read() -> int:
        from kombu import Connection

        with Connection(amqp_uri, connect_timeout=SCRAPE_TIMEOUT_SECONDS) as conn:
            channel = conn.channel()
            try:
                _, messages, _ = channel.queue_declare(queue, passive=True)
            finally:
                channel.close()
            return messages

    scrape.dead_letters[queue] = read
    scrape.forget(queue)


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# --- serving ----------------------------------------------------------------------------------

_servers: dict[int, list] = {}  # port -> [server thread, how many containers use it]


def _app(environ, start_response):
    body, content_type = exposition()
    start_response("200 OK", [("Content-Type", content_type),
                              ("Content-Length", str(len(body)))])
    return [body]


class Metrics(DependencyProvider):
    """Serves this process's metrics on METRICS_PORT (0 or unset: not served), and turns
    recording off with METRICS_ENABLED=0. Containers of one process (tests) share a port."""

    def setup(self):
        global recording
        config = self.container.config
        recording = bool(config.get(METRICS_ENABLED_CONFIG_KEY, recording))
        self.port = int(config.get(METRICS_PORT_CONFIG_KEY) or 0)

    def start(self):
        if not self.port:
            return
        served = _servers.get(self.port)
        if served is None:
            import eventlet
            import eventlet.wsgi

            # not eventlet's default SO_REUSEPORT: a second process on the port is an
            # error, not half of the scrapes answered by the wrong process
            sock = eventlet.listen(("0.0.0.0", self.port), reuse_port=False)
            thread = eventlet.spawn(eventlet.wsgi.server, sock, _app, log_output=False,
                                    log=logging.getLogger("shared.metrics.http"))
            served = _servers[self.port] = [thread, 0, sock]
            log.info("metrics on :%d", self.port)
        served[1] += 1

    def stop(self):
        served = _servers.get(self.port) if self.port else None
        if served is None:
            return
        served[1] -= 1
        if served[1] <= 0:
            del _servers[self.port]
            served[0].kill()
            served[2].close()
        self.port = 0

    def kill(self):
        self.stop()
