"""The authorization matrix: every route the gateway serves × every method × {anonymous,
user A, user B, the restaurant's owner, an admin}, over real HTTP with every service behind.

The routes come from the gateway's own route table, so a route added without a row here
fails `test_every_route_has_a_row`. A row says, per caller, the status expected; calls that
use something up (a delete, a first review) get a fresh object per caller from `setup`.

The objects: the owner's restaurant with two dishes; user A's review of it, A's order
from it and A's ranked dish. User B is a stranger to all of them; the admin is a stranger
with the admin role.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from services.gateway.http import Route
from services.gateway.service import GatewayService
from services.gateway.tests.support import as_admin_user, as_user, assert_no_leak

ROLES = ("anonymous", "user_a", "user_b", "owner", "admin")
DEADLINE = 10.0
_unique = itertools.count()


def served_routes() -> set[tuple[str, str]]:
    """(method, url) of every route GatewayService serves: its route table."""
    return {(ext.method, ext.url) for ext in route_entrypoints()}


def route_entrypoints() -> list[Route]:
    """Every route entrypoint of GatewayService, its mixins' included."""
    return [ext for name in dir(GatewayService)
            for ext in getattr(getattr(GatewayService, name), "nameko_entrypoints", ())
            if isinstance(ext, Route)]


@dataclass
class World:
    """The objects the calls are about, and how to make fresh ones."""

    web: object
    users: dict[str, str] = field(default_factory=dict)  # role -> user id
    headers: dict[str, dict] = field(default_factory=dict)  # role -> request headers
    restaurant: dict | None = None
    dish: dict | None = None
    other_dish: dict | None = None
    review: dict | None = None
    order: dict | None = None

    def call(self, role: str, method: str, url: str, body=None, **kwargs):
        return self.web.request(method, url, json=body, headers=self.headers[role], **kwargs)

    def made(self, role: str, method: str, url: str, body=None, status: int = 201) -> dict:
        response = self.call(role, method, url, body)
        assert response.status_code == status, (method, url, response.text)
        return response.json()

    # fresh objects, for calls that use one up
    def new_restaurant(self) -> dict:
        return self.made("owner", "POST", "/restaurants",
                         {"name": f"Kedai {next(_unique)}", "city": "Ipoh",
                          "cuisine_type": ["Malay"]})

    def new_dish(self, restaurant: dict | None = None) -> dict:
        restaurant = restaurant or self.restaurant
        return self.made("owner", "POST", f"/restaurants/{restaurant['id']}/dishes",
                         {"name": f"Nasi {next(_unique)}", "dish_type": "nasi lemak",
                          "price": "12.50"})

    def new_review(self, role: str = "user_a") -> dict:
        restaurant = self.known_restaurant(self.new_restaurant())
        return self.made(role, "POST", f"/restaurants/{restaurant['id']}/reviews",
                         {"rating": 4, "content": "Sedap"})

    def new_order(self) -> dict:
        return self.made("user_a", "POST", "/orders", {
            "restaurant_id": self.restaurant["id"],
            "items": [{"dish_id": self.dish["id"], "quantity": 2}]})

    def known_restaurant(self, restaurant: dict) -> dict:
        """Wait until rankings has heard of the restaurant (through catalog's events)."""
        url = f"/restaurants/{restaurant['id']}/reviews"
        eventually(lambda: self.web.get(url).status_code == 200)
        return restaurant

    def known_dish(self, dish: dict) -> dict:
        eventually(lambda: self.web.get(f"/dishes/{dish['id']}/rankings").status_code == 200)
        return dish

    def ranked(self, role: str, dish: dict) -> None:
        self.made(role, "PUT", "/rankings/my/nasi lemak", {"dish_id": dish["id"], "rank": 1},
                  status=200)


def eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@dataclass(frozen=True)
class Row:
    """One route and method: the request each caller makes, and the status each gets."""

    expected: dict[str, int]  # role -> status
    # (world, role) -> (url, body); setup may make fresh objects
    request: Callable[[World, str], tuple[str, object]]


def row(anonymous, user_a, user_b, owner, admin, request) -> Row:
    return Row(dict(zip(ROLES, (anonymous, user_a, user_b, owner, admin), strict=True)),
               request)


def fixed(url: str | Callable[[World], str], body=None):
    """Every caller makes the same request."""
    return lambda world, role: (url(world) if callable(url) else url, body)


R = lambda world: f"/restaurants/{world.restaurant['id']}"  # noqa: E731
D = lambda world: f"/dishes/{world.dish['id']}"  # noqa: E731
A = lambda world: f"/users/{world.users['user_a']}"  # noqa: E731
REV = lambda world: f"/reviews/{world.review['id']}"  # noqa: E731
ORD = lambda world: f"/orders/{world.order['id']}"  # noqa: E731
EVERYONE = (200,) * 5


def registration(world, role):
    name = f"newcomer{next(_unique)}"
    return "/auth/register", {"email": f"{name}@example.com", "username": name,
                              "password": "a-long-password-1"}


def fresh_refresh_token(url: str):
    """A refresh token of user A's own, fresh for every caller (the route needs no more)."""
    def request(world, role):
        signed_in = world.made("anonymous", "POST", "/auth/login", {
            "email": "user_a@example.com", "password": "user_a-secret-1"}, status=200)
        return url, {"refresh_token": signed_in["refresh_token"]}
    return request


def own_password(world, role):
    password = f"{role}-secret-1"
    return "/users/me/password", {"current_password": password, "new_password": password}


def fresh_restaurant_url(world, role):
    return f"/restaurants/{world.new_restaurant()['id']}", None


def fresh_dish_url(world, role):
    return f"/dishes/{world.new_dish()['id']}", None


def fresh_review_url(world, role):
    return f"/reviews/{world.new_review()['id']}", None


def first_review(world, role):
    restaurant = world.known_restaurant(world.new_restaurant())
    return f"/restaurants/{restaurant['id']}/reviews", {"rating": 5, "content": "Best"}


def unranking(world, role):
    dish = world.other_dish
    if role != "anonymous":
        world.ranked(role, dish)
    return f"/rankings/my/nasi lemak/{dish['id']}", None


def unliking(world, role):
    if role != "anonymous":  # liked already (409) when the like row ran first
        liked = world.call(role, "POST", f"/reviews/{world.review['id']}/like")
        assert liked.status_code in (200, 409), liked.text
    return f"/reviews/{world.review['id']}/like", None


def cancelling(world, role):
    return f"/orders/{world.new_order()['id']}/status", {"status": "CANCELLED"}


MATRIX: dict[tuple[str, str], Row] = {
    # operations
    ("GET", "/health"): row(*EVERYONE, fixed("/health")),
    ("GET", "/ready"): row(*EVERYONE, fixed("/ready")),
    ("GET", "/openapi.json"): row(*EVERYONE, fixed("/openapi.json")),
    ("GET", "/metrics"): row(*EVERYONE, fixed("/metrics")),  # with METRICS_ROUTE (world)
    # the dashboard page and its files: anyone (the page signs in through the API)
    ("GET", "/dashboard"): row(*EVERYONE, fixed("/dashboard")),
    ("GET", "/dashboard/dashboard.js"): row(*EVERYONE, fixed("/dashboard/dashboard.js")),
    ("GET", "/dashboard/dashboard.css"): row(*EVERYONE, fixed("/dashboard/dashboard.css")),
    ("GET", "/dashboard/favicon.svg"): row(*EVERYONE, fixed("/dashboard/favicon.svg")),
    ("GET", "/dashboard/chart.umd.js"): row(*EVERYONE, fixed("/dashboard/chart.umd.js")),
    # catalog: anyone reads; a signed-in user opens a restaurant and owns it
    ("GET", "/restaurants"): row(*EVERYONE, fixed("/restaurants")),
    ("GET", "/restaurants/nearby"): row(*EVERYONE,
                                        fixed("/restaurants/nearby?lat=4.5975&lng=101.0901")),
    ("GET", "/restaurants/<uuid:restaurant_id>"): row(*EVERYONE, fixed(R)),
    ("GET", "/restaurants/<uuid:restaurant_id>/menu"): row(*EVERYONE, fixed(lambda w: R(w) +
                                                                            "/menu")),
    ("GET", "/dishes/search"): row(*EVERYONE, fixed("/dishes/search?q=nasi")),
    ("GET", "/cuisines"): row(*EVERYONE, fixed("/cuisines")),
    ("POST", "/restaurants"): row(401, 201, 201, 201, 201,
                                  fixed("/restaurants", {"name": "Mine", "city": "Ipoh"})),
    ("PATCH", "/restaurants/<uuid:restaurant_id>"): row(401, 403, 403, 200, 200,
                                                        fixed(R, {"phone": "05-1234"})),
    ("DELETE", "/restaurants/<uuid:restaurant_id>"): row(401, 403, 403, 204, 204,
                                                         fresh_restaurant_url),
    ("POST", "/restaurants/<uuid:restaurant_id>/dishes"): row(
        401, 403, 403, 201, 201,
        fixed(lambda w: R(w) + "/dishes", {"name": "Teh", "dish_type": "drink",
                                           "price": "3.00"})),
    ("PATCH", "/dishes/<uuid:dish_id>"): row(401, 403, 403, 200, 200,
                                             fixed(D, {"price": "13.00"})),
    ("DELETE", "/dishes/<uuid:dish_id>"): row(401, 403, 403, 204, 204, fresh_dish_url),
    # accounts
    ("POST", "/auth/register"): row(201, 201, 201, 201, 201, registration),
    ("POST", "/auth/login"): row(*EVERYONE, fixed("/auth/login", {
        "email": "user_a@example.com", "password": "user_a-secret-1"})),
    ("POST", "/auth/refresh"): row(*EVERYONE, fresh_refresh_token("/auth/refresh")),
    ("POST", "/auth/logout"): row(*(204,) * 5, fresh_refresh_token("/auth/logout")),
    # each caller their own account's password, set to itself (their sessions end)
    ("POST", "/users/me/password"): row(401, 204, 204, 204, 204, own_password),
    ("GET", "/users/me"): row(401, 200, 200, 200, 200, fixed("/users/me")),
    ("PATCH", "/users/me"): row(401, 200, 200, 200, 200,
                                fixed("/users/me", {"bio": "I eat"})),
    ("GET", "/users/<uuid:user_id>"): row(*EVERYONE, fixed(A)),
    # following A: A cannot follow themselves (so has nobody to unfollow)
    ("POST", "/users/<uuid:user_id>/follow"): row(401, 422, 200, 200, 200,
                                                  fixed(lambda w: A(w) + "/follow")),
    ("DELETE", "/users/<uuid:user_id>/follow"): row(401, 404, 204, 204, 204,
                                                    fixed(lambda w: A(w) + "/follow")),
    ("GET", "/users/<uuid:user_id>/followers"): row(*EVERYONE,
                                                    fixed(lambda w: A(w) + "/followers")),
    ("GET", "/users/<uuid:user_id>/following"): row(*EVERYONE,
                                                    fixed(lambda w: A(w) + "/following")),
    ("GET", "/users/<uuid:user_id>/badges"): row(*EVERYONE, fixed(lambda w: A(w) + "/badges")),
    # A's history is private (history_public is off until A turns it on): A's alone
    ("GET", "/users/<uuid:user_id>/rankings/history"): row(
        403, 200, 403, 403, 403, fixed(lambda w: A(w) + "/rankings/history")),
    # favorites: one's own (PUT twice is one favorite; DELETE of none changes nothing)
    ("PUT", "/restaurants/<uuid:restaurant_id>/favorite"): row(
        401, 200, 200, 200, 200, fixed(lambda w: R(w) + "/favorite")),
    ("DELETE", "/restaurants/<uuid:restaurant_id>/favorite"): row(
        401, 204, 204, 204, 204, fixed(lambda w: R(w) + "/favorite")),
    ("GET", "/users/me/favorites"): row(401, 200, 200, 200, 200, fixed("/users/me/favorites")),
    # rankings: one's own lists only (no id in the path can name another's)
    ("GET", "/rankings/my"): row(401, 200, 200, 200, 200, fixed("/rankings/my")),
    ("GET", "/rankings/my/history"): row(401, 200, 200, 200, 200,
                                         fixed("/rankings/my/history?dish_type=nasi%20lemak")),
    ("GET", "/rankings/my/<string(minlength=1, maxlength=100):dish_type>"): row(
        401, 200, 200, 200, 200, fixed("/rankings/my/nasi lemak")),
    ("PUT", "/rankings/my/<string(minlength=1, maxlength=100):dish_type>"): row(
        401, 200, 200, 200, 200,
        lambda w, role: ("/rankings/my/nasi lemak", {"dish_id": w.dish["id"], "rank": 1})),
    ("DELETE", "/rankings/my/<string(minlength=1, maxlength=100):dish_type>/<uuid:dish_id>"):
        row(401, 200, 200, 200, 200, unranking),
    ("GET", "/dishes/<uuid:dish_id>/rankings"): row(*EVERYONE, fixed(lambda w: D(w) +
                                                                     "/rankings")),
    ("GET", "/rankings/best"): row(*EVERYONE,
                                   fixed("/rankings/best?dish_type=nasi%20lemak&city=Ipoh")),
    # reviews: anyone reads, the author changes (not even an admin)
    ("GET", "/restaurants/<uuid:restaurant_id>/reviews"): row(*EVERYONE,
                                                              fixed(lambda w: R(w) + "/reviews")),
    ("POST", "/restaurants/<uuid:restaurant_id>/reviews"): row(401, 201, 201, 201, 201,
                                                               first_review),
    ("PATCH", "/reviews/<uuid:review_id>"): row(401, 200, 403, 403, 403,
                                                fixed(REV, {"rating": 3, "content": "Okay"})),
    ("DELETE", "/reviews/<uuid:review_id>"): row(401, 204, 403, 403, 403, fresh_review_url),
    ("POST", "/reviews/<uuid:review_id>/like"): row(401, 200, 200, 200, 200,
                                                    fixed(lambda w: REV(w) + "/like")),
    ("DELETE", "/reviews/<uuid:review_id>/like"): row(401, 200, 200, 200, 200, unliking),
    ("GET", "/reviews/<uuid:review_id>/comments"): row(*EVERYONE,
                                                       fixed(lambda w: REV(w) + "/comments")),
    ("POST", "/reviews/<uuid:review_id>/comments"): row(
        401, 201, 201, 201, 201, fixed(lambda w: REV(w) + "/comments", {"content": "Agree"})),
    # analytics: anyone counts a view; the owner (or an admin) reads the dashboard
    ("POST", "/restaurants/<uuid:restaurant_id>/analytics"): row(
        202, 202, 202, 202, 202, fixed(lambda w: R(w) + "/analytics", {})),
    ("GET", "/restaurants/<uuid:restaurant_id>/analytics"): row(
        401, 403, 403, 200, 200, fixed(lambda w: R(w) + "/analytics")),
    ("GET", "/restaurants/<uuid:restaurant_id>/engagement"): row(
        401, 403, 403, 200, 200, fixed(lambda w: R(w) + "/engagement")),
    ("GET", "/trending/restaurants"): row(*EVERYONE, fixed("/trending/restaurants")),
    ("GET", "/trending/dishes"): row(*EVERYONE, fixed("/trending/dishes?city=Ipoh")),
    ("GET", "/experts"): row(*EVERYONE, fixed("/experts")),
    ("GET", "/leaderboards/<string(minlength=1, maxlength=100):city>"
            "/<string(minlength=1, maxlength=100):cuisine>"): row(
        *EVERYONE, fixed("/leaderboards/Ipoh/Malay")),
    ("POST", "/engagement"): row(201, 201, 201, 201, 201, lambda w, role: ("/engagement", {
        "entity_type": "restaurant", "entity_id": w.restaurant["id"],
        "engagement_type": "click"})),
    # orders: the customer, the restaurant's owner, an admin; to anyone else no such order
    ("POST", "/orders"): row(401, 201, 201, 201, 201, lambda w, role: ("/orders", {
        "restaurant_id": w.restaurant["id"], "items": [{"dish_id": w.dish["id"],
                                                        "quantity": 1}]})),
    ("GET", "/orders"): row(401, 200, 200, 200, 200, fixed("/orders")),
    # no window: the last 24 hours
    ("GET", "/orders/metrics"): row(401, 403, 403, 403, 200, fixed("/orders/metrics")),
    ("GET", "/orders/<uuid:order_id>"): row(401, 200, 404, 200, 200, fixed(ORD)),
    ("POST", "/orders/<uuid:order_id>/status"): row(401, 200, 404, 200, 200, cancelling),
    ("GET", "/orders/<uuid:order_id>/history"): row(401, 200, 404, 200, 200,
                                                    fixed(lambda w: ORD(w) + "/history")),
    # the restaurant's inbox: its owner's and admins' (A ordered there, and is no owner)
    ("GET", "/restaurants/<uuid:restaurant_id>/orders"): row(
        401, 403, 403, 200, 200, fixed(lambda w: R(w) + "/orders?status=PENDING")),
}


def test_every_route_has_a_row():
    served = served_routes()
    assert len(served) > 40
    missing = sorted(served - set(MATRIX))
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    assert not sorted(set(MATRIX) - served), "rows for routes the gateway does not serve"


def test_rows_agree_with_each_routes_declared_access():
    """A route declared for signed-in users answers 401 to anonymous callers, and one
    declared for admins 403 to everyone else signed in."""
    declared = {(ext.method, ext.url): ext.access for ext in route_entrypoints()}
    for key, access in declared.items():
        expected = MATRIX[key].expected
        assert (expected["anonymous"] == 401) == access.needs_user, key
        if access.who == "admin":
            assert [expected[r] for r in ROLES] == [401, 403, 403, 403, 200], key
        if access.who == "owner":
            assert (expected["user_a"], expected["user_b"]) == (403, 403), key


@pytest.fixture
def world(catalog, rankings_service, analytics_service, orders_service, start_gateway,
          register, web_session):
    start_gateway(WRITE_LIMIT_PER_USER=10_000, WRITE_LIMIT_PER_ADDRESS=10_000,
                  METRICS_ROUTE=True)
    world = World(web_session)
    for role in ("user_a", "user_b", "owner", "admin"):
        world.users[role] = register(role)["id"]
    world.headers = {
        "anonymous": {}, "user_a": as_user(world.users["user_a"]),
        "user_b": as_user(world.users["user_b"]), "owner": as_user(world.users["owner"]),
        "admin": as_admin_user(world.users["admin"]),
    }
    world.restaurant = world.known_restaurant(world.new_restaurant())
    world.dish = world.known_dish(world.new_dish())
    world.other_dish = world.known_dish(world.new_dish())
    world.review = world.new_review("user_a")
    world.order = world.new_order()
    world.ranked("user_a", world.dish)
    return world


def test_the_authorization_matrix(world):
    outcomes, wrong = {}, []
    for (method, url), case in MATRIX.items():
        for role in ROLES:
            path, body = case.request(world, role)
            response = world.call(role, method, path, body)
            if path != "/dashboard/chart.umd.js":  # Chart.js's own code says clearTimeout(
                assert_no_leak(response.text)
            outcomes[(method, url, role)] = response.status_code
            if response.status_code != case.expected[role]:
                wrong.append(f"{method} {path} as {role}: {response.status_code}, expected "
                             f"{case.expected[role]}: {response.text[:200]}")
    assert not wrong, "\n".join(wrong)
    assert len(outcomes) == len(MATRIX) * len(ROLES)


def test_another_users_objects_stay_theirs(world):
    """User B changing ids in paths reaches none of A's private objects, nor changes them."""
    order_before = world.call("user_a", "GET", ORD(world)).json()
    review_before = world.call("anonymous", "GET", R(world) + "/reviews").json()
    for method, path, body in [
        ("GET", ORD(world), None),
        ("GET", ORD(world) + "/history", None),
        ("POST", ORD(world) + "/status", {"status": "CANCELLED"}),
        ("PATCH", REV(world), {"rating": 1, "content": "Awful"}),
        ("DELETE", REV(world), None),
    ]:
        assert world.call("user_b", method, path, body).status_code in (403, 404), path
    assert world.call("user_a", "GET", ORD(world)).json() == order_before
    assert world.call("anonymous", "GET", R(world) + "/reviews").json() == review_before
    mine = world.call("user_b", "GET", "/orders").json()
    assert world.order["id"] not in [order["id"] for order in mine["items"]]
    # favorites and ranking histories are their own user's (A's history is not public)
    assert world.call("user_a", "PUT", R(world) + "/favorite").status_code == 200
    assert world.call("user_b", "GET", "/users/me/favorites").json()["items"] == []
    assert world.call("user_b", "GET", A(world) + "/rankings/history").status_code == 403
    assert world.call("user_b", "GET", "/rankings/my/history").json()["items"] == []
    assert uuid.UUID(world.users["user_b"])
