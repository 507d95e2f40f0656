"""Favorites: the restaurants a user keeps, each once. Favoriting and unfavoriting are
idempotent by nature (the second time changes nothing), so they take no idempotency key.

The restaurant is the catalog's: the gateway, which answers the route, has checked that
it exists (its read model of the catalog); rankings only keeps the pair.
"""

from __future__ import annotations

import uuid

from services.rankings.contract.rpc import FavoriteSchema
from services.rankings.domain.users import user_or_404
from shared.schemas import paged

favorite_schema = FavoriteSchema()


def favorite_restaurant(store, user_id: uuid.UUID, restaurant_id: uuid.UUID) -> dict:
    """The favorite, since the first time it was made."""
    with store.transaction():
        user_or_404(store, user_id)
        return favorite_schema.dump(store.add_favorite(user_id, restaurant_id))


def unfavorite_restaurant(store, user_id: uuid.UUID, restaurant_id: uuid.UUID) -> None:
    """No favorite of it any more (none there was, none there is: not an error)."""
    with store.transaction():
        user_or_404(store, user_id)
        store.remove_favorite(user_id, restaurant_id)


def list_favorites(store, user_id: uuid.UUID, query: dict) -> dict:
    """The user's favorites, most recently favorited first."""
    user_or_404(store, user_id)
    found = store.favorites_of(user_id, **query)
    return paged(found, favorite_schema.dump(found.rows, many=True), query)
