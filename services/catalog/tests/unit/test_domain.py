"""Catalog domain rules without I/O: normalizers, paging, and writes against a fake store."""

from __future__ import annotations

import copy
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.catalog.domain import catalog as domain
from services.catalog.storage import escape_like
from shared.contract import EventType
from shared.errors import NotFound
from shared.pages import Page
from shared.schemas import Estimated, page

# --- normalizers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("nasi lemak", "nasi lemak"),
        ("Nasi  Lemak ", "nasi lemak"),
        ("  NASI\tLEMAK\n", "nasi lemak"),
        ("Char Kway Teow", "char kway teow"),
        ("Café au lait", "café au lait"),
    ],
)
def test_normalize_dish_type_gives_one_spelling(raw, expected):
    assert domain.normalize_dish_type(raw) == expected


def test_normalize_labels_trims_collapses_and_keeps_first_spelling_in_order():
    raw = ["  Malay ", "Chinese", "malay", "Thai   Food", "THAI FOOD", "MALAY"]
    assert domain.normalize_labels(raw) == ["Malay", "Chinese", "Thai Food"]


def test_normalize_labels_of_nothing_is_nothing():
    assert domain.normalize_labels([]) == []


def test_normalize_restaurant_fields_normalizes_cuisines_and_copies():
    fields = {"name": " Warung  A ", "cuisine_type": ["Malay", " malay", "Indian "]}
    normalized = domain.normalize_restaurant_fields(fields)
    # only cuisines are labels; the name is left exactly as given
    assert normalized == {"name": " Warung  A ", "cuisine_type": ["Malay", "Indian"]}
    assert fields["cuisine_type"] == ["Malay", " malay", "Indian "]  # input untouched


def test_normalize_restaurant_fields_without_cuisines_is_unchanged():
    assert domain.normalize_restaurant_fields({"city": "Ipoh"}) == {"city": "Ipoh"}


def test_normalize_dish_fields_normalizes_type_and_lowercases_tags():
    fields = {"name": "Nasi Lemak Special", "dish_type": " Nasi  LEMAK",
              "tags": ["Spicy", "spicy ", " Halal", "HALAL", "Coconut  Rice"]}
    assert domain.normalize_dish_fields(fields) == {
        "name": "Nasi Lemak Special",
        "dish_type": "nasi lemak",
        "tags": ["spicy", "halal", "coconut rice"],
    }
    assert fields["dish_type"] == " Nasi  LEMAK"  # input untouched


def test_normalize_dish_fields_leaves_absent_fields_absent():
    # a partial update must not invent a dish_type or tags
    assert domain.normalize_dish_fields({"price": Decimal("5.00")}) == {"price": Decimal("5.00")}


# --- escape_like -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "pattern"),
    [
        ("laksa", "%laksa%"),
        ("50%", "%50\\%%"),
        ("a_b", "%a\\_b%"),
        ("a\\b", "%a\\\\b%"),
        # the backslash is escaped first, so an escaped % is not escaped twice
        ("\\%", "%\\\\\\%%"),
        ("%_%", "%\\%\\_\\%%"),
    ],
)
def test_escape_like_makes_wildcards_literal(term, pattern):
    assert escape_like(term) == pattern


# --- paging ----------------------------------------------------------------------------------


def test_page_has_next_offset_until_the_last_page():
    assert page(["a", "b"], 5, 0) == {"items": ["a", "b"], "count": 2, "total": 5,
                                      "total_is_estimate": False, "next_offset": 2,
                                      "next_cursor": None}
    assert page(["c", "d"], 5, 2)["next_offset"] == 4
    assert page(["e"], 5, 4) == {"items": ["e"], "count": 1, "total": 5,
                                 "total_is_estimate": False, "next_offset": None,
                                 "next_cursor": None}


def test_page_exactly_full_last_page_and_empty_pages():
    assert page(["a", "b"], 2, 0)["next_offset"] is None
    assert page([], 0, 0) == {"items": [], "count": 0, "total": 0,
                              "total_is_estimate": False, "next_offset": None,
                              "next_cursor": None}
    assert page([], 3, 10) == {"items": [], "count": 0, "total": 3,
                               "total_is_estimate": False, "next_offset": None,
                               "next_cursor": None}


def test_an_estimated_total_says_so():
    answer = page(["a"], Estimated(25_000), 0)
    assert (answer["total"], answer["total_is_estimate"], answer["next_offset"]) == (
        25_000, True, 1)
    assert type(answer["total"]) is int  # plain JSON


# --- a fake store ----------------------------------------------------------------------------

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

RESTAURANT_DEFAULTS = {
    "address": None, "city": None, "state": None, "country": None, "postal_code": None,
    "latitude": None, "longitude": None, "phone": None, "website": None, "hours": None,
    "cuisine_type": [], "price_range": None, "owner_id": None,
}
DISH_DEFAULTS = {
    "description": None, "image_url": None, "tags": [], "is_seasonal": False,
    "is_available": True, "average_rank": None,
}


class FakeStore:
    """The CatalogStore methods the domain calls, in memory.

    Events emitted inside a transaction are published only when it commits; a failed
    transaction restores the data and drops its events, as shared.db.Store does.
    """

    def __init__(self):
        self.restaurants: dict[uuid.UUID, SimpleNamespace] = {}
        self.dishes: dict[uuid.UUID, SimpleNamespace] = {}
        self.cuisines: list[str] = []
        self.published: list[tuple[str, dict]] = []
        self.calls: list[tuple[str, dict]] = []
        self.fail_on: str | None = None
        self._pending: list[tuple[str, dict]] | None = None
        self.answers: dict = {}

    # transactions and events
    @contextmanager
    def transaction(self):
        assert self._pending is None, "nested transaction"
        snapshot = copy.deepcopy((self.restaurants, self.dishes, self.cuisines))
        self._pending = []
        try:
            yield self
        except BaseException:
            self.restaurants, self.dishes, self.cuisines = snapshot
            self._pending = None
            raise
        pending, self._pending = self._pending, None
        self.published.extend(pending)

    def command(self, operation, idempotency_key, request, apply):
        """shared.db.Store.command in memory: one transaction, one answer per key."""
        key = (operation, idempotency_key)
        with self.transaction():
            if idempotency_key is not None and key in self.answers:
                return self.answers[key]
            answer = apply()
            if idempotency_key is not None:
                self.answers[key] = answer
        return answer

    def emit(self, event: EventType, payload: dict, version: int | None = None) -> dict:
        assert self._pending is not None, f"{event} emitted outside a transaction"
        assert event.producer == "catalog", f"{event} is not the catalog's"
        self._pending.append((event.name, payload))
        return {}

    def _maybe_fail(self, name: str) -> None:
        if self.fail_on == name:
            raise RuntimeError(f"{name} failed")

    # seeding (test helpers, not store API)
    def seed_restaurant(self, name: str, **fields) -> SimpleNamespace:
        row = SimpleNamespace(id=uuid.uuid4(), name=name, created_at=NOW, updated_at=NOW,
                              **{**RESTAURANT_DEFAULTS, **fields})
        self.restaurants[row.id] = row
        return row

    def seed_dish(self, restaurant: SimpleNamespace, name: str, dish_type: str = "laksa",
                  price: str = "10.00", **fields) -> SimpleNamespace:
        row = SimpleNamespace(id=uuid.uuid4(), restaurant_id=restaurant.id, name=name,
                              dish_type=dish_type, price=Decimal(price), created_at=NOW,
                              updated_at=NOW, **{**DISH_DEFAULTS, **fields})
        self.dishes[row.id] = row
        return row

    # restaurants
    def list_restaurants(self, *, city=None, cuisine=None, q=None, limit, offset):
        self.calls.append(("list_restaurants", {"city": city, "cuisine": cuisine, "q": q,
                                                "limit": limit, "offset": offset}))
        rows = sorted(self.restaurants.values(), key=lambda r: r.name)
        if city:
            rows = [r for r in rows if r.city == city]
        return Page(rows[offset:offset + limit], len(rows), None)

    def get_restaurant(self, restaurant_id, *, for_update=False):
        return self.restaurants.get(restaurant_id)

    def get_restaurants(self, restaurant_ids):
        return [self.restaurants[i] for i in set(restaurant_ids) if i in self.restaurants]

    def add_restaurant(self, fields):
        self._maybe_fail("add_restaurant")
        self.calls.append(("add_restaurant", fields))
        for name in fields.get("cuisine_type") or []:
            if name not in self.cuisines:
                self.cuisines.append(name)
        return self.seed_restaurant(**fields)

    def update_restaurant(self, restaurant, fields):
        self._maybe_fail("update_restaurant")
        self.calls.append(("update_restaurant", fields))
        for name, value in fields.items():
            setattr(restaurant, name, value)
        return restaurant

    def delete_restaurant(self, restaurant):
        self._maybe_fail("delete_restaurant")
        del self.restaurants[restaurant.id]
        self.dishes = {k: d for k, d in self.dishes.items() if d.restaurant_id != restaurant.id}

    def list_cuisines(self):
        return [SimpleNamespace(name=name) for name in sorted(self.cuisines)]

    # dishes
    def list_menu(self, restaurant_id, *, limit, offset):
        rows = sorted((d for d in self.dishes.values() if d.restaurant_id == restaurant_id),
                      key=lambda d: d.name)
        return Page(rows[offset:offset + limit], len(rows), None)

    def get_dish(self, dish_id):
        return self.dishes.get(dish_id)

    def get_dishes(self, dish_ids):
        return [self.dishes[i] for i in set(dish_ids) if i in self.dishes]

    def add_dish(self, restaurant_id, fields):
        self._maybe_fail("add_dish")
        self.calls.append(("add_dish", fields))
        return self.seed_dish(self.restaurants[restaurant_id], **fields)

    def update_dish(self, dish, fields):
        self._maybe_fail("update_dish")
        self.calls.append(("update_dish", fields))
        for name, value in fields.items():
            setattr(dish, name, value)
        return dish

    def delete_dish(self, dish):
        self._maybe_fail("delete_dish")
        del self.dishes[dish.id]

    def search_dishes(self, **query):
        self.calls.append(("search_dishes", query))
        rows = [(d, self.restaurants[d.restaurant_id].name,
                 self.restaurants[d.restaurant_id].city) for d in self.dishes.values()]
        return Page(rows, len(rows), None)


@pytest.fixture
def store():
    return FakeStore()


# --- reads -----------------------------------------------------------------------------------


def test_list_restaurants_pages_through_the_store(store):
    for name in ("E", "C", "A", "D", "B"):
        store.seed_restaurant(name, city="Ipoh")
    first = domain.list_restaurants(store, {"limit": 2, "offset": 0})
    assert [r["name"] for r in first["items"]] == ["A", "B"]
    assert (first["count"], first["total"], first["next_offset"]) == (2, 5, 2)
    last = domain.list_restaurants(store, {"limit": 2, "offset": 4})
    assert [r["name"] for r in last["items"]] == ["E"]
    assert (last["count"], last["total"], last["next_offset"]) == (1, 5, None)


def test_get_restaurant_dumps_json_ready_fields(store):
    row = store.seed_restaurant("Warung A", city="Ipoh", latitude=Decimal("4.59750000"),
                                cuisine_type=["Malay"], price_range=2)
    answer = domain.get_restaurant(store, row.id)
    assert answer["id"] == str(row.id)
    assert answer["latitude"] == 4.5975
    assert answer["cuisine_type"] == ["Malay"]
    assert answer["created_at"] == "2026-01-02T03:04:05+00:00"


def test_get_restaurant_missing_is_not_found(store):
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as exc:
        domain.get_restaurant(store, missing)
    assert exc.value.details == {"restaurant_id": str(missing)}


def test_get_restaurants_keeps_order_skips_missing_and_duplicates(store):
    a, b, c = (store.seed_restaurant(n) for n in ("A", "B", "C"))
    ids = [c.id, uuid.uuid4(), a.id, c.id, b.id]
    assert [r["name"] for r in domain.get_restaurants(store, ids)] == ["C", "A", "B"]
    assert domain.get_restaurants(store, []) == []


def test_get_dishes_keeps_order_skips_missing_and_duplicates(store):
    r = store.seed_restaurant("A")
    x, y = store.seed_dish(r, "X"), store.seed_dish(r, "Y")
    answer = domain.get_dishes(store, [y.id, uuid.uuid4(), y.id, x.id])
    assert [d["id"] for d in answer] == [str(y.id), str(x.id)]


def test_get_menu_of_missing_restaurant_is_not_found(store):
    with pytest.raises(NotFound):
        domain.get_menu(store, uuid.uuid4(), {"limit": 100, "offset": 0})


def test_get_dish_dumps_price_with_two_decimals(store):
    dish = store.seed_dish(store.seed_restaurant("A"), "Laksa", price="7.5")
    assert domain.get_dish(store, dish.id)["price"] == "7.50"


def test_search_dishes_normalizes_the_query_and_adds_restaurant_facts(store):
    r = store.seed_restaurant("Warung A", city="Ipoh")
    dish = store.seed_dish(r, "Nasi Lemak", dish_type="nasi lemak")
    answer = domain.search_dishes(store, {"dish_type": " Nasi  LEMAK", "tags": ["Spicy", "spicy"],
                                          "limit": 20, "offset": 0})
    assert store.calls[-1] == ("search_dishes", {"dish_type": "nasi lemak", "tags": ["spicy"],
                                                 "limit": 20, "offset": 0})
    [item] = answer["items"]
    assert (item["id"], item["restaurant_name"], item["city"]) == (str(dish.id), "Warung A", "Ipoh")
    assert (answer["count"], answer["total"], answer["next_offset"]) == (1, 1, None)


def test_list_cuisines(store):
    store.cuisines = ["Thai", "Chinese"]
    assert domain.list_cuisines(store) == [{"name": "Chinese"}, {"name": "Thai"}]


# --- writes ----------------------------------------------------------------------------------


def test_create_restaurant_emits_one_restaurant_created_after_commit(store):
    created = domain.create_restaurant(
        store, {"name": "Warung A", "city": "Ipoh", "cuisine_type": ["Malay", " malay"]}
    )
    assert store.calls == [("add_restaurant", {"name": "Warung A", "city": "Ipoh",
                                               "cuisine_type": ["Malay"]})]
    assert store.published == [("restaurant_created", created)]
    assert created["name"] == "Warung A"
    assert created["cuisine_type"] == ["Malay"]
    assert uuid.UUID(created["id"]) in store.restaurants


def test_failed_create_publishes_nothing(store):
    store.fail_on = "add_restaurant"
    with pytest.raises(RuntimeError):
        domain.create_restaurant(store, {"name": "Warung A", "city": "Ipoh"})
    assert store.published == []
    assert store.restaurants == {}


def test_update_restaurant_changes_only_given_fields_and_emits_once(store):
    row = store.seed_restaurant("Warung A", city="Ipoh", price_range=2)
    updated = domain.update_restaurant(store, row.id, {"price_range": 3,
                                                       "cuisine_type": ["Thai", "THAI"]})
    assert (updated["name"], updated["city"], updated["price_range"]) == ("Warung A", "Ipoh", 3)
    assert updated["cuisine_type"] == ["Thai"]
    assert store.published == [("restaurant_updated", updated)]


def test_update_missing_restaurant_is_not_found_and_emits_nothing(store):
    with pytest.raises(NotFound):
        domain.update_restaurant(store, uuid.uuid4(), {"name": "X"})
    assert store.published == []
    assert not any(name == "update_restaurant" for name, _ in store.calls)


def test_delete_restaurant_emits_dish_deleted_per_dish_then_restaurant_deleted(store):
    r = store.seed_restaurant("Warung A")
    other = store.seed_restaurant("Warung B")
    b = store.seed_dish(r, "Roti Canai", dish_type="roti canai")
    a = store.seed_dish(r, "Mee Goreng", dish_type="mee goreng")
    kept = store.seed_dish(other, "Laksa")

    assert domain.delete_restaurant(store, r.id) is None

    assert store.published == [
        ("dish_deleted", {"id": str(a.id), "restaurant_id": str(r.id), "dish_type": "mee goreng"}),
        ("dish_deleted", {"id": str(b.id), "restaurant_id": str(r.id), "dish_type": "roti canai"}),
        ("restaurant_deleted", {"id": str(r.id)}),
    ]
    assert list(store.restaurants) == [other.id]
    assert list(store.dishes) == [kept.id]


def test_delete_restaurant_without_dishes_emits_only_restaurant_deleted(store):
    r = store.seed_restaurant("Warung A")
    domain.delete_restaurant(store, r.id)
    assert store.published == [("restaurant_deleted", {"id": str(r.id)})]


def test_failed_delete_restaurant_publishes_nothing_and_keeps_dishes(store):
    r = store.seed_restaurant("Warung A")
    dish = store.seed_dish(r, "Laksa")
    store.fail_on = "delete_restaurant"
    with pytest.raises(RuntimeError):
        domain.delete_restaurant(store, r.id)
    assert store.published == []
    assert list(store.dishes) == [dish.id]


def test_delete_missing_restaurant_is_not_found(store):
    with pytest.raises(NotFound):
        domain.delete_restaurant(store, uuid.uuid4())
    assert store.published == []


def test_create_dish_normalizes_and_emits_dish_created(store):
    r = store.seed_restaurant("Warung A")
    created = domain.create_dish(store, r.id, {
        "name": "Nasi Lemak", "price": Decimal("8.50"), "dish_type": "Nasi  Lemak",
        "tags": ["Spicy", "SPICY", "Halal"],
    })
    assert (created["dish_type"], created["tags"], created["price"]) == (
        "nasi lemak", ["spicy", "halal"], "8.50")
    assert created["restaurant_id"] == str(r.id)
    assert store.published == [("dish_created", created)]


def test_create_dish_for_missing_restaurant_is_not_found_and_adds_nothing(store):
    with pytest.raises(NotFound):
        domain.create_dish(store, uuid.uuid4(), {"name": "X", "price": Decimal("1.00"),
                                                 "dish_type": "x"})
    assert store.dishes == {}
    assert store.published == []


def test_update_dish_emits_dish_updated(store):
    dish = store.seed_dish(store.seed_restaurant("A"), "Laksa", price="9.00")
    updated = domain.update_dish(store, dish.id, {"price": Decimal("9.50"), "tags": ["Hot"]})
    assert (updated["name"], updated["price"], updated["tags"]) == ("Laksa", "9.50", ["hot"])
    assert store.published == [("dish_updated", updated)]


def test_update_missing_dish_is_not_found_and_emits_nothing(store):
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as exc:
        domain.update_dish(store, missing, {"name": "X"})
    assert exc.value.details == {"dish_id": str(missing)}
    assert store.published == []


def test_delete_dish_emits_dish_deleted(store):
    r = store.seed_restaurant("A")
    dish = store.seed_dish(r, "Laksa", dish_type="curry laksa")
    domain.delete_dish(store, dish.id)
    assert store.dishes == {}
    assert store.published == [
        ("dish_deleted", {"id": str(dish.id), "restaurant_id": str(r.id),
                          "dish_type": "curry laksa"}),
    ]


def test_delete_missing_dish_is_not_found(store):
    with pytest.raises(NotFound):
        domain.delete_dish(store, uuid.uuid4())
    assert store.published == []
