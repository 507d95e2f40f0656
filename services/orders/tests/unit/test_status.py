"""The status machine, exhaustively: every (role, current status, asked status) triple, checked
against the table SPEC §6 writes down, independently of how domain.status computes it."""

from __future__ import annotations

import itertools
import uuid

import pytest

from services.orders.domain import status
from shared.errors import Conflict, Forbidden

STATUSES = ["PENDING", "CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED",
            "CANCELLED"]
# SPEC §6, written out: these moves and no others
ALLOWED = {
    ("PENDING", "CONFIRMED"), ("CONFIRMED", "PREPARING"), ("PREPARING", "READY"),
    ("READY", "OUT_FOR_DELIVERY"), ("OUT_FOR_DELIVERY", "DELIVERED"),
    ("PENDING", "CANCELLED"), ("CONFIRMED", "CANCELLED"), ("PREPARING", "CANCELLED"),
}
ROLES = ["customer", "owner", "admin"]
EVERY_CASE = list(itertools.product(ROLES, STATUSES, STATUSES))


def expected(role: str, current: str, asked: str) -> str:
    """"ok", "forbidden" or "conflict", from the rules as the contract states them."""
    if role == "customer" and asked != "CANCELLED":
        return "forbidden"  # a customer may only cancel
    return "ok" if (current, asked) in ALLOWED else "conflict"


def outcome(role: str, current: str, asked: str) -> str:
    try:
        status.check_move(role, current, asked)
    except Forbidden:
        return "forbidden"
    except Conflict:
        return "conflict"
    return "ok"


def test_the_statuses_are_the_specs():
    assert list(status.STATUSES) == STATUSES
    assert status.INITIAL == "PENDING"
    assert set(status.ROLES) == set(ROLES)


@pytest.mark.parametrize(("role", "current", "asked"), EVERY_CASE)
def test_every_move_for_every_role(role, current, asked):
    assert outcome(role, current, asked) == expected(role, current, asked)


def test_the_table_covers_what_it_should():
    outcomes = {case: outcome(*case) for case in EVERY_CASE}
    assert len(outcomes) == 3 * 7 * 7
    for role in ("owner", "admin"):
        assert {(c, a) for (r, c, a), o in outcomes.items() if r == role and o == "ok"} == ALLOWED
    assert {(c, a) for (r, c, a), o in outcomes.items() if r == "customer" and o == "ok"} == {
        ("PENDING", "CANCELLED"), ("CONFIRMED", "CANCELLED"), ("PREPARING", "CANCELLED")}


@pytest.mark.parametrize("current", STATUSES)
def test_next_statuses_are_exactly_the_allowed_moves(current):
    assert status.next_statuses(current) == {asked for c, asked in ALLOWED if c == current}


@pytest.mark.parametrize("final", ["DELIVERED", "CANCELLED"])
def test_nothing_leaves_a_final_status(final):
    assert final in status.FINAL
    assert status.next_statuses(final) == frozenset()


@pytest.mark.parametrize("current", STATUSES)
def test_the_same_status_again_is_a_conflict(current):
    for role in ("owner", "admin"):
        assert outcome(role, current, current) == "conflict"
    assert outcome("customer", current, current) == (
        "conflict" if current == "CANCELLED" else "forbidden")


def test_a_conflict_says_what_is_allowed_now():
    with pytest.raises(Conflict) as refused:
        status.check_move("owner", "PENDING", "READY")
    assert refused.value.details == {"current_status": "PENDING", "status": "READY",
                                     "allowed": ["CANCELLED", "CONFIRMED"]}


CUSTOMER, OWNER, STRANGER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(("actor_id", "is_admin", "owner_id", "role"), [
    (CUSTOMER, False, OWNER, "customer"),
    (OWNER, False, OWNER, "owner"),
    (STRANGER, False, OWNER, None),
    (None, False, OWNER, None),
    (None, False, None, None),  # no owner on record matches nobody, not a missing actor
    (STRANGER, True, OWNER, "admin"),
    (CUSTOMER, True, OWNER, "admin"),
    (None, True, OWNER, "admin"),
    (CUSTOMER, False, CUSTOMER, "owner"),  # ordering from one's own restaurant
    (OWNER, False, None, None),
])
def test_who_the_actor_is_to_the_order(actor_id, is_admin, owner_id, role):
    assert status.actor_role(actor_id, is_admin, CUSTOMER, owner_id) == role
