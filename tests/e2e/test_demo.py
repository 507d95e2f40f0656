"""The living demo (demo/, issue #18) as a newcomer gets it: scripts/run loads it into an
empty system through the real paths, every reader shows it, and loading it again adds
nothing.

One system (scripts/run on its own databases, vhost and ports, DEMO_DATA=1), one test:
the load is the slow part, so everything is checked on the one load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

import pytest
import requests

from demo.api import Api
from demo.load import Loader
from demo.owner import BRAND, OWNER_EMAIL, RESTAURANTS
from demo.plan import PEOPLE_PASSWORD, World, make_plan
from services.orders.contract.rpc import STATUSES
from tests.system import ROOT, run_system

OWNER_PASSWORD, ADMIN_PASSWORD = "owner-secret-1", "admin-secret-1"
LOAD_TIMEOUT = 420  # scripts/run's load of the demo, on a busy machine (a minute when quiet)
SHOW_TIMEOUT = 150  # until analytics shows it all (leaderboards are rebuilt every minute)
CITY, CUISINE, DISH_TYPE = "Kuala Lumpur", "Malay", "nasi lemak"


def wait_for(what: str, check, timeout: float = SHOW_TIMEOUT):
    """`check()`'s answer once it is truthy, polled each second."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(1)
    pytest.fail(f"{what}: not within {timeout:.0f} s (last: {str(last)[:500]})")


def get(base: str, path: str, token: str | None = None, **params) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = requests.get(f"{base}{path}", params=params, headers=headers, timeout=30)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
    return answer.json()


def sign_in(base: str, email: str, password: str) -> str:
    login = requests.post(f"{base}/auth/login", json={"email": email, "password": password},
                          timeout=30)
    assert login.status_code == 200, login.text
    return login.json()["access_token"]


def demo_said(system) -> str | None:
    """What scripts/run said from the demo's start on, once it printed the credentials."""
    if system.process.poll() is not None:
        pytest.fail(f"scripts/run exited:\n{system.log.read_text()[-5000:]}")
    text = system.log.read_text(errors="replace")
    start = text.find("loading the demo")
    if start < 0 or "demo admin:" not in text[start:]:
        return None
    return text[start:]


def idle(rabbit_manager, vhost: str) -> bool:
    """Every queue of the system empty: every event applied (points, views, summaries)."""
    queues = rabbit_manager.get_queues(vhost)
    return bool(queues) and all(queue.get("messages", 0) == 0 for queue in queues
                                if not queue["name"].startswith("dlq."))


@pytest.fixture
def demo_system(rabbit_config, tmp_path):
    with run_system(rabbit_config["AMQP_URI"], tmp_path, name="demo", DEMO_DATA="1",
                    DEMO_OWNER_PASSWORD=OWNER_PASSWORD,
                    DEMO_ADMIN_PASSWORD=ADMIN_PASSWORD) as system:
        yield system


def test_scripts_run_loads_a_living_demo_once(demo_system, rabbit_config, rabbit_manager):
    base = demo_system.base
    said = wait_for("the demo's load", lambda: demo_said(demo_system), LOAD_TIMEOUT)
    assert "demo: added" in said and "demo: failed" not in said, said[-3000:]
    assert f"demo owner: {OWNER_EMAIL}, password from DEMO_OWNER_PASSWORD" in said
    assert "demo admin: admin@bellyfed.local, password from DEMO_ADMIN_PASSWORD" in said

    # the owner's restaurants, opened through the catalog routes: the owner owns them
    owner = sign_in(base, OWNER_EMAIL, OWNER_PASSWORD)
    owner_id = get(base, "/users/me", owner)["id"]
    mine = get(base, "/restaurants", q=BRAND, limit=50)["items"]
    assert sorted(item["name"] for item in mine) == sorted(spec["name"] for spec in RESTAURANTS)
    assert {item["owner_id"] for item in mine} == {owner_id}

    # the rankings: every dish type ranked somewhere, the best dishes of a city, average ranks
    loader = Loader(Api(base, 4), rabbit_config["AMQP_URI"], workers=4)
    try:
        restaurants, dishes = loader.catalog()
    finally:
        loader.pool.shutdown()
    plan = make_plan(World.of(restaurants, dishes))
    sizes = Counter((dish["dish_type"], dish["city"]) for dish in dishes)
    biggest_city = {}  # each dish type's city with the most dishes of it (as the plan's)
    for (dish_type, city), size in sorted(sizes.items()):
        if sizes[(dish_type, biggest_city.get(dish_type))] < size:
            biggest_city[dish_type] = city
    unranked = [dish_type for dish_type, city in sorted(biggest_city.items())
                if not get(base, "/rankings/best", dish_type=dish_type, city=city)["items"]]
    assert not unranked, f"no best dishes of {unranked}"
    best = get(base, "/rankings/best", dish_type=DISH_TYPE, city=CITY)["items"]
    assert len(best) >= 3 and all(item["ranking_count"] >= 1 for item in best)
    wait_for("average ranks on ranked dishes", lambda: all(
        item["average_rank"] is not None for item in get(
            base, "/dishes/search", dish_type=DISH_TYPE, city=CITY, limit=3)["items"]))

    # analytics: trending, experts, leaderboards, and the owner's dashboard
    for query in ({}, {"city": CITY}, {"period": "week"}):
        wait_for(f"trending restaurants {query}",
                 lambda query=query: get(base, "/trending/restaurants", **query)["items"])
    wait_for("trending dishes", lambda: get(base, "/trending/dishes", city=CITY)["items"])
    experts = wait_for("experts", lambda: get(base, "/experts")["items"])
    assert all(item["profile"] for item in experts)

    def leaderboard() -> dict | None:
        board = get(base, f"/leaderboards/{CITY}/{CUISINE}")
        return board if board["items"] and board["users"] else None

    board = wait_for("a leaderboard", leaderboard)
    assert all(item["restaurant"] for item in board["items"])
    flagship = next(item for item in mine if item["city"] == CITY)

    def dashboard() -> dict:
        return get(base, f"/restaurants/{flagship['id']}/analytics", owner, period="week")

    def viewed_all_week() -> dict | None:
        week = dashboard()
        return week if sum(day["views"] > 0 for day in week["traffic_data"]) >= 5 else None

    week = wait_for("the owner's views", viewed_all_week)
    assert not week["partial"], week
    assert week["view_data"]["view_count"] >= 100 and week["view_data"]["unique_viewers"] >= 10
    assert sum(count > 0 for count in week["device_data"].values()) == 3, week["device_data"]
    assert sum(count > 0 for count in week["hourly_views"].values()) >= 6, week["hourly_views"]
    assert week["review_analytics"]["total_reviews"] >= 5, week["review_analytics"]

    # orders in every status, as their customers see them
    customers = sorted({order.customer for order in plan.orders})
    statuses = Counter()
    for index in customers:
        token = sign_in(base, plan.people[index].email, PEOPLE_PASSWORD)
        statuses.update(order["status"] for order in get(base, "/orders", token,
                                                         limit=100)["items"])
    assert set(statuses) == set(STATUSES), statuses
    assert sum(statuses.values()) == len(plan.orders)

    # a second run, once every event is applied, finds every part there and adds nothing
    wait_for("every event applied", lambda: idle(rabbit_manager, rabbit_config["vhost"]))
    before = get(base, f"/users/{experts[0]['user_id']}"), dashboard()["view_data"]
    again = subprocess.run(
        [sys.executable, "-m", "demo", "load", "--base", base, "--json", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        env={**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"],
             "DEMO_OWNER_PASSWORD": OWNER_PASSWORD, "PYTHONWARNINGS": "ignore"})
    assert again.returncode == 0, again.stdout + again.stderr
    report = json.loads(again.stdout.strip().splitlines()[-1])
    assert report["added"] == {} and report["errors"] == [], report
    wait_for("every event applied", lambda: idle(rabbit_manager, rabbit_config["vhost"]))
    after = get(base, f"/users/{experts[0]['user_id']}"), dashboard()["view_data"]
    assert after == before
