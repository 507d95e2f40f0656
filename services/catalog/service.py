"""The catalog service: its dependencies, and its entrypoints grouped by area."""

from __future__ import annotations

from services.catalog.entrypoints.dishes import DishesEntrypoints
from services.catalog.entrypoints.nearby import NearbyEntrypoints
from services.catalog.entrypoints.rank_totals import RankTotalsHandlers
from services.catalog.entrypoints.restaurants import RestaurantsEntrypoints
from services.catalog.storage import CatalogStore
from shared.context import CorrelationId
from shared.db import Database
from shared.health import Health
from shared.housekeeping import Housekeeping
from shared.metrics import Metrics
from shared.outbox import OutboxRelay


class CatalogService(Health, RestaurantsEntrypoints, NearbyEntrypoints, DishesEntrypoints,
                     RankTotalsHandlers):
    name = "catalog"

    store = Database(CatalogStore)
    relay = OutboxRelay()  # publishes what store.emit wrote, once committed
    housekeeping = Housekeeping()  # old idempotency keys, claims, outbox rows
    correlation = CorrelationId()
    metrics = Metrics()  # Prometheus metrics on METRICS_PORT (shared.metrics)
    health_of = ("store",)
