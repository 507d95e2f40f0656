"""The orders service's status-history entrypoints (mixed into OrdersService).

One consumer listens to orders' OWN events and writes the DynamoDB history and metrics
after PostgreSQL committed the change (SPEC §6: primary first, secondary after), in
batches (shared.batch_consumer: BATCH_MAX_SIZE events or BATCH_MAX_WAIT seconds): a
burst of changes becomes a few DynamoDB transactions of up to 100 items. A DynamoDB
outage makes a batch fail with a transient error (`history.is_outage`), which the
consumer retries whole, with growing delays, for as long as it lasts, without spending
attempts: the history is late, never lost, and the order RPCs, which never touch
DynamoDB, go on (the writes pause between tries, so retries hold no workers). The method
name starts with `history_` so it never shadows another area's handler of the same
events; it also names the consumer's queue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.orders.contract.events import ORDER_CREATED, ORDER_STATUS_CHANGED
from services.orders.contract.rpc import HistoryQueryInput, MetricsRangeInput, ReconcileInput
from services.orders.domain.history import change_from_created, change_from_status_changed
from services.orders.domain.status import actor_role
from services.orders.storage import history
from shared.batch_consumer import consume_batch
from shared.dynamodb import unavailable_when_down
from shared.errors import NotFound
from shared.postgres import only_one
from shared.rpc import service_rpc
from shared.schemas import load, page
from shared.timers import every

DEFAULT_RECONCILE_WINDOW_HOURS = 24.0


def _change(event: dict):
    """An order event as the history's step."""
    if event["event_type"] == ORDER_CREATED.name:
        return change_from_created(load(ORDER_CREATED.payload(), event["payload"]))
    return change_from_status_changed(load(ORDER_STATUS_CHANGED.payload(), event["payload"]))


class HistoryEntrypoints:
    """Entrypoints only: validate, call the storage with `self.dynamodb`, return."""

    @consume_batch([ORDER_CREATED, ORDER_STATUS_CHANGED], transient=history.is_outage)
    def history_changes(self, events: list[dict]) -> None:
        history.write_history(self.dynamodb, [_change(event) for event in events])

    @service_rpc
    @unavailable_when_down
    def get_order_history(self, order_id: str, actor_id: str, is_admin: bool = False) -> dict:
        """A page (shared.schemas.page) of [{version, previous_status, new_status,
        actor_id, actor_role, changed_at, metadata {total, currency}}], most recent first:
        the whole history (a handful of changes) in one. Whoever may see the order (its
        customer, its restaurant's owner, an admin) may see its history; to anyone else the
        order does not exist."""
        query = load(HistoryQueryInput, {"order_id": order_id, "actor_id": actor_id,
                                           "is_admin": is_admin})
        order = self.store.get_order(query["order_id"])
        role = order and actor_role(query["actor_id"], query["is_admin"], order.customer_id,
                                    order.restaurant_owner_id)
        self.store.session.rollback()  # a read: hold no transaction while DynamoDB answers
        if role is None:
            raise NotFound("order not found", {"order_id": str(query["order_id"])})
        changes = history.order_history(self.dynamodb, str(query["order_id"]))
        return page(changes, len(changes), 0)

    @service_rpc
    @unavailable_when_down
    def get_status_metrics(self, start: str, end: str) -> dict:
        """A page (shared.schemas.page) of [{status, hour "yyyy-mm-dd-hh", count,
        total_value}]: per status and UTC hour of [start, end] (ISO datetimes, at most 31
        days apart: 5,208 rows at most, in one page), hours in which no order entered a
        status left out. Who may ask is the gateway's to check (admins)."""
        bounds = load(MetricsRangeInput, {"start": start, "end": end})
        metrics = history.status_metrics(self.dynamodb, bounds["start"], bounds["end"])
        return page(metrics, len(metrics), 0)

    @service_rpc
    @unavailable_when_down
    def reconcile(self, window_hours: float | None = None) -> dict:
        """Repair the DynamoDB history of the orders changed in the last `window_hours`
        (RECONCILE_WINDOW_HOURS by default) from PostgreSQL's order_status_changes:
        {"checked": orders compared, "repaired": [{order_id, version}]}."""
        window = load(ReconcileInput, {"window_hours": window_hours})["window_hours"]
        if window is None:
            window = float(self.config.get("RECONCILE_WINDOW_HOURS",
                                           DEFAULT_RECONCILE_WINDOW_HOURS))
        since = datetime.now(UTC) - timedelta(hours=window)
        return history.reconcile(self.dynamodb, self.store.session, since)

    @every("RECONCILE_INTERVAL", 300.0)
    def reconcile_on_timer(self) -> None:
        # one replica at a time (each would compare and repair the same orders)
        with only_one(self.store.session.get_bind(), "orders:reconcile") as mine:
            if mine:
                self.reconcile()
