"""Bellyfed's smoke load test: a realistic mix of what people do, against a running system.

    scripts/loadtest [--users 30] [--spawn-rate 10] [--run-time 60s] [--host URL]

(or `locust -f loadtest/locustfile.py` for locust's web UI). Three kinds of people:

- **browsers** (most of them, anonymous): lists by city, a restaurant, its menu, dish
  search, trending;
- **diners** (signed in): rank dishes, review restaurants, read their rankings, order
  food with an Idempotency-Key, and now and then cancel an order;
- **owners** (signed in): open a restaurant with a menu (any user may: they become its
  owner), then move the orders diners place there through their statuses.

It fails (exit 1) on any 5xx or connection error, on more than LOADTEST_MAX_FAIL_RATIO
(1%) of requests failing otherwise (a 4xx the mix does not expect, a 429), or when any
route's p95 but signing in is above LOADTEST_MAX_P95_MS (1000 ms): the smoke gate a
deployment would use. The figures
locust prints at the end, and a line per check, say why.
"""

from __future__ import annotations

import collections
import itertools
import os
import random
import time
import uuid

from locust import HttpUser, between, events, task

MAX_FAIL_RATIO = float(os.environ.get("LOADTEST_MAX_FAIL_RATIO", "0.01"))
MAX_P95_MS = float(os.environ.get("LOADTEST_MAX_P95_MS", "1000"))
FLOW = ("CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED")
PASSWORD = "loadtest-secret-1"
RUN = uuid.uuid4().hex[:8]  # this run's accounts and restaurants
SEARCH_TERMS = ("nasi lemak", "laksa", "satay", "roti", "curry", "noodles", "rice")


class Catalog:
    """What the seeded catalog holds, read once at the start: cities, restaurants, their
    dishes (id, type)."""

    cities: list[str] = []
    restaurants: list[str] = []
    dishes: list[tuple[str, str, str]] = []  # (restaurant_id, dish_id, dish_type)
    rankable: list[tuple[str, str, str]] = []  # those rankings knows already
    # the owners' restaurants and their dishes, and the orders placed there, to be moved
    open_restaurants: list[tuple[str, list[str]]] = []
    orders_to_move: dict[str, collections.deque] = collections.defaultdict(collections.deque)
    serial = itertools.count()


@events.test_start.add_listener
def read_the_catalog(environment, **kwargs):
    import requests

    base = environment.host.rstrip("/")
    restaurants, offset = [], 0
    while offset is not None and len(restaurants) < 200:
        page = requests.get(f"{base}/restaurants", params={"limit": 50, "offset": offset},
                            timeout=30).json()
        restaurants += page["items"]
        offset = page.get("next_offset")
    Catalog.restaurants = [item["id"] for item in restaurants]
    Catalog.cities = sorted({item["city"] for item in restaurants})
    for restaurant_id in random.Random(7).sample(Catalog.restaurants,
                                                 min(30, len(Catalog.restaurants))):
        menu = requests.get(f"{base}/restaurants/{restaurant_id}/menu", params={"limit": 20},
                            timeout=30).json()
        Catalog.dishes += [(restaurant_id, dish["id"], dish["dish_type"])
                           for dish in menu["items"] if dish.get("is_available", True)]
    if not Catalog.restaurants or not Catalog.dishes:
        raise RuntimeError(f"{base} has no catalog to browse: start it with scripts/run")
    # rankings learns the catalog's dishes from its events: on a system just started, rank
    # only dishes it knows already (one it does not know yet is a 404 to rank)
    deadline = time.monotonic() + 60
    known = []
    for entry in random.Random(11).sample(Catalog.dishes, min(40, len(Catalog.dishes))):
        while requests.get(f"{base}/dishes/{entry[1]}/rankings", timeout=30).status_code == 404:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        else:
            known.append(entry)
    if not known:
        raise RuntimeError("rankings knows none of the catalog's dishes after 60 s")
    Catalog.rankable = known


class Account:
    """Registers and signs in a person of this run; `headers` carries the access token."""

    def sign_up(self, client, kind: str) -> dict:
        name = f"lt{RUN}{kind}{next(Catalog.serial)}"
        client.post("/auth/register", json={"email": f"{name}@loadtest.example",
                                            "username": name, "password": PASSWORD},
                    name="/auth/register")
        answer = client.post("/auth/login", json={"email": f"{name}@loadtest.example",
                                                  "password": PASSWORD},
                             name="/auth/login").json()
        return {"Authorization": f"Bearer {answer['access_token']}"}


class Browser(HttpUser):
    weight = 6
    wait_time = between(0.2, 1.0)

    @task(4)
    def a_city(self):
        self.client.get("/restaurants", params={"city": random.choice(Catalog.cities),
                                                "limit": 20}, name="/restaurants?city=")

    @task(6)
    def a_restaurant(self):
        restaurant_id = random.choice(Catalog.restaurants)
        self.client.get(f"/restaurants/{restaurant_id}", name="/restaurants/{id}")
        self.client.get(f"/restaurants/{restaurant_id}/menu", name="/restaurants/{id}/menu")

    @task(3)
    def a_search(self):
        self.client.get("/dishes/search", params={"q": random.choice(SEARCH_TERMS)},
                        name="/dishes/search?q=")

    @task(1)
    def trending(self):
        self.client.get("/trending/restaurants", params={"period": "week"},
                        name="/trending/restaurants")


class Diner(HttpUser):
    weight = 3
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.headers = Account().sign_up(self.client, "diner")
        self.ranked: dict[str, int] = collections.defaultdict(int)
        self.orders: list[str] = []

    @task(3)
    def rank_a_dish(self):
        _, dish_id, dish_type = random.choice(Catalog.rankable)
        # anywhere in the list or just below it (a dish already there moves)
        rank = random.randint(1, min(self.ranked[dish_type] + 1, 5))
        response = self.client.put(f"/rankings/my/{dish_type}",
                                   json={"dish_id": dish_id, "rank": rank},
                                   headers=self.headers, name="/rankings/my/{dish_type}")
        if response.status_code == 200:
            self.ranked[dish_type] = len(response.json()["ranked"])

    @task(2)
    def read_my_rankings(self):
        self.client.get("/rankings/my", headers=self.headers, name="/rankings/my")

    @task(1)
    def review(self):
        restaurant_id = random.choice(Catalog.restaurants)
        self.client.post(f"/restaurants/{restaurant_id}/reviews",
                         json={"rating": random.randint(2, 5),
                               "content": "Load test visit: the sambal was memorable."},
                         headers=self.headers, name="/restaurants/{id}/reviews")

    @task(3)
    def order(self):
        if Catalog.open_restaurants:
            restaurant_id, dish_ids = random.choice(Catalog.open_restaurants)
        else:  # no owner has opened yet: a seeded restaurant (nobody moves its orders)
            restaurant_id, dish_id, _ = random.choice(Catalog.dishes)
            dish_ids = [dish_id]
        items = [{"dish_id": dish_id, "quantity": random.randint(1, 3)}
                 for dish_id in random.sample(dish_ids, min(2, len(dish_ids)))]
        response = self.client.post("/orders", json={"restaurant_id": restaurant_id,
                                                     "items": items},
                                    headers={**self.headers,
                                             "Idempotency-Key": str(uuid.uuid4())},
                                    name="/orders")
        if response.status_code == 201:
            order_id = response.json()["id"]
            self.orders.append(order_id)
            Catalog.orders_to_move[restaurant_id].append(order_id)

    @task(1)
    def cancel_one(self):
        if not self.orders:
            return
        order_id = self.orders.pop(0)
        with self.client.post(f"/orders/{order_id}/status", json={"status": "CANCELLED"},
                              headers=self.headers, name="/orders/{id}/status (cancel)",
                              catch_response=True) as response:
            if response.status_code == 409:  # its owner moved it past cancelling first
                response.success()


class Owner(HttpUser):
    weight = 1
    wait_time = between(0.2, 0.6)

    def on_start(self):
        self.headers = Account().sign_up(self.client, "owner")
        city = random.choice(Catalog.cities)
        restaurant = self.client.post("/restaurants", json={
            "name": f"Load Test Kitchen {RUN} {next(Catalog.serial)}", "city": city,
            "cuisine_type": ["Malaysian"], "price_range": 2},
            headers=self.headers, name="/restaurants (open)").json()
        self.restaurant_id = restaurant["id"]
        dish_ids = []
        for dish_type in ("nasi lemak", "laksa", "teh tarik"):
            dish = self.client.post(f"/restaurants/{self.restaurant_id}/dishes", json={
                "name": f"House {dish_type}", "price": "9.50", "dish_type": dish_type},
                headers=self.headers, name="/restaurants/{id}/dishes").json()
            dish_ids.append(dish["id"])
        Catalog.open_restaurants.append((self.restaurant_id, dish_ids))
        self.moving: dict[str, int] = {}  # order -> how far along FLOW it is

    @task
    def move_orders_on(self):
        waiting = Catalog.orders_to_move[self.restaurant_id]
        if waiting and len(self.moving) < 20:
            self.moving[waiting.popleft()] = 0
        if not self.moving:
            return
        order_id = random.choice(list(self.moving))
        step = self.moving[order_id]
        with self.client.post(f"/orders/{order_id}/status", json={"status": FLOW[step]},
                              headers=self.headers, name="/orders/{id}/status",
                              catch_response=True) as response:
            if response.status_code == 409:  # the diner cancelled it meanwhile
                response.success()
                del self.moving[order_id]
                return
        if step + 1 == len(FLOW):
            del self.moving[order_id]
        else:
            self.moving[order_id] = step + 1


SERVER_ERRORS = collections.Counter()  # (status, route name) -> count: 5xx, or 0 (no answer)


@events.request.add_listener
def count_server_errors(request_type, name, response, exception, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    if status >= 500 or (exception is not None and status == 0):
        SERVER_ERRORS[(status, f"{request_type} {name}")] += 1


@events.quitting.add_listener
def gate(environment, **kwargs):
    """The smoke gate (module docstring): exit 1 if any check fails."""
    stats = environment.stats.total
    # signing in is slow on purpose (a password hash costs tens of milliseconds of CPU
    # and a client may hold only a few sign-ins at once): the p95 budget is the rest's
    served = [entry for (name, _), entry in environment.stats.entries.items()
              if not name.startswith("/auth/")]
    p95 = max((entry.get_response_time_percentile(0.95) or 0 for entry in served), default=0)
    server_errors = sum(SERVER_ERRORS.values())
    checks = {
        f"requests made: {stats.num_requests}": stats.num_requests > 0,
        f"5xx or no answer: {server_errors}": server_errors == 0,
        f"failures: {stats.fail_ratio:.2%} (at most {MAX_FAIL_RATIO:.2%})":
            stats.fail_ratio <= MAX_FAIL_RATIO,
        f"slowest route's p95 (but sign-in): {p95:.0f} ms (at most {MAX_P95_MS:.0f} ms)":
            p95 <= MAX_P95_MS,
    }
    for (status, route), count in SERVER_ERRORS.most_common():
        print(f"loadtest: {count} x {status or 'no answer'} from {route}")
    for check, passed in checks.items():
        print(f"loadtest: {'ok  ' if passed else 'FAIL'} {check}")
    # the verdict is these checks' (locust's own: 1 on any failure, even within budget)
    environment.process_exit_code = 0 if all(checks.values()) else 1
