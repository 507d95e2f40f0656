"""Order status history and hourly status metrics, as DynamoDB keeps them (pure: no I/O).

A status change (the order's creation is version 1: PENDING, previous None) becomes one
log item in OrderStatusLogs and one atomic ADD into its status's hour in
OrderStatusMetrics, written together with an idempotency marker under the id
`change_id(order_id, version)` (storage.history.write_history): the event consumer and the
reconciler use the same id, so whichever writes a change first is the only one that
counts it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.orders.contract.rpc import metrics_window_errors
from shared.errors import InvalidInput
from shared.writes import Increment

LOGS = "OrderStatusLogs"
METRICS = "OrderStatusMetrics"
# the markers' consumer name: one for the consumers and the reconciler alike
HISTORY_WRITER = "orders.history"
LOG_RETENTION = timedelta(days=365)  # DynamoDB's TTL removes log items after this
HOUR_FORMAT = "%Y-%m-%d-%H"
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class StatusChange:
    """One step of an order's status history, whichever store it comes from."""

    order_id: str
    version: int
    previous_status: str | None
    new_status: str
    actor_id: str | None
    actor_role: str
    changed_at: datetime  # timezone-aware
    total: Decimal
    currency: str


# --- keys ------------------------------------------------------------------------------------

def change_id(order_id, version: int) -> str:
    """The idempotency id of a change: its order and version, never an event's id, so a
    redelivered event and a reconciliation repair are the same write."""
    return f"{order_id}:{int(version)}"


def iso_utc(moment: datetime) -> str:
    """Fixed-width ISO 8601 in UTC (always microseconds), so strings sort as times do."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in the history")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def hour_key(moment: datetime) -> str:
    """The metrics bucket of `moment`: its UTC hour as yyyy-mm-dd-hh."""
    return moment.astimezone(UTC).strftime(HOUR_FORMAT)


def log_sort_key(changed_at: datetime, version: int) -> str:
    """"<ISO UTC changed_at>#<version, 8 digits>": time order, and two changes in the same
    microsecond still apart and in version order."""
    return f"{iso_utc(changed_at)}#{int(version):08d}"


def metrics_hours(start: datetime, end: datetime) -> tuple[str, str]:
    """The first and last hour keys of [start, end]; InvalidInput if the range is reversed
    or longer than MAX_METRICS_RANGE (a metrics read is bounded)."""
    if errors := metrics_window_errors(start, end):
        raise InvalidInput("the request has invalid fields", {"fields": errors})
    return hour_key(start), hour_key(end)


def format_money(amount) -> str:
    return str(Decimal(amount).quantize(CENTS))


# --- from events -----------------------------------------------------------------------------

def change_from_created(payload: dict) -> StatusChange:
    """order_created (loaded by OrderCreatedPayload) as the history's first step: the
    customer placed it, from nothing to its initial status."""
    return StatusChange(
        order_id=str(payload["order_id"]), version=payload["version"], previous_status=None,
        new_status=payload["status"], actor_id=str(payload["customer_id"]),
        actor_role="customer", changed_at=payload["created_at"],
        total=Decimal(payload["total"]), currency=payload["currency"])


def change_from_status_changed(payload: dict) -> StatusChange:
    """order_status_changed (loaded by OrderStatusChangedPayload) as a history step."""
    actor_id = payload.get("actor_id")
    return StatusChange(
        order_id=str(payload["order_id"]), version=payload["version"],
        previous_status=payload.get("previous_status"), new_status=payload["new_status"],
        actor_id=str(actor_id) if actor_id is not None else None,
        actor_role=payload["actor_role"], changed_at=payload["changed_at"],
        total=Decimal(payload["total"]), currency=payload["currency"])


# --- to DynamoDB -----------------------------------------------------------------------------

def log_item(change: StatusChange) -> dict:
    """The OrderStatusLogs item of a change (expires a year after the change)."""
    item = {
        "order_id": change.order_id,
        "changed_at": log_sort_key(change.changed_at, change.version),
        "version": change.version,
        "new_status": change.new_status,
        "actor_role": change.actor_role,
        "metadata": {"total": change.total, "currency": change.currency},
        "expires_at": int((change.changed_at + LOG_RETENTION).timestamp()),
    }
    # absent rather than NULL: DynamoDB's NULL type is awkward to read back
    if change.previous_status is not None:
        item["previous_status"] = change.previous_status
    if change.actor_id is not None:
        item["actor_id"] = change.actor_id
    return item


def metric_key(change: StatusChange) -> tuple[str, str]:
    """The metrics item a change counts in: its new status and its UTC hour."""
    return change.new_status, hour_key(change.changed_at)


def summed_metrics(changes: Iterable[StatusChange]) -> list[Increment]:
    """The changes' metrics, one increment per (status, hour): so many orders entered the
    status in that hour, worth the sum of their totals."""
    sums: dict[tuple[str, str], list] = {}
    for change in changes:
        total = sums.setdefault(metric_key(change), [0, Decimal("0")])
        total[0] += 1
        total[1] += change.total
    return [Increment(METRICS, {"status": status, "hour": hour},
                      add={"count": count, "total_value": value})
            for (status, hour), (count, value) in sums.items()]


# --- from DynamoDB ---------------------------------------------------------------------------

def history_entry(item: dict) -> dict:
    """An OrderStatusLogs item as get_order_history answers it."""
    metadata = item.get("metadata") or {}
    total = metadata.get("total")
    return {
        "version": int(item["version"]),
        "previous_status": item.get("previous_status"),
        "new_status": item["new_status"],
        "actor_id": item.get("actor_id"),
        "actor_role": item.get("actor_role"),
        "changed_at": item["changed_at"].split("#", 1)[0],
        "metadata": {"total": format_money(total) if total is not None else None,
                     "currency": metadata.get("currency")},
    }


def newest_first(entries: Iterable[dict]) -> list[dict]:
    """History entries most recent first. The sort key is time-ordered already; the version
    decides, since it is the order's own count of its changes (clocks may disagree)."""
    return sorted(entries, key=lambda entry: entry["version"], reverse=True)


def metric_entry(item: dict) -> dict:
    return {"status": item["status"], "hour": item["hour"], "count": int(item.get("count", 0)),
            "total_value": format_money(item.get("total_value", 0))}


def ordered_metrics(entries: Iterable[dict], statuses: tuple[str, ...]) -> list[dict]:
    """Oldest hour first; within an hour, statuses in the order the status machine lists
    them."""
    rank = {status: index for index, status in enumerate(statuses)}
    return sorted(entries, key=lambda entry: (entry["hour"],
                                              rank.get(entry["status"], len(rank)),
                                              entry["status"]))


# --- reconciliation --------------------------------------------------------------------------

def missing_changes(changes: Iterable[StatusChange],
                    logged_versions: dict[str, set[int]]) -> list[StatusChange]:
    """The changes PostgreSQL recorded whose version the DynamoDB log of their order lacks,
    in (order, version) order."""
    return sorted((change for change in changes
                   if change.version not in logged_versions.get(change.order_id, set())),
                  key=lambda change: (change.order_id, change.version))
