"""The rankings service: its dependencies, and its entrypoints grouped by area."""

from __future__ import annotations

from nameko.dependency_providers import Config

from services.rankings.entrypoints.catalog_facts import CatalogFactHandlers
from services.rankings.entrypoints.favorites import FavoritesEntrypoints
from services.rankings.entrypoints.follows import FollowsEntrypoints
from services.rankings.entrypoints.rankings import RankingsEntrypoints
from services.rankings.entrypoints.reviews import ReviewsEntrypoints
from services.rankings.entrypoints.rewards import RewardsEntrypoints
from services.rankings.entrypoints.users import UsersEntrypoints
from services.rankings.storage import RankingsStore
from shared.context import CorrelationId
from shared.db import Database
from shared.health import Health
from shared.housekeeping import Housekeeping
from shared.metrics import Metrics
from shared.outbox import OutboxRelay


class RankingsService(Health, UsersEntrypoints, RankingsEntrypoints, ReviewsEntrypoints,
                      FollowsEntrypoints, FavoritesEntrypoints, RewardsEntrypoints,
                      CatalogFactHandlers):
    name = "rankings"

    store = Database(RankingsStore)
    relay = OutboxRelay()  # publishes what store.emit wrote, once committed
    housekeeping = Housekeeping()  # old idempotency keys, claims, outbox rows
    correlation = CorrelationId()
    metrics = Metrics()  # Prometheus metrics on METRICS_PORT (shared.metrics)
    config = Config()
    health_of = ("store",)
