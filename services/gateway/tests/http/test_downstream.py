"""When the catalog is missing, gone or slow: 503/504 within seconds, never a hang (SPEC §7)."""

from __future__ import annotations

import time
import uuid

import eventlet
import requests
from nameko.rpc import rpc

from services.gateway.tests.support import (
    READY_TIMEOUT,
    as_admin_user,
    as_user,
    assert_error,
    wait_read_model_up,
)

RPC_TIMEOUT = 1.0
SLACK = 2.0  # what "within a few seconds" allows beyond the RPC timeout


class SlowCatalog:
    """Answers as the catalog, but only after the gateway has given up."""

    name = "catalog"

    @rpc
    def list_restaurants(self, **query):
        eventlet.sleep(RPC_TIMEOUT * 4)
        return {"items": [], "count": 0, "total": 0, "total_is_estimate": False,
                "next_offset": None,
                "next_cursor": None}

    @rpc
    def health(self):
        eventlet.sleep(RPC_TIMEOUT * 4)
        return {"status": "ok", "service": self.name}

    @rpc
    def get_restaurant(self, restaurant_id):
        return {"id": restaurant_id, "name": "Fast Enough"}


class BrokenCatalog:
    """Fails the way a bug does: an unexpected exception full of internals."""

    name = "catalog"

    @rpc
    def get_restaurant(self, restaurant_id):
        raise RuntimeError('psycopg2 error in "SELECT * FROM restaurants WHERE id = %s" '
                           'Traceback (most recent call last): File "storage.py"')

    @rpc
    def list_restaurants(self, **query):
        return {"unexpected": "shape"}


def timed(web_session, method, path, **kwargs):
    started = time.monotonic()
    response = web_session.request(method, path, timeout=RPC_TIMEOUT + SLACK + 5, **kwargs)
    return response, time.monotonic() - started


def reads_and_writes(admin_headers):
    rid, did = uuid.uuid4(), uuid.uuid4()
    return [
        ("GET", "/restaurants", {}),
        ("GET", f"/restaurants/{rid}", {}),
        ("GET", f"/restaurants/{rid}/menu", {}),
        ("GET", "/dishes/search", {"params": {"q": "laksa"}}),
        ("POST", "/restaurants", {"json": {"name": "x", "city": "y"},
                                  "headers": admin_headers}),
        ("PATCH", f"/restaurants/{rid}", {"json": {"name": "x"}, "headers": admin_headers}),
        ("DELETE", f"/restaurants/{rid}", {"headers": admin_headers}),
        ("POST", f"/restaurants/{rid}/dishes", {"json": {}, "headers": admin_headers}),
        ("PATCH", f"/dishes/{did}", {"json": {}, "headers": admin_headers}),
        ("DELETE", f"/dishes/{did}", {"headers": admin_headers}),
    ]


def test_catalog_never_started_is_503_quickly(start_gateway, web_session, admin_headers,
                                              record_events):
    events = record_events("gateway")
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    for method, path, kwargs in reads_and_writes(admin_headers):
        response, elapsed = timed(web_session, method, path, **kwargs)
        details = assert_error(response, 503, "service_unavailable")
        assert details == {"service": "catalog"}, (method, path, details)
        assert elapsed < RPC_TIMEOUT + SLACK, (method, path, elapsed)
    assert events.take_all() == []


def test_catalog_stopped_is_503(catalog, start_gateway, web_session):
    wait_read_model_up(start_gateway(RPC_TIMEOUT=RPC_TIMEOUT))
    assert web_session.get("/restaurants").status_code == 200
    catalog.stop()
    # what the read model holds is still served (the catalog's events keep it current)
    assert web_session.get("/restaurants").status_code == 200

    response, elapsed = timed(web_session, "GET", "/restaurants?city=Ipoh")
    details = assert_error(response, 503, "service_unavailable")
    # its queue outlives it, so the gateway waits out the timeout, then counts consumers
    assert details == {"service": "catalog", "method": "list_restaurants",
                       "timeout_seconds": RPC_TIMEOUT}
    assert RPC_TIMEOUT <= elapsed < RPC_TIMEOUT + SLACK


def test_catalog_slow_is_504(container_factory, service_config, start_gateway, web_session,
                             record_events):
    events = record_events("gateway")
    container_factory(SlowCatalog, service_config).start()
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)

    response, elapsed = timed(web_session, "GET", "/restaurants")
    details = assert_error(response, 504, "service_timeout")
    assert details == {"service": "catalog", "method": "list_restaurants",
                       "timeout_seconds": RPC_TIMEOUT}
    assert RPC_TIMEOUT <= elapsed < RPC_TIMEOUT + SLACK
    assert events.take_all() == []  # nothing was listed

    # one slow method does not hold up the others
    response, elapsed = timed(web_session, "GET", f"/restaurants/{uuid.uuid4()}")
    assert response.status_code == 200
    assert elapsed < RPC_TIMEOUT


def test_concurrent_requests_to_a_slow_catalog_all_time_out(container_factory, service_config,
                                                            start_gateway, web_config_port):
    container_factory(SlowCatalog, service_config).start()
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    url = f"http://127.0.0.1:{web_config_port}/restaurants"
    started = time.monotonic()
    pool = eventlet.GreenPool()
    responses = list(pool.imap(lambda _: requests.get(url, timeout=10), range(5)))
    elapsed = time.monotonic() - started
    for response in responses:
        assert_error(response, 504, "service_timeout")
    assert elapsed < RPC_TIMEOUT + SLACK


def test_unexpected_downstream_error_is_a_bare_500(container_factory, service_config,
                                                   start_gateway, web_session):
    container_factory(BrokenCatalog, service_config).start()
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    for path in (f"/restaurants/{uuid.uuid4()}", "/restaurants"):
        response = web_session.get(path)
        details = assert_error(response, 500, "internal_error")
        assert response.json()["error"]["message"] == "internal error"
        assert details == {}
        assert response.headers["X-Request-ID"]


# --- /ready and /health ----------------------------------------------------------------------
# which checks failed is for operators (an admin's token); anyone else sees ready or not

def operator() -> dict:
    """An admin's headers, its token made now (tokens live 15 minutes; a suite longer)."""
    return as_admin_user(str(uuid.uuid4()))


def test_ready_with_everything_up(catalog, rankings_service, analytics_service, orders_service,
                                  start_gateway, web_session):
    start_gateway()
    response, elapsed = timed(web_session, "GET", "/ready", headers=operator())
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {
        "broker": "ok", "catalog": "ok", "rankings": "ok", "analytics": "ok", "orders": "ok"}}
    assert elapsed < READY_TIMEOUT


def test_ready_with_nothing_started(start_gateway, web_session):
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    response, elapsed = timed(web_session, "GET", "/ready", headers=operator())
    details = assert_error(response, 503, "service_unavailable")
    assert details == {"checks": {"broker": "ok", "catalog": "unavailable",
                                  "rankings": "unavailable", "analytics": "unavailable",
                                  "orders": "unavailable"}}
    assert elapsed < READY_TIMEOUT + SLACK


def test_ready_with_one_service_missing(catalog, start_gateway, web_session):
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    response = web_session.get("/ready", headers=operator())
    details = assert_error(response, 503, "service_unavailable")
    assert details == {"checks": {"broker": "ok", "catalog": "ok", "rankings": "unavailable",
                                  "analytics": "unavailable", "orders": "unavailable"}}


def test_ready_with_catalog_stopped(catalog, rankings_service, analytics_service,
                                    orders_service, start_gateway, web_session):
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    assert web_session.get("/ready", headers=operator()).status_code == 200
    catalog.kill()  # as good as stop() here (its queue stays), and 2 s faster
    response, elapsed = timed(web_session, "GET", "/ready", headers=operator())
    details = assert_error(response, 503, "service_unavailable")
    # gone, not slow: nobody consumes its queue (READY_TIMEOUT and RPC_TIMEOUT are equal
    # here, so which of the two gave up first must not change the verdict)
    assert details == {"checks": {"broker": "ok", "catalog": "unavailable", "rankings": "ok",
                                  "analytics": "ok", "orders": "ok"}}
    assert elapsed < READY_TIMEOUT + SLACK


def test_ready_with_catalog_slow(container_factory, service_config, rankings_service,
                                 start_gateway, web_session):
    """READY_TIMEOUT (1 s) bounds the check even when the RPC timeout is longer (2 s)."""
    container_factory(SlowCatalog, service_config).start()
    start_gateway(RPC_TIMEOUT=2.0)
    response, elapsed = timed(web_session, "GET", "/ready", headers=operator())
    details = assert_error(response, 503, "service_unavailable")
    assert details == {"checks": {"broker": "ok", "catalog": "unhealthy", "rankings": "ok",
                                  "analytics": "unavailable", "orders": "unavailable"}}
    assert READY_TIMEOUT <= elapsed < 2.0


def test_ready_says_what_failed_to_operators_only(catalog, start_gateway, web_session):
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    for headers in ({}, as_user(str(uuid.uuid4()))):
        response = web_session.get("/ready", headers=headers)
        assert assert_error(response, 503, "service_unavailable") == {}
        assert "rankings" not in response.text and "broker" not in response.text
    details = assert_error(web_session.get("/ready", headers=operator()), 503,
                           "service_unavailable")
    assert details["checks"]["catalog"] == "ok"
    assert details["checks"]["rankings"] == "unavailable"


def test_ready_everyone_sees_is_ready_or_not(catalog, rankings_service, analytics_service,
                                             orders_service, start_gateway, web_session):
    start_gateway()
    assert web_session.get("/ready").json() == {"status": "ready"}


class CountingCatalog:
    name = "catalog"
    calls = []

    @rpc
    def health(self):
        CountingCatalog.calls.append(time.monotonic())
        eventlet.sleep(0.3)
        return {"status": "ok", "service": "catalog"}


def test_a_flood_of_ready_runs_one_check_at_a_time(container_factory, service_config,
                                                   start_gateway, web_session, web_config_port):
    """Twenty /ready at once, and more within READY_CACHE_SECONDS, cost the catalog one
    health() RPC, not twenty."""
    CountingCatalog.calls = []
    container_factory(CountingCatalog, service_config).start()
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT, READY_CACHE_SECONDS=5.0)
    pool = eventlet.GreenPool(20)
    statuses = list(pool.imap(lambda _: requests.get(
        f"http://127.0.0.1:{web_config_port}/ready", timeout=10).status_code, range(20)))
    assert statuses == [503] * 20  # rankings and the others are not running
    assert web_session.get("/ready").status_code == 503  # from the cache
    assert len(CountingCatalog.calls) == 1


def test_health_is_up_whatever_the_catalog_does(catalog, start_gateway, web_session):
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    for _ in range(2):
        response, elapsed = timed(web_session, "GET", "/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "service": "gateway"}
        assert elapsed < 0.5
        catalog.kill()
