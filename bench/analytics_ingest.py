"""Analytics ingestion benchmark: view events per second end to end, against one DynamoDB
request per event.

    python bench/analytics_ingest.py [--events 20000] [--restaurants 50] [--viewers 2000]
                                     [--duplicates] [--raw-seconds 3] [--batch 500]
                                     [--one-per-message]

It runs, in one go and on the same DynamoDB endpoint (DYNAMODB_ENDPOINT, or a moto server
it starts itself) and the same RabbitMQ (AMQP_URI, on a throwaway vhost):

1. raw: single UpdateItem calls (ADD view_count), one after another — what a consumer
   that writes each event as it comes can do at best;
2. end to end: N restaurant_viewed envelopes published to the gateway's events exchange
   as the gateway sends them (a batched event type: arrays of up to --batch envelopes a
   message, shared.event_buffer.messages_of; --one-per-message for one each), consumed
   by the real AnalyticsService (batched, coalesced, exactly once); timed from the first
   publish until every view is counted in DynamoDB.

Whatever it started (the moto server, the vhost, the service) is stopped on success, on
failure, on Ctrl-C and on SIGTERM.

It prints both rates and their ratio, checks the counts are exact (with --duplicates
every event is published twice and must still be counted once), and where the time of a
batch went: the consumer's batch sizes, the DynamoDB requests each batch made by kind
(BatchGetItem / TransactWriteItems / BatchWriteItem / UpdateItem) with their entries and
time, and the CPU the DynamoDB server and this process used. The service runs with its
own batching defaults (services/analytics/config.py; BATCH_MAX_SIZE etc. from the
environment override them, as in a deployment).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import collections
import contextvars
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from botocore.exceptions import ClientError
from kombu import Connection, Producer
from nameko.containers import ServiceContainer
from nameko.events import get_event_exchange

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import Vhost, cpu_seconds, exit_on_sigterm, start_moto, stop
from services.analytics import config as analytics_config
from services.analytics.domain.views import view_writes
from services.analytics.service import AnalyticsService
from services.analytics.storage import ingest
from services.gateway.contract.events import RESTAURANT_VIEWED
from shared.config import amqp_uri
from shared.dynamodb import DynamoDB, DynamoDBClient, ensure_tables
from shared.event_buffer import messages_of
from shared.events import make_envelope

DEVICES = ("mobile", "tablet", "desktop")
BATCHING = ("BATCH_MAX_SIZE", "BATCH_MAX_WAIT", "BATCH_MAX_IN_FLIGHT")
# what one request of each kind carries, counted as "entries"
def transaction_entries(kwargs: dict, each: bool = False) -> collections.Counter | list:
    """A TransactWriteItems' entries by kind (event markers, conditional puts, updates):
    counted, or `each` one's kind in order."""
    kinds = ["markers" if "ProcessedEvents" in entry.get("Put", {}).get("TableName", "")
             else "puts" if "Put" in entry else "updates" if "Update" in entry else "other"
             for entry in kwargs["TransactItems"]]
    return kinds if each else collections.Counter(kinds)


ENTRIES = {
    "TransactWriteItems": lambda kw: len(kw["TransactItems"]),
    "BatchWriteItem": lambda kw: sum(map(len, kw["RequestItems"].values())),
    "BatchGetItem": lambda kw: sum(len(t["Keys"]) for t in kw["RequestItems"].values()),
}


def wall_clock(spans: list[tuple[float, float]]) -> float:
    """The time some span was running (requests at once are counted once)."""
    total, reached = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reached:
            total += end - max(start, reached)
            reached = end
    return total


class BatchMeter:
    """Each consumer batch of the service under test: its events, its time, and every
    DynamoDB request it made (kind, entries, seconds, cancelled or not). Requests are told
    apart by a context variable the worker sets (its reads in other threads carry it)."""

    def __init__(self):
        self.batches: list[dict] = []
        self.current: contextvars.ContextVar = contextvars.ContextVar("batch", default=None)

    def watch(self, container: ServiceContainer) -> None:
        [provider] = [dep for dep in container.dependencies if isinstance(dep, DynamoDB)]
        client = provider.dynamodb.client
        call = client._make_api_call

        def metered_call(operation, kwargs):
            batch = self.current.get()
            started = time.perf_counter()
            try:
                return call(operation, kwargs)
            except ClientError as exc:
                if batch is not None and (exc.response.get("Error", {}).get("Code")
                                          == "TransactionCanceledException"):
                    batch["cancelled"] += 1
                    kinds = transaction_entries(kwargs, each=True)
                    batch["cancelled_by"].update(
                        f"{kind} {reason.get('Code')}" for kind, reason in zip(
                            kinds, exc.response.get("CancellationReasons") or [], strict=False)
                        if reason.get("Code") not in (None, "None"))
                raise
            finally:
                if batch is not None:
                    if operation == "TransactWriteItems":
                        batch["kinds"].update(transaction_entries(kwargs))
                    batch["requests"][operation] += 1
                    batch["entries"][operation] += ENTRIES.get(operation, lambda kw: 1)(kwargs)
                    batch["spans"][operation].append((started, time.perf_counter()))

        client._make_api_call = metered_call
        ingest_views = ingest.ingest_views

        def metered_ingest(dynamodb, envelopes):
            batch = {"events": len(envelopes), "requests": collections.Counter(),
                     "entries": collections.Counter(), "spans": collections.defaultdict(list),
                     "cancelled": 0, "kinds": collections.Counter(),
                     "cancelled_by": collections.Counter()}
            self.current.set(batch)
            started = time.perf_counter()
            try:
                return ingest_views(dynamodb, envelopes)
            finally:
                batch["elapsed"] = time.perf_counter() - started
                self.current.set(None)
                self.batches.append(batch)

        ingest.ingest_views = metered_ingest

    def report(self, settings: dict) -> list[str]:
        batches = self.batches
        if not batches:
            return ["  (no batch was written)"]
        sizes = [batch["events"] for batch in batches]
        elapsed = sum(batch["elapsed"] for batch in batches) / len(batches)
        lines = [
            f"  consumer batches           {len(batches)}, events in each: mean "
            f"{sum(sizes) / len(sizes):.0f}, min {min(sizes)}, max {max(sizes)} "
            f"(BATCH_MAX_SIZE {settings['BATCH_MAX_SIZE']}, BATCH_MAX_WAIT "
            f"{settings['BATCH_MAX_WAIT']} s, BATCH_MAX_IN_FLIGHT "
            f"{settings['BATCH_MAX_IN_FLIGHT']})",
            f"  one batch takes            {elapsed * 1000:.0f} ms "
            f"({elapsed * 1000 / (sum(sizes) / len(sizes)):.2f} ms an event), of which:",
        ]
        in_requests = 0.0
        for kind in ("BatchGetItem", "TransactWriteItems", "BatchWriteItem", "UpdateItem",
                     *sorted({kind for batch in batches for kind in batch["requests"]}
                             - {"BatchGetItem", "TransactWriteItems", "BatchWriteItem",
                                "UpdateItem"})):
            requests = sum(batch["requests"][kind] for batch in batches) / len(batches)
            entries = sum(batch["entries"][kind] for batch in batches) / len(batches)
            seconds = sum(wall_clock(batch["spans"][kind]) for batch in batches) / len(batches)
            each = sum(end - start for batch in batches
                       for start, end in batch["spans"][kind]) / len(batches)
            in_requests += seconds
            lines.append(f"    {kind:<22} {requests:6.1f} requests, {entries:7.1f} entries, "
                         f"{seconds * 1000:7.0f} ms"
                         + (f" ({each * 1000 / requests:.1f} ms each)" if requests else ""))
            if kind == "TransactWriteItems":
                kinds = sum((batch["kinds"] for batch in batches), collections.Counter())
                lines.append("      of which " + ", ".join(
                    f"{count / len(batches):.0f} {kind}" for kind, count in kinds.most_common())
                    + f" ({kinds['updates'] / sum(sizes):.2f} updates an event)")
        cancelled = sum(batch["cancelled"] for batch in batches)
        lines.append(f"    the rest (planning)    {(elapsed - in_requests) * 1000:37.0f} ms "
                     "(the time in requests is wall-clock: concurrent reads counted once)")
        cancelled_by = sum((batch["cancelled_by"] for batch in batches), collections.Counter())
        lines.append(f"  transactions cancelled     {cancelled} (planned again without what "
                     "existed)" + (": " + ", ".join(f"{count} {why}" for why, count in
                                                    cancelled_by.most_common())
                                   if cancelled_by else ""))
        return lines


def raw_update_rate(dynamodb: DynamoDBClient, seconds: float) -> float:
    table = dynamodb.table_name("Analytics")
    calls = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        dynamodb.client.update_item(
            TableName=table, Key={"pk": {"S": "BENCH#raw"}, "sk": {"S": "VIEWS"}},
            UpdateExpression="ADD view_count :one", ExpressionAttributeValues={":one": {"N": "1"}})
        calls += 1
    return calls / (time.perf_counter() - started)


def counted_views(dynamodb: DynamoDBClient, restaurants: list[str]) -> int:
    keys = [{"pk": {"S": f"RESTAURANT#{rid}"}, "sk": {"S": "VIEWS"}} for rid in restaurants]
    total = 0
    for start in range(0, len(keys), 100):
        # only the count: a cheap read, since it is asked ten times a second meanwhile
        response = dynamodb.client.batch_get_item(RequestItems={
            dynamodb.table_name("Analytics"): {"Keys": keys[start:start + 100],
                                               "ProjectionExpression": "view_count"}})
        for item in response["Responses"][dynamodb.table_name("Analytics")]:
            total += int(item.get("view_count", {"N": "0"})["N"])
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--restaurants", type=int, default=50)
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--duplicates", action="store_true",
                        help="publish every event twice (counts must not change)")
    parser.add_argument("--raw-seconds", type=float, default=3.0)
    parser.add_argument("--batch", type=int, default=500,
                        help="envelopes a message holds, as the gateway sends them "
                             "(its EVENT_BUFFER_BATCH)")
    parser.add_argument("--one-per-message", action="store_true",
                        help="one envelope a message, as before views were batched")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()

    exit_on_sigterm()
    endpoint, moto = start_moto()
    try:
        vhost = Vhost(amqp_uri())
    except BaseException:
        stop(moto)
        raise
    prefix = f"bench{uuid.uuid4().hex[:6]}-"
    dynamodb_settings = {"endpoint_url": endpoint, "region": "us-east-1", "table_prefix": prefix}
    dynamodb = DynamoDBClient.from_config(dynamodb_settings)
    container = None
    try:
        from services.analytics.storage.tables import TABLES

        ensure_tables(dynamodb, TABLES)
        raw = raw_update_rate(dynamodb, args.raw_seconds)

        defaults = analytics_config.load()
        config = {"AMQP_URI": vhost.uri, "serializer": "json", "max_workers": 10,
                  "DYNAMODB": dynamodb_settings, "SERVICE_NAME": "analytics",
                  "LEADERBOARD_REFRESH_INTERVAL": 3600,
                  **{key: defaults[key] for key in BATCHING}}
        container = ServiceContainer(AnalyticsService, config)
        meter = BatchMeter()
        container.start()
        meter.watch(container)

        restaurants = [str(uuid.uuid4()) for _ in range(args.restaurants)]
        viewers = [str(uuid.uuid4()) for _ in range(args.viewers)]
        envelopes = [make_envelope(RESTAURANT_VIEWED, {
            "restaurant_id": random.choice(restaurants), "user_id": random.choice(viewers),
            "device_type": random.choice(DEVICES), "user_agent": "bench",
        }) for _ in range(args.events)]
        exchange = get_event_exchange("gateway", {})
        copies = 2 if args.duplicates else 1
        sent = [envelope for envelope in envelopes for _ in range(copies)]
        # framed as the gateway's buffered dispatcher frames them (restaurant_viewed is a
        # batched event type: a message holds an array of up to EVENT_BUFFER_BATCH), or
        # one envelope a message with --one-per-message
        size = 1 if args.one_per_message else args.batch
        # CPU of this process (publisher, service, client) and of the moto server it started
        cpu = {"this process": time.process_time}
        if moto is not None:
            cpu["DynamoDB server"] = lambda: cpu_seconds(moto.pid)
        cpu_before = {name: used() for name, used in cpu.items()}
        started = time.perf_counter()
        with Connection(vhost.uri) as connection:
            producer = Producer(connection.channel(), exchange=exchange, serializer="json")
            for first in range(0, len(sent), size):
                chunk = sent[first:first + size]
                for _, routing_key, body in (
                        messages_of([(exchange, envelope) for envelope in chunk])
                        if size > 1 else [(exchange, chunk[0]["event_type"], chunk[0])]):
                    producer.publish(body, routing_key=routing_key, delivery_mode=2)
        published = time.perf_counter() - started
        deadline = started + args.timeout
        while (counted := counted_views(dynamodb, restaurants)) < args.events:
            if time.perf_counter() > deadline:
                print(f"timed out: {counted} of {args.events} views counted", file=sys.stderr)
                return 1
            eventlet.sleep(0.1)
        elapsed = time.perf_counter() - started
        cpu_used = {name: used() - cpu_before[name] for name, used in cpu.items()}
        eventlet.sleep(1.0 if args.duplicates else 0.2)  # late duplicates would show now
        final = counted_views(dynamodb, restaurants)
        end_to_end = args.events / elapsed
        print(f"analytics ingestion benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
        print(f"  DynamoDB endpoint          {endpoint}")
        print(f"  events                     {args.events} over {args.restaurants} restaurants,"
              f" {args.viewers} viewers" + (", each delivered twice" if args.duplicates else ""))
        print(f"  published in               {published:.2f} s, "
              + ("one envelope a message" if args.one_per_message
                 else f"up to {args.batch} envelopes a message (as the gateway sends them)"))
        print(f"  raw single UpdateItem      {raw:10.1f} requests/s (one request per event)")
        print(f"  end to end (batched)       {end_to_end:10.1f} events/s ({elapsed:.2f} s)")
        print(f"  ratio                      {end_to_end / raw:10.1f} x")
        # what the naive consumer would do: each of a view's items written on its own
        writes = len(view_writes(envelopes[0]))
        print(f"  vs one request per write   {end_to_end / (raw / writes):10.1f} x "
              f"(a view is {writes} writes: {raw / writes:.1f} events/s that way)")
        print("  where a batch's time goes (the service's own DynamoDB client):")
        for line in meter.report(config):
            print(line)
        print("  CPU while ingesting        " + ", ".join(
            f"{name} {used:.1f} s ({used / elapsed:.0%})" for name, used in cpu_used.items())
            + f", in {elapsed:.1f} s")
        exact = final == args.events
        print(f"  counts exact               {'yes' if exact else 'NO'} "
              f"({final} views counted for {args.events} events)")
        return 0 if exact else 1
    finally:
        if container is not None:
            container.stop()
        vhost.delete()
        stop(moto)


if __name__ == "__main__":
    sys.exit(main())
