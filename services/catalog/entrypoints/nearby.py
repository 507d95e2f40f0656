"""The catalog's geo entrypoint (mixed into CatalogService): restaurants nearest a point."""

from __future__ import annotations

from services.catalog.contract.rpc import NearbyQuery
from services.catalog.domain import catalog
from shared.rpc import service_rpc
from shared.schemas import load


class NearbyEntrypoints:
    @service_rpc
    def nearby_restaurants(self, **query) -> dict:
        return catalog.nearby_restaurants(self.store, load(NearbyQuery, query))
