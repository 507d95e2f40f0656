"""The read path against the stack's ceiling, in one run (issue #14's targets).

    python bench/gateway_read.py [--duration 10] [--connections 8]

1. Finds the system on :8000 (or starts `scripts/run` and stops it after).
2. Measures a bare nameko `@http` handler (bench/bare_http.py), then each hot route with
   the same load (`wrk -t2 -cN`): one demo restaurant, its menu, a city list, a dish
   search. Prints req/s, p50, p99 and each route's ratio to the bare handler.
3. Checks that every view the load made was counted exactly once by analytics.
4. Starts a second gateway whose broker connection runs through a proxy, warms it, cuts
   the proxy (to that gateway, RabbitMQ is stopped), loads the same routes and prints the
   slowest answer; then restores the proxy and checks that the views buffered during the
   outage were counted exactly once too.
5. Prints where a request's time goes (py-spy of the gateway under load, when py-spy
   can attach).

Targets: restaurant >= 0.5x the bare handler with p99 < 25 ms; lists, menu and search
>= 0.3x; views exact; no read slower than 50 ms with the broker gone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import (  # noqa: E402 (the repository is on the path now)
    GATEWAY,
    BrokerProxy,
    Processes,
    free_port,
    profile,
    service_process,
    use_or_start_system,
    wait_for,
    wrk,
)

AMQP = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//")
TARGETS = {"restaurant": 0.5, "menu": 0.3, "city list": 0.3, "dish search": 0.3}
P99_TARGET_MS = 25.0
OUTAGE_TARGET_MS = 50.0
OUTAGE_VIEWS = 400


# --- load ----------------------------------------------------------------------------------

def exact_load(url: str, requests_count: int, threads: int = 8, pause: float = 0.0
               ) -> tuple[int, float]:
    """Exactly `requests_count` GETs of `url` from `threads` clients, each waiting `pause`
    seconds between two: (answers that were 200, slowest in ms). wrk cannot say how many
    requests it had in flight when it stopped, so exact view counts come from this load."""
    ok = 0
    slowest = 0.0
    lock = threading.Lock()
    shares = [requests_count // threads + (i < requests_count % threads)
              for i in range(threads)]

    def client(share: int) -> None:
        nonlocal ok, slowest
        with requests.Session() as session:
            for _ in range(share):
                started = time.perf_counter()
                status = session.get(url, timeout=10).status_code
                took = (time.perf_counter() - started) * 1000
                with lock:
                    ok += status == 200
                    slowest = max(slowest, took)
                if pause:
                    time.sleep(pause)

    workers = [threading.Thread(target=client, args=(share,)) for share in shares]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return ok, slowest


def view_count(entity_type: str, entity_id: str) -> int:
    from nameko.standalone.rpc import ClusterRpcProxy
    with ClusterRpcProxy({"AMQP_URI": AMQP}, timeout=10) as cluster:
        return cluster.analytics.get_entity_views(entity_type, entity_id)["view_count"]


def wait_counted(expected: dict, timeout: float = 120.0) -> dict:
    """Waits until each entity's count reaches what is expected (or stops moving)."""
    deadline = time.monotonic() + timeout
    counts = {}
    while time.monotonic() < deadline:
        counts = {entity: view_count(*entity) for entity in expected}
        if all(counts[entity] >= expected[entity] for entity in expected):
            time.sleep(2)  # and nothing more than expected arrives
            return {entity: view_count(*entity) for entity in expected}
        time.sleep(1)
    return counts


# --- where the time goes -------------------------------------------------------------------

AREAS = (  # the first that a sampled stack contains names it
    ("_flush_forever", "view events: batching and publishing (background)"),
    ("CatalogStream", "read model: the catalog's event stream (background)"),
    ("MethodProxy", "RPC to the catalog (read model misses)"),
    ("_run_worker", "the handler: worker, auth, read model, view buffer, JSON"),
    ("Logger", "access log"),
    ("handle_one_re", "HTTP: parsing, routing, writing (eventlet.wsgi, werkzeug)"),
)


# --- the run -------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (scripts/run installs it: see scripts/lib.sh)")
    processes = Processes()
    try:
        return run(args, processes)
    finally:
        processes.stop_all()


def run(args, processes: Processes) -> int:
    use_or_start_system(processes)

    listing = requests.get(f"{GATEWAY}/restaurants", params={"city": "Ipoh", "limit": 5},
                           timeout=10).json()["items"]
    first, second, third, fourth, fifth = (item["id"] for item in listing[:5])
    routes = {
        "restaurant": f"/restaurants/{first}",
        "menu": f"/restaurants/{second}/menu",
        "city list": "/restaurants?city=Ipoh",
        "dish search": f"/dishes/search?q={quote('nasi lemak')}",
    }

    bare_address = f"127.0.0.1:{free_port()}"
    bare = processes.start([sys.executable, "bench/bare_http.py", bare_address],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://{bare_address}/ping", 30, "the bare handler")
    for path in routes.values():  # warm the read model, as traffic would
        requests.get(GATEWAY + path, timeout=10)

    ceiling = wrk(f"http://{bare_address}/ping", args.duration, args.connections)
    processes.stop(bare)
    ceiling_line = (f"{'bare nameko @http handler':<34}{ceiling['rps']:>9.0f}"
                    f"{ceiling['p50']:>9.2f}{ceiling['p99']:>9.2f}{1:>8.2f}")
    failures = exact_views(GATEWAY, fourth, VIEWS_SENT)
    print(f"\nwrk -t2 -c{args.connections} -d{args.duration}s, each route in turn\n")
    print(f"{'request':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}  target")
    print(ceiling_line)
    for name, path in routes.items():
        figures = wrk(GATEWAY + path, args.duration, args.connections)
        ratio = figures["rps"] / ceiling["rps"]
        target = f">= {TARGETS[name]}x" + (f", p99 < {P99_TARGET_MS:.0f}"
                                            if name == "restaurant" else "")
        print(f"{'GET ' + name:<34}{figures['rps']:>9.0f}{figures['p50']:>9.2f}"
              f"{figures['p99']:>9.2f}{ratio:>8.2f}  {target}")
        if ratio < TARGETS[name]:
            failures.append(f"{name}: {ratio:.2f}x < {TARGETS[name]}x")
        if name == "restaurant" and figures["p99"] >= P99_TARGET_MS:
            failures.append(f"{name}: p99 {figures['p99']:.1f} ms >= {P99_TARGET_MS} ms")
        if figures["non_2xx"]:
            failures.append(f"{name}: {figures['non_2xx']} answers were not 2xx")

    gateway_pid = service_process("gateway")
    if gateway_pid:  # on another restaurant: the views counted below stay exact
        print("\nwhere the gateway's time goes under the restaurant load (py-spy):")
        for line in profile(gateway_pid, f"{GATEWAY}/restaurants/{third}", args.connections,
                            AREAS):
            print("   ", line)
    drained = wait_drained()
    print(f"\nanalytics took {drained:.0f}s more to count the load's views (its queue empty)")

    failures += outage(args, processes, routes, fifth)
    print("\n" + ("all targets met" if not failures else "targets missed:\n  "
                  + "\n  ".join(failures)))
    return 1 if failures else 0


VIEWS_SENT = 2000


def exact_views(base: str, restaurant_id: str, count: int, then=None) -> list[str]:
    """`count` reads of one restaurant (`then()` runs after them): each one counted
    once by analytics."""
    entity = ("restaurant", restaurant_id)
    requests.get(f"{base}/restaurants/{restaurant_id}", timeout=10)  # warm
    time.sleep(3)
    before = view_count(*entity)
    ok, slowest = exact_load(f"{base}/restaurants/{restaurant_id}", count)
    print(f"\n{count} reads of one restaurant from 8 clients: {ok} answered 200, the "
          f"slowest in {slowest:.1f} ms; views counted by analytics:")
    failures = [f"{count - ok} of {count} reads failed"] if ok != count else []
    if then:
        failures += then(slowest)
    return failures + check_views({entity: before + count})


VIEW_QUEUE = "batch--analytics.record_views"


def wait_drained(timeout: float = 900.0) -> float:
    """Seconds until analytics' view queue is empty (every view of the load taken)."""
    from kombu import Connection
    started = time.monotonic()
    empty_since = None
    with Connection(AMQP) as connection:
        channel = connection.channel()
        while time.monotonic() - started < timeout:
            _, ready, _ = channel.queue_declare(VIEW_QUEUE, passive=True)
            if ready:
                empty_since = None
            elif empty_since is None:
                empty_since = time.monotonic()
            elif time.monotonic() - empty_since >= 2:  # and what was being applied is done
                return empty_since - started
            time.sleep(0.5)
    raise SystemExit(f"analytics' view queue still held views after {timeout:.0f}s")


def check_views(expected: dict) -> list[str]:
    counts = wait_counted(expected)
    failures = []
    for entity, want in expected.items():
        got = counts.get(entity, 0)
        print(f"    {entity[0]} {entity[1]}: {got} counted, {want} expected"
              f"  {'ok' if got == want else 'WRONG'}")
        if got != want:
            failures.append(f"views of {entity[0]} {entity[1]}: {got} != {want}")
    return failures


def outage(args, processes: Processes, routes: dict, restaurant_id: str) -> list[str]:
    """A second gateway loses its broker: its warm reads must still answer in ms."""
    proxy = BrokerProxy(free_port())
    proxy.open()
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "GATEWAY_ADDRESS": address, "DEV_MODE": "1", "LOG_LEVEL": "WARNING",
           "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{proxy.port}//"}
    gateway = processes.start([sys.executable, "-m", "services.gateway"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://{address}"
    wait_for(f"{base}/ready", 60, "the second gateway")
    time.sleep(1)  # its read model's stream is up
    for route_path in routes.values():
        requests.get(base + route_path, timeout=10)
    fourth = restaurant_id  # read by nothing else in this run: its count is exact
    requests.get(f"{base}/restaurants/{fourth}", timeout=10)
    time.sleep(3)  # the warm-up's views are counted
    before = view_count("restaurant", fourth)
    proxy.cut()
    time.sleep(0.5)
    print("\nbroker gone for a second gateway (its connection cut), warm routes:")
    failures = []
    paced = {**routes, "restaurant": f"/restaurants/{fourth}"}
    for name, route_path in paced.items():
        ok, slowest = exact_load(base + route_path, OUTAGE_VIEWS, pause=0.01)
        print(f"    GET {name:<14} {OUTAGE_VIEWS} reads from 8 clients: {ok} answered 200, "
              f"the slowest in {slowest:5.1f} ms")
        if ok != OUTAGE_VIEWS or slowest > OUTAGE_TARGET_MS:
            failures.append(f"outage: {name}: {ok} of {OUTAGE_VIEWS} answered, the slowest "
                            f"in {slowest:.1f} ms")
    print(f"    and at full load (wrk, {max(args.duration // 2, 2)}s each):")
    for name, route_path in routes.items():
        figures = wrk(base + route_path, max(args.duration // 2, 2), args.connections)
        print(f"    GET {name:<14} {figures['rps']:>7.0f} req/s  p99 {figures['p99']:6.2f} ms"
              f"  slowest {figures['max']:6.2f} ms  non-2xx {figures['non_2xx']}")
        if figures["non_2xx"]:
            failures.append(f"outage: {name} answered {figures['non_2xx']} non-2xx")
    print("    broker back: the views buffered meanwhile are published")
    proxy.open()
    try:
        failures += check_views({("restaurant", fourth): before + OUTAGE_VIEWS})
    finally:
        processes.stop(gateway)
        proxy.cut()
    return failures


if __name__ == "__main__":
    sys.exit(main())
