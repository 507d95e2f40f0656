"""A restaurant's inbox (SPEC §6: GET /restaurants/{id}/orders?status=&cursor=) through the
real RPC and PostgreSQL: newest first, of one status or of all, paged by cursor as by
offset; an admin sees every order of the restaurant, its owner the ones placed while they
owned it (who each order says may see and move it), anyone else none; and each page is
read in order from its index.

Orders are written straight into the orders database, at the times and statuses a test
needs; placing them through create_order is test_orders_rpc's."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.orders.storage.models import Order
from services.orders.storage.orders import RESTAURANT_ORDERS
from shared.errors import InvalidInput
from shared.pages import Explain
from shared.schemas import encode_cursor

NOON = datetime(2026, 3, 4, 12, tzinfo=UTC)


@pytest.fixture
def restaurant() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def owner() -> str:
    return str(uuid.uuid4())


def add_orders(db, restaurant: str, owner: str | None, placed: list[tuple[float, str]]
               ) -> list[str]:
    """Orders at `restaurant` owned then by `owner`, each (minutes after NOON, status)."""
    rows = [{"id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4()),
             "restaurant_id": restaurant, "owner_id": owner, "status": status,
             "placed": NOON + timedelta(minutes=minute)} for minute, status in placed]
    with db.begin() as connection:
        connection.execute(text(
            "INSERT INTO orders (id, customer_id, restaurant_id, restaurant_owner_id, status, "
            "status_version, subtotal, total, created_at, updated_at) VALUES (:id, "
            ":customer_id, :restaurant_id, :owner_id, :status, 1, 10, 10, :placed, :placed)"),
            rows)
    return [row["id"] for row in rows]


def newest_first(db, restaurant: str, status: str | None = None) -> list[str]:
    """Every order of the restaurant (of `status`) in the inbox's order, as the database
    sorts it."""
    with db.connect() as connection:
        return [str(order_id) for order_id in connection.scalars(text(
            "SELECT id FROM orders WHERE restaurant_id = :restaurant "
            "AND (CAST(:status AS text) IS NULL OR status = :status) "
            "ORDER BY created_at DESC, id DESC"), {"restaurant": restaurant, "status": status})]


def ids(*pages: dict) -> list[str]:
    return [order["id"] for page in pages for order in page["items"]]


def follow(orders, restaurant: str, actor: str, **query) -> list[dict]:
    """Every page of the inbox, by cursor from the first page."""
    pages = [orders.list_restaurant_orders(restaurant, actor, **query)]
    while pages[-1]["next_cursor"]:
        assert len(pages) < 50, "the cursor does not move on"
        pages.append(orders.list_restaurant_orders(restaurant, actor, **query,
                                                   cursor=pages[-1]["next_cursor"]))
    return pages


@pytest.fixture
def inbox(db, restaurant, owner) -> dict:
    """Twelve orders at the restaurant: pending, confirmed and delivered ones (three at
    one instant: a tie the id breaks), and two more elsewhere."""
    statuses = ["PENDING", "CONFIRMED", "DELIVERED"]
    placed = add_orders(db, restaurant, owner, [(minute, statuses[n % 3]) for n, minute
                                                in enumerate([0, 1, 2, 5, 5, 5, 7, 8, 9,
                                                              12, 13, 20])])
    add_orders(db, str(uuid.uuid4()), owner, [(3, "PENDING"), (4, "PENDING")])
    return {"placed": placed}


def test_the_owners_inbox_is_newest_first_of_every_status_or_of_one(orders, db, restaurant,
                                                                   owner, inbox):
    every = orders.list_restaurant_orders(restaurant, owner)
    assert ids(every) == newest_first(db, restaurant)
    assert (every["total"], every["next_offset"], every["next_cursor"]) == (12, None, None)
    assert {order["restaurant_id"] for order in every["items"]} == {restaurant}
    pending = orders.list_restaurant_orders(restaurant, owner, status="PENDING")
    assert ids(pending) == newest_first(db, restaurant, "PENDING")
    assert {order["status"] for order in pending["items"]} == {"PENDING"}
    assert pending["total"] == 4
    assert orders.list_restaurant_orders(restaurant, owner, status="READY")["items"] == []


def test_the_inbox_by_cursor_is_the_inbox_by_offset(orders, db, restaurant, owner, inbox):
    for status in (None, "CONFIRMED"):
        query = {"status": status} if status else {}
        expected = newest_first(db, restaurant, status)
        by_offset = [order for offset in range(0, len(expected), 3) for order in ids(
            orders.list_restaurant_orders(restaurant, owner, limit="3", offset=str(offset),
                                          **query))]
        assert by_offset == expected
        for size in ("1", "3", "5"):
            pages = follow(orders, restaurant, owner, limit=size, **query)
            assert ids(*pages) == expected, (status, size)
            assert all(page["next_offset"] is None for page in pages[1:])  # by cursor

    # placed between pages: newer than the page shown is not shown, an older one is
    first = orders.list_restaurant_orders(restaurant, owner, limit="4")
    [newer, older] = add_orders(db, restaurant, owner, [(30, "PENDING"), (-1, "PENDING")])
    seen, answer = ids(first), first
    while answer["next_cursor"]:
        answer = orders.list_restaurant_orders(restaurant, owner, limit="4",
                                               cursor=answer["next_cursor"])
        seen += ids(answer)
    assert newer not in seen and seen[-1] == older and len(seen) == len(set(seen)) == 13


def test_an_admin_sees_every_order_an_owner_those_placed_while_they_owned_it(
        orders, db, restaurant, owner, inbox):
    before = str(uuid.uuid4())  # who owned the restaurant before
    theirs = add_orders(db, restaurant, before, [(6, "DELIVERED")])
    unowned = add_orders(db, restaurant, None, [(6.5, "PENDING")])
    assert ids(orders.list_restaurant_orders(restaurant, str(uuid.uuid4()), is_admin=True)) == (
        newest_first(db, restaurant))
    mine = ids(orders.list_restaurant_orders(restaurant, owner))
    assert mine == [order for order in newest_first(db, restaurant)
                    if order in set(inbox["placed"])]
    assert not set(theirs + unowned) & set(mine)
    assert ids(orders.list_restaurant_orders(restaurant, before)) == theirs
    # nobody else sees any (the gateway lets only the owner and admins ask)
    assert orders.list_restaurant_orders(restaurant, str(uuid.uuid4()))["total"] == 0
    assert orders.list_restaurant_orders(restaurant, None)["items"] == []


def test_a_page_of_one_status_is_read_in_order_from_its_index(db, restaurant, owner):
    """Where a cursor resumes, the index on (restaurant_id, status, created_at, id) starts
    (and for every status, the one on (restaurant_id, created_at, id)): no sort follows
    (with a table small enough that a scan would win, the scans it could replace the
    index with are turned off)."""
    placed = add_orders(db, restaurant, owner, [(minute, "PENDING" if minute % 2 else
                                                 "DELIVERED") for minute in range(60)])
    key = (NOON + timedelta(minutes=31), uuid.UUID(placed[31]))
    for status, index in (("PENDING", "idx_orders_restaurant_status_created_id"),
                          (None, "idx_orders_restaurant_created_id")):
        condition = [Order.restaurant_id == uuid.UUID(restaurant),
                     RESTAURANT_ORDERS.after(key)]
        if status:
            condition.append(Order.status == status)
        query = RESTAURANT_ORDERS.ordered(select(Order.id).where(*condition)).limit(5)
        with Session(db) as session:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            session.execute(text("SET LOCAL enable_bitmapscan = off"))
            [plan] = session.execute(Explain(query)).scalar()
        described = json.dumps(plan)
        assert index in described, described
        assert "Sort" not in described, described
    with db.connect() as connection:
        indexes = set(connection.scalars(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'orders'")))
    assert "idx_orders_restaurant_created" not in indexes  # replaced: its prefix


@pytest.mark.parametrize("query, field", [
    ({"status": "pending"}, "status"),
    ({"limit": "101"}, "limit"),
    ({"cursor": encode_cursor("customer_orders", (NOON.isoformat(), str(uuid.uuid4())))},
     "cursor"),  # another list's
])
def test_a_bad_query_is_refused_by_name(orders, restaurant, owner, query, field):
    with pytest.raises(InvalidInput) as exc:
        orders.list_restaurant_orders(restaurant, owner, **query)
    assert list(exc.value.details["fields"]) == [field]


def test_is_admin_must_be_a_real_boolean(orders, restaurant, owner):
    with pytest.raises(InvalidInput) as exc:
        orders.list_restaurant_orders(restaurant, owner, is_admin="true")
    assert list(exc.value.details["fields"]) == ["is_admin"]
