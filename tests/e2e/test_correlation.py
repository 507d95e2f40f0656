"""One request, one correlation id: HTTP → gateway → RPC → catalog → catalog's event and logs."""

from __future__ import annotations

import json
import logging
import uuid

import requests

from services.catalog.service import CatalogService
from services.gateway.service import GatewayService
from services.gateway.tests.support import JWT_SECRET, as_user
from shared.log import JsonFormatter


def test_request_id_travels_through_rpc_into_events_and_logs(
    container_factory, catalog_config, service_config, web_config, web_config_port,
    record_events,
):
    catalog_events = record_events("catalog")
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(JsonFormatter("test").format(record))

    handler = Capture(level=logging.WARNING)
    logging.getLogger("nameko.containers").addHandler(handler)
    logging.getLogger("nameko.containers").setLevel(logging.WARNING)
    try:
        container_factory(CatalogService, catalog_config).start()
        container_factory(GatewayService, {**service_config, **web_config,
                                           "JWT_SECRET": JWT_SECRET,
                                           "READY_TIMEOUT": 1.0}).start()
        response = requests.post(
            f"http://127.0.0.1:{web_config_port}/restaurants",
            json={"name": "Kopitiam Trace", "city": "Ipoh"},
            headers={**as_user(str(uuid.uuid4())), "X-Request-ID": "trace-me-123"}, timeout=5,
        )
        assert response.status_code == 201, response.text
        assert response.headers["X-Request-ID"] == "trace-me-123"
        [event] = catalog_events.take(1)
        assert event["event_type"] == "restaurant_created"
        assert event["correlation_id"] == "trace-me-123"

        # an RPC that fails downstream is logged there under the same id
        missing = requests.get(
            f"http://127.0.0.1:{web_config_port}/restaurants/00000000-0000-0000-0000-000000000000",
            headers={"X-Request-ID": "trace-404"}, timeout=5,
        )
        assert missing.status_code == 404
    finally:
        logging.getLogger("nameko.containers").removeHandler(handler)
    logged = [json.loads(line) for line in lines]
    assert any(
        entry["correlation_id"] == "trace-404" and "catalog.get_restaurant" in entry["message"]
        for entry in logged
    ), logged
