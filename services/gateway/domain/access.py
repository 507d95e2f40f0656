"""Who may call a route: one declaration per route, checked before its handler runs.

Every gateway route names its `Access` (see `http.route`). The route's wrapper reads the
request's access token, then `authorize` decides, so no handler checks roles itself:

| access | anonymous | a user | the restaurant's owner | an admin |
|---|---|---|---|---|
| ANYONE | yes | yes | yes | yes |
| SIGNED_IN | 401 | yes | yes | yes |
| OWNER | 401 | 403 | yes | yes |
| ADMIN | 401 | 403 | 403 | yes |

Whatever the access, a token that is sent must be good: a bad one is 401, never anonymous.

SIGNED_IN routes that reach one user's objects by id (an order, a review) say whose they
are in `parties`; the service owning the objects checks it, because only it knows the
objects (orders answers 404 to anyone not a party to an order, rankings 403 to anyone
editing a review they did not write). Routes under /users/me and /rankings/my act on the
token's own user, so no id in the path can point at someone else's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.gateway.domain.auth import Identity
from shared.errors import Forbidden, Unauthorized

SIGN_IN_NEEDED = "this route needs a signed-in user: send 'Authorization: Bearer <access token>'"


@dataclass(frozen=True)
class Access:
    who: str  # "anyone", "user", "owner" or "admin"
    # OWNER: the path parameter naming the restaurant (or the dish of one) that is owned
    owns: str | None = None
    # SIGNED_IN routes on one user's objects: who among users may, checked by their service
    parties: str | None = None

    @property
    def needs_user(self) -> bool:
        return self.who != "anyone"

    def describe(self) -> str:
        if self.who == "anyone":
            return "Anyone; a token, when sent, must be valid."
        if self.who == "admin":
            return "Admins only (an access token with the admin role)."
        if self.who == "owner":
            return "The restaurant's owner, or an admin."
        if self.parties:
            return f"A signed-in user: {self.parties}."
        return "A signed-in user."


ANYONE = Access("anyone")
SIGNED_IN = Access("user")
ADMIN = Access("admin")


def owner_of(path_parameter: str) -> Access:
    """The owner of the restaurant a path parameter names (restaurant_id, or dish_id: the
    dish's restaurant), or an admin."""
    return Access("owner", owns=path_parameter)


def parties(who: str) -> Access:
    """A signed-in user, and among users only `who` (checked by the service owning the
    objects; see the module docstring)."""
    return Access("user", parties=who)


def authorize(access: Access, identity: Identity | None,
              owner_id: Callable[[], str | None]) -> None:
    """Unauthorized or Forbidden unless `identity` may call a route declared `access`.

    `owner_id` gives the owner of the restaurant an OWNER route names; it is only asked
    for a signed-in non-admin on such a route (it may raise NotFound)."""
    if not access.needs_user:
        return
    if identity is None:
        raise Unauthorized(SIGN_IN_NEEDED, {"header": "Authorization"})
    if access.who == "user" or identity.is_admin:
        return
    if access.who == "admin":
        raise Forbidden("this route is for admins")
    if owner_id() != identity.user_id:
        raise Forbidden("only the restaurant's owner or an admin may do this")
