"""Where orders keeps its order core: orders, their lines, and every status they took."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, select, text

from services.orders.contract.rpc import CUSTOMER_ORDERS_ORDER, RESTAURANT_ORDERS_ORDER
from services.orders.domain.status import INITIAL
from services.orders.storage.models import DEFAULT_CURRENCY, Order, OrderStatusChange
from shared.db import Store
from shared.idempotency import idempotency_keys, request_hash
from shared.pages import Keyset, Page, fetch_page

# a customer's orders, newest first: idx_orders_customer_created_id, read backwards, after
# its customer_id (services.orders.contract.rpc.CUSTOMER_ORDERS_ORDER: what its cursor holds)
CUSTOMER_ORDERS = Keyset(CUSTOMER_ORDERS_ORDER[0], (Order.created_at, Order.id),
                         descending=True)
# a restaurant's orders, newest first: idx_orders_restaurant_created_id (or, of one status,
# idx_orders_restaurant_status_created_id), read backwards, after its restaurant_id
RESTAURANT_ORDERS = Keyset(RESTAURANT_ORDERS_ORDER[0], (Order.created_at, Order.id),
                           descending=True)

# the order row locked, with its lines (amounts as text, so they stay exact)
LOCK_ORDER = text("""
    SELECT o.id, o.customer_id, o.restaurant_id, o.restaurant_owner_id, o.status,
           o.status_version, o.subtotal, o.total, o.currency, o.notes, o.delivery_address,
           o.created_at, o.updated_at,
           coalesce((SELECT json_agg(json_build_object(
                        'dish_id', i.dish_id, 'dish_name', i.dish_name,
                        'unit_price', i.unit_price::text, 'quantity', i.quantity,
                        'line_total', i.line_total::text) ORDER BY i.line)
                     FROM order_items i WHERE i.order_id = o.id), '[]') AS items
    FROM orders o WHERE o.id = :id
    FOR UPDATE OF o
""")

# a new order, its lines (a JSON array, in their order) and its first status change, at
# one reading of the database's clock
ADD_ORDER = text("""
    WITH clock AS (
        SELECT clock_timestamp() AS placed_at
    ), placed AS (
        INSERT INTO orders (id, customer_id, restaurant_id, restaurant_owner_id, status,
                            status_version, subtotal, total, currency, notes,
                            delivery_address, created_at, updated_at)
        SELECT :id, :customer_id, :restaurant_id, :owner_id, :status, 1, :subtotal, :total,
               :currency, :notes, :delivery_address, placed_at, placed_at
        FROM clock
    ), lines AS (
        INSERT INTO order_items
            (order_id, line, dish_id, dish_name, unit_price, quantity, line_total)
        SELECT :id, number, (line->>'dish_id')::uuid, line->>'dish_name',
               (line->>'unit_price')::numeric, (line->>'quantity')::int,
               (line->>'line_total')::numeric
        FROM jsonb_array_elements(CAST(:lines AS jsonb)) WITH ORDINALITY AS lines(line, number)
    ), first_status AS (
        INSERT INTO order_status_changes
            (order_id, version, previous_status, new_status, actor_id, actor_role, changed_at)
        SELECT :id, 1, NULL, :status, :customer_id, 'customer', placed_at
        FROM clock
    )
    SELECT placed_at FROM clock
""")

# the next version of a locked order, and its order_status_changes row
MOVE_ORDER = text("""
    WITH moved AS (
        UPDATE orders SET status = :new, status_version = status_version + 1,
                          updated_at = clock_timestamp()
        WHERE id = :id
        RETURNING status_version, updated_at
    ), logged AS (
        INSERT INTO order_status_changes
            (order_id, version, previous_status, new_status, actor_id, actor_role, changed_at)
        SELECT :id, status_version, :previous, :new, :actor_id, :actor_role, updated_at
        FROM moved
    )
    SELECT status_version, updated_at FROM moved
""")


class OrdersStore(Store):
    """A worker's view of the orders database (see shared.db.Store)."""

    def now(self) -> datetime:
        """The database's clock now. Taken after a row lock, it orders the changes of one
        order as their versions do, whichever replica made them (unlike the transaction's
        start time, or each replica's own clock)."""
        return self.session.scalar(select(func.clock_timestamp()))

    def answer_given(self, operation: str, idempotency_key: str | None, request) -> dict | None:
        """The stored answer of a finished first call with this key and request, if any.

        A read-only peek, so a retry is answered before any remote call; the claim itself
        (and a key reused for another request) is `command`'s to decide.
        """
        if not isinstance(idempotency_key, str):
            return None
        row = self.session.execute(
            select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
                idempotency_keys.c.operation == operation,
                idempotency_keys.c.key == idempotency_key)
        ).first()
        self.session.rollback()  # end the read's transaction: nothing waits on it
        if row is None or row.response is None or row.request_hash != request_hash(request):
            return None
        return row.response

    # --- orders ------------------------------------------------------------------------------

    def add_order(self, *, customer_id: uuid.UUID, restaurant_id: uuid.UUID,
                  restaurant_owner_id: uuid.UUID | None, lines: list[dict], subtotal: Decimal,
                  total: Decimal, notes: str | None,
                  delivery_address: str | None = None) -> SimpleNamespace:
        """A PENDING order at version 1, its lines, and its first status change (by its
        customer), placed at the database's clock: one statement, and no ORM object (its
        clock read, two flushes and three INSERTs were half of placing an order:
        bench/orders_create.py)."""
        order_id = uuid.uuid4()
        placed_at = self.session.execute(ADD_ORDER, {
            "id": order_id, "customer_id": customer_id, "restaurant_id": restaurant_id,
            "owner_id": restaurant_owner_id, "status": INITIAL, "subtotal": subtotal,
            "total": total, "currency": DEFAULT_CURRENCY, "notes": notes,
            "delivery_address": delivery_address,
            "lines": json.dumps(lines, default=str)}).scalar_one()
        return SimpleNamespace(
            id=order_id, customer_id=customer_id, restaurant_id=restaurant_id,
            restaurant_owner_id=restaurant_owner_id, status=INITIAL, status_version=1,
            subtotal=subtotal, total=total, currency=DEFAULT_CURRENCY, notes=notes,
            delivery_address=delivery_address, created_at=placed_at, updated_at=placed_at,
            items=[SimpleNamespace(**line) for line in lines])

    def get_order(self, order_id: uuid.UUID) -> Order | None:
        return self.session.get(Order, order_id)

    def order_for_update(self, order_id: uuid.UUID) -> SimpleNamespace | None:
        """The order with its lines, locked until the transaction ends: its status changes
        one at a time. One statement, and no ORM object: this is the hottest write."""
        row = self.session.execute(LOCK_ORDER, {"id": order_id}).mappings().first()
        if row is None:
            return None
        order = SimpleNamespace(**row)
        order.items = [SimpleNamespace(
            dish_id=uuid.UUID(line["dish_id"]), dish_name=line["dish_name"],
            unit_price=Decimal(line["unit_price"]), quantity=line["quantity"],
            line_total=Decimal(line["line_total"])) for line in order.items]
        return order

    def record_status_change(self, order: SimpleNamespace, new_status: str, *,
                             actor_id: uuid.UUID | None, actor_role: str) -> SimpleNamespace:
        """Move a locked order to `new_status` as its next version, with the change's row,
        in one statement. The change's moment is the database's clock read after the row
        lock, so it orders the changes of one order as their versions do, whichever
        replica made them (unlike the transaction's start, or each replica's own clock)."""
        version, changed_at = self.session.execute(MOVE_ORDER, {
            "id": order.id, "previous": order.status, "new": new_status,
            "actor_id": actor_id, "actor_role": actor_role}).one()
        change = SimpleNamespace(order_id=order.id, version=version,
                                 previous_status=order.status, new_status=new_status,
                                 actor_id=actor_id, actor_role=actor_role,
                                 changed_at=changed_at)
        order.status, order.status_version, order.updated_at = new_status, version, changed_at
        return change

    def customer_orders(self, customer_id: uuid.UUID, *, limit: int, offset: int,
                        cursor: tuple | None = None) -> Page:
        """Newest first (CUSTOMER_ORDERS), from `offset` or after a cursor's key."""
        found = fetch_page(self.session, select(Order).where(Order.customer_id == customer_id),
                           CUSTOMER_ORDERS, limit, offset, cursor)
        return Page([row[0] for row in found.rows], found.total, found.next_cursor)

    def restaurant_orders(self, restaurant_id: uuid.UUID, *, owner_id: uuid.UUID | None,
                          status: str | None = None, limit: int, offset: int,
                          cursor: tuple | None = None) -> Page:
        """The restaurant's orders newest first (RESTAURANT_ORDERS), of one status or of
        all; with `owner_id`, only those placed while it owned the restaurant (the orders
        it may see: domain.status.actor_role)."""
        query = select(Order).where(Order.restaurant_id == restaurant_id)
        if owner_id is not None:
            query = query.where(Order.restaurant_owner_id == owner_id)
        if status is not None:
            query = query.where(Order.status == status)
        found = fetch_page(self.session, query, RESTAURANT_ORDERS, limit, offset, cursor)
        return Page([row[0] for row in found.rows], found.total, found.next_cursor)

    def status_changes(self, order_id: uuid.UUID) -> list[OrderStatusChange]:
        """Every status the order took, oldest first."""
        return list(self.session.scalars(
            select(OrderStatusChange).where(OrderStatusChange.order_id == order_id)
            .order_by(OrderStatusChange.version)))
