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

It prints both rates and their ratio, and checks the counts are exact (with --duplicates
every event is published twice and must still be counted once).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from kombu import Connection, Producer
from nameko.containers import ServiceContainer
from nameko.events import get_event_exchange

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import Vhost, exit_on_sigterm, start_moto, stop
from services.analytics.domain.views import view_writes
from services.analytics.service import AnalyticsService
from services.gateway.contract.events import RESTAURANT_VIEWED
from shared.config import amqp_uri
from shared.dynamodb import DynamoDBClient, ensure_tables
from shared.event_buffer import messages_of
from shared.events import make_envelope

DEVICES = ("mobile", "tablet", "desktop")


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
        response = dynamodb.client.batch_get_item(RequestItems={
            dynamodb.table_name("Analytics"): {"Keys": keys[start:start + 100]}})
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

        config = {"AMQP_URI": vhost.uri, "serializer": "json", "max_workers": 10,
                  "DYNAMODB": dynamodb_settings, "SERVICE_NAME": "analytics",
                  "LEADERBOARD_REFRESH_INTERVAL": 3600}
        container = ServiceContainer(AnalyticsService, config)
        container.start()

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
