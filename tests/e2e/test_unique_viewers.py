"""Unique viewers end to end (SPEC §5, issue #17): HTTP → gateway → restaurant_viewed →
analytics → the restaurant's dashboard. Made-up, altered or foreign viewer ids are views
with no viewer; an id the gateway issued is one viewer however often it comes back."""

from __future__ import annotations

import secrets
import time
import uuid

import eventlet
import requests

from services.catalog.service import CatalogService
from services.gateway.domain.viewers import ViewerIds
from services.gateway.service import GatewayService
from services.gateway.tests.support import JWT_SECRET, VIEWER_ID_SECRET, as_admin_user

DEADLINE = 15.0  # views travel through the broker, in batches: poll, never sleep
ADMIN_ID = str(uuid.uuid4())  # its token is made when the test runs (a 15-minute TTL)


def tampered(signed_id: str) -> str:
    return signed_id[:-1] + ("A" if signed_id[-1] != "A" else "B")


def test_made_up_ids_add_views_and_no_viewers_and_an_issued_id_counts_once(
        container_factory, catalog_config, analytics_service, service_config, web_config,
        web_config_port):
    container_factory(CatalogService, catalog_config).start()
    container_factory(GatewayService, {**service_config, **web_config, "JWT_SECRET": JWT_SECRET,
                                       "VIEWER_ID_SECRET": VIEWER_ID_SECRET,
                                       "READY_TIMEOUT": 1.0}).start()
    base = f"http://127.0.0.1:{web_config_port}"
    admin = as_admin_user(ADMIN_ID)
    created = requests.post(f"{base}/restaurants", json={"name": "Warung Unik", "city": "Ipoh"},
                            headers=admin, timeout=5)
    assert created.status_code == 201, created.text
    page = f"{base}/restaurants/{created.json()['id']}"

    def read(headers: dict | None = None) -> requests.Response:
        response = requests.get(page, headers=headers or {}, timeout=5)
        assert response.status_code == 200, response.text
        return response

    def counted(view_count: int) -> dict:
        """The dashboard's view_data once it has counted `view_count` views."""
        stop, last = time.monotonic() + DEADLINE, None
        while time.monotonic() < stop:
            response = requests.get(f"{page}/analytics", headers=admin, timeout=5)
            assert response.status_code == 200, response.text
            last = response.json()["view_data"]
            if last and last["view_count"] >= view_count:
                return last
            eventlet.sleep(0.1)
        raise AssertionError(f"not {view_count} views within {DEADLINE}s: {last}")

    # 50 reads, 50 ids the client made up: 50 views, no viewer
    other_gateway = ViewerIds("the-key-of-another-gateway-" + "0123456789abcdef" * 2)
    made_up = [*(f"visitor-{n}" for n in range(30)),
               *(f"{secrets.token_urlsafe(16)}.{secrets.token_urlsafe(16)}" for _ in range(10)),
               *(other_gateway.issue() for _ in range(10))]
    for presented in made_up:
        read({"X-Anonymous-Id": presented})
    assert counted(50) == {"view_count": 50, "unique_viewers": 0}

    # an id the gateway hands out (with a view of no viewer) is one viewer, sent back in
    # the header, the cookie or a reported view's body, however often
    signed_id = read().headers["X-Anonymous-Id"]
    for _ in range(5):
        read({"X-Anonymous-Id": signed_id})
        read({"Cookie": f"bellyfed_viewer={signed_id}"})
    for _ in range(2):
        reported = requests.post(f"{page}/analytics", json={"anonymous_id": signed_id},
                                 timeout=5)
        assert reported.status_code == 202, reported.text
    assert counted(63) == {"view_count": 63, "unique_viewers": 1}

    # the same id with its signature altered: views again, no viewer; each of those
    # answers hands out a new id, which counts from its first use on
    handed_out = [read({"X-Anonymous-Id": tampered(signed_id)}).headers["X-Anonymous-Id"]
                  for _ in range(5)]
    assert len(set(handed_out)) == 5 and signed_id not in handed_out
    assert counted(68) == {"view_count": 68, "unique_viewers": 1}
    read({"X-Anonymous-Id": handed_out[0]})
    read({"X-Anonymous-Id": handed_out[0]})
    assert counted(70) == {"view_count": 70, "unique_viewers": 2}
