"""Orders: placing an order priced by the catalog, moving it along the status machine, and
reading it back. Plain functions over an OrdersStore and a catalog client; no nameko.

Every write commits its order rows, its order_status_changes row and its event (outbox)
in one transaction, once per idempotency key (store.command).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

from marshmallow import fields

from services.orders.contract.events import ORDER_CREATED, ORDER_STATUS_CHANGED
from services.orders.contract.rpc import OrderSchema
from services.orders.domain import status as machine
from shared.errors import BellyfedError, InvalidInput, NotFound
from shared.schemas import page, paged


class _OrderAnswer(OrderSchema):
    """An order row as the contract's OrderSchema answers it (its version is the row's
    status_version)."""

    version = fields.Integer(attribute="status_version")


order_schema = _OrderAnswer()

CENT = Decimal("0.01")
CREATE_ORDER = "create_order"
CHANGE_STATUS = "change_order_status"


# --- pricing (pure) ----------------------------------------------------------------------------

def price_lines(restaurant_id: uuid.UUID, items: list[dict], dishes: Iterable[dict]
                ) -> list[dict]:
    """The order's lines priced from the catalog's dishes (DishSchema dumps).

    Every item must name a dish the catalog has, on this restaurant's menu, available now;
    otherwise InvalidInput names each refused item by its index. Amounts are exact.
    """
    by_id = {uuid.UUID(str(dish["id"])): dish for dish in dishes}
    refused: dict[int, dict] = {}
    lines = []
    for index, item in enumerate(items):
        dish = by_id.get(item["dish_id"])
        if dish is None:
            problem = "no such dish"
        elif uuid.UUID(str(dish["restaurant_id"])) != restaurant_id:
            problem = "this dish is not on this restaurant's menu"
        elif not dish["is_available"]:
            problem = "this dish is not available"
        else:
            unit_price = Decimal(str(dish["price"])).quantize(CENT)
            lines.append({"dish_id": item["dish_id"], "dish_name": dish["name"],
                          "unit_price": unit_price, "quantity": item["quantity"],
                          "line_total": unit_price * item["quantity"]})
            continue
        refused[index] = {"dish_id": [problem]}
    if refused:
        raise InvalidInput("some items cannot be ordered", {"fields": {"items": refused}})
    return lines


def order_total(lines: Iterable[dict]) -> Decimal:
    """The sum of the line totals, to the cent (no fees or taxes are charged)."""
    return sum((line["line_total"] for line in lines), Decimal("0.00")).quantize(CENT)


# --- who sees an order ---------------------------------------------------------------------------

def _role_or_404(order, order_id: uuid.UUID, actor_id: uuid.UUID | None, is_admin: bool) -> str:
    """The actor's role towards the order; NotFound if there is no such order or the actor
    may not see it (a stranger learns nothing, not even that it exists)."""
    role = None if order is None else machine.actor_role(
        actor_id, is_admin, order.customer_id, order.restaurant_owner_id)
    if role is None:
        raise NotFound("order not found", {"order_id": str(order_id)})
    return role


# --- reads ---------------------------------------------------------------------------------------

def get_order(store, order_id: uuid.UUID, actor_id: uuid.UUID | None,
              is_admin: bool = False) -> dict:
    """For its customer, its restaurant's owner, and admins."""
    order = store.get_order(order_id)
    _role_or_404(order, order_id, actor_id, is_admin)
    return order_schema.dump(order)


def list_orders(store, customer_id: uuid.UUID, query: dict) -> dict:
    """The customer's own orders, newest first, a page from `offset` or after `cursor` (a
    page asked by cursor has no known position: no next_offset, follow next_cursor)."""
    found = store.customer_orders(customer_id, **query)
    return paged(found, order_schema.dump(found.rows, many=True), query)


def list_restaurant_orders(store, restaurant_id: uuid.UUID, actor_id: uuid.UUID | None,
                           is_admin: bool, query: dict) -> dict:
    """A restaurant's inbox, newest first, of `query`'s status or of all: for an admin
    every order of the restaurant, for anyone else those placed while they owned it (the
    orders they may see and move; a stranger gets an empty inbox). Paged as list_orders."""
    if not is_admin and actor_id is None:
        return page([], 0, None if query.get("cursor") else query["offset"])
    found = store.restaurant_orders(restaurant_id, owner_id=None if is_admin else actor_id,
                                    **query)
    return paged(found, order_schema.dump(found.rows, many=True), query)


# --- writes --------------------------------------------------------------------------------------

def _quote(catalog, restaurant_id: uuid.UUID, items: list[dict]) -> dict:
    """One catalog call for the restaurant and every dish; an unknown restaurant is a bad
    field of the order (422), not a missing order."""
    try:
        return catalog.get_order_quote(str(restaurant_id),
                                       [str(item["dish_id"]) for item in items])
    except NotFound:
        raise InvalidInput("the request has invalid fields", {
            "fields": {"restaurant_id": ["no such restaurant"]}}) from None


def create_order(store, catalog, customer_id: uuid.UUID, fields: dict,
                 idempotency_key: str | None = None) -> dict:
    """A PENDING order priced from the catalog now; order_created goes with it. A retry
    (the same key and request) gets the first order, even once the menu changed or while
    the catalog is away."""
    request = {"customer_id": customer_id, "fields": fields}
    try:
        quote = _quote(catalog, fields["restaurant_id"], fields["items"])
        lines = price_lines(fields["restaurant_id"], fields["items"], quote["dishes"])
    except BellyfedError:
        # only a call the catalog cannot price looks for a first call's answer here: a
        # first call (nearly every call) skips that read, and a priced retry gets its
        # first order from the claim in `store.command`
        answered = store.answer_given(CREATE_ORDER, idempotency_key, request)
        if answered is not None:
            return answered
        raise
    subtotal = order_total(lines)
    owner_id = quote["restaurant"].get("owner_id")

    def apply():
        order = store.add_order(
            customer_id=customer_id, restaurant_id=fields["restaurant_id"],
            restaurant_owner_id=uuid.UUID(owner_id) if owner_id else None, lines=lines,
            subtotal=subtotal, total=subtotal, notes=fields.get("notes"),
            delivery_address=fields.get("delivery_address"))
        store.emit(ORDER_CREATED, ORDER_CREATED.dump({
            "order_id": order.id, "customer_id": order.customer_id,
            "restaurant_id": order.restaurant_id,
            "restaurant_owner_id": order.restaurant_owner_id, "status": order.status,
            "version": order.status_version, "total": order.total,
            "currency": order.currency, "items": order.items, "created_at": order.created_at,
        }))
        return order_schema.dump(order)

    return store.command(CREATE_ORDER, idempotency_key, request, apply)


def change_status(store, order_id: uuid.UUID, new_status: str, actor_id: uuid.UUID | None,
                  is_admin: bool = False, idempotency_key: str | None = None) -> dict:
    """Move the order one step (see domain.status); order_status_changed goes with it.

    The order row is locked first, so concurrent changes of one order apply one after
    the other: each sees the status the previous one left, and versions never skip.
    """
    def apply():
        order = store.order_for_update(order_id)
        role = _role_or_404(order, order_id, actor_id, is_admin)
        machine.check_move(role, order.status, new_status)
        change = store.record_status_change(order, new_status, actor_id=actor_id,
                                            actor_role=role)
        store.emit(ORDER_STATUS_CHANGED, ORDER_STATUS_CHANGED.dump({
            "order_id": order.id, "customer_id": order.customer_id,
            "restaurant_id": order.restaurant_id, "previous_status": change.previous_status,
            "new_status": change.new_status, "version": change.version,
            "actor_id": change.actor_id, "actor_role": change.actor_role,
            "total": order.total, "currency": order.currency,
            "changed_at": change.changed_at,
        }))
        return order_schema.dump(order)

    request = {"order_id": order_id, "status": new_status, "actor_id": actor_id,
               "is_admin": is_admin}
    return store.command(CHANGE_STATUS, idempotency_key, request, apply)
