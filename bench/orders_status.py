"""Order status benchmark: status changes per second end to end, against PostgreSQL's raw
single-row UPDATE rate on the same machine.

    python bench/orders_status.py [--orders 200] [--concurrency 10] [--raw-seconds 3]

It runs, in one go, on a throwaway database (ORDERS_DATABASE_URL's server, migrated),
a throwaway RabbitMQ vhost (AMQP_URI's broker) and a DynamoDB of its own
(DYNAMODB_ENDPOINT, or a moto server it starts itself):

0. the ceiling: a nameko RPC that does nothing, called as often and as concurrently as the
   status changes below, against a service in this process like OrdersService;
1. end to end: N orders are placed (not timed), then each is moved through its five
   statuses (CONFIRMED ... DELIVERED) by change_status RPCs, `--concurrency` at a time,
   against the real OrdersService (row lock, status change row and outbox event in one
   PostgreSQL transaction; the relay publishes; the service's own consumer writes the
   DynamoDB history and metrics). Timed from the first RPC until every change is
   visible in DynamoDB;
2. raw: a loop of `UPDATE orders SET status = ... WHERE id = ...`, autocommit, one row at
   a time — what PostgreSQL alone does with the same table.

It prints the rates, their ratios against the targets (answered >= 0.5x the ceiling and
>= 0.25x raw; in DynamoDB >= 0.9x answered), where one change's time goes (RPC round
trip, the transaction, outbox relay latency, history batches and their DynamoDB
requests), and exits non-zero if any history entry is missing or duplicated, or the
metrics are not exact.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import statistics
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
from services.orders.domain import orders as order_domain
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


class Echo:
    """The ceiling: an RPC that does nothing."""

    name = "bench_echo"

    @rpc
    def nothing(self) -> None:
        return None


class Stopwatch:
    """Times the calls of a module's function (replaced while the benchmark runs)."""

    def __init__(self, module, name: str):
        self.module, self.name = module, name
        self.original = getattr(module, name)
        self.seconds: list[float] = []
        self.sizes: list[int] = []

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds.append(time.perf_counter() - started)
                if name == "write_history":
                    self.sizes.append(len(args[1]))
        setattr(module, name, timed)

    def restore(self) -> None:
        setattr(self.module, self.name, self.original)

    def clear(self) -> None:
        self.seconds.clear()
        self.sizes.clear()


def ms(values: list[float], share: float = 0.5) -> float:
    """The `share` quantile of `values` (seconds), in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def relay_latency(url: str, since: datetime) -> tuple[float, float]:
    """p50 and p99 (ms) from a status change's transaction start to its event published."""
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) FROM ("
            "SELECT extract(epoch FROM published_at - created_at) * 1000 AS lag FROM outbox "
            "WHERE event_type = 'order_status_changed' AND created_at >= :since) lags"),
            {"since": since}).one()
    engine.dispose()
    return float(row[0] or 0), float(row[1] or 0)


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
        for service in (Echo, BenchCatalog, OrdersService):
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

        round_trips: list[float] = []

        def move_through(cluster, order_id: str) -> None:
            for status in FLOW:
                sent = time.perf_counter()
                cluster.orders.change_status(order_id, status, OWNER)
                round_trips.append(time.perf_counter() - sent)

        def nothing(cluster, _) -> None:
            cluster.bench_echo.nothing()

        changes = args.orders * len(FLOW)
        in_lanes(nothing, list(range(200)))  # warm
        started = time.perf_counter()
        in_lanes(nothing, list(range(changes)))
        ceiling = changes / (time.perf_counter() - started)

        order_ids = in_lanes(place, list(range(args.orders)))
        while counted_changes(dynamodb, began) < args.orders:
            if time.perf_counter() > deadline:
                print("timed out waiting for the placed orders' history", file=sys.stderr)
                return 1
            eventlet.sleep(0.1)

        expected = args.orders * (1 + len(FLOW))
        transactions = Stopwatch(order_domain, "change_status")
        batches = Stopwatch(history, "write_history")
        requests: dict[str, int] = {}
        orders_container = containers[-1]
        for provider in orders_container.dependencies:
            if provider.attr_name == "dynamodb":
                provider.dynamodb.client.meta.events.register(
                    "before-call.dynamodb", lambda model, **_: requests.__setitem__(
                        model.name, requests.get(model.name, 0) + 1))
        batches.clear()
        moves_began = datetime.now(UTC)
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

        transactions.restore()
        batches.restore()
        relay_p50, relay_p99 = relay_latency(url, moves_began)
        raw = raw_update_rate(url, order_ids, args.raw_seconds)
        answered = changes / committed
        end_to_end = changes / elapsed
        targets = {"answered >= 0.5x the RPC ceiling": answered >= 0.5 * ceiling,
                   "answered >= 0.25x raw PostgreSQL": answered >= 0.25 * raw,
                   "in DynamoDB >= 0.9x answered": end_to_end >= 0.9 * answered}
        sizes = batches.sizes
        print(f"orders status benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
        print(f"  DynamoDB endpoint            {endpoint}")
        print(f"  orders                       {args.orders}, {len(FLOW)} status changes each,"
              f" {args.concurrency} RPCs in flight")
        print(f"  do-nothing RPC (ceiling)     {ceiling:10.1f} calls/s")
        print(f"  committed (RPC answered)     {answered:10.1f} changes/s "
              f"({committed:.2f} s)  {answered / ceiling:6.3f} x ceiling")
        print(f"  end to end (in DynamoDB)     {end_to_end:10.1f} changes/s ({elapsed:.2f} s)"
              f"  {end_to_end / answered:6.3f} x answered")
        print(f"  raw PostgreSQL UPDATE        {raw:10.1f} updates/s (one row, autocommit)"
              f"  answered {answered / raw:.3f} x raw")
        print("  where one change's time goes")
        print(f"    RPC round trip             p50 {ms(round_trips):7.1f} ms   p99 "
              f"{ms(round_trips, 0.99):7.1f} ms")
        print(f"    the transaction (domain)   p50 {ms(transactions.seconds):7.1f} ms   p99 "
              f"{ms(transactions.seconds, 0.99):7.1f} ms")
        print(f"    outbox relay latency       p50 {relay_p50:7.1f} ms   p99 {relay_p99:7.1f} ms"
              "   (transaction start to published)")
        print(f"    history batches            {len(sizes)} of "
              f"{statistics.mean(sizes) if sizes else 0:.1f} events on average (max "
              f"{max(sizes, default=0)}), p50 {ms(batches.seconds):.1f} ms each")
        print(f"    DynamoDB requests          {sum(requests.values())} for {changes} changes "
              f"({', '.join(f'{name} {count}' for name, count in sorted(requests.items()))})")
        print(f"  history exact                {'yes' if exact else 'NO'} ({items} entries for "
              f"{expected} changes; metrics {'exact' if metrics_exact else per_status})")
        for target, met in targets.items():
            print(f"  target {target:34} {'met' if met else 'NOT MET'}")
        return 0 if exact else 1
    finally:
        for container in reversed(containers):
            container.stop()
        vhost.delete()
        drop(url)
        stop(moto)


if __name__ == "__main__":
    sys.exit(main())
