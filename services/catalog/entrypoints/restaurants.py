"""The catalog's restaurant entrypoints (mixed into CatalogService): validate, call the
domain with `self.store`, return JSON-ready data."""

from __future__ import annotations

from services.catalog.contract.rpc import MenuQuery, RestaurantInputSchema, RestaurantListQuery
from services.catalog.domain import catalog
from shared.rpc import service_rpc
from shared.schemas import load, parse_id, parse_ids


class RestaurantsEntrypoints:
    @service_rpc
    def list_restaurants(self, **query) -> dict:
        return catalog.list_restaurants(self.store, load(RestaurantListQuery, query))

    @service_rpc
    def get_restaurant(self, restaurant_id: str) -> dict:
        return catalog.get_restaurant(self.store, parse_id(restaurant_id, "restaurant_id"))

    @service_rpc
    def get_restaurants(self, restaurant_ids: list[str]) -> list[dict]:
        return catalog.get_restaurants(self.store, parse_ids(restaurant_ids, "restaurant_ids"))

    @service_rpc
    def get_menu(self, restaurant_id: str, **query) -> dict:
        restaurant = parse_id(restaurant_id, "restaurant_id")
        return catalog.get_menu(self.store, restaurant, load(MenuQuery, query))

    @service_rpc
    def create_restaurant(self, data: dict, idempotency_key: str | None = None,
                          owner_id: str | None = None) -> dict:
        """`owner_id`: who owns it, the creator the gateway signed in (never the body's)."""
        fields = load(RestaurantInputSchema, data)
        if owner_id is not None:
            fields["owner_id"] = parse_id(owner_id, "owner_id")
        return catalog.create_restaurant(self.store, fields, idempotency_key)

    @service_rpc
    def update_restaurant(self, restaurant_id: str, data: dict,
                          idempotency_key: str | None = None) -> dict:
        fields = load(RestaurantInputSchema, data, partial=True)
        restaurant = parse_id(restaurant_id, "restaurant_id")
        return catalog.update_restaurant(self.store, restaurant, fields, idempotency_key)

    @service_rpc
    def delete_restaurant(self, restaurant_id: str, idempotency_key: str | None = None) -> None:
        restaurant = parse_id(restaurant_id, "restaurant_id")
        catalog.delete_restaurant(self.store, restaurant, idempotency_key)

    @service_rpc
    def list_cuisines(self) -> list[dict]:
        return catalog.list_cuisines(self.store)
