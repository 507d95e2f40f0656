"""The rankings service's one-best rankings entrypoints (mixed into RankingsService)."""

from __future__ import annotations

import uuid

from marshmallow import ValidationError, fields

from services.rankings.contract.rpc import (
    BestDishesQuery,
    DishTypeInput,
    HistoryQuery,
    PlaceDishInput,
)
from services.rankings.domain import rankings
from shared.errors import InvalidInput
from shared.rpc import service_rpc
from shared.schemas import load


class RankingsEntrypoints:
    """Entrypoints only: validate, call the domain with `self.store`, return."""

    @service_rpc
    def get_my_rankings(self, user_id: str) -> dict:
        return rankings.get_my_rankings(self.store, _id(user_id, "user_id"))

    @service_rpc
    def get_my_list(self, user_id: str, dish_type: str) -> dict:
        return rankings.get_my_list(self.store, _id(user_id, "user_id"), _dish_type(dish_type))

    @service_rpc
    def place_dish(self, user_id: str, dish_type: str, data: dict,
                   idempotency_key: str | None = None) -> dict:
        user_id, dish_type = _id(user_id, "user_id"), _dish_type(dish_type)
        return rankings.place_dish(self.store, user_id, dish_type, load(PlaceDishInput, data),
                                   idempotency_key)

    @service_rpc
    def remove_dish(self, user_id: str, dish_type: str, dish_id: str,
                    idempotency_key: str | None = None) -> dict:
        return rankings.remove_dish(self.store, _id(user_id, "user_id"), _dish_type(dish_type),
                                    _id(dish_id, "dish_id"), idempotency_key)

    @service_rpc
    def get_ranking_history(self, user_id: str, dish_type: str | None = None,
                            **query) -> dict:
        """The user's own changes, newest first: of one dish type, or (None) of every one."""
        return rankings.get_ranking_history(self.store, _id(user_id, "user_id"),
                                            _history_query(dish_type, query))

    @service_rpc
    def get_public_ranking_history(self, user_id: str, viewer_id: str | None = None,
                                   dish_type: str | None = None, **query) -> dict:
        """A user's changes as anyone sees them: when they made their history public, or
        to themselves (`viewer_id`, None when anonymous); Forbidden otherwise."""
        viewer = None if viewer_id is None else _id(viewer_id, "viewer_id")
        return rankings.get_public_ranking_history(self.store, _id(user_id, "user_id"),
                                                   viewer, _history_query(dish_type, query))

    @service_rpc
    def get_dish_stats(self, dish_id: str) -> dict:
        return rankings.get_dish_stats(self.store, _id(dish_id, "dish_id"))

    @service_rpc
    def get_best_dishes(self, dish_type: str, city: str, **query) -> dict:
        query = load(BestDishesQuery, {**query, "dish_type": dish_type, "city": city})
        return rankings.get_best_dishes(self.store, query)


def _id(value, name: str) -> uuid.UUID:
    try:
        return fields.UUID().deserialize(value)
    except ValidationError as exc:
        raise InvalidInput(f"{name} is not a valid id", {"fields": {name: exc.messages}}) from None


def _dish_type(value) -> str:
    return load(DishTypeInput, {"dish_type": value})["dish_type"]


def _history_query(dish_type, query: dict) -> dict:
    return load(HistoryQuery, query if dish_type is None else {**query, "dish_type": dish_type})
