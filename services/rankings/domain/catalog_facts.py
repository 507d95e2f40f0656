"""Keeping rankings' copy of the catalog facts it needs, from the catalog's events.

Each event is applied once (claimed by event id in the same transaction), and
an event older than what is stored changes nothing: events of different types
travel on different queues, so they may arrive out of order.
"""

from __future__ import annotations

from services.rankings.schemas.catalog_facts import (
    CatalogDeletedPayload,
    CatalogDishPayload,
    CatalogRestaurantPayload,
)


def restaurant_changed(store, consumer: str, event: dict) -> None:
    restaurant = CatalogRestaurantPayload().load(event["payload"])
    with store.transaction():
        if store.first_time(consumer, event):
            store.keep_restaurant({
                "restaurant_id": restaurant["id"], "name": restaurant["name"],
                "city": restaurant["city"], "cuisine_type": restaurant["cuisine_type"],
                "deleted": False, "source_updated_at": restaurant["updated_at"],
            })


def restaurant_deleted(store, consumer: str, event: dict) -> None:
    deleted = CatalogDeletedPayload().load(event["payload"])
    with store.transaction():
        if store.first_time(consumer, event):
            store.forget_restaurant(deleted["id"], event["occurred_at"])


def dish_changed(store, consumer: str, event: dict) -> None:
    dish = CatalogDishPayload().load(event["payload"])
    with store.transaction():
        if store.first_time(consumer, event):
            store.keep_dish({
                "dish_id": dish["id"], "restaurant_id": dish["restaurant_id"],
                "name": dish["name"], "dish_type": dish["dish_type"], "deleted": False,
                "source_updated_at": dish["updated_at"],
            })


def dish_deleted(store, consumer: str, event: dict) -> None:
    deleted = CatalogDeletedPayload().load(event["payload"])
    with store.transaction():
        if store.first_time(consumer, event):
            store.forget_dish(deleted["id"], event["occurred_at"])
