"""The catalog's RPC entrypoints: validate, call the domain, return JSON-ready data."""

from __future__ import annotations

from services.catalog import domain
from services.catalog.contract.rpc import (
    DishInputSchema,
    DishSearchQuery,
    MenuQuery,
    RestaurantInputSchema,
    RestaurantListQuery,
)
from services.catalog.storage import CatalogStore
from services.rankings.contract.events import DISH_RANKED, RANKING_MOVED, RANKING_REMOVED
from shared.consumer import consume_event
from shared.context import CorrelationId
from shared.db import Database
from shared.outbox import OutboxRelay
from shared.rpc import service_rpc
from shared.schemas import load, parse_id, parse_ids


class CatalogService:
    name = "catalog"

    store = Database(CatalogStore)
    relay = OutboxRelay()  # publishes what store.emit wrote, once committed
    correlation = CorrelationId()

    @service_rpc
    def health(self) -> dict:
        self.store.ping()
        return {"status": "ok", "service": self.name}

    # --- restaurants ------------------------------------------------------------------

    @service_rpc
    def list_restaurants(self, **query) -> dict:
        return domain.list_restaurants(self.store, load(RestaurantListQuery(), query))

    @service_rpc
    def get_restaurant(self, restaurant_id: str) -> dict:
        return domain.get_restaurant(self.store, parse_id(restaurant_id, "restaurant_id"))

    @service_rpc
    def get_restaurants(self, restaurant_ids: list[str]) -> list[dict]:
        return domain.get_restaurants(self.store, parse_ids(restaurant_ids, "restaurant_ids"))

    @service_rpc
    def get_menu(self, restaurant_id: str, **query) -> dict:
        restaurant = parse_id(restaurant_id, "restaurant_id")
        return domain.get_menu(self.store, restaurant, load(MenuQuery(), query))

    @service_rpc
    def create_restaurant(self, data: dict, idempotency_key: str | None = None,
                          owner_id: str | None = None) -> dict:
        """`owner_id`: who owns it, the creator the gateway signed in (never the body's)."""
        fields = load(RestaurantInputSchema(), data)
        if owner_id is not None:
            fields["owner_id"] = parse_id(owner_id, "owner_id")
        return domain.create_restaurant(self.store, fields, idempotency_key)

    @service_rpc
    def update_restaurant(self, restaurant_id: str, data: dict,
                          idempotency_key: str | None = None) -> dict:
        fields = load(RestaurantInputSchema(), data, partial=True)
        restaurant = parse_id(restaurant_id, "restaurant_id")
        return domain.update_restaurant(self.store, restaurant, fields, idempotency_key)

    @service_rpc
    def delete_restaurant(self, restaurant_id: str, idempotency_key: str | None = None) -> None:
        restaurant = parse_id(restaurant_id, "restaurant_id")
        domain.delete_restaurant(self.store, restaurant, idempotency_key)

    @service_rpc
    def list_cuisines(self) -> list[dict]:
        return domain.list_cuisines(self.store)

    # --- dishes -----------------------------------------------------------------------

    @service_rpc
    def get_dish(self, dish_id: str) -> dict:
        return domain.get_dish(self.store, parse_id(dish_id, "dish_id"))

    @service_rpc
    def get_dishes(self, dish_ids: list[str]) -> list[dict]:
        return domain.get_dishes(self.store, parse_ids(dish_ids, "dish_ids"))

    @service_rpc
    def get_order_quote(self, restaurant_id: str, dish_ids: list[str]) -> dict:
        """{"restaurant": restaurant, "dishes": [the asked dishes that exist]} (for orders)."""
        restaurant = parse_id(restaurant_id, "restaurant_id")
        return domain.get_order_quote(self.store, restaurant, parse_ids(dish_ids, "dish_ids"))

    @service_rpc
    def search_dishes(self, **query) -> dict:
        return domain.search_dishes(self.store, load(DishSearchQuery(), query))

    @service_rpc
    def create_dish(self, restaurant_id: str, data: dict,
                    idempotency_key: str | None = None) -> dict:
        fields = load(DishInputSchema(), data)
        restaurant = parse_id(restaurant_id, "restaurant_id")
        return domain.create_dish(self.store, restaurant, fields, idempotency_key)

    @service_rpc
    def update_dish(self, dish_id: str, data: dict, idempotency_key: str | None = None) -> dict:
        fields = load(DishInputSchema(), data, partial=True)
        return domain.update_dish(self.store, parse_id(dish_id, "dish_id"), fields, idempotency_key)

    @service_rpc
    def delete_dish(self, dish_id: str, idempotency_key: str | None = None) -> None:
        domain.delete_dish(self.store, parse_id(dish_id, "dish_id"), idempotency_key)

    # --- rank totals, from rankings' events (domain: why no dish_updated follows) ----------

    @consume_event(DISH_RANKED)
    def on_dish_ranked(self, event: dict) -> None:
        domain.dish_ranked(self.store, "catalog.on_dish_ranked", event)

    @consume_event(RANKING_MOVED)
    def on_ranking_moved(self, event: dict) -> None:
        domain.ranking_moved(self.store, "catalog.on_ranking_moved", event)

    @consume_event(RANKING_REMOVED)
    def on_ranking_removed(self, event: dict) -> None:
        domain.ranking_removed(self.store, "catalog.on_ranking_removed", event)
