"""Restaurants, dishes and cuisines: what a write changes, what it announces, what a read
answers.

Plain functions over a `CatalogStore` (or anything with its methods); no nameko.
"""

from __future__ import annotations

import re
import uuid

from services.catalog.contract.events import (
    DISH_CREATED,
    DISH_DELETED,
    DISH_UPDATED,
    RESTAURANT_CREATED,
    RESTAURANT_DELETED,
    RESTAURANT_UPDATED,
)
from services.catalog.contract.rpc import (
    CuisineSchema,
    DishSchema,
    DishSearchResultSchema,
    RestaurantSchema,
)
from shared.errors import InvalidInput, NotFound
from shared.schemas import normalize_dish_type, page, paged

restaurant_schema = RestaurantSchema()
dish_schema = DishSchema()
dish_search_schema = DishSearchResultSchema()


def normalize_labels(values: list[str]) -> list[str]:
    """Trimmed, de-duplicated, first spelling kept (cuisines, tags)."""
    seen: dict[str, str] = {}
    for value in values:
        label = re.sub(r"\s+", " ", value).strip()
        seen.setdefault(label.lower(), label)
    return list(seen.values())


def normalize_restaurant_fields(fields: dict) -> dict:
    fields = dict(fields)
    if fields.get("cuisine_type") is not None:
        fields["cuisine_type"] = normalize_labels(fields["cuisine_type"])
    return fields


def normalize_dish_fields(fields: dict) -> dict:
    fields = dict(fields)
    if "dish_type" in fields:
        fields["dish_type"] = normalize_dish_type(fields["dish_type"])
    if fields.get("tags") is not None:
        fields["tags"] = [tag.lower() for tag in normalize_labels(fields["tags"])]
    return fields


def _restaurant_or_404(store, restaurant_id: uuid.UUID, *, for_update: bool = False):
    restaurant = store.get_restaurant(restaurant_id, for_update=for_update)
    if restaurant is None:
        raise NotFound("restaurant not found", {"restaurant_id": str(restaurant_id)})
    return restaurant


def _dish_or_404(store, dish_id: uuid.UUID):
    dish = store.get_dish(dish_id)
    if dish is None:
        raise NotFound("dish not found", {"dish_id": str(dish_id)})
    return dish


# --- reads -------------------------------------------------------------------------------

def list_restaurants(store, query: dict) -> dict:
    found = store.list_restaurants(**query)
    return paged(found, restaurant_schema.dump(found.rows, many=True), query)


def nearby_restaurants(store, query: dict) -> dict:
    """The restaurants nearest a point, each with its distance_km (to the metre). One page
    only: no next_offset, no next_cursor."""
    rows, total = store.nearby_restaurants(**query)
    items = [{**restaurant_schema.dump(restaurant), "distance_km": round(distance_km, 3)}
             for restaurant, distance_km in rows]
    return page(items, total, None, None)


def get_restaurant(store, restaurant_id: uuid.UUID) -> dict:
    return restaurant_schema.dump(_restaurant_or_404(store, restaurant_id))


def in_asked_order(rows, ids: list[uuid.UUID]) -> list:
    """Bulk answers: the rows that exist, in the order asked, each once; missing ids absent."""
    found = {row.id: row for row in rows}
    return [found[row_id] for row_id in dict.fromkeys(ids) if row_id in found]


def get_restaurants(store, restaurant_ids: list[uuid.UUID]) -> list[dict]:
    rows = in_asked_order(store.get_restaurants(restaurant_ids), restaurant_ids)
    return restaurant_schema.dump(rows, many=True)


def get_menu(store, restaurant_id: uuid.UUID, query: dict) -> dict:
    _restaurant_or_404(store, restaurant_id)
    found = store.list_menu(restaurant_id, **query)
    return paged(found, dish_schema.dump(found.rows, many=True), query)


def get_dish(store, dish_id: uuid.UUID) -> dict:
    return dish_schema.dump(_dish_or_404(store, dish_id))


def get_dishes(store, dish_ids: list[uuid.UUID]) -> list[dict]:
    return dish_schema.dump(in_asked_order(store.get_dishes(dish_ids), dish_ids), many=True)


# an order has at most 50 lines, so its quote never needs more dishes
MAX_QUOTE_DISHES = 50


def get_order_quote(store, restaurant_id: uuid.UUID, dish_ids: list[uuid.UUID]) -> dict:
    """What an order needs from the catalog in one call: the restaurant (with its owner) and
    the asked dishes that exist, whichever restaurant they belong to; the orders service
    decides which it accepts (unknown, unavailable, or another restaurant's)."""
    if len(dish_ids) > MAX_QUOTE_DISHES:
        raise InvalidInput("the request has invalid fields", {"fields": {"dish_ids": [
            f"expected at most {MAX_QUOTE_DISHES} ids"]}})
    restaurant, dishes = store.order_quote(restaurant_id, dish_ids)
    if restaurant is None:
        raise NotFound("restaurant not found", {"restaurant_id": str(restaurant_id)})
    dishes = in_asked_order(dishes, dish_ids)
    return {"restaurant": restaurant_schema.dump(restaurant),
            "dishes": dish_schema.dump(dishes, many=True)}


def search_dishes(store, query: dict) -> dict:
    query = dict(query)
    if query.get("dish_type"):
        query["dish_type"] = normalize_dish_type(query["dish_type"])
    if query.get("tags"):
        query["tags"] = [tag.lower() for tag in normalize_labels(query["tags"])]
    found = store.search_dishes(**query)
    return paged(found, [
        {**dish_search_schema.dump(dish), "restaurant_name": name, "city": city}
        for dish, name, city in found.rows
    ], query)


def list_cuisines(store) -> list[dict]:
    return CuisineSchema().dump(store.list_cuisines(), many=True)


# --- writes: each commits with the event it announces --------------------------------------
# Every write is a store.command: one transaction, and with an idempotency key a
# retried call (after an RPC timeout, say) gets the first answer back unchanged.


def create_restaurant(store, fields: dict, idempotency_key: str | None = None) -> dict:
    def apply():
        restaurant = restaurant_schema.dump(
            store.add_restaurant(normalize_restaurant_fields(fields))
        )
        store.emit(RESTAURANT_CREATED, restaurant)
        return restaurant

    return store.command("create_restaurant", idempotency_key, fields, apply)


def update_restaurant(store, restaurant_id: uuid.UUID, fields: dict,
                      idempotency_key: str | None = None) -> dict:
    def apply():
        restaurant = _restaurant_or_404(store, restaurant_id, for_update=True)
        before = restaurant_schema.dump(restaurant)
        after = restaurant_schema.dump(
            store.update_restaurant(restaurant, normalize_restaurant_fields(fields))
        )
        if after != before:  # nothing changed, nothing to announce
            store.emit(RESTAURANT_UPDATED, after)
        return after

    request = {"restaurant_id": restaurant_id, "fields": fields}
    return store.command("update_restaurant", idempotency_key, request, apply)


def delete_restaurant(store, restaurant_id: uuid.UUID,
                      idempotency_key: str | None = None) -> None:
    """Deletes its dishes too; each gets its own dish_deleted, then restaurant_deleted."""
    def apply():
        restaurant = _restaurant_or_404(store, restaurant_id, for_update=True)
        dishes = store.list_menu(restaurant_id, limit=100_000, offset=0).rows
        store.delete_restaurant(restaurant)
        for dish in dishes:
            store.emit(DISH_DELETED, DISH_DELETED.dump(dish))
        store.emit(RESTAURANT_DELETED, RESTAURANT_DELETED.dump(restaurant))

    store.command("delete_restaurant", idempotency_key, {"restaurant_id": restaurant_id}, apply)


def create_dish(store, restaurant_id: uuid.UUID, fields: dict,
                idempotency_key: str | None = None) -> dict:
    def apply():
        _restaurant_or_404(store, restaurant_id, for_update=True)
        dish = dish_schema.dump(store.add_dish(restaurant_id, normalize_dish_fields(fields)))
        store.emit(DISH_CREATED, dish)
        return dish

    request = {"restaurant_id": restaurant_id, "fields": fields}
    return store.command("create_dish", idempotency_key, request, apply)


def update_dish(store, dish_id: uuid.UUID, fields: dict,
                idempotency_key: str | None = None) -> dict:
    def apply():
        dish = _dish_or_404(store, dish_id)
        before = dish_schema.dump(dish)
        after = dish_schema.dump(store.update_dish(dish, normalize_dish_fields(fields)))
        if after != before:
            store.emit(DISH_UPDATED, after)
        return after

    return store.command("update_dish", idempotency_key, {"dish_id": dish_id, "fields": fields},
                         apply)


def delete_dish(store, dish_id: uuid.UUID, idempotency_key: str | None = None) -> None:
    def apply():
        dish = _dish_or_404(store, dish_id)
        store.delete_dish(dish)
        store.emit(DISH_DELETED, DISH_DELETED.dump(dish))

    store.command("delete_dish", idempotency_key, {"dish_id": dish_id}, apply)
