"""Status history keys, hour buckets, sort order, the writes of a change and the
reconciliation diff: pure functions, no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.orders.contract.events import OrderCreatedPayload, OrderStatusChangedPayload
from services.orders.contract.rpc import default_metrics_window
from services.orders.domain import history
from services.orders.domain.history import StatusChange
from shared.errors import InvalidInput

ORDER = str(uuid.uuid4())
WHEN = datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=UTC)


def change(version: int = 2, new_status: str = "CONFIRMED", at: datetime = WHEN,
           order_id: str = ORDER, total: str = "25.40") -> StatusChange:
    return StatusChange(order_id=order_id, version=version, previous_status="PENDING",
                        new_status=new_status, actor_id=str(uuid.uuid4()), actor_role="owner",
                        changed_at=at, total=Decimal(total), currency="MYR")


def test_change_id_is_order_and_version_never_an_event_id():
    assert history.change_id(ORDER, 3) == f"{ORDER}:3"
    assert history.change_id(uuid.UUID(ORDER), 3) == f"{ORDER}:3"


def test_hour_key_is_the_utc_hour():
    assert history.hour_key(WHEN) == "2026-03-09-23"
    # 07:30 in Kuala Lumpur (UTC+8) is 23:30 the day before in UTC
    kl = timezone(timedelta(hours=8))
    assert history.hour_key(datetime(2026, 3, 10, 7, 30, tzinfo=kl)) == "2026-03-09-23"
    assert history.hour_key(datetime(2026, 3, 10, 0, 0, tzinfo=UTC)) == "2026-03-10-00"


def test_sort_key_is_fixed_width_utc_then_padded_version():
    key = history.log_sort_key(datetime(2026, 3, 9, 10, 0, tzinfo=UTC), 7)
    assert key == "2026-03-09T10:00:00.000000+00:00#00000007"
    kl = timezone(timedelta(hours=8))
    assert history.log_sort_key(datetime(2026, 3, 9, 18, 0, tzinfo=kl), 7) == key
    with pytest.raises(ValueError):
        history.log_sort_key(datetime(2026, 3, 9, 10, 0), 1)


def test_sort_keys_order_as_time_then_version():
    base = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    moments = [(base, 1), (base, 2), (base + timedelta(microseconds=1), 3),
               (base + timedelta(seconds=9), 10), (base + timedelta(hours=30), 11)]
    keys = [history.log_sort_key(moment, version) for moment, version in moments]
    assert sorted(keys) == keys
    # version 10 after version 9 of the same microsecond (zero padding, not "10" < "9")
    assert history.log_sort_key(base, 9) < history.log_sort_key(base, 10)


def test_log_item_carries_the_change_and_expires_a_year_later():
    step = change()
    item = history.log_item(step)
    assert item["order_id"] == ORDER
    assert item["changed_at"] == history.log_sort_key(WHEN, 2)
    assert (item["version"], item["previous_status"], item["new_status"]) == (
        2, "PENDING", "CONFIRMED")
    assert item["actor_id"] == step.actor_id and item["actor_role"] == "owner"
    assert item["metadata"] == {"total": Decimal("25.40"), "currency": "MYR"}
    assert item["expires_at"] == int((WHEN + timedelta(days=365)).timestamp())


def test_first_step_has_no_previous_status_attribute():
    first = StatusChange(ORDER, 1, None, "PENDING", None, "customer", WHEN, Decimal("1"), "MYR")
    item = history.log_item(first)
    assert "previous_status" not in item and "actor_id" not in item
    entry = history.history_entry(item)
    assert entry["previous_status"] is None and entry["actor_id"] is None


def test_metrics_are_summed_per_status_and_hour():
    late = WHEN + timedelta(seconds=1)  # the next hour
    changes = [change(), change(), StatusChange(ORDER, 3, "CONFIRMED", "PREPARING", None,
                                                 "owner", WHEN, Decimal("1.10"), "MYR"),
               StatusChange(ORDER, 2, "PENDING", "CONFIRMED", None, "owner", late,
                            Decimal("3.00"), "MYR")]
    metrics = {(metric.table, metric.key["status"], metric.key["hour"]): metric.add
               for metric in history.summed_metrics(changes)}
    assert metrics == {
        (history.METRICS, "CONFIRMED", "2026-03-09-23"): {"count": 2,
                                                          "total_value": Decimal("50.80")},
        (history.METRICS, "PREPARING", "2026-03-09-23"): {"count": 1,
                                                          "total_value": Decimal("1.10")},
        (history.METRICS, "CONFIRMED", "2026-03-10-00"): {"count": 1,
                                                          "total_value": Decimal("3.00")},
    }
    assert history.metric_key(changes[0]) == ("CONFIRMED", "2026-03-09-23")


def test_history_entry_round_trip():
    step = change()
    entry = history.history_entry(history.log_item(step))
    assert entry == {"version": 2, "previous_status": "PENDING", "new_status": "CONFIRMED",
                     "actor_id": step.actor_id, "actor_role": "owner",
                     "changed_at": "2026-03-09T23:59:59.999999+00:00",
                     "metadata": {"total": "25.40", "currency": "MYR"}}


def test_newest_first_follows_versions_even_when_clocks_disagree():
    entries = [{"version": 1}, {"version": 3}, {"version": 2}]
    assert [entry["version"] for entry in history.newest_first(entries)] == [3, 2, 1]


def test_metrics_ordered_by_hour_then_status_machine_order():
    statuses = ("PENDING", "CONFIRMED", "CANCELLED")
    entries = [{"hour": "2026-03-09-11", "status": "PENDING"},
               {"hour": "2026-03-09-10", "status": "CANCELLED"},
               {"hour": "2026-03-09-10", "status": "PENDING"},
               {"hour": "2026-03-09-10", "status": "CONFIRMED"}]
    assert [(entry["hour"], entry["status"]) for entry in
            history.ordered_metrics(entries, statuses)] == [
        ("2026-03-09-10", "PENDING"), ("2026-03-09-10", "CONFIRMED"),
        ("2026-03-09-10", "CANCELLED"), ("2026-03-09-11", "PENDING")]


def test_metric_entry_formats_money_with_two_places():
    assert history.metric_entry({"status": "READY", "hour": "2026-03-09-10",
                                 "count": Decimal("3"), "total_value": Decimal("75.5")}) == {
        "status": "READY", "hour": "2026-03-09-10", "count": 3, "total_value": "75.50"}


def test_metrics_range_is_bounded_and_ordered():
    start = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    assert history.metrics_hours(start, start + timedelta(hours=5)) == (
        "2026-03-01-00", "2026-03-01-05")
    assert history.metrics_hours(start, start + timedelta(days=31)) == (
        "2026-03-01-00", "2026-04-01-00")
    with pytest.raises(InvalidInput):
        history.metrics_hours(start, start + timedelta(days=31, seconds=1))
    with pytest.raises(InvalidInput):
        history.metrics_hours(start, start - timedelta(seconds=1))


def test_a_metrics_window_not_given_is_the_last_24_hours():
    now = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    day = timedelta(hours=24)
    assert default_metrics_window(None, None, now) == (now - day, now)
    # one end given: the other is 24 hours from it (towards the past), or now
    assert default_metrics_window(None, WHEN, now) == (WHEN - day, WHEN)
    assert default_metrics_window(WHEN - 2 * day, None, now) == (WHEN - 2 * day, now)
    assert default_metrics_window(WHEN - day, WHEN, now) == (WHEN - day, WHEN)
    # an end in the first day there is: from the first moment there is
    first_day = datetime(1, 1, 1, 5, tzinfo=UTC)
    assert default_metrics_window(None, first_day, now) == (
        datetime.min.replace(tzinfo=UTC), first_day)


def test_missing_changes_are_the_versions_the_log_lacks():
    other = str(uuid.uuid4())
    changes = [change(version) for version in (1, 2, 3)] + [change(1, order_id=other)]
    logged = {ORDER: {1, 3}}
    missing = history.missing_changes(changes, logged)
    assert sorted((step.order_id, step.version) for step in missing) == sorted(
        [(ORDER, 2), (other, 1)])
    assert history.missing_changes(changes, {ORDER: {1, 2, 3}, other: {1}}) == []
    # extra versions in DynamoDB (it cannot have more than PostgreSQL) change nothing
    assert history.missing_changes([change(1)], {ORDER: {1, 2}}) == []


def test_events_become_changes():
    customer = uuid.uuid4()
    created = OrderCreatedPayload().load({
        "order_id": ORDER, "customer_id": str(customer), "restaurant_id": str(uuid.uuid4()),
        "restaurant_owner_id": None, "status": "PENDING", "version": 1, "total": "12.30",
        "currency": "MYR", "items": [], "created_at": "2026-03-09T10:00:00.5+00:00"})
    first = history.change_from_created(created)
    assert (first.version, first.previous_status, first.new_status) == (1, None, "PENDING")
    assert (first.actor_id, first.actor_role) == (str(customer), "customer")
    assert first.total == Decimal("12.30")
    assert history.log_sort_key(first.changed_at, 1).startswith("2026-03-09T10:00:00.500000")

    changed = OrderStatusChangedPayload().load({
        "order_id": ORDER, "customer_id": str(customer), "restaurant_id": str(uuid.uuid4()),
        "previous_status": "PENDING", "new_status": "CANCELLED", "version": 2,
        "actor_id": None, "actor_role": "admin", "total": "12.30", "currency": "MYR",
        "changed_at": "2026-03-09T10:05:00Z"})
    second = history.change_from_status_changed(changed)
    assert (second.version, second.previous_status, second.new_status) == (
        2, "PENDING", "CANCELLED")
    assert second.actor_id is None and second.actor_role == "admin"
