"""Health, readiness and the OpenAPI document (routes mixed into GatewayService)."""

from __future__ import annotations

import logging

import eventlet
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY

from services.gateway.config import DOWNSTREAM
from services.gateway.domain.access import ANYONE
from services.gateway.http import json_response, route
from services.gateway.openapi import openapi_document
from services.gateway.schemas import HealthSchema, ReadySchema
from shared.errors import ServiceUnavailable
from shared.rpc import count_consumers

log = logging.getLogger(__name__)


class OperationsRoutes:
    @route("GET", "/health", summary="The gateway process is up", tag="operations",
           response=HealthSchema, access=ANYONE, cache="no-store")
    def health(self, request):
        return {"status": "ok", "service": self.name}

    @route("GET", "/ready", summary="Broker and downstream services are reachable (which "
           "ones not: for admins)", tag="operations", response=ReadySchema, errors=(503,),
           access=ANYONE, cache="no-store")
    def ready(self, request):
        checks = self.readiness.checks(self.run_ready_checks)
        is_admin = request.identity is not None and request.identity.is_admin
        if any(result != "ok" for result in checks.values()):
            raise ServiceUnavailable("not ready", {"checks": checks} if is_admin else {})
        return {"status": "ready", **({"checks": checks} if is_admin else {})}

    def run_ready_checks(self) -> dict[str, str]:
        """Every downstream service's health() at once; the broker is asked on a connection
        of its own only when one of them failed (they all went through it otherwise)."""
        timeout = self.config["READY_TIMEOUT"]
        pending = {name: eventlet.spawn(self.check_service, name, timeout) for name in DOWNSTREAM}
        services = {name: thread.wait() for name, thread in pending.items()}
        broker = ("ok" if all(result == "ok" for result in services.values())
                  else self.check_broker(timeout))
        return {"broker": broker, **services}

    def check_broker(self, timeout: float) -> str:
        try:
            with Connection(self.config[AMQP_URI_CONFIG_KEY], connect_timeout=timeout) as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout)
            return "ok"
        except Exception as exc:
            log.warning("ready: the broker is unreachable: %s: %s", type(exc).__name__, exc)
            return "unreachable"

    def check_service(self, name: str, timeout: float) -> str:
        try:
            with eventlet.Timeout(timeout):
                getattr(self, name).health()
            return "ok"
        except ServiceUnavailable:
            return "unavailable"
        except eventlet.Timeout:
            # no answer in time: gone (its queue outlives it), or there but slow
            consumers = count_consumers(self.config[AMQP_URI_CONFIG_KEY], name)
            log.warning("ready: %s did not answer health() within %ss (%s consumers)", name,
                        timeout, consumers)
            return "unhealthy" if consumers else "unavailable"
        except Exception:
            log.warning("ready: %s's health() failed", name, exc_info=True)
            return "unhealthy"

    @route("GET", "/openapi.json", summary="This API's OpenAPI 3 document", tag="operations",
           access=ANYONE)
    def openapi(self, request):
        return json_response(openapi_document(type(self)))
