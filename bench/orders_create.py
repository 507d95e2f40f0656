"""Order creation through the gateway against the stack's ceiling for one hop, in one run
(issue #16, item 4).

    python bench/orders_create.py [--duration 10] [--connections 8]

1. Finds the system on :8000 (or starts `scripts/run` and stops it after), and starts a
   gateway of its own beside it, on the same broker, services and code, with one setting
   changed: writes per user unlimited (WRITE_LIMIT_PER_USER; at its 120 a minute one
   user's load would be refused after a few seconds).
2. Registers and signs in a user of its own through that gateway, and takes a demo
   restaurant and two of its available dishes: the fixed body of every order.
3. Measures, with `wrk -t2 -cN` each: a bare nameko `@http` handler making one do-nothing
   RPC to a service in another process (bench/bare_http.py, on a vhost of its own: the
   stack's ceiling for one hop; and, for reference, the same hop through shared.rpc),
   then `POST /orders` (a Lua script: the body, the token,
   a fresh Idempotency-Key per request). Prints req/s, p50, p99, the ratio, and the CPU
   each process spent per request.
4. Checks that every order answered 201 exists (the user's `GET /orders` total), that
   none answered 5xx, and that a sample order holds the catalog's prices.
5. Prints where one creation's time goes: one creation alone, leg by leg (HTTP through
   the gateway, the orders RPC, the catalog's quote), and py-spy of the gateway, orders
   and catalog processes under load, by area.

Targets: POST /orders >= 0.5x the bare one-RPC handler, p99 < 100 ms; every order placed
exists; no 5xx. `run(args)` runs it all from another benchmark (args: duration,
connections) and answers the exit status.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import (
    CpuMeter,
    Processes,
    Vhost,
    by_area,
    exit_on_sigterm,
    free_port,
    pids_of,
    py_spy,
    service_process,
    use_or_start_system,
    wait_for,
    wrk,
)

AMQP = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//")
RATIO_TARGET = 0.5
P99_TARGET_MS = 100.0
PASSWORD = "bench orders create password"

# Every request: the fixed body and token, and an Idempotency-Key of its own (as a client
# that may retry sends), so each one places an order. Answers are counted by class.
WRK_SCRIPT = """
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  wrk.method = "POST"
  wrk.body = os.getenv("BENCH_BODY")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  prefix = os.getenv("BENCH_KEY_PREFIX") .. "-" .. id .. "-"
  sent, s2xx, s4xx, s5xx, other = 0, 0, 0, 0, 0
end
function request()
  sent = sent + 1
  wrk.headers["Idempotency-Key"] = prefix .. sent
  return wrk.format()
end
function response(status, headers, body)
  if status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  elseif status >= 200 and status < 300 then s2xx = s2xx + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local totals = {0, 0, 0, 0}
  for _, thread in ipairs(threads) do
    totals[1] = totals[1] + thread:get("s2xx")
    totals[2] = totals[2] + thread:get("s4xx")
    totals[3] = totals[3] + thread:get("s5xx")
    totals[4] = totals[4] + thread:get("other")
  end
  io.write(string.format("answers 2xx=%d 4xx=%d 5xx=%d other=%d\\n", totals[1], totals[2],
                         totals[3], totals[4]))
end
"""

# where a sampled stack's time goes, per process: the first marker a stack contains
GATEWAY_AREAS = (
    ("_flush_forever", "view events (background)"),
    ("CatalogStream", "read model: the catalog's event stream (background)"),
    ("ReplyListener", "RPC: reading replies"),
    ("MethodProxy", "RPC: the call to orders (publish, wait)"),
    ("authorize", "auth: token, write limit"),
    ("_run_worker", "the handler: validation, JSON"),
    ("handle_one_re", "HTTP: parsing, routing, writing"),
)
ORDERS_AREAS = (
    ("OutboxRelay", "outbox relay (background)"),
    ("Relay", "outbox relay (background)"),
    ("batch_consumer", "status history consumer (background)"),
    ("ReplyListener", "RPC: reading the catalog's replies"),
    ("get_order_quote", "the quote RPC to the catalog"),
    ("answer_given", "idempotency: the peek before the quote"),
    ("claim_command", "idempotency: claiming the key"),
    ("record_command", "idempotency: storing the answer"),
    ("add_order", "the order's rows (ORM)"),
    ("emit", "the outbox row"),
    ("commit", "commit"),
    ("dump", "the answer (marshmallow)"),
    ("load", "validation (marshmallow)"),
    ("_run_worker", "the entrypoint, the rest"),
    ("handle_message", "RPC: taking the request, replying"),
)
CATALOG_AREAS = (
    ("get_order_quote", "the quote: queries and dumps"),
    ("_run_worker", "the entrypoint, the rest"),
    ("handle_message", "RPC: taking the request, replying"),
)


# --- the fixed order --------------------------------------------------------------------------

def sign_in(base: str) -> tuple[str, str]:
    """(user id, access token) of a user registered for this run."""
    name = f"bench{uuid.uuid4().hex[:10]}"
    email = f"{name}@bellyfed.local"
    registered = requests.post(f"{base}/auth/register", timeout=10, json={
        "email": email, "username": name, "password": PASSWORD})
    registered.raise_for_status()
    login = requests.post(f"{base}/auth/login", json={"email": email, "password": PASSWORD},
                          timeout=10)
    login.raise_for_status()
    return registered.json()["id"], login.json()["access_token"]


def fixed_order(base: str) -> tuple[dict, Decimal]:
    """The body every request sends (a demo restaurant, two of its available dishes) and
    the total the catalog's prices make."""
    restaurants = requests.get(f"{base}/restaurants", params={"city": "Ipoh", "limit": 5},
                               timeout=10).json()["items"]
    for restaurant in restaurants:
        menu = requests.get(f"{base}/restaurants/{restaurant['id']}/menu", timeout=10).json()
        dishes = [dish for dish in menu["items"] if dish["is_available"]][:2]
        if len(dishes) == 2:
            body = {"restaurant_id": restaurant["id"], "notes": "bench",
                    "items": [{"dish_id": dishes[0]["id"], "quantity": 2},
                              {"dish_id": dishes[1]["id"], "quantity": 1}]}
            total = Decimal(dishes[0]["price"]) * 2 + Decimal(dishes[1]["price"])
            return body, total
    raise SystemExit("no demo restaurant in Ipoh has two available dishes")


def orders_placed(base: str, token: str) -> int:
    answer = requests.get(f"{base}/orders", params={"limit": 1}, timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return answer.json()["total"]


# --- where one creation's time goes ----------------------------------------------------------

def alone(base: str, token: str, body: dict, user_id: str, calls: int = 40) -> list[str]:
    """p50 of one creation alone, leg by leg: HTTP through the gateway, the orders RPC
    the gateway makes, the catalog quote that one makes, and an RPC that does nothing."""
    from nameko.standalone.rpc import ClusterRpcProxy

    headers = {"Authorization": f"Bearer {token}"}
    dish_ids = [item["dish_id"] for item in body["items"]]

    def p50(call) -> float:
        took = []
        for _ in range(calls):
            started = time.perf_counter()
            call()
            took.append((time.perf_counter() - started) * 1000)
        return statistics.median(took)

    with requests.Session() as session, ClusterRpcProxy(
            {"AMQP_URI": AMQP, "serializer": "json"}, timeout=10) as cluster:
        http = p50(lambda: session.post(
            f"{base}/orders", json=body, timeout=10,
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex}).raise_for_status())
        rpc = p50(lambda: cluster.orders.create_order(
            user_id, body, idempotency_key=uuid.uuid4().hex))
        quote = p50(lambda: cluster.catalog.get_order_quote(body["restaurant_id"], dish_ids))
        floor = p50(lambda: cluster.catalog.health())
    return [
        f"POST /orders through the gateway       {http:6.1f} ms",
        f"  the gateway's own part               {http - rpc:6.1f} ms  (HTTP, auth, "
        "validation, its RPC client)",
        f"  orders.create_order (RPC)            {rpc:6.1f} ms",
        f"    catalog.get_order_quote (RPC)      {quote:6.1f} ms",
        f"    orders' own part                   {rpc - quote:6.1f} ms  (idempotency, "
        "transaction, outbox, answer)",
        f"  (an RPC that does nothing: health()  {floor:6.1f} ms)",
    ]


def cpu_per_request(used: dict[str, float], requests_done: int) -> str:
    parts = [f"{name} {seconds * 1000 / max(requests_done, 1):.2f}"
             for name, seconds in used.items() if seconds > 0]
    return "CPU ms per request: " + ", ".join(parts)


class Machine:
    """CPU the whole machine spent, and what wrk (this process's children) spent."""

    @staticmethod
    def busy() -> float:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0]
                  .split()[1:]]
        idle = fields[3] + fields[4]
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime


def measured(url: str, args, groups: dict[str, list[int]], script: Path | None = None
             ) -> tuple[dict, dict[str, float]]:
    """One wrk run, with the CPU each group of processes (and wrk, and anything else on
    the machine) used meanwhile."""
    meter = CpuMeter(groups)
    busy, children = Machine.busy(), Machine.children()
    meter.start()
    figures = wrk(url, args.duration, args.connections, script)
    used = meter.stop()
    used["wrk"] = Machine.children() - children
    used["everything else"] = max(Machine.busy() - busy - sum(used.values()), 0.0)
    return figures, used


# --- the run ---------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=8)
    exit_on_sigterm()
    return run(parser.parse_args())


def run(args, processes: Processes | None = None) -> int:
    """The whole benchmark; what it starts is stopped before it returns (or, given
    `processes`, left to their owner)."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (scripts/run installs it: see scripts/lib.sh)")
    own = processes is None
    processes = processes or Processes()
    vhost = None
    try:
        use_or_start_system(processes)
        vhost = Vhost(AMQP)
        with tempfile.TemporaryDirectory() as scratch:
            script = Path(scratch) / "orders_create.lua"
            script.write_text(WRK_SCRIPT)
            return measure(args, processes, vhost, script)
    finally:
        if own:
            processes.stop_all()
        if vhost is not None:
            vhost.delete()


def start_gateway(processes: Processes) -> tuple[str, int]:
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "GATEWAY_ADDRESS": address, "DEV_MODE": "1",
           "LOG_LEVEL": "WARNING", "WRITE_LIMIT_PER_USER": str(10**9), "AMQP_URI": AMQP}
    gateway = processes.start([sys.executable, "-m", "services.gateway"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://{address}"
    wait_for(f"{base}/ready", 60, "the benchmark's gateway")
    return base, gateway.pid


def measure(args, processes: Processes, vhost: Vhost, script: Path) -> int:
    orders_pid, catalog_pid = service_process("orders"), service_process("catalog")
    if not (orders_pid and catalog_pid):
        raise SystemExit("found no single orders and catalog process (python -m services.*)")
    base, gateway_pid = start_gateway(processes)
    user_id, token = sign_in(base)
    body, total = fixed_order(base)
    os.environ.update({"BENCH_BODY": json.dumps(body),
                       "BENCH_TOKEN": token, "BENCH_KEY_PREFIX": uuid.uuid4().hex[:12]})
    system = {"rabbitmq": pids_of("rabbitmq"), "postgres": pids_of("postgres")}

    # one order first: it answers 201 with the catalog's prices (and warms every path)
    first = requests.post(f"{base}/orders", json=body, timeout=10, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
    failures = []
    if first.status_code != 201 or Decimal(first.json()["total"]) != total:
        failures.append(f"a sample order answered {first.status_code}: {first.text[:200]}")

    bare_address = f"127.0.0.1:{free_port()}"
    echo = processes.start([sys.executable, "bench/bare_http.py", "echo", vhost.uri],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bare = processes.start([sys.executable, "bench/bare_http.py", bare_address, vhost.uri],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://{bare_address}/rpc", 30, "the bare one-RPC handler")
    wait_for(f"http://{bare_address}/rpc/shared", 30, "the bare one-RPC handler")
    bare_cpu = {"http": [bare.pid], "rpc service": [echo.pid], **system}
    ceiling, ceiling_cpu = measured(f"http://{bare_address}/rpc", args, bare_cpu)
    shared_hop, shared_cpu = measured(f"http://{bare_address}/rpc/shared", args, bare_cpu)
    processes.stop(bare)
    processes.stop(echo)

    before = orders_placed(base, token)
    created, created_cpu = measured(f"{base}/orders", args, {
        "gateway": [gateway_pid], "orders": [orders_pid], "catalog": [catalog_pid],
        **system}, script)
    time.sleep(1)  # what was in flight when wrk stopped has committed
    placed = orders_placed(base, token) - before
    answers = dict(part.split("=") for part in
                   created["output"].split("answers ", 1)[1].split()[:4])
    answers = {status: int(count) for status, count in answers.items()}

    ratio = created["rps"] / ceiling["rps"]
    print(f"\nwrk -t2 -c{args.connections} -d{args.duration}s\n")
    print(f"{'request':<40}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}  target")
    print(f"{'GET bare @http handler, one RPC':<40}{ceiling['rps']:>8.0f}"
          f"{ceiling['p50']:>9.2f}{ceiling['p99']:>9.2f}{1:>8.2f}  the ceiling")
    print(f"{'  the same hop through shared.rpc':<40}{shared_hop['rps']:>8.0f}"
          f"{shared_hop['p50']:>9.2f}{shared_hop['p99']:>9.2f}"
          f"{shared_hop['rps'] / ceiling['rps']:>8.2f}  (for reference)")
    print(f"{'POST /orders (gateway, orders, catalog)':<40}{created['rps']:>8.0f}"
          f"{created['p50']:>9.2f}{created['p99']:>9.2f}{ratio:>8.2f}  "
          f">= {RATIO_TARGET}x, p99 < {P99_TARGET_MS:.0f} ms")
    print(f"\n  bare:   {cpu_per_request(ceiling_cpu, ceiling['requests'])}")
    print(f"  shared: {cpu_per_request(shared_cpu, shared_hop['requests'])}")
    print(f"  orders: {cpu_per_request(created_cpu, created['requests'])}")
    print(f"\n  answers: {answers['2xx']} 201, {answers['4xx']} 4xx, {answers['5xx']} 5xx, "
          f"{created['socket_errors']} socket errors; orders placed meanwhile: {placed}")

    if ratio < RATIO_TARGET:
        failures.append(f"POST /orders: {ratio:.2f}x < {RATIO_TARGET}x the ceiling")
    if created["p99"] >= P99_TARGET_MS:
        failures.append(f"POST /orders: p99 {created['p99']:.1f} ms >= {P99_TARGET_MS} ms")
    if answers["5xx"] or answers["4xx"] or answers["other"] or created["socket_errors"]:
        failures.append(f"POST /orders: not every answer was 201 ({answers}, "
                        f"{created['socket_errors']} socket errors)")
    # wrk does not wait for the requests in flight when it stops: those may commit unseen
    if not answers["2xx"] <= placed <= answers["2xx"] + args.connections:
        failures.append(f"{answers['2xx']} orders answered 201 but {placed} were placed")

    print("\none creation alone (p50 of 40 each):")
    for line in alone(base, token, body, user_id):
        print("   ", line)
    print("\nwhere the time goes under load (py-spy, 5 s of the same load):")
    load = subprocess.Popen(["wrk", "-t2", f"-c{args.connections}", "-d8s", "-s", str(script),
                             f"{base}/orders"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(1)
        samples = py_spy({"gateway": gateway_pid, "orders": orders_pid,
                          "catalog": catalog_pid})
    finally:
        load.wait()
    for name, areas in (("gateway", GATEWAY_AREAS), ("orders", ORDERS_AREAS),
                        ("catalog", CATALOG_AREAS)):
        print(f"  {name}:")
        for line in by_area(samples[name], areas):
            print("     ", line)

    print("\n" + ("all targets met" if not failures else "targets missed:\n  "
                  + "\n  ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
