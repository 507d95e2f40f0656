"""The demo catalog generator: shape, limits, determinism and a realistic spread."""

from __future__ import annotations

import functools
import re
import uuid
from collections import Counter, defaultdict
from decimal import Decimal

import pytest

from services.catalog.demo_data import generate_demo_catalog

pytestmark = pytest.mark.unit

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


@functools.cache
def _catalog() -> tuple[list[dict], list[dict]]:
    return generate_demo_catalog()


def test_counts():
    restaurants, dishes = _catalog()
    assert len(restaurants) >= 200
    assert len(dishes) >= 2000
    assert len({r["city"] for r in restaurants}) >= 6
    assert len({c for r in restaurants for c in r["cuisine_type"]}) >= 8
    assert len({d["dish_type"] for d in dishes}) >= 30


def test_default_sizes_and_custom_sizes():
    restaurants, dishes = _catalog()
    assert (len(restaurants), len(dishes)) == (240, 2400)
    small_restaurants, small_dishes = generate_demo_catalog(5, 3)
    assert (len(small_restaurants), len(small_dishes)) == (5, 15)
    assert generate_demo_catalog(0, 10) == ([], [])


def test_long_menus_still_have_unique_names():
    restaurants, dishes = generate_demo_catalog(12, 40)
    assert len(dishes) == 12 * 40
    names = Counter((d["restaurant_id"], d["name"]) for d in dishes)
    assert max(names.values()) == 1


def test_negative_sizes_are_refused():
    with pytest.raises(ValueError):
        generate_demo_catalog(-1, 10)
    with pytest.raises(ValueError):
        generate_demo_catalog(10, -1)


def test_deterministic():
    assert generate_demo_catalog() == generate_demo_catalog()


def test_restaurants_do_not_depend_on_menu_length():
    assert generate_demo_catalog(30, 10)[0] == generate_demo_catalog(30, 4)[0]


def test_ids_are_unique_uuids():
    restaurants, dishes = _catalog()
    ids = [r["id"] for r in restaurants] + [d["id"] for d in dishes]
    assert len(ids) == len(set(ids))
    for value in ids:
        assert isinstance(value, str)
        assert uuid.UUID(value).version == 5


def test_restaurant_names_are_unique():
    restaurants, _ = _catalog()
    names = [r["name"] for r in restaurants]
    assert len(names) == len(set(names))
    assert len({n.casefold() for n in names}) == len(names)


def test_every_dish_belongs_to_a_restaurant():
    restaurants, dishes = _catalog()
    ids = {r["id"] for r in restaurants}
    assert all(d["restaurant_id"] in ids for d in dishes)
    per_restaurant = Counter(d["restaurant_id"] for d in dishes)
    assert set(per_restaurant) == ids
    assert set(per_restaurant.values()) == {10}


def test_dish_names_unique_within_a_restaurant():
    _, dishes = _catalog()
    names = Counter((d["restaurant_id"], d["name"]) for d in dishes)
    assert max(names.values()) == 1


def test_prices_have_two_decimals_and_a_realistic_range():
    _, dishes = _catalog()
    for dish in dishes:
        assert isinstance(dish["price"], str)
        assert PRICE.match(dish["price"]), dish["price"]
        assert Decimal("3.00") <= Decimal(dish["price"]) <= Decimal("150.00")


def test_prices_follow_the_price_range():
    restaurants, dishes = _catalog()
    price_range = {r["id"]: r["price_range"] for r in restaurants}
    totals: dict[int, list[Decimal]] = defaultdict(list)
    for dish in dishes:
        totals[price_range[dish["restaurant_id"]]].append(Decimal(dish["price"]))
    medians = {level: sorted(prices)[len(prices) // 2] for level, prices in totals.items()}
    assert medians[1] < medians[2] < medians[3] < medians[4]


def test_key_sets_are_exact():
    restaurants, dishes = _catalog()
    assert all(set(r) == RESTAURANT_KEYS for r in restaurants)
    assert all(set(d) == DISH_KEYS for d in dishes)


def test_restaurant_field_types_and_values():
    restaurants, _ = _catalog()
    for r in restaurants:
        assert isinstance(r["latitude"], float) and isinstance(r["longitude"], float)
        assert -90 <= r["latitude"] <= 90 and -180 <= r["longitude"] <= 180
        assert round(r["latitude"], 6) == r["latitude"]
        assert round(r["longitude"], 6) == r["longitude"]
        assert isinstance(r["hours"], dict) and set(r["hours"]) == DAYS
        assert all(isinstance(v, str) and 0 < len(v) <= 50 for v in r["hours"].values())
        assert isinstance(r["cuisine_type"], list) and 1 <= len(r["cuisine_type"]) <= 2
        assert len(set(r["cuisine_type"])) == len(r["cuisine_type"])
        assert r["price_range"] in (1, 2, 3, 4)
        assert r["owner_id"] is None
        assert re.fullmatch(r"https://[a-z0-9-]+\.example\.com", r["website"])
        assert r["country"] in ("Malaysia", "Singapore")


def test_dish_field_types_and_values():
    _, dishes = _catalog()
    for d in dishes:
        assert d["name"] and d["description"].endswith(".")
        assert d["dish_type"] == d["dish_type"].lower()
        assert isinstance(d["tags"], list) and 1 <= len(d["tags"]) <= 4
        assert len(set(d["tags"])) == len(d["tags"])
        assert isinstance(d["is_seasonal"], bool) and isinstance(d["is_available"], bool)
        assert re.fullmatch(r"https://images\.example\.com/dishes/[a-z0-9-]+\.jpg",
                            d["image_url"])
    seasonal = sum(d["is_seasonal"] for d in dishes) / len(dishes)
    available = sum(d["is_available"] for d in dishes) / len(dishes)
    assert 0.05 <= seasonal <= 0.15
    assert 0.9 <= available <= 0.99


def test_field_length_limits():
    restaurants, dishes = _catalog()
    limits = {
        "name": 200, "address": 500, "city": 100, "state": 100, "country": 100,
        "postal_code": 20, "phone": 30, "website": 500,
    }
    for r in restaurants:
        for field, limit in limits.items():
            assert 0 < len(r[field]) <= limit, (field, r[field])
        assert all(len(c) <= 100 for c in r["cuisine_type"])
    for d in dishes:
        assert len(d["name"]) <= 200
        assert len(d["description"]) <= 1000
        assert len(d["image_url"]) <= 500
        assert len(d["dish_type"]) <= 100
        assert all(0 < len(tag) <= 50 for tag in d["tags"])


def test_tags_agree_with_the_restaurant():
    restaurants, dishes = _catalog()
    by_id = {r["id"]: r for r in restaurants}
    for d in dishes:
        assert not ({"halal", "pork"} <= set(d["tags"])), d["name"]
        if "vegan" in d["tags"]:
            assert "vegetarian" in d["tags"]
        if "Vegetarian" in by_id[d["restaurant_id"]]["cuisine_type"]:
            assert "vegetarian" in d["tags"], d["name"]


def test_many_restaurants_offer_nasi_lemak_in_kuala_lumpur():
    restaurants, dishes = _catalog()
    kuala_lumpur = {r["id"] for r in restaurants if r["city"] == "Kuala Lumpur"}
    offering = {
        d["restaurant_id"] for d in dishes
        if d["dish_type"] == "nasi lemak" and d["restaurant_id"] in kuala_lumpur
    }
    assert len(offering) >= 10


def test_popular_dish_types_are_shared_within_cities():
    restaurants, dishes = _catalog()
    city_of = {r["id"]: r["city"] for r in restaurants}
    offered = {(city_of[d["restaurant_id"]], d["dish_type"], d["restaurant_id"])
               for d in dishes}
    per_city_type = Counter((city, dish_type) for city, dish_type, _ in offered)
    shared_cities = {city for (city, _), n in per_city_type.items() if n >= 5}
    assert len(shared_cities) >= 6
