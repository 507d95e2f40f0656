"""Order status history and hourly metrics in DynamoDB: the tables, writing (exactly once
per change), the reads, and reconciliation against PostgreSQL's order_status_changes.

Reads are Queries: an order's log is one partition (a handful of items); the metrics of a
range are one Query per status (the partition key), between the range's hour keys — seven
small Queries, run concurrently, rather than a Scan of the whole table.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from weakref import WeakKeyDictionary

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.orders.contract.rpc import STATUSES
from services.orders.domain.history import (
    HISTORY_WRITER,
    LOGS,
    METRICS,
    StatusChange,
    change_id,
    history_entry,
    log_item,
    metric_entry,
    metric_key,
    metrics_hours,
    missing_changes,
    newest_first,
    ordered_metrics,
    summed_metrics,
)
from shared.dynamodb import (
    MARKER_TABLE,
    MAX_TRANSACTION_ITEMS,
    PROCESSED_EVENTS,
    DynamoDBClient,
    TableSpec,
    conflict_pause,
    dynamo_item,
    is_transient,
    marker_item,
    query_all,
    update_entry,
)

log = logging.getLogger(__name__)

TABLES = [
    PROCESSED_EVENTS,
    TableSpec(LOGS, (("order_id", "S"), ("changed_at", "S")), ttl_attribute="expires_at"),
    TableSpec(METRICS, (("status", "S"), ("hour", "S"))),
]

# concurrent DynamoDB reads of one call (boto3 clients are safe to share between threads)
READ_CONCURRENCY = 8


# --- writing ---------------------------------------------------------------------------------

class HistoryUnavailable(Exception):
    """DynamoDB was unreachable moments ago: the write was not even tried."""


# After an outage is seen, writes fail at once for this long instead of each waiting for
# its own connection errors: during an outage the consumers' retries then cost no worker
# time, and the service's workers stay free for the order RPCs.
OUTAGE_PAUSE_SECONDS = 1.0
_paused_until: WeakKeyDictionary[DynamoDBClient, float] = WeakKeyDictionary()


def is_outage(exc: BaseException) -> bool:
    """For consume_event(transient=...): DynamoDB's failures that waiting fixes."""
    return isinstance(exc, HistoryUnavailable) or is_transient(exc)


def write_history(client: DynamoDBClient, changes: Iterable[StatusChange]) -> int:
    """Log the changes and count them in the hourly metrics, each exactly once per
    (order_id, version) whoever writes it; returns how many were newly applied. Raises
    the DynamoDB error (`is_outage` tells an outage) with nothing half-written: each
    change commits with its idempotency marker or not at all.

    Many changes go in one TransactWriteItems (HistoryTransaction: up to DynamoDB's 100
    items), and nothing is read first: each change's marker and log item are written on
    the condition that they do not exist yet, and a transaction cancelled by one of those
    conditions names the changes that were applied before; they are dropped and the rest
    goes again. The hourly metrics are summed per transaction, one ADD per status and hour.
    """
    pending = list({change_id(change.order_id, change.version): change
                    for change in changes}.values())  # a change twice in a batch counts once
    if not pending:
        return 0
    if time.monotonic() < _paused_until.get(client, 0.0):
        raise HistoryUnavailable("DynamoDB was unreachable moments ago")
    started = time.perf_counter()
    applied = requests = 0
    try:
        while pending:
            transaction = HistoryTransaction.fill(client, pending)
            pending = pending[len(transaction.changes):]
            outcome, requests_made = transaction.commit()
            applied += outcome
            requests += requests_made
    except Exception as exc:
        if is_transient(exc):
            _paused_until[client] = time.monotonic() + OUTAGE_PAUSE_SECONDS
        raise
    log.debug("history: %d changes applied in %d requests, %.1f ms", applied, requests,
              (time.perf_counter() - started) * 1000)
    return applied


MAX_CONFLICT_ROUNDS = 8  # another writer's transaction on the same items, tried again
CONFLICT_DELAY = 0.02  # seconds before the first retry after a conflict, doubling


class HistoryTransaction:
    """One TransactWriteItems of changes: per change its marker and its log item, each on
    the condition that it is new, then one ADD per (status, hour) of their metrics."""

    def __init__(self, client: DynamoDBClient, changes: list[StatusChange]):
        self.client = client
        self.changes = changes

    @classmethod
    def fill(cls, client: DynamoDBClient, pending: list[StatusChange]) -> HistoryTransaction:
        """As many of the pending changes, from the first, as fit in one transaction."""
        hours: set[tuple] = set()
        taken = 0
        for change in pending:
            key = metric_key(change)
            items = 2 * (taken + 1) + len(hours | {key})
            if items > MAX_TRANSACTION_ITEMS:
                break
            hours.add(key)
            taken += 1
        return cls(client, pending[:taken])

    def entries(self) -> list[dict]:
        markers = self.client.table_name(MARKER_TABLE)
        logs = self.client.table_name(LOGS)
        entries = []
        for change in self.changes:
            entries.append({"Put": {
                "TableName": markers, "ConditionExpression": "attribute_not_exists(pk)",
                "Item": dynamo_item(marker_item(HISTORY_WRITER, change_id(
                    change.order_id, change.version)))}})
            entries.append({"Put": {
                "TableName": logs, "ConditionExpression": "attribute_not_exists(order_id)",
                "Item": dynamo_item(log_item(change))}})
        entries += [update_entry(self.client, increment)
                    for increment in summed_metrics(self.changes)]
        return entries

    def commit(self) -> tuple[int, int]:
        """(changes applied, requests made). A change whose marker or log item exists
        already was applied before: it is dropped, and the others go again."""
        requests = 0
        conflicts = 0
        while self.changes:
            requests += 1
            try:
                self.client.client.transact_write_items(TransactItems=self.entries())
                return len(self.changes), requests
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = [reason.get("Code") or "None"
                           for reason in exc.response.get("CancellationReasons") or []]
                if not reasons or not set(reasons) <= {"None", "ConditionalCheckFailed",
                                                       "TransactionConflict"}:
                    raise
                done = {index // 2 for index, code in enumerate(reasons[:2 * len(self.changes)])
                        if code == "ConditionalCheckFailed"}
                if done:
                    self.changes = [change for index, change in enumerate(self.changes)
                                    if index not in done]
                    continue
                conflicts += 1  # another writer holds some of the same items just now
                if conflicts >= MAX_CONFLICT_ROUNDS:
                    raise
                time.sleep(conflict_pause(CONFLICT_DELAY, conflicts))
        return 0, requests


def restore_log_items(client: DynamoDBClient, changes: Iterable[StatusChange]) -> int:
    """Put back log items of changes that were counted already (their marker exists) but
    whose item is gone: the item only, never the metrics again. Returns how many."""
    table = client.table(LOGS)
    restored = 0
    for change in changes:
        try:
            table.put_item(Item=log_item(change),
                           ConditionExpression="attribute_not_exists(order_id)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            continue
        restored += 1
    return restored


# --- reading ---------------------------------------------------------------------------------

def order_history(client: DynamoDBClient, order_id: str) -> list[dict]:
    """The order's status history, most recent first (empty for an order never logged)."""
    items = query_all(client.table(LOGS), KeyConditionExpression=Key("order_id").eq(
        str(order_id)), ScanIndexForward=False)
    return newest_first(history_entry(item) for item in items)


def status_metrics(client: DynamoDBClient, start: datetime, end: datetime) -> list[dict]:
    """[{status, hour, count, total_value}] for every hour of [start, end] in which some
    order entered a status (hours without any are absent), oldest hour first."""
    first, last = metrics_hours(start, end)
    table = client.table(METRICS)

    def one_status(status: str) -> list[dict]:
        return query_all(table, KeyConditionExpression=Key("status").eq(status)
                          & Key("hour").between(first, last))

    with ThreadPoolExecutor(max_workers=len(STATUSES)) as pool:
        items = [item for found in pool.map(one_status, STATUSES) for item in found]
    return ordered_metrics((metric_entry(item) for item in items), STATUSES)


def logged_versions(client: DynamoDBClient, order_ids: Iterable[str]) -> dict[str, set[int]]:
    """{order_id: the versions its DynamoDB log holds}, one small Query per order."""
    table = client.table(LOGS)

    def versions(order_id: str) -> tuple[str, set[int]]:
        items = query_all(table, KeyConditionExpression=Key("order_id").eq(order_id),
                           ProjectionExpression="version", ConsistentRead=True)
        return order_id, {int(item["version"]) for item in items}

    with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
        return dict(pool.map(versions, list(dict.fromkeys(order_ids))))


# --- reconciliation --------------------------------------------------------------------------

# every recorded change of the orders touched since a moment (a change touches its order)
RECENT_CHANGES = text("""
    SELECT c.order_id, c.version, c.previous_status, c.new_status, c.actor_id, c.actor_role,
           c.changed_at, o.total, o.currency
    FROM orders o JOIN order_status_changes c ON c.order_id = o.id
    WHERE o.updated_at >= :since
    ORDER BY c.order_id, c.version
""")


def recent_changes(session: Session, since: datetime) -> list[StatusChange]:
    """PostgreSQL's record of the status changes of orders updated since `since`."""
    return [StatusChange(
        order_id=str(row.order_id), version=row.version, previous_status=row.previous_status,
        new_status=row.new_status,
        actor_id=str(row.actor_id) if row.actor_id is not None else None,
        actor_role=row.actor_role, changed_at=row.changed_at, total=row.total,
        currency=row.currency,
    ) for row in session.execute(RECENT_CHANGES, {"since": since})]


def reconcile(client: DynamoDBClient, session: Session, since: datetime) -> dict:
    """Compare the orders updated since `since`: every version in order_status_changes
    must be in the DynamoDB log. The missing ones are written through the consumers' own
    path (write_history: counted in the metrics unless they were already), and a log item
    lost after it was counted is put back alone. Returns {"checked": orders compared,
    "repaired": [{"order_id", "version"}]}."""
    changes = recent_changes(session, since)
    session.rollback()  # a read: end the transaction, hold no snapshot while DynamoDB works
    order_ids = list(dict.fromkeys(change.order_id for change in changes))
    missing = missing_changes(changes, logged_versions(client, order_ids))
    if missing:
        write_history(client, missing)
        # the changes still missing had a marker: counted before, their log item lost since
        still = missing_changes(missing, logged_versions(
            client, [change.order_id for change in missing]))
        restore_log_items(client, still)
    return {"checked": len(order_ids),
            "repaired": [{"order_id": change.order_id, "version": change.version}
                         for change in missing]}
