"""The demo catalog (services/catalog/demo_catalog.json) as data: what the catalog itself
accepts, consistent, and a plausible spread of cities, cuisines, dishes and prices."""

from __future__ import annotations

import functools
import re
import uuid
from collections import Counter, defaultdict
from decimal import Decimal

from services.catalog.contract.rpc import DishInputSchema, RestaurantInputSchema
from services.catalog.jobs import load_demo_catalog
from shared.schemas import load

RESTAURANT_KEYS = {
    "id", "name", "address", "city", "state", "country", "postal_code", "latitude",
    "longitude", "phone", "website", "hours", "cuisine_type", "price_range", "owner_id",
}
DISH_KEYS = {
    "id", "restaurant_id", "name", "description", "price", "image_url", "dish_type", "tags",
    "is_seasonal", "is_available",
}
DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
PRICE = re.compile(r"^\d+\.\d{2}$")
# fields a request may not set (ids, the owner) or that name the restaurant of a dish
NOT_INPUT = {"id", "owner_id", "restaurant_id"}


@functools.cache
def _catalog() -> tuple[list[dict], list[dict]]:
    return load_demo_catalog()


def test_counts():
    restaurants, dishes = _catalog()
    assert (len(restaurants), len(dishes)) == (240, 2400)
    assert len({r["city"] for r in restaurants}) == 8
    assert len({c for r in restaurants for c in r["cuisine_type"]}) >= 8
    assert len({d["dish_type"] for d in dishes}) >= 30


def test_every_row_is_what_the_catalog_itself_accepts():
    restaurants, dishes = _catalog()
    for restaurant in restaurants:
        load(RestaurantInputSchema(),
             {key: value for key, value in restaurant.items() if key not in NOT_INPUT})
    for dish in dishes:
        load(DishInputSchema(), {key: value for key, value in dish.items() if key not in NOT_INPUT})


def test_key_sets_are_exact():
    restaurants, dishes = _catalog()
    assert all(set(r) == RESTAURANT_KEYS for r in restaurants)
    assert all(set(d) == DISH_KEYS for d in dishes)


def test_ids_are_unique_uuids():
    restaurants, dishes = _catalog()
    ids = [r["id"] for r in restaurants] + [d["id"] for d in dishes]
    assert len(ids) == len(set(ids))
    for value in ids:
        assert isinstance(value, str) and str(uuid.UUID(value)) == value


def test_restaurant_names_are_unique():
    restaurants, _ = _catalog()
    names = [r["name"] for r in restaurants]
    assert len({n.casefold() for n in names}) == len(names)


def test_every_dish_belongs_to_a_restaurant_and_each_has_ten():
    restaurants, dishes = _catalog()
    ids = {r["id"] for r in restaurants}
    per_restaurant = Counter(d["restaurant_id"] for d in dishes)
    assert set(per_restaurant) == ids
    assert set(per_restaurant.values()) == {10}


def test_dish_names_unique_within_a_restaurant():
    _, dishes = _catalog()
    assert max(Counter((d["restaurant_id"], d["name"]) for d in dishes).values()) == 1


def test_prices_have_two_decimals_a_realistic_range_and_follow_the_price_range():
    restaurants, dishes = _catalog()
    price_range = {r["id"]: r["price_range"] for r in restaurants}
    by_range: dict[int, list[Decimal]] = defaultdict(list)
    for dish in dishes:
        assert isinstance(dish["price"], str) and PRICE.match(dish["price"]), dish["price"]
        assert Decimal("3.00") <= Decimal(dish["price"]) <= Decimal("150.00")
        by_range[price_range[dish["restaurant_id"]]].append(Decimal(dish["price"]))
    medians = {level: sorted(prices)[len(prices) // 2] for level, prices in by_range.items()}
    assert medians[1] < medians[2] < medians[3] < medians[4]


def test_restaurant_values():
    restaurants, _ = _catalog()
    for r in restaurants:
        assert isinstance(r["latitude"], float) and isinstance(r["longitude"], float)
        assert set(r["hours"]) == DAYS
        assert 1 <= len(r["cuisine_type"]) <= 2
        assert r["owner_id"] is None  # the demo restaurants belong to nobody
        assert re.fullmatch(r"https://[a-z0-9-]+\.example\.com", r["website"])
        assert r["country"] in ("Malaysia", "Singapore")


def test_dish_values():
    _, dishes = _catalog()
    for d in dishes:
        assert d["description"].endswith(".")
        assert d["dish_type"] == d["dish_type"].lower()
        assert 1 <= len(d["tags"]) <= 4 and len(set(d["tags"])) == len(d["tags"])
        assert re.fullmatch(r"https://images\.example\.com/dishes/[a-z0-9-]+\.jpg",
                            d["image_url"])
        assert not ({"halal", "pork"} <= set(d["tags"])), d["name"]
    seasonal = sum(d["is_seasonal"] for d in dishes) / len(dishes)
    available = sum(d["is_available"] for d in dishes) / len(dishes)
    assert 0.05 <= seasonal <= 0.15
    assert 0.9 <= available <= 0.99
