"""Keeping rankings' copy of the catalog facts it needs, from the catalog's events.

Each event is applied once (claimed by event id in the same transaction), and
an event older than what is stored changes nothing: events of different types
travel on different queues, so they may arrive out of order.
"""

from __future__ import annotations

from services.catalog.contract.events import DISH_CREATED, RESTAURANT_CREATED, RESTAURANT_DELETED

# what rankings reads of the catalog's events (every other field is ignored); the
# *_updated and dish_deleted payloads have the same shapes
_restaurant = RESTAURANT_CREATED.reader("id", "name", "city", "cuisine_type", "updated_at",
                                        optional=("city", "cuisine_type"))
_dish = DISH_CREATED.reader("id", "restaurant_id", "name", "dish_type", "updated_at")
_deleted = RESTAURANT_DELETED.reader("id")


def restaurant_changed(store, consumer: str, event: dict) -> None:
    restaurant = _restaurant.load(event["payload"])
    with store.transaction():
        if store.first_time(consumer, event):
            store.keep_restaurant({
                "restaurant_id": restaurant["id"], "name": restaurant["name"],
                "city": restaurant.get("city"),
                "cuisine_type": restaurant.get("cuisine_type") or [],
                "deleted": False, "source_updated_at": restaurant["updated_at"],
            })


def restaurant_deleted(store, consumer: str, event: dict) -> None:
    deleted = _deleted.load(event["payload"])
    with store.transaction():
        if store.first_time(consumer, event):
            store.forget_restaurant(deleted["id"], event["occurred_at"])


def dish_changed(store, consumer: str, event: dict) -> None:
    dish = _dish.load(event["payload"])
    with store.transaction():
        if store.first_time(consumer, event):
            store.keep_dish({
                "dish_id": dish["id"], "restaurant_id": dish["restaurant_id"],
                "name": dish["name"], "dish_type": dish["dish_type"], "deleted": False,
                "source_updated_at": dish["updated_at"],
            })


def dish_deleted(store, consumer: str, event: dict) -> None:
    deleted = _deleted.load(event["payload"])
    with store.transaction():
        if store.first_time(consumer, event):
            store.forget_dish(deleted["id"], event["occurred_at"])
