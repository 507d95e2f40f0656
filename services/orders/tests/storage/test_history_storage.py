"""Status history storage against moto (DynamoDB) and PostgreSQL: exactly-once writes,
newest-first history, hourly metrics, and reconciliation's repairs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from conftest import drop_database, empty_tables, fresh_database
from services.orders.domain.history import HISTORY_WRITER, LOGS, METRICS, StatusChange
from services.orders.storage import history
from shared.dynamodb import MARKER_TABLE, ensure_tables
from shared.migrations import upgrade
from shared.postgres import make_engine

BASE = datetime(2026, 3, 9, 10, 15, tzinfo=UTC)
FLOW = ("PENDING", "CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED")


def steps(order_id: str, count: int = len(FLOW), total: str = "20.00",
          start: datetime = BASE) -> list[StatusChange]:
    """The first `count` steps of an order's normal flow, one a minute."""
    return [StatusChange(order_id=order_id, version=n + 1,
                         previous_status=FLOW[n - 1] if n else None, new_status=FLOW[n],
                         actor_id=str(uuid.uuid4()), actor_role="owner" if n else "customer",
                         changed_at=start + timedelta(minutes=n), total=Decimal(total),
                         currency="MYR")
            for n in range(count)]


@pytest.fixture
def tables(dynamodb_client):
    ensure_tables(dynamodb_client, history.TABLES)
    return dynamodb_client


def dynamodb_calls(client) -> dict[str, int]:
    """DynamoDB requests the client makes from now on, by operation."""
    calls: dict[str, int] = {}

    def count(model, **_):
        calls[model.name] = calls.get(model.name, 0) + 1
    client.client.meta.events.register("before-call.dynamodb", count)
    return calls


def test_a_burst_of_changes_takes_few_transactions_and_no_reads(tables):
    orders = [str(uuid.uuid4()) for _ in range(40)]
    flows = [change for order in orders for change in steps(order)]  # 240 changes
    calls = dynamodb_calls(tables)
    assert history.write_history(tables, flows) == 240
    # six statuses in one hour: a transaction holds 2 items a change and the 6 metric
    # ADDs, so 47 changes
    assert calls == {"TransactWriteItems": 6}
    assert metrics(tables)[("PENDING", "2026-03-09-10")] == (40, "800.00")
    # the same burst again, with a few new changes among it: the conditions name what
    # was there, and only the new ones count
    late = [step for order in orders[:3] for step in steps(order, start=BASE + timedelta(
        hours=1))]
    late = [StatusChange(**{**vars(step), "version": step.version + 6}) for step in late]
    calls.clear()
    assert history.write_history(tables, flows[::2] + late + flows[1::2]) == 18
    assert "BatchGetItem" not in calls and "GetItem" not in calls
    assert metrics(tables)[("PENDING", "2026-03-09-11")] == (3, "60.00")
    assert metrics(tables)[("PENDING", "2026-03-09-10")] == (40, "800.00")
    assert {entry["version"] for entry in history.order_history(tables, orders[0])} == set(
        range(1, 13))


def metrics(client, start=BASE - timedelta(hours=1), end=BASE + timedelta(hours=3)) -> dict:
    return {(entry["status"], entry["hour"]): (entry["count"], entry["total_value"])
            for entry in history.status_metrics(client, start, end)}


def test_history_is_written_once_and_read_newest_first(tables):
    order = str(uuid.uuid4())
    flow = steps(order)
    assert history.write_history(tables, flow) == 6
    # redelivered, whole or in part: nothing changes
    assert history.write_history(tables, flow[2:] + flow[:1]) == 0
    entries = history.order_history(tables, order)
    assert [entry["version"] for entry in entries] == [6, 5, 4, 3, 2, 1]
    assert [entry["new_status"] for entry in entries] == list(reversed(FLOW))
    assert entries[-1]["previous_status"] is None
    assert entries[0]["metadata"] == {"total": "20.00", "currency": "MYR"}
    assert entries[0]["changed_at"] == (BASE + timedelta(minutes=5)).isoformat(
        timespec="microseconds")
    assert history.order_history(tables, str(uuid.uuid4())) == []


def test_metrics_count_each_status_per_hour_exactly_once(tables):
    orders = [str(uuid.uuid4()) for _ in range(3)]
    late = BASE + timedelta(hours=1)
    history.write_history(tables, steps(orders[0], 2, "10.50"))
    history.write_history(tables, steps(orders[1], 2, "4.25"))
    history.write_history(tables, steps(orders[2], 1, "1.00", start=late))
    history.write_history(tables, steps(orders[0], 2, "10.50"))  # again: no effect
    assert metrics(tables) == {
        ("PENDING", "2026-03-09-10"): (2, "14.75"),
        ("CONFIRMED", "2026-03-09-10"): (2, "14.75"),
        ("PENDING", "2026-03-09-11"): (1, "1.00"),
    }
    # hours outside the range are left out; the range's end hour is included
    assert metrics(tables, late, late) == {("PENDING", "2026-03-09-11"): (1, "1.00")}
    assert history.status_metrics(tables, BASE + timedelta(hours=2),
                                  BASE + timedelta(hours=3)) == []
    entries = history.status_metrics(tables, BASE, late)
    assert [(entry["hour"], entry["status"]) for entry in entries] == [
        ("2026-03-09-10", "PENDING"), ("2026-03-09-10", "CONFIRMED"),
        ("2026-03-09-11", "PENDING")]


def test_a_lost_log_item_is_put_back_without_counting_again(tables):
    order = str(uuid.uuid4())
    flow = steps(order, 3)
    history.write_history(tables, flow)
    before = metrics(tables)
    lost = history.log_item(flow[1])
    tables.table(LOGS).delete_item(Key={"order_id": order, "changed_at": lost["changed_at"]})
    assert history.logged_versions(tables, [order]) == {order: {1, 3}}
    # the writer's path skips it (its marker says it was counted) ...
    assert history.write_history(tables, [flow[1]]) == 0
    # ... so only the item goes back
    assert history.restore_log_items(tables, [flow[1]]) == 1
    assert history.restore_log_items(tables, [flow[1]]) == 0
    assert history.logged_versions(tables, [order]) == {order: {1, 2, 3}}
    assert metrics(tables) == before


# --- reconciliation, with PostgreSQL's record ------------------------------------------------

@pytest.fixture(scope="module")
def orders_db_url():
    url = fresh_database("bellyfed_test_orders_history_storage")
    upgrade("orders", url)
    yield url
    drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def session(orders_db_url):
    engine = make_engine(orders_db_url)
    with Session(engine) as session:
        yield session
    engine.dispose()
    empty_tables(orders_db_url)


def record(session: Session, flow: list[StatusChange], updated_at: datetime) -> None:
    """An order and its status changes as the order core writes them."""
    last = flow[-1]
    session.execute(text("""
        INSERT INTO orders (id, customer_id, restaurant_id, status, status_version, subtotal,
                            total, currency, created_at, updated_at)
        VALUES (:id, :customer, :restaurant, :status, :version, :total, :total, 'MYR',
                :created_at, :updated_at)"""), {
        "id": last.order_id, "customer": str(uuid.uuid4()), "restaurant": str(uuid.uuid4()),
        "status": last.new_status, "version": last.version, "total": last.total,
        "created_at": flow[0].changed_at, "updated_at": updated_at})
    for step in flow:
        session.execute(text("""
            INSERT INTO order_status_changes (order_id, version, previous_status, new_status,
                                              actor_id, actor_role, changed_at)
            VALUES (:order_id, :version, :previous, :new, :actor_id, :actor_role,
                    :changed_at)"""), {
            "order_id": step.order_id, "version": step.version,
            "previous": step.previous_status, "new": step.new_status,
            "actor_id": step.actor_id, "actor_role": step.actor_role,
            "changed_at": step.changed_at})
    session.commit()


def test_reconcile_repairs_what_is_missing_once(tables, session):
    now = datetime.now(UTC)
    complete, lost_event, lost_item, old = (str(uuid.uuid4()) for _ in range(4))
    flows = {order: steps(order, 4, start=now - timedelta(minutes=30))
             for order in (complete, lost_event, lost_item)}
    flows[old] = steps(old, 2, start=now - timedelta(days=3))
    for flow in flows.values():
        record(session, flow, flow[-1].changed_at)
    # complete: all logged; lost_event: version 4's event never arrived; lost_item: version
    # 2 was logged and counted, then its item vanished; old: outside the window, never logged
    history.write_history(tables, flows[complete] + flows[lost_event][:3] + flows[lost_item])
    lost = history.log_item(flows[lost_item][1])
    tables.table(LOGS).delete_item(Key={"order_id": lost_item,
                                        "changed_at": lost["changed_at"]})
    window = now - timedelta(hours=24)
    report = history.reconcile(tables, session, window)
    assert report["checked"] == 3
    assert sorted((entry["order_id"], entry["version"]) for entry in report["repaired"]) == \
        sorted([(lost_event, 4), (lost_item, 2)])
    for order in (complete, lost_event, lost_item):
        assert [entry["version"] for entry in history.order_history(tables, order)] == \
            [4, 3, 2, 1]
    counts = {}
    for entry in history.status_metrics(tables, now - timedelta(hours=2), now):
        counts[entry["status"]] = counts.get(entry["status"], 0) + entry["count"]
    # three orders through four statuses, each step counted once (the lost item was
    # counted already, the lost event only now)
    assert counts == {status: 3 for status in FLOW[:4]}

    assert history.reconcile(tables, session, window) == {"checked": 3, "repaired": []}
    # and the late event, arriving after its repair, counts nothing
    assert history.write_history(tables, flows[lost_event][3:]) == 0
    assert history.order_history(tables, old) == []


def test_reconcile_writes_through_the_consumers_marker(tables, session):
    order = str(uuid.uuid4())
    flow = steps(order, 2, start=datetime.now(UTC) - timedelta(minutes=5))
    record(session, flow, flow[-1].changed_at)
    history.reconcile(tables, session, datetime.now(UTC) - timedelta(hours=1))
    marker = tables.table(MARKER_TABLE).get_item(
        Key={"pk": f"EVENT#{HISTORY_WRITER}#{order}:2"}).get("Item")
    assert marker is not None
    assert tables.table(METRICS).get_item(Key={
        "status": "CONFIRMED", "hour": flow[1].changed_at.strftime("%Y-%m-%d-%H")},
    )["Item"]["count"] == 1


def test_an_outage_pauses_writes_instead_of_waiting_on_each(tables):
    from nameko.testing.utils import find_free_port

    from shared.dynamodb import DynamoDBClient, is_transient

    nowhere = DynamoDBClient(f"http://127.0.0.1:{find_free_port()}", "us-east-1")
    flow = steps(str(uuid.uuid4()), 1)
    with pytest.raises(Exception) as first:
        history.write_history(nowhere, flow)
    assert is_transient(first.value) and history.is_outage(first.value)
    # within the pause, not even tried; both count as an outage for the consumers
    with pytest.raises(history.HistoryUnavailable) as second:
        history.write_history(nowhere, flow)
    assert history.is_outage(second.value)
    assert not history.is_outage(ValueError("a bad event"))
    # another client (another container) is not paused
    assert history.write_history(tables, flow) == 1
