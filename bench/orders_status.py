"""Order status benchmark: status changes per second end to end, against PostgreSQL's raw
single-row UPDATE rate on the same machine.

    python bench/orders_status.py [--orders 200] [--concurrency 10] [--raw-seconds 3]

It runs, in one go, on a throwaway database (ORDERS_DATABASE_URL's server, migrated),
a throwaway RabbitMQ vhost (AMQP_URI's broker) and a DynamoDB of its own
(DYNAMODB_ENDPOINT, or a moto server it starts itself):

1. end to end: N orders are placed (not timed), then each is moved through its five
   statuses (CONFIRMED ... DELIVERED) by change_status RPCs, `--concurrency` at a time,
   against the real OrdersService (row lock, status change row and outbox event in one
   PostgreSQL transaction; the relay publishes; the service's own consumer writes the
   DynamoDB history and metrics). Timed from the first RPC until every change is
   visible in DynamoDB;
2. raw: a loop of `UPDATE orders SET status = ... WHERE id = ...`, autocommit, one row at
   a time — what PostgreSQL alone does with the same table.

It prints both rates and their ratio, and exits non-zero if any history entry is
missing or duplicated, or the metrics are not exact.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nameko.containers import ServiceContainer
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import Vhost, exit_on_sigterm, start_moto, stop
from services.orders.service import OrdersService
from services.orders.storage import history
from shared.config import amqp_uri, database_url
from shared.dynamodb import DynamoDBClient
from shared.migrations import upgrade
from shared.postgres import ensure_database, make_engine

FLOW = ("CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED")
OWNER = str(uuid.uuid4())
PRICE = "12.50"


class BenchCatalog:
    """Stands in for the catalog: every dish asked for exists, is available, costs PRICE."""

    name = "catalog"

    @rpc
    def get_order_quote(self, restaurant_id: str, dish_ids: list[str]) -> dict:
        return {"restaurant": {"id": restaurant_id, "name": "Bench", "owner_id": OWNER},
                "dishes": [{"id": dish_id, "restaurant_id": restaurant_id, "name": "Dish",
                            "price": PRICE, "is_available": True} for dish_id in dish_ids]}


def bench_database() -> str:
    url = make_url(database_url("orders")).set(
        database=f"bellyfed_bench_orders_{uuid.uuid4().hex[:8]}")
    url = url.render_as_string(hide_password=False)
    ensure_database(url)
    upgrade("orders", url)
    return url


def drop(url: str) -> None:
    name = make_url(url).database
    admin = make_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def counted_changes(dynamodb: DynamoDBClient, since: datetime) -> int:
    """Status changes counted in the hourly metrics since `since` (seven Queries)."""
    return sum(entry["count"] for entry in history.status_metrics(
        dynamodb, since - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)))


def raw_update_rate(url: str, order_ids: list[str], seconds: float) -> float:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    update = text("UPDATE orders SET status = :status, updated_at = now() WHERE id = :id")
    calls = 0
    with engine.connect() as conn:
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            conn.execute(update, {"status": FLOW[calls % len(FLOW)],
                                  "id": order_ids[calls % len(order_ids)]})
            calls += 1
        elapsed = time.perf_counter() - started
    engine.dispose()
    return calls / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10,
                        help="status change RPCs in flight at once")
    parser.add_argument("--raw-seconds", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()

    exit_on_sigterm()
    endpoint, moto = start_moto()
    try:
        vhost = Vhost(amqp_uri())
    except BaseException:
        stop(moto)
        raise
    url = bench_database()
    dynamodb_settings = {"endpoint_url": endpoint, "region": "us-east-1",
                         "table_prefix": f"bench{uuid.uuid4().hex[:6]}-"}
    dynamodb = DynamoDBClient.from_config(dynamodb_settings)
    containers = []
    try:
        config = {"AMQP_URI": vhost.uri, "serializer": "json", "max_workers": 10,
                  "DATABASE_URL": url, "DYNAMODB": dynamodb_settings, "SERVICE_NAME": "orders",
                  "RPC_TIMEOUT": 30.0, "RECONCILE_INTERVAL": 3600,
                  "OUTBOX_POLL_INTERVAL": 0.5}
        for service in (BenchCatalog, OrdersService):
            container = ServiceContainer(service, config)
            container.start()
            containers.append(container)

        began = datetime.now(UTC)
        deadline = time.perf_counter() + args.timeout

        def in_lanes(work, items: list) -> list:
            """`work(cluster, item)` over the items, `--concurrency` lanes at once, each
            lane with its own RPC proxy (one proxy's replies are read by one green thread)."""
            lanes = [items[lane::args.concurrency] for lane in range(args.concurrency)]

            def run(lane: list) -> list:
                with ClusterRpcProxy(config, timeout=60) as cluster:
                    return [work(cluster, item) for item in lane]
            return [result for results in eventlet.GreenPool(args.concurrency).imap(run, lanes)
                    for result in results]

        def place(cluster, _) -> str:
            return cluster.orders.create_order(str(uuid.uuid4()), {
                "restaurant_id": str(uuid.uuid4()),
                "items": [{"dish_id": str(uuid.uuid4()), "quantity": 1}]})["id"]

        def move_through(cluster, order_id: str) -> None:
            for status in FLOW:
                cluster.orders.change_status(order_id, status, OWNER)

        order_ids = in_lanes(place, list(range(args.orders)))
        while counted_changes(dynamodb, began) < args.orders:
            if time.perf_counter() > deadline:
                print("timed out waiting for the placed orders' history", file=sys.stderr)
                return 1
            eventlet.sleep(0.1)

        expected = args.orders * (1 + len(FLOW))
        started = time.perf_counter()
        in_lanes(move_through, order_ids)
        committed = time.perf_counter() - started
        while (counted := counted_changes(dynamodb, began)) < expected:
            if time.perf_counter() > deadline:
                print(f"timed out: {counted} of {expected} changes in DynamoDB",
                      file=sys.stderr)
                return 1
            eventlet.sleep(0.05)
        elapsed = time.perf_counter() - started

        eventlet.sleep(0.5)  # a change logged twice would show now
        found = history.logged_versions(dynamodb, order_ids)
        complete = all(found[order_id] == set(range(1, 2 + len(FLOW))) for order_id in order_ids)
        items = sum(len(history.order_history(dynamodb, order_id)) for order_id in order_ids)
        metrics = history.status_metrics(dynamodb, began - timedelta(hours=1),
                                         datetime.now(UTC) + timedelta(hours=1))
        per_status: dict[str, int] = {}
        for entry in metrics:
            per_status[entry["status"]] = per_status.get(entry["status"], 0) + entry["count"]
        metrics_exact = per_status == {status: args.orders for status in ("PENDING", *FLOW)}
        exact = complete and items == expected and metrics_exact

        raw = raw_update_rate(url, order_ids, args.raw_seconds)
        changes = args.orders * len(FLOW)
        end_to_end = changes / elapsed
        print(f"orders status benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
        print(f"  DynamoDB endpoint            {endpoint}")
        print(f"  orders                       {args.orders}, {len(FLOW)} status changes each,"
              f" {args.concurrency} RPCs in flight")
        print(f"  committed (RPC answered)     {changes / committed:10.1f} changes/s "
              f"({committed:.2f} s)")
        print(f"  end to end (in DynamoDB)     {end_to_end:10.1f} changes/s ({elapsed:.2f} s)")
        print(f"  raw PostgreSQL UPDATE        {raw:10.1f} updates/s (one row, autocommit)")
        print(f"  ratio end to end / raw       {end_to_end / raw:10.3f} x")
        print(f"  history exact                {'yes' if exact else 'NO'} ({items} entries for "
              f"{expected} changes; metrics {'exact' if metrics_exact else per_status})")
        return 0 if exact else 1
    finally:
        for container in reversed(containers):
            container.stop()
        vhost.delete()
        drop(url)
        stop(moto)


if __name__ == "__main__":
    sys.exit(main())
