"""services/gateway/access.py: who may call a route, by its declared access. No I/O."""

from __future__ import annotations

import pytest

from services.gateway.domain.access import (
    ADMIN,
    ANYONE,
    SIGNED_IN,
    authorize,
    owner_of,
    parties,
)
from services.gateway.domain.auth import Identity
from shared.errors import Forbidden, NotFound, Unauthorized

OWNER, USER, ADMIN_ID = "owner-id", "user-id", "admin-id"
AS = {
    "anonymous": None,
    "user": Identity(USER, "user"),
    "owner": Identity(OWNER, "user"),
    "admin": Identity(ADMIN_ID, "admin"),
}
ALLOWED = None


@pytest.mark.parametrize("access, expected", [
    (ANYONE, {"anonymous": ALLOWED, "user": ALLOWED, "owner": ALLOWED, "admin": ALLOWED}),
    (SIGNED_IN, {"anonymous": 401, "user": ALLOWED, "owner": ALLOWED, "admin": ALLOWED}),
    (parties("the author"),
     {"anonymous": 401, "user": ALLOWED, "owner": ALLOWED, "admin": ALLOWED}),
    (owner_of("restaurant_id"), {"anonymous": 401, "user": 403, "owner": ALLOWED,
                                 "admin": ALLOWED}),
    (ADMIN, {"anonymous": 401, "user": 403, "owner": 403, "admin": ALLOWED}),
])
def test_the_access_table(access, expected):
    outcomes = {}
    for who, identity in AS.items():
        try:
            authorize(access, identity, lambda: OWNER)
            outcomes[who] = ALLOWED
        except (Unauthorized, Forbidden) as exc:
            outcomes[who] = exc.status
    assert outcomes == expected


def test_the_owner_is_looked_up_only_when_it_decides():
    asked = []

    def owner():
        asked.append(True)
        return OWNER

    authorize(owner_of("restaurant_id"), AS["admin"], owner)
    authorize(SIGNED_IN, AS["user"], owner)
    with pytest.raises(Unauthorized):
        authorize(owner_of("restaurant_id"), None, owner)
    assert asked == []
    authorize(owner_of("restaurant_id"), AS["owner"], owner)
    assert asked == [True]


def test_an_ownerless_restaurant_is_the_admins_alone():
    with pytest.raises(Forbidden):
        authorize(owner_of("restaurant_id"), AS["user"], lambda: None)
    authorize(owner_of("restaurant_id"), AS["admin"], lambda: None)


def test_a_missing_restaurant_is_not_found_for_a_user():
    def missing():
        raise NotFound("no such restaurant")

    with pytest.raises(NotFound):
        authorize(owner_of("restaurant_id"), AS["user"], missing)


def test_every_access_says_who_in_a_sentence():
    for access in (ANYONE, SIGNED_IN, ADMIN, owner_of("dish_id"), parties("the author")):
        assert access.describe().endswith(".")
    assert "author" in parties("the author").describe()
