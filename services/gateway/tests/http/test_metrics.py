"""GET /metrics: Prometheus text of the gateway's requests by route template, only with
METRICS_ROUTE=1 (404 otherwise); and the same figures on METRICS_PORT."""

from __future__ import annotations

import uuid

import requests
from nameko.testing.utils import find_free_port
from prometheus_client.parser import text_string_to_metric_families

REQUESTS = "bellyfed_http_requests_total"


def samples(text: str) -> dict[tuple, float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def requests_of(found: dict, route: str, status: str, method: str = "GET") -> float:
    return found.get((REQUESTS, (("method", method), ("route", route), ("status", status))), 0)


def test_metrics_count_requests_by_route_template(catalog, start_gateway, web_session):
    port = find_free_port()
    start_gateway(METRICS_ROUTE=True, METRICS_PORT=port)
    before = samples(web_session.get("/metrics").text)
    missing = [str(uuid.uuid4()) for _ in range(3)]
    for restaurant_id in missing:  # three paths, one route
        assert web_session.get(f"/restaurants/{restaurant_id}").status_code == 404
    for _ in range(2):
        assert web_session.get("/restaurants").status_code == 200
    assert web_session.get("/no/such/route").status_code == 404
    response = web_session.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    after = samples(response.text)

    def grew(route, status):
        return requests_of(after, route, status) - requests_of(before, route, status)

    assert grew("/restaurants/<uuid:restaurant_id>", "404") == 3
    assert grew("/restaurants", "200") == 2
    assert grew("unmatched", "404") == 1
    routes = {dict(labels)["route"] for name, labels in after if name == REQUESTS}
    assert not [route for route in routes if any(rid in route for rid in missing)]
    assert not [route for route in routes if "no/such" in route]
    latency = ("bellyfed_http_request_duration_seconds_count",
               (("method", "GET"), ("route", "/restaurants")))
    assert after[latency] - before.get(latency, 0) == 2
    # the same registry on the metrics port, which the ingress does not expose
    served = samples(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
    assert requests_of(served, "/restaurants", "200") >= requests_of(after, "/restaurants", "200")


def test_without_metrics_route_it_is_not_found(catalog, start_gateway, web_session):
    start_gateway()  # METRICS_ROUTE unset: off
    response = web_session.get("/metrics")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "bellyfed_" not in response.text
