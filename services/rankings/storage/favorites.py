"""Where rankings stores each user's favorite restaurants (queries; part of RankingsStore)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.dialects.postgresql import insert

from services.rankings.contract.rpc import FAVORITES_ORDER
from services.rankings.storage.models import Favorite, KnownRestaurant
from shared.pages import Keyset, Page, fetch_page

# newest first, then the restaurant's id: idx_favorites_user_order holds a user's favorites
# in this order
FAVORITES = Keyset(FAVORITES_ORDER[0], (Favorite.created_at, Favorite.restaurant_id),
                   descending=True)


class FavoritesQueries:
    """Mixed into RankingsStore: `self.session` is the worker's SQLAlchemy session."""

    def add_favorite(self, user_id: uuid.UUID, restaurant_id: uuid.UUID) -> dict:
        """The favorite {restaurant_id, favorited_at}: the one there was, if there was one
        (favoriting twice is one favorite, from the first time)."""
        self.session.execute(
            insert(Favorite).values(user_id=user_id, restaurant_id=restaurant_id)
            .on_conflict_do_nothing())
        row = self.session.execute(
            select(Favorite.restaurant_id, Favorite.created_at.label("favorited_at"))
            .where(Favorite.user_id == user_id, Favorite.restaurant_id == restaurant_id)
        ).one()
        return dict(row._mapping)

    def remove_favorite(self, user_id: uuid.UUID, restaurant_id: uuid.UUID) -> bool:
        """False if it was not a favorite."""
        return self.session.execute(
            delete(Favorite).where(Favorite.user_id == user_id,
                                   Favorite.restaurant_id == restaurant_id)
            .returning(Favorite.restaurant_id)
        ).first() is not None

    def favorites_of(self, user_id: uuid.UUID, *, limit: int, offset: int,
                     cursor: tuple | None = None) -> Page:
        """Page of {restaurant_id, favorited_at}, newest first; a restaurant the catalog
        deleted (as its events told rankings) is left out."""
        deleted = exists().where(and_(KnownRestaurant.restaurant_id == Favorite.restaurant_id,
                                      KnownRestaurant.deleted.is_(True)))
        query = (select(Favorite.restaurant_id, Favorite.created_at.label("favorited_at"))
                 .where(Favorite.user_id == user_id, ~deleted))
        found = fetch_page(self.session, query, FAVORITES, limit, offset, cursor)
        return Page([{"restaurant_id": restaurant_id, "favorited_at": favorited_at}
                     for restaurant_id, favorited_at in found.rows],
                    found.total, found.next_cursor)
