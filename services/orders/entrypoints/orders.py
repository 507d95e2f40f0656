"""The orders service's order entrypoints (mixed into OrdersService)."""

from __future__ import annotations

from services.orders.contract.rpc import (
    OrderInput,
    OrdersQuery,
    OrderStatusInput,
    RestaurantOrdersQuery,
)
from services.orders.domain import orders
from shared.errors import InvalidInput
from shared.rpc import service_rpc
from shared.schemas import load, parse_id


def _flag(value, argument: str) -> bool:
    """A true/false argument: only a real boolean, so "false" never grants anything."""
    if not isinstance(value, bool):
        raise InvalidInput("the request has invalid fields",
                           {"fields": {argument: ["expected true or false"]}})
    return value


def _actor(actor_id: str | None):
    return None if actor_id is None else parse_id(actor_id, "actor_id")


class OrdersEntrypoints:
    """Entrypoints only: validate, call the domain with `self.store` (and `self.catalog`),
    return."""

    @service_rpc
    def create_order(self, customer_id: str, data: dict,
                     idempotency_key: str | None = None) -> dict:
        fields = load(OrderInput, data)
        return orders.create_order(self.store, self.catalog, parse_id(customer_id, "customer_id"),
                                   fields, idempotency_key)

    @service_rpc
    def get_order(self, order_id: str, actor_id: str | None, is_admin: bool = False) -> dict:
        return orders.get_order(self.store, parse_id(order_id, "order_id"), _actor(actor_id),
                                _flag(is_admin, "is_admin"))

    @service_rpc
    def list_orders(self, customer_id: str, **query) -> dict:
        """`query`: OrdersQuery's limit, and offset or cursor (as the query string has them)."""
        return orders.list_orders(self.store, parse_id(customer_id, "customer_id"),
                                  load(OrdersQuery, query))

    @service_rpc
    def list_restaurant_orders(self, restaurant_id: str, actor_id: str | None,
                               is_admin: bool = False, **query) -> dict:
        """The restaurant's inbox as `actor_id` may see it; `query`: RestaurantOrdersQuery's
        status, limit, and offset or cursor (as the query string has them)."""
        return orders.list_restaurant_orders(
            self.store, parse_id(restaurant_id, "restaurant_id"), _actor(actor_id),
            _flag(is_admin, "is_admin"), load(RestaurantOrdersQuery, query))

    @service_rpc
    def change_status(self, order_id: str, new_status: str, actor_id: str | None,
                      is_admin: bool = False, idempotency_key: str | None = None) -> dict:
        change = load(OrderStatusInput, {"status": new_status})
        return orders.change_status(self.store, parse_id(order_id, "order_id"),
                                    change["status"], _actor(actor_id),
                                    _flag(is_admin, "is_admin"), idempotency_key)
