"""A customer's orders by cursor (SPEC §3), through the real RPC and PostgreSQL: the pages
by cursor hold every order once while orders are placed between pages, they are the
offset pages, orders of one instant fall to their ids, a cursor never shows another
customer's orders, the index answers a page in order, and a bad cursor is refused by name.

Orders are written straight into the orders database, at the times a test needs (several
at one instant); placing them through create_order is test_orders_rpc's."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.orders.storage.models import Order
from services.orders.storage.orders import CUSTOMER_ORDERS
from shared.errors import InvalidInput
from shared.pages import Explain
from shared.schemas import MAX_CURSOR, encode_cursor

NOON = datetime(2026, 3, 4, 12, tzinfo=UTC)


@pytest.fixture
def customer() -> str:
    return str(uuid.uuid4())


def add_orders(db, customer: str, minutes: list[float]) -> list[str]:
    """Orders of `customer` placed `minutes` after NOON (one order per entry); their ids."""
    rows = [{"id": str(uuid.uuid4()), "customer_id": customer,
             "restaurant_id": str(uuid.uuid4()), "placed": NOON + timedelta(minutes=minute)}
            for minute in minutes]
    with db.begin() as connection:
        connection.execute(text(
            "INSERT INTO orders (id, customer_id, restaurant_id, status, status_version, "
            "subtotal, total, created_at, updated_at) VALUES (:id, :customer_id, "
            ":restaurant_id, 'PENDING', 1, 10, 10, :placed, :placed)"), rows)
    return [row["id"] for row in rows]


def newest_first(db, customer: str) -> list[str]:
    """Every order of `customer` in the list's order, as the database sorts it."""
    with db.connect() as connection:
        return [str(order_id) for order_id in connection.scalars(text(
            "SELECT id FROM orders WHERE customer_id = :customer "
            "ORDER BY created_at DESC, id DESC"), {"customer": customer})]


def follow(orders, customer: str, **query) -> list[dict]:
    """Every page of the customer's list, by cursor from the first page."""
    pages = [orders.list_orders(customer, **query)]
    while pages[-1]["next_cursor"]:
        pages.append(orders.list_orders(customer, **query, cursor=pages[-1]["next_cursor"]))
    return pages


def ids(*pages: dict) -> list[str]:
    return [order["id"] for page in pages for order in page["items"]]


def test_pages_by_cursor_hold_every_order_once_while_orders_are_placed(orders, db, customer):
    placed = add_orders(db, customer, list(range(0, 40, 2)))  # minutes 0, 2 .. 38
    add_orders(db, str(uuid.uuid4()), [1, 3, 5])  # someone else's
    first = orders.list_orders(customer, limit="6")
    assert ids(first) == placed[:-7:-1]  # minutes 38 .. 28
    assert (first["total"], first["next_offset"]) == (20, 6)
    assert first["next_cursor"]

    # placed between pages: newer than the page shown (not shown: the client is past it),
    # among the rest (shown in its place), at the last shown instant (shown if its id is
    # below the last one's) and older than every order (shown last)
    [newer] = add_orders(db, customer, [39])
    among, twin, oldest = add_orders(db, customer, [13, 28, -1])
    seen, answer = ids(first), first
    while answer["next_cursor"]:
        answer = orders.list_orders(customer, limit="6", cursor=answer["next_cursor"])
        assert answer["next_offset"] is None  # a cursor's page has no known position
        seen += ids(answer)
    assert len(seen) == len(set(seen))  # no order twice
    every = newest_first(db, customer)
    assert seen == [order for order in every if order != newer and (
        order != twin or twin < placed[-6])]  # no gap
    assert among in seen and oldest == seen[-1] and newer not in seen
    assert answer["total"] == 24


def test_the_cursor_pages_are_the_offset_pages(orders, db, customer):
    # ties: four orders at minute 5, three at minute 9: one instant's orders by id
    add_orders(db, customer, [0, 1, 5, 5, 5, 5, 7, 9, 9, 9, 12, 20, 21, 30])
    by_offset = [order for offset in range(0, 14, 4) for order in ids(
        orders.list_orders(customer, limit="4", offset=str(offset)))]
    assert by_offset == newest_first(db, customer)
    for size in ("1", "3", "4", "5", "14", "100"):
        pages = follow(orders, customer, limit=size)
        assert ids(*pages) == by_offset, size
        assert {page["total"] for page in pages} == {14}
        assert pages[-1]["next_cursor"] is None
        assert all(page["total_is_estimate"] is False for page in pages)
    pages = follow(orders, customer, limit="4")
    assert [page["count"] for page in pages] == [4, 4, 4, 2]
    # a whole page as the offset one answers it: the same orders, the same fields
    assert pages[1]["items"] == orders.list_orders(customer, limit="4", offset="4")["items"]


def test_a_cursor_shows_only_its_callers_orders(orders, db, customer):
    add_orders(db, customer, [0, 10, 20])
    other = str(uuid.uuid4())
    theirs = add_orders(db, other, [5, 15, 25])
    cursor = orders.list_orders(customer, limit="1")["next_cursor"]  # after minute 20
    # a cursor holds a place in the order (a time and an id), never whose list it is
    answer = orders.list_orders(other, cursor=cursor)
    assert ids(answer) == [theirs[1], theirs[0]]
    assert answer["total"] == 3


def test_a_page_is_read_in_order_from_the_customers_index(db, customer):
    """Where a cursor resumes, the index on (customer_id, created_at, id) starts: the row
    comparison is its condition, and no sort follows (with a table small enough that a
    scan would win, the scans it could replace the index with are turned off)."""
    placed = add_orders(db, customer, list(range(50)))
    key = (NOON + timedelta(minutes=30), uuid.UUID(placed[30]))  # after minute 30's order
    query = CUSTOMER_ORDERS.ordered(select(Order.id).where(
        Order.customer_id == uuid.UUID(customer), CUSTOMER_ORDERS.after(key))).limit(7)
    with Session(db) as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        session.execute(text("SET LOCAL enable_bitmapscan = off"))
        [plan] = session.execute(Explain(query)).scalar()
        found = session.scalars(query).all()
    described = json.dumps(plan)
    assert "idx_orders_customer_created_id" in described, described
    assert "Sort" not in described, described
    scan = plan["Plan"]["Plans"][0]
    assert scan["Scan Direction"] == "Backward"
    assert re.search(r"ROW\((orders\.)?created_at, (orders\.)?id\) <", scan["Index Cond"]), scan
    assert [str(order_id) for order_id in found] == newest_first(db, customer)[20:27]
    with db.connect() as connection:
        indexes = set(connection.scalars(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'orders'")))
    # the index it replaced (its prefix) is gone
    assert {"idx_orders_customer_created_id", "idx_orders_restaurant_created_id"} <= indexes
    assert "idx_orders_customer_created" not in indexes


@pytest.mark.parametrize("cursor", [
    "not a cursor",
    "W10",  # base64 of "[]"
    encode_cursor("restaurants", ("Kedai", str(uuid.uuid4()))),  # another list's
    encode_cursor("customer_orders", (NOON.isoformat(),)),  # another shape
    encode_cursor("customer_orders", ("yesterday", str(uuid.uuid4()))),
    encode_cursor("customer_orders", ("2026-03-04T12:00:00", str(uuid.uuid4()))),  # no zone
    encode_cursor("customer_orders", (NOON.isoformat(), "not-an-id")),
    encode_cursor("customer_orders", (7, str(uuid.uuid4()))),
    "x" * (MAX_CURSOR + 1),
])
def test_a_bad_cursor_is_refused_by_name(orders, customer, cursor):
    with pytest.raises(InvalidInput) as exc:
        orders.list_orders(customer, cursor=cursor)
    assert list(exc.value.details["fields"]) == ["cursor"]


def test_a_cursor_and_an_offset_together_are_refused(orders, db, customer):
    add_orders(db, customer, [0, 1, 2])
    cursor = orders.list_orders(customer, limit="1")["next_cursor"]
    with pytest.raises(InvalidInput) as exc:
        orders.list_orders(customer, cursor=cursor, offset="1")
    assert exc.value.details["fields"] == {"offset": ["give a cursor or an offset, not both"]}
    # an offset of 0 is no offset: the cursor's page
    assert orders.list_orders(customer, cursor=cursor, offset="0")["count"] == 2
