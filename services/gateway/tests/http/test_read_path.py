"""The read path over real HTTP, two gateway replicas and the real catalog: the read
model's freshness (a writer reads its write at once on its replica, the other replica
within a second, a replica that lost its stream drops what it held), reads while the
broker is gone, and HTTP caching (ETag, 304, Cache-Control)."""

from __future__ import annotations

import socket
import time
import uuid
from urllib.parse import urlparse

import pytest
import requests

from bench.support import BrokerProxy
from services.gateway.tests.support import as_user, read_model_of, wait_read_model_up
from shared.events import parse_envelope

OWNER = str(uuid.uuid4())
CITY = "Kuching"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float, what: str) -> float:
    """Seconds until `predicate()` held; fails after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.02)
    pytest.fail(f"{what}: not within {timeout}s")


class Replica:
    def __init__(self, container, address: str):
        self.container = container
        self.base = f"http://{address}"
        self.session = requests.Session()
        wait_read_model_up(container)

    def get(self, path: str, **kwargs):
        return self.session.get(self.base + path, timeout=10, **kwargs)

    def send(self, method: str, path: str, body: dict):
        response = self.session.request(method, self.base + path, json=body, timeout=10,
                                         headers=as_user(OWNER))
        assert response.status_code in (200, 201), response.text
        return response.json()


@pytest.fixture
def replica(proxy, start_gateway):
    """replica(**config) -> one more gateway process-alike on its own port. (After the
    proxy, so that its gateways stop before the proxy is cut, even when a test failed
    with one cut off: a container cannot stop while its broker is away.)"""

    def start(**config) -> Replica:
        address = f"127.0.0.1:{free_port()}"
        return Replica(start_gateway(WEB_SERVER_ADDRESS=address, **config), address)

    yield start
    if proxy.process is None or proxy.process.poll() is not None:
        proxy.open()  # a test that failed with it cut: its gateways can stop now


@pytest.fixture
def proxy(rabbit_config):
    """A broker connection that can be cut, and the AMQP_URI that goes through it (a
    process of its own: left running until the containers behind it stopped)."""
    parts = urlparse(rabbit_config["AMQP_URI"])
    proxy = BrokerProxy(free_port(), (parts.hostname, parts.port or 5672))
    proxy.open()
    proxy.uri = parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:"
                                      f"{proxy.port}").geturl()
    yield proxy
    proxy.cut()  # after the replicas behind it stopped (see replica)


@pytest.fixture
def restaurant(catalog, replica):
    writer = replica()
    created = writer.send("POST", "/restaurants", {"name": "Kedai Kopi", "city": CITY})
    return writer, created


def test_a_writer_reads_its_write_at_once_and_another_replica_within_a_second(
        restaurant, replica):
    writer, created = restaurant
    other = replica()
    path = f"/restaurants/{created['id']}"
    for gateway in (writer, other):  # both hold it now
        assert gateway.get(path).json()["name"] == "Kedai Kopi"
        assert gateway.get(f"/restaurants?city={CITY}").json()["count"] == 1
        assert gateway.get(f"{path}/menu").json()["items"] == []

    writer.send("PATCH", path, {"name": "Kedai Kopi Baru"})
    dish = writer.send("POST", f"{path}/dishes", {"name": "Kopi O", "dish_type": "coffee",
                                                  "price": "2.50"})
    # the writer's replica: at once, no waiting
    assert writer.get(path).json()["name"] == "Kedai Kopi Baru"
    assert [item["id"] for item in writer.get(f"{path}/menu").json()["items"]] == [dish["id"]]
    assert writer.get(f"/restaurants?city={CITY}").json()["items"][0]["name"] == (
        "Kedai Kopi Baru")
    # the other replica: from the catalog's events, within a second
    took = wait_until(lambda: other.get(path).json()["name"] == "Kedai Kopi Baru", 1.0,
                      "the other replica shows the new name")
    assert took < 1.0
    wait_until(lambda: len(other.get(f"{path}/menu").json()["items"]) == 1, 1.0,
               "the other replica shows the new dish")
    wait_until(lambda: other.get(f"/restaurants?city={CITY}").json()["items"][0]["name"]
               == "Kedai Kopi Baru", 1.0, "the other replica's list shows the new name")

    deleted = writer.session.delete(writer.base + path, headers=as_user(OWNER), timeout=10)
    assert deleted.status_code == 204
    assert writer.get(path).status_code == 404
    wait_until(lambda: other.get(path).status_code == 404, 1.0,
               "the other replica forgets the deleted restaurant")


def test_with_the_broker_gone_reads_answer_from_memory_and_views_follow_once(
        restaurant, replica, proxy, record_events):
    writer, created = restaurant
    events = record_events("gateway")
    cut_off = replica(AMQP_URI=proxy.uri)
    path = f"/restaurants/{created['id']}"
    assert cut_off.get(path).status_code == 200
    assert cut_off.get(f"{path}/menu").status_code == 200
    events.take(2, timeout=5)

    proxy.cut()
    wait_until(lambda: not read_model_of(cut_off.container).online, 5, "the stream is lost")
    slowest = 0.0
    for _ in range(20):
        started = time.monotonic()
        assert cut_off.get(path).json()["name"] == "Kedai Kopi"
        assert cut_off.get(f"{path}/menu").status_code == 200
        slowest = max(slowest, time.monotonic() - started)
    assert slowest < 0.25  # in memory: nothing waits for the broker (the bench: < 50 ms)
    assert events.take_all(settle=0.3) == []  # buffered meanwhile

    # a change the cut-off replica cannot hear of
    writer.send("PATCH", path, {"name": "Kedai Kopi Lain"})
    proxy.open()
    # back: it drops what it held rather than serve it stale, and sends what it buffered
    wait_until(lambda: cut_off.get(path).json()["name"] == "Kedai Kopi Lain", 20,
               "the replica that lost its stream serves the change after it is back")
    assert read_model_of(cut_off.container).stats["dropped (stream up)"] >= 2
    bodies = events.take(40, timeout=15)
    views = [parse_envelope(body) for body in bodies]
    assert len({view["event_id"] for view in views}) == 40
    assert {view["event_type"] for view in views} == {"restaurant_viewed",
                                                      "restaurant_menu_viewed"}
    cut_off.container.stop()  # while its broker is there: it stops as a deployment does


# --- HTTP caching -------------------------------------------------------------------------

def test_public_reads_carry_an_etag_and_answer_304_when_it_still_matches(restaurant):
    writer, created = restaurant
    path = f"/restaurants/{created['id']}"
    # a first visit hands out a viewer id (a cookie): that answer is the visitor's own
    visit = writer.get(path)
    assert visit.headers["Cache-Control"] == "private, no-cache"
    viewer = {"X-Anonymous-Id": visit.headers["X-Anonymous-Id"]}
    first = writer.get(path, headers=viewer)  # a visitor with its viewer id
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=10"
    assert first.headers["Vary"] == "Authorization"
    again = writer.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert writer.get(path, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    for other in ('"stale"', "", "not a tag"):  # matches nothing: the answer, not an error
        assert writer.get(path, headers={"If-None-Match": other}).status_code == 200

    writer.send("PATCH", path, {"name": "Kedai Kopi Baru"})
    changed = writer.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_what_a_signed_in_caller_reads_is_private_and_writes_are_never_kept(restaurant):
    writer, created = restaurant
    path = f"/restaurants/{created['id']}"
    signed_in = writer.get(path, headers=as_user(OWNER))
    assert signed_in.headers["Cache-Control"] == "private, no-cache"
    assert writer.get(path, headers={**as_user(OWNER),
                                     "If-None-Match": signed_in.headers["ETag"]}
                      ).status_code == 304
    for answer in (writer.get("/health"), writer.get("/restaurants/" + str(uuid.uuid4())),
                   writer.session.patch(writer.base + path, json={"name": "X"},
                                        headers=as_user(OWNER), timeout=10)):
        assert answer.headers["Cache-Control"] == "no-store"
        assert "ETag" not in answer.headers
