"""The browser suite: the whole system as scripts/run starts it, a restaurant owner's world
made through the API, and headless Chromium on the dashboard page (page.py)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests

from tests.system import run_system

from .page import CHROMEDRIVER, CHROMIUM, DashboardPage, chromium_installed

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@bellyfed.local", "dashboard-admin-secret-1"
PASSWORD = "dashboard-secret-1"
# for what travels through events (views, reviews, rankings, trending), to analytics, which
# scripts/run runs at a lower priority: on a busy machine it lags
DEADLINE = 120.0


@pytest.fixture(scope="module")
def module_amqp_uri(request, vhost_pipeline):
    """A vhost for the module's one system (nameko's rabbit_config is per test)."""
    from urllib.parse import urlparse

    parts = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        yield f"{parts.scheme}://{parts.netloc}/{vhost}"


@pytest.fixture(scope="module")
def system(module_amqp_uri, tmp_path_factory):
    """scripts/run on its own databases and ports, for every test of the module."""
    if not chromium_installed():
        pytest.fail(f"no Chromium at {CHROMIUM} (or chromedriver at {CHROMEDRIVER}): "
                    "scripts/test installs Debian's chromium and chromium-driver")
    with run_system(module_amqp_uri, tmp_path_factory.mktemp("system"), name="browser",
                    DEMO_ADMIN_PASSWORD=ADMIN_PASSWORD) as running:
        yield running


@dataclass
class Account:
    email: str
    id: str
    headers: dict  # Authorization: Bearer <access token>


@dataclass
class World:
    """What the tests look at: an owner with two restaurants in a city of its own, a plain
    user with one there too, reviewers and viewers of the owner's first restaurant."""

    base: str
    city: str
    owner: Account | None = None
    plain: Account | None = None
    admin: Account | None = None
    restaurants: dict[str, dict] = field(default_factory=dict)  # name -> restaurant
    dishes: dict[str, dict] = field(default_factory=dict)  # name -> dish

    def call(self, method: str, path: str, account: Account | None = None, body=None,
             expected: int | None = 200):
        response = requests.request(method, f"{self.base}{path}", json=body, timeout=15,
                                    headers=account.headers if account else {})
        if expected is not None:
            assert response.status_code == expected, (method, path, response.text)
        return response.json() if response.content else None

    def account(self, name: str) -> Account:
        email = f"{name}@example.com"
        registered = self.call("POST", "/auth/register", body={
            "email": email, "username": name, "password": PASSWORD}, expected=201)
        return Account(email, registered["id"], self.signed_in(email, PASSWORD))

    def signed_in(self, email: str, password: str) -> dict:
        tokens = self.call("POST", "/auth/login", body={"email": email, "password": password})
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    def restaurant(self, owner: Account, name: str) -> dict:
        made = self.call("POST", "/restaurants", owner, {
            "name": name, "city": self.city, "address": "1 Jalan Ujian",
            "country": "Malaysia", "cuisine_type": ["Malay"]}, expected=201)
        self.restaurants[name] = made
        return made

    def dish(self, owner: Account, restaurant: dict, name: str, dish_type: str) -> dict:
        made = self.call("POST", f"/restaurants/{restaurant['id']}/dishes", owner, {
            "name": name, "dish_type": dish_type, "price": "12.50"}, expected=201)
        self.dishes[name] = made
        return made

    def analytics(self, restaurant: dict, period: str, account: Account | None = None) -> dict:
        return self.call("GET", f"/restaurants/{restaurant['id']}/analytics?period={period}",
                         account or self.owner)


def eventually(check, what: str):
    """Until `check()` answers something true, or (True, what it saw), as events take their
    time; the last thing it saw is in the failure."""
    deadline, last = time.monotonic() + DEADLINE, None
    while time.monotonic() < deadline:
        last = check()
        if (last[0] if isinstance(last, tuple) else last):
            return last
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {DEADLINE}s (last: {last})")


@pytest.fixture(scope="module")
def world(system) -> World:
    """Everything made through the API as clients make it, then waited for until analytics
    and rankings have counted it all (the page must show settled figures)."""
    world = World(system.base, city=f"Ujian {uuid.uuid4().hex[:8]}")
    world.owner = world.account("demo_owner")
    world.plain = world.account("plain_user")
    world.admin = Account(ADMIN_EMAIL, "", world.signed_in(ADMIN_EMAIL, ADMIN_PASSWORD))
    warung = world.restaurant(world.owner, "Warung Papan Pemuka")
    world.restaurant(world.owner, "Kedai Kedua")
    plains = world.restaurant(world.plain, "Kopitiam Biasa")
    special = world.dish(world.owner, warung, "Nasi Lemak Istimewa", "nasi lemak")
    ordinary = world.dish(world.owner, warung, "Nasi Lemak Biasa", "nasi lemak")
    laksa = world.dish(world.owner, warung, "Laksa Penang", "laksa")
    world.dish(world.owner, warung, "Teh Tarik", "drink")
    theirs = world.dish(world.plain, plains, "Nasi Lemak Kopitiam", "nasi lemak")
    # rankings hears of restaurants and dishes through the catalog's events
    for restaurant in world.restaurants.values():
        eventually(lambda r=restaurant: requests.get(
            f"{world.base}/restaurants/{r['id']}/reviews", timeout=5).status_code == 200,
            f"rankings knows {restaurant['name']}")
    for dish in world.dishes.values():
        eventually(lambda d=dish: requests.get(
            f"{world.base}/dishes/{d['id']}/rankings", timeout=5).status_code == 200,
            f"rankings knows {dish['name']}")

    reviewers = [world.account(f"reviewer_{n}") for n in range(1, 5)]
    for reviewer, rating in zip(reviewers, (5, 4, 4, 2), strict=True):
        world.call("POST", f"/restaurants/{warung['id']}/reviews", reviewer,
                   {"rating": rating, "content": "Sedap"}, expected=201)
    for reviewer in reviewers[:3]:
        world.call("PUT", "/rankings/my/nasi lemak", reviewer,
                   {"dish_id": special["id"], "rank": 1})
    world.call("PUT", "/rankings/my/nasi lemak", reviewers[3],
               {"dish_id": ordinary["id"], "rank": 1})
    world.call("PUT", "/rankings/my/laksa", reviewers[0], {"dish_id": laksa["id"], "rank": 1})
    world.call("PUT", "/rankings/my/nasi lemak", world.plain,
               {"dish_id": theirs["id"], "rank": 1})

    # six views of the Warung: three signed-in viewers (one twice), two anonymous views
    views = [(reviewers[0], "mobile"), (reviewers[0], "mobile"), (reviewers[1], "desktop"),
             (reviewers[2], "tablet"), (None, "desktop"), (None, "desktop")]
    for viewer, device in views:
        world.call("POST", f"/restaurants/{warung['id']}/analytics", viewer,
                   {"device_type": device}, expected=202)

    def settled():
        dashboard = world.analytics(warung, "week")
        counted = (dashboard["view_data"] or {}).get("view_count") == len(views)
        reviewed = (dashboard["review_analytics"] or {}).get("total_reviews") == 4
        return counted and reviewed and dashboard

    eventually(settled, "the Warung's views and reviews counted")
    ranked = {special["id"], ordinary["id"], laksa["id"], theirs["id"]}

    def trending():
        items = world.call("GET", f"/trending/dishes?city={world.city}&limit=10")["items"]
        return (ranked <= {item["dish_id"] for item in items}, items)

    eventually(trending, "the ranked dishes trending in the city")
    eventually(lambda: best_counted(world, special["id"], 3),
               "the city's best nasi lemak counted")
    return world


def best_counted(world: World, dish_id: str, count: int) -> bool:
    best = world.call("GET", f"/rankings/best?dish_type=nasi%20lemak&city={world.city}")
    return any(item["dish_id"] == dish_id and item["ranking_count"] == count
               for item in best["items"])


@pytest.fixture
def open_page(world, tmp_path):
    """open_page(phone=False) -> a DashboardPage in a fresh browser, closed after the test."""
    pages = []

    def make(phone: bool = False) -> DashboardPage:
        page = DashboardPage(world.base, tmp_path, phone=phone)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()
