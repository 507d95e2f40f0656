"""The order status machine and who may move an order along it (pure: no I/O).

    PENDING → CONFIRMED → PREPARING → READY → OUT_FOR_DELIVERY → DELIVERED
    PENDING | CONFIRMED | PREPARING → CANCELLED

Who may ask for a move depends on who they are to the order:
- an admin, and the restaurant's owner: any move the machine allows;
- the customer: only CANCELLED (while the machine allows it);
- anyone else may not even see the order.

Permission is decided before the state: a customer asking for anything but a cancel is
Forbidden whatever the status; an allowed kind of move that the current status refuses
(a cancel after PREPARING, a step back, a skip, the same status again) is a Conflict.
"""

from __future__ import annotations

import uuid

from services.orders.contract.rpc import (
    ADMIN,
    CANCELLED,
    CONFIRMED,
    CUSTOMER,
    DELIVERED,
    OUT_FOR_DELIVERY,
    OWNER,
    PENDING,
    PREPARING,
    READY,
    ROLES,
    STATUSES,
)
from shared.errors import Conflict, Forbidden

__all__ = ["ROLES", "STATUSES", "actor_role", "check_move", "next_statuses"]

INITIAL = PENDING
FORWARD = {
    PENDING: CONFIRMED,
    CONFIRMED: PREPARING,
    PREPARING: READY,
    READY: OUT_FOR_DELIVERY,
    OUT_FOR_DELIVERY: DELIVERED,
}
CANCELLABLE = frozenset({PENDING, CONFIRMED, PREPARING})
FINAL = frozenset({DELIVERED, CANCELLED})  # nothing leaves them


def next_statuses(status: str) -> frozenset[str]:
    """Where an order in `status` may go next."""
    following = {FORWARD[status]} if status in FORWARD else set()
    if status in CANCELLABLE:
        following.add(CANCELLED)
    return frozenset(following)


def actor_role(actor_id: uuid.UUID | None, is_admin: bool, customer_id: uuid.UUID,
               restaurant_owner_id: uuid.UUID | None) -> str | None:
    """Who the actor is to the order, or None if a stranger (who may not see it).

    An owner ordering from their own restaurant acts as its owner: the wider rights win.
    """
    if is_admin:
        return ADMIN
    if actor_id is not None and actor_id == restaurant_owner_id:
        return OWNER
    if actor_id is not None and actor_id == customer_id:
        return CUSTOMER
    return None


def may_request(role: str, new_status: str) -> bool:
    """Whether `role` may ask for `new_status` at all, whatever the order's status now."""
    if role in (ADMIN, OWNER):
        return True
    return role == CUSTOMER and new_status == CANCELLED


def check_move(role: str, current: str, new_status: str) -> None:
    """Forbidden if `role` may not ask for this move; Conflict if `current` refuses it."""
    if not may_request(role, new_status):
        raise Forbidden("a customer may only cancel an order",
                        {"status": new_status, "actor_role": role})
    if new_status not in next_statuses(current):
        raise Conflict(f"an order that is {current} cannot become {new_status}", {
            "current_status": current, "status": new_status,
            "allowed": sorted(next_statuses(current))})
