"""The analytics service: views, traffic, trending, popularity, leaderboards (SPEC §5);
its dependencies, and its entrypoints grouped by area."""

from __future__ import annotations

from nameko.dependency_providers import Config

from services.analytics.entrypoints.activity import ActivityEntrypoints
from services.analytics.entrypoints.views import ViewsEntrypoints
from services.analytics.storage.tables import TABLES
from shared.context import CorrelationId
from shared.dynamodb import DynamoDB
from shared.health import Health
from shared.metrics import Metrics


class AnalyticsService(Health, ViewsEntrypoints, ActivityEntrypoints):
    name = "analytics"

    dynamodb = DynamoDB(tables=TABLES)  # creates the missing tables at start
    correlation = CorrelationId()
    metrics = Metrics()  # Prometheus metrics on METRICS_PORT (shared.metrics)
    config = Config()
    health_of = ("dynamodb",)
