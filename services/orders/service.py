"""The orders service: its dependencies, and its entrypoints grouped by area."""

from __future__ import annotations

from nameko.dependency_providers import Config

from services.orders.entrypoints.history import HistoryEntrypoints
from services.orders.entrypoints.orders import OrdersEntrypoints
from services.orders.storage.history import TABLES as HISTORY_TABLES
from services.orders.storage.orders import OrdersStore
from shared.context import CorrelationId
from shared.db import Database
from shared.dynamodb import DynamoDB
from shared.health import Health
from shared.housekeeping import Housekeeping
from shared.metrics import Metrics
from shared.outbox import OutboxRelay
from shared.rpc import RpcClient


class OrdersService(Health, OrdersEntrypoints, HistoryEntrypoints):
    name = "orders"

    store = Database(OrdersStore)
    relay = OutboxRelay()  # publishes what store.emit wrote, once committed
    housekeeping = Housekeeping()  # old idempotency keys, claims, outbox rows
    dynamodb = DynamoDB(tables=HISTORY_TABLES)  # status history and metrics
    catalog = RpcClient("catalog")
    correlation = CorrelationId()
    metrics = Metrics()  # Prometheus metrics on METRICS_PORT (shared.metrics)
    config = Config()
    health_of = ("store",)  # DynamoDB down: orders still take and move orders (SPEC §6)
