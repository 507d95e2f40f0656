"""scripts/run, the README's first command, as a newcomer runs it: real processes, real HTTP.

It runs against its own database and vhost, on spare ports, so it can run
beside a developer's own scripts/run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests
from sqlalchemy import text

from shared.postgres import make_engine
from tests.system import run_system


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def running_system(rabbit_config, tmp_path):
    with run_system(rabbit_config["AMQP_URI"], tmp_path,
                    DEMO_ADMIN_PASSWORD=ADMIN_PASSWORD) as system:
        yield system.base, system.process, system.log, system.rankings_url


# the demo admin scripts/run makes, an operator's way (SPEC §7), with this password
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@bellyfed.local", "admin-secret-1"


def logged_in(base: str, email: str, password: str) -> dict:
    """Log in through the gateway: the headers of that user's calls."""
    login = requests.post(f"{base}/auth/login", json={"email": email, "password": password},
                          timeout=5)
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def signed_in(base: str, email: str, password: str) -> dict:
    """Register through the gateway, log in, and answer the headers of that user's calls."""
    registered = requests.post(f"{base}/auth/register", json={
        "email": email, "username": email.split("@")[0], "password": password}, timeout=5)
    assert registered.status_code == 201, registered.text
    return logged_in(base, email, password)


def known_dishes(rankings_url: str) -> int:
    engine = make_engine(rankings_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM known_dishes"))
    finally:
        engine.dispose()


def test_run_serves_demo_data_and_stops_on_ctrl_c(running_system):
    base, process, log, rankings_url = running_system

    listing = requests.get(f"{base}/restaurants", params={"city": "Kuala Lumpur"}, timeout=5)
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] >= 20
    assert body["count"] == 12 and len(body["items"]) == 12
    assert {item["city"] for item in body["items"]} == {"Kuala Lumpur"}

    restaurant = requests.get(f"{base}/restaurants/{body['items'][0]['id']}", timeout=5)
    assert restaurant.status_code == 200
    menu = requests.get(f"{base}/restaurants/{body['items'][0]['id']}/menu", timeout=5)
    assert menu.status_code == 200 and menu.json()["total"] >= 1
    search = requests.get(f"{base}/dishes/search", params={"q": "nasi lemak"}, timeout=5)
    assert search.status_code == 200 and search.json()["total"] >= 10
    assert requests.get(f"{base}/restaurants", params={"limit": 51}, timeout=5).status_code == 400

    # registering the admin's address makes nobody an admin: it is taken
    taken = requests.post(f"{base}/auth/register", json={
        "email": ADMIN_EMAIL, "username": "impostor", "password": "impostor-secret"}, timeout=5)
    assert taken.status_code == 409, taken.text
    as_admin = logged_in(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    me = requests.get(f"{base}/users/me", headers=as_admin, timeout=5).json()
    assert me["role"] == "admin", me
    created = requests.post(f"{base}/restaurants", json={"name": "Warung E2E", "city": "Ipoh"},
                            headers=as_admin, timeout=5)
    assert created.status_code == 201, created.text
    found = requests.get(f"{base}/restaurants", params={"q": "Warung E2E"}, timeout=5).json()
    assert [item["id"] for item in found["items"]] == [created.json()["id"]]

    # the demo data reached rankings as catalog events, through the outbox
    deadline = time.monotonic() + 60
    while known_dishes(rankings_url) < 2000 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert known_dishes(rankings_url) >= 2000, log.read_text()[-3000:]

    # browsing moved the restaurant's analytics (gateway event -> analytics -> DynamoDB)
    viewed = body["items"][0]["id"]
    requests.get(f"{base}/restaurants/{viewed}", headers={"User-Agent": "iPhone"}, timeout=5)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        dashboard = requests.get(f"{base}/restaurants/{viewed}/analytics",
                                 params={"period": "day"},
                                 headers=as_admin, timeout=5)
        assert dashboard.status_code == 200, dashboard.text
        if dashboard.json()["view_data"]["view_count"] >= 2:
            break
        time.sleep(0.5)
    dashboard = dashboard.json()
    assert dashboard["view_data"]["view_count"] == 2 and not dashboard["partial"], dashboard
    assert dashboard["device_data"]["mobile"] == 1
    assert dashboard["restaurant"]["id"] == viewed
    trending = requests.get(f"{base}/trending/restaurants", params={"period": "day"},
                            timeout=5).json()
    assert trending["items"][0]["restaurant_id"] == viewed

    # an order of two dishes, moved to DELIVERED; its history comes back from DynamoDB
    as_customer = signed_in(base, "e2e@example.com", "e2e-secret-1")
    dishes = [dish["id"] for dish in menu.json()["items"] if dish["is_available"]][:2]
    order = requests.post(f"{base}/orders", headers={**as_customer, "Idempotency-Key": "e2e-1"},
                          json={"restaurant_id": viewed,
                                "items": [{"dish_id": dish, "quantity": 1} for dish in dishes]},
                          timeout=5)
    assert order.status_code == 201, order.text
    order_id = order.json()["id"]
    for status in ("CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED"):
        moved = requests.post(f"{base}/orders/{order_id}/status", json={"status": status},
                              headers=as_admin, timeout=5)
        assert moved.status_code == 200, moved.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        history = requests.get(f"{base}/orders/{order_id}/history", headers=as_customer,
                               timeout=5).json()["items"]
        if len(history) >= 6:
            break
        time.sleep(0.5)
    assert [entry["new_status"] for entry in history] == [
        "DELIVERED", "OUT_FOR_DELIVERY", "READY", "PREPARING", "CONFIRMED", "PENDING"]

    # Ctrl-C in a terminal signals the whole foreground process group
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"scripts/run did not stop on SIGINT:\n{log.read_text()}")
    deadline = time.monotonic() + 10
    while process_group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not process_group_alive(process.pid), "services outlived scripts/run"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/health", timeout=2)

