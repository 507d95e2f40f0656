"""`health()` over RPC, the same for every service: it answers once its stores answer.

    class CatalogService(Health, ...):
        health_of = ("store",)          # the dependencies to ping (each has .ping())

The images' health check (shared.healthcheck) and the gateway's /ready ask it.
"""

from __future__ import annotations

from shared.rpc import service_rpc


class Health:
    name: str
    health_of: tuple[str, ...] = ()

    @service_rpc
    def health(self) -> dict:
        for dependency in self.health_of:
            getattr(self, dependency).ping()
        return {"status": "ok", "service": self.name}
