"""`GET /metrics`: this gateway's Prometheus metrics (shared.metrics), when METRICS_ROUTE=1.

Off (the default), the route answers 404 like any unknown path, so a deployed gateway
does not publish its figures to the internet; Prometheus scrapes METRICS_PORT there, a
port the ingress does not expose. scripts/run turns the route on for local runs.
"""

from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from services.gateway.domain.access import ANYONE
from services.gateway.entrypoints.dashboard import serves
from services.gateway.http import SECURITY_HEADERS, route
from shared import metrics

MEDIA_TYPE = "text/plain"


class MetricsRoutes:
    @serves(MEDIA_TYPE)
    @route("GET", "/metrics", summary="Prometheus metrics of this gateway process (only "
           "with METRICS_ROUTE=1: 404 otherwise)", tag="operations", errors=(404,),
           access=ANYONE, cache="no-store")
    def prometheus_metrics(self, request):
        if not self.config.get("METRICS_ROUTE"):
            raise NotFound()
        body, content_type = metrics.exposition()
        return Response(body, status=200, headers={**SECURITY_HEADERS,
                                                   "Content-Type": content_type})
