"""Input limits of everything the catalog accepts (issue #7): each string, list, number and
page size bounded, at the limit accepted and one past it refused; unknown and read-only
fields refused by name (422 for bodies, 400 for query strings)."""

from __future__ import annotations

import uuid

from services.catalog.contract import rpc as schemas
from services.catalog.contract.rpc import (
    DishInputSchema,
    DishSearchQuery,
    MenuQuery,
    NearbyQuery,
    RestaurantInputSchema,
    RestaurantListQuery,
)
from shared.schemas import MAX_OFFSET
from shared.tests.input_limits import (
    schema_limit_tests,
)

RESTAURANT = {"name": "Warung A", "city": "Ipoh"}
DISH = {"name": "Nasi Lemak", "price": "8.50", "dish_type": "nasi lemak"}
# a valid example of everything the catalog accepts: a new input schema needs one here
VALID = {
    RestaurantInputSchema: RESTAURANT,
    DishInputSchema: DISH,
    RestaurantListQuery: {},
    MenuQuery: {},
    DishSearchQuery: {},
    NearbyQuery: {"lat": "4.5975", "lng": "101.0901"},
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def url(length: int) -> str:
    start = "https://img.example.com/"
    return start + "p" * (length - len(start))


# schema, field, the largest accepted value, the smallest refused one
LIMITS = [
    (RestaurantInputSchema, "name", "n" * 200, "n" * 201),
    (RestaurantInputSchema, "address", "a" * 500, "a" * 501),
    (RestaurantInputSchema, "city", "c" * 100, "c" * 101),
    (RestaurantInputSchema, "state", "s" * 100, "s" * 101),
    (RestaurantInputSchema, "country", "c" * 100, "c" * 101),
    (RestaurantInputSchema, "postal_code", "9" * 20, "9" * 21),
    (RestaurantInputSchema, "phone", "5" * 30, "5" * 31),
    (RestaurantInputSchema, "website", url(500), url(501)),
    (RestaurantInputSchema, "hours", {day: "h" * 50 for day in DAYS},
     {"mon": "h" * 51}),
    (RestaurantInputSchema, "hours", {day: "closed" for day in DAYS},
     {**{day: "closed" for day in DAYS}, "holiday": "closed"}),   # 7 days, no 8th key
    (RestaurantInputSchema, "cuisine_type", [f"c{i}" for i in range(10)],
     [f"c{i}" for i in range(11)]),
    (RestaurantInputSchema, "cuisine_type", ["c" * 100], ["c" * 101]),
    (RestaurantInputSchema, "latitude", 90, 90.000001),
    (RestaurantInputSchema, "latitude", -90, float("-inf")),
    (RestaurantInputSchema, "longitude", 180, float("nan")),
    (RestaurantInputSchema, "price_range", 4, 5),
    (RestaurantInputSchema, "price_range", 1, 2**63),
    (DishInputSchema, "name", "n" * 200, "n" * 201),
    (DishInputSchema, "description", "d" * 2000, "d" * 2001),
    (DishInputSchema, "price", "100000.00", "100000.01"),
    (DishInputSchema, "price", "0", "1e30"),
    (DishInputSchema, "price", "0", float("inf")),
    (DishInputSchema, "image_url", url(500), url(501)),
    (DishInputSchema, "dish_type", "t" * 100, "t" * 101),
    (DishInputSchema, "tags", [f"t{i}" for i in range(20)], [f"t{i}" for i in range(21)]),
    (DishInputSchema, "tags", ["t" * 50], ["t" * 51]),
    (RestaurantListQuery, "city", "c" * 100, "c" * 101),
    (RestaurantListQuery, "cuisine", "c" * 100, "c" * 101),
    (RestaurantListQuery, "q", "q" * 100, "q" * 101),
    (RestaurantListQuery, "limit", "50", "51"),
    (RestaurantListQuery, "offset", str(MAX_OFFSET), "99999999999999999999"),
    (MenuQuery, "limit", "200", "201"),
    (MenuQuery, "offset", str(MAX_OFFSET), str(MAX_OFFSET + 1)),
    (DishSearchQuery, "q", "q" * 200, "q" * 201),
    (DishSearchQuery, "dish_type", "t" * 100, "t" * 101),
    (DishSearchQuery, "city", "c" * 100, "c" * 101),
    (DishSearchQuery, "tags", ",".join(f"t{i}" for i in range(10)),
     ",".join(f"t{i}" for i in range(11))),
    (DishSearchQuery, "tags", "t" * 50, "t" * 51),
    (DishSearchQuery, "price_min", "100000", "100000.01"),
    (DishSearchQuery, "price_max", "100000", "1e30"),
    (DishSearchQuery, "limit", "50", "51"),
    (DishSearchQuery, "offset", str(MAX_OFFSET), "99999999999999999999"),
    (NearbyQuery, "lat", "90", "90.000001"),
    (NearbyQuery, "lat", "-90", "-90.000001"),
    (NearbyQuery, "lng", "180", "180.000001"),
    (NearbyQuery, "lng", "-180", "-1e999"),
    (NearbyQuery, "radius_km", "50", "50.000001"),
    (NearbyQuery, "radius_km", "0.000001", "0"),
    (NearbyQuery, "limit", "50", "51"),
]

# what the catalog decides itself, or the caller's identity does: never a body field
READ_ONLY = [
    (RestaurantInputSchema, "id", str(uuid.uuid4())),
    (RestaurantInputSchema, "owner_id", str(uuid.uuid4())),
    (RestaurantInputSchema, "created_at", "2024-01-01T00:00:00Z"),
    (RestaurantInputSchema, "updated_at", "2024-01-01T00:00:00Z"),
    (DishInputSchema, "id", str(uuid.uuid4())),
    (DishInputSchema, "restaurant_id", str(uuid.uuid4())),
    (DishInputSchema, "average_rank", 1),
    (DishInputSchema, "created_at", "2024-01-01T00:00:00Z"),
    (DishInputSchema, "updated_at", "2024-01-01T00:00:00Z"),
]

globals().update(schema_limit_tests((schemas,), VALID, LIMITS, READ_ONLY))
