"""The rankings service's favorites entrypoints (mixed into RankingsService)."""

from __future__ import annotations

from services.rankings.contract.rpc import FavoritesQuery
from services.rankings.domain import favorites
from shared.rpc import service_rpc
from shared.schemas import load, parse_id


class FavoritesEntrypoints:
    """Entrypoints only: validate, call the domain with `self.store`, return."""

    @service_rpc
    def favorite_restaurant(self, user_id: str, restaurant_id: str) -> dict:
        return favorites.favorite_restaurant(self.store, parse_id(user_id, "user_id"),
                                             parse_id(restaurant_id, "restaurant_id"))

    @service_rpc
    def unfavorite_restaurant(self, user_id: str, restaurant_id: str) -> None:
        favorites.unfavorite_restaurant(self.store, parse_id(user_id, "user_id"),
                                        parse_id(restaurant_id, "restaurant_id"))

    @service_rpc
    def list_favorites(self, user_id: str, **query) -> dict:
        return favorites.list_favorites(self.store, parse_id(user_id, "user_id"),
                                        load(FavoritesQuery, query))
