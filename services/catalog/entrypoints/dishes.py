"""The catalog's menu and dish entrypoints (mixed into CatalogService)."""

from __future__ import annotations

from services.catalog.contract.rpc import DishInputSchema, DishSearchQuery
from services.catalog.domain import catalog
from shared.rpc import service_rpc
from shared.schemas import load, parse_id, parse_ids


class DishesEntrypoints:
    @service_rpc
    def get_dish(self, dish_id: str) -> dict:
        return catalog.get_dish(self.store, parse_id(dish_id, "dish_id"))

    @service_rpc
    def get_dishes(self, dish_ids: list[str]) -> list[dict]:
        return catalog.get_dishes(self.store, parse_ids(dish_ids, "dish_ids"))

    @service_rpc
    def get_order_quote(self, restaurant_id: str, dish_ids: list[str]) -> dict:
        """{"restaurant": restaurant, "dishes": [the asked dishes that exist]} (for orders)."""
        restaurant = parse_id(restaurant_id, "restaurant_id")
        return catalog.get_order_quote(self.store, restaurant, parse_ids(dish_ids, "dish_ids"))

    @service_rpc
    def search_dishes(self, **query) -> dict:
        return catalog.search_dishes(self.store, load(DishSearchQuery, query))

    @service_rpc
    def create_dish(self, restaurant_id: str, data: dict,
                    idempotency_key: str | None = None) -> dict:
        fields = load(DishInputSchema, data)
        restaurant = parse_id(restaurant_id, "restaurant_id")
        return catalog.create_dish(self.store, restaurant, fields, idempotency_key)

    @service_rpc
    def update_dish(self, dish_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        fields = load(DishInputSchema, data, partial=True)
        return catalog.update_dish(self.store, parse_id(dish_id, "dish_id"), fields,
                                   idempotency_key)

    @service_rpc
    def delete_dish(self, dish_id: str, idempotency_key: str | None = None) -> None:
        catalog.delete_dish(self.store, parse_id(dish_id, "dish_id"), idempotency_key)
