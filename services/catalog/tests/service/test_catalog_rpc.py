"""Every catalog RPC against a real broker and PostgreSQL, one CatalogService per test."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.catalog.service import CatalogService
from shared.errors import InvalidInput, NotFound
from shared.events import parse_envelope
from shared.postgres import make_engine

CORRELATION_ID = "test-catalog-rpc"


@pytest.fixture
def events(record_events):
    """Bound to catalog.events before the service starts, so nothing is missed."""
    return record_events("catalog")


MARKER = "~marker"


def published(catalog, events) -> list[dict]:
    """Every event published since the last take, and nothing else, without guessing delays.

    Events leave in commit order, so a marker write's event comes after everything the
    test's writes caused: take until it arrives. (Adds a restaurant named MARKER.)
    """
    marker = catalog.create_restaurant({"name": MARKER, "city": MARKER})
    bodies = []
    while True:
        [body] = events.take(1)
        if body["event_type"] == "restaurant_created" and body["payload"]["id"] == marker["id"]:
            return bodies
        bodies.append(body)


@pytest.fixture
def catalog(container_factory, catalog_config, events):
    container = container_factory(CatalogService, catalog_config)
    container.start()
    with ClusterRpcProxy(catalog_config, timeout=5,
                         context_data={"correlation_id": CORRELATION_ID}) as cluster:
        yield cluster.catalog


@pytest.fixture
def db(catalog_config):
    engine = make_engine(catalog_config["DATABASE_URL"])
    yield engine
    engine.dispose()


def restaurant(catalog, name: str, city: str = "Ipoh", owner_id: str | None = None,
               **fields) -> dict:
    return catalog.create_restaurant({"name": name, "city": city, **fields},
                                     owner_id=owner_id)


def dish(catalog, restaurant_id: str, name: str, dish_type: str = "laksa",
         price: str = "10.00", **fields) -> dict:
    return catalog.create_dish(restaurant_id, {"name": name, "dish_type": dish_type,
                                               "price": price, **fields})


def envelope(body: dict, event_type: str) -> dict:
    """The parsed envelope, after checking what every catalog event must carry."""
    parsed = parse_envelope(body)
    assert parsed["event_type"] == event_type
    assert isinstance(parsed["event_id"], uuid.UUID)
    assert parsed["version"] == 1
    assert parsed["producer"] == "catalog"
    assert parsed["correlation_id"] == CORRELATION_ID
    # the wire value itself is ISO-8601 UTC, not a naive time the parser assumed was UTC
    sent_at = datetime.fromisoformat(body["occurred_at"])
    assert sent_at.utcoffset() == timedelta(0)
    assert parsed["occurred_at"] == sent_at
    return parsed


def names(answer) -> list[str]:
    items = answer["items"] if isinstance(answer, dict) else answer
    return [item["name"] for item in items]


# --- health ----------------------------------------------------------------------------------


def test_health(catalog):
    assert catalog.health() == {"status": "ok", "service": "catalog"}


# --- list_restaurants ------------------------------------------------------------------------


@pytest.fixture
def town(catalog, events):
    """A few restaurants in three cities; their creation events are drained."""
    made = {
        "Warung Bonda": restaurant(catalog, "Warung Bonda", "Ipoh",
                                   address="12 Jalan Sultan Idris", cuisine_type=["Malay"]),
        "Kedai Kopi Lam": restaurant(catalog, "Kedai Kopi Lam", "Ipoh",
                                     cuisine_type=["Chinese", "Malay"]),
        "Anjappar": restaurant(catalog, "Anjappar", "Kuala Lumpur",
                               address="Jalan Bonda 3", cuisine_type=["Indian"]),
        "100% Halal Corner": restaurant(catalog, "100% Halal Corner", "Penang",
                                        cuisine_type=["Malay", "Thai"]),
        "Big_Bowl Noodles": restaurant(catalog, "Big_Bowl Noodles", "Ipoh Timur",
                                       cuisine_type=["Chinese"]),
    }
    events.take(len(made))
    return made


def test_list_restaurants_ordered_by_name(catalog, town):
    answer = catalog.list_restaurants()
    assert names(answer) == ["100% Halal Corner", "Anjappar", "Big_Bowl Noodles",
                             "Kedai Kopi Lam", "Warung Bonda"]
    assert (answer["count"], answer["total"], answer["next_offset"]) == (5, 5, None)
    assert answer["items"][1] == catalog.get_restaurant(town["Anjappar"]["id"])


def test_list_restaurants_city_is_exact(catalog, town):
    assert names(catalog.list_restaurants(city="Ipoh")) == ["Kedai Kopi Lam", "Warung Bonda"]
    assert names(catalog.list_restaurants(city="ipoh")) == []
    assert names(catalog.list_restaurants(city="Ipoh Timur")) == ["Big_Bowl Noodles"]


def test_list_restaurants_cuisine_matches_any_element(catalog, town):
    assert names(catalog.list_restaurants(cuisine="Malay")) == [
        "100% Halal Corner", "Kedai Kopi Lam", "Warung Bonda"]
    assert names(catalog.list_restaurants(cuisine="Chinese")) == [
        "Big_Bowl Noodles", "Kedai Kopi Lam"]
    assert names(catalog.list_restaurants(cuisine="Chinese", city="Ipoh")) == ["Kedai Kopi Lam"]
    assert names(catalog.list_restaurants(cuisine="Korean")) == []


def test_list_restaurants_q_searches_name_address_city_case_insensitively(catalog, town):
    # "bonda" is in one name and in another's address
    assert names(catalog.list_restaurants(q="BONDA")) == ["Anjappar", "Warung Bonda"]
    assert names(catalog.list_restaurants(q="kuala")) == ["Anjappar"]  # city only
    assert names(catalog.list_restaurants(q="sultan idris")) == ["Warung Bonda"]  # address
    assert names(catalog.list_restaurants(q="ipoh")) == [
        "Big_Bowl Noodles", "Kedai Kopi Lam", "Warung Bonda"]
    assert names(catalog.list_restaurants(q="ipoh", city="Ipoh")) == [
        "Kedai Kopi Lam", "Warung Bonda"]


def test_list_restaurants_q_follows_each_change_of_name_address_and_city(catalog, events):
    # q reads a lowercased copy of the three that the table's trigger keeps (migration 0007)
    made = restaurant(catalog, "Warung Lama", "Ipoh")
    assert names(catalog.list_restaurants(q="LAMA")) == ["Warung Lama"]
    catalog.update_restaurant(made["id"], {"name": "Warung Baru", "address": "Jalan Çelik"})
    assert names(catalog.list_restaurants(q="lama")) == []
    assert names(catalog.list_restaurants(q="warung baru")) == ["Warung Baru"]
    assert names(catalog.list_restaurants(q="JALAN ÇELIK")) == ["Warung Baru"]  # not ASCII
    catalog.update_restaurant(made["id"], {"city": "Taiping"})
    assert names(catalog.list_restaurants(q="taiping")) == ["Warung Baru"]
    assert names(catalog.list_restaurants(q="ipoh")) == []


def test_list_restaurants_q_wildcards_are_literal(catalog, town):
    assert names(catalog.list_restaurants(q="%")) == ["100% Halal Corner"]
    assert names(catalog.list_restaurants(q="0% h")) == ["100% Halal Corner"]
    assert names(catalog.list_restaurants(q="_")) == ["Big_Bowl Noodles"]
    assert names(catalog.list_restaurants(q="g_b")) == ["Big_Bowl Noodles"]
    assert names(catalog.list_restaurants(q="100_")) == []  # _ is not "any character"
    assert names(catalog.list_restaurants(q="\\")) == []


def test_list_restaurants_limit_default_12_max_50_and_paging(catalog, events):
    created = [restaurant(catalog, f"R{i:02d}") for i in range(14)]
    events.take(14)
    expected = sorted(r["name"] for r in created)

    first = catalog.list_restaurants()
    assert names(first) == expected[:12]
    assert (first["count"], first["total"], first["next_offset"]) == (12, 14, 12)

    second = catalog.list_restaurants(offset=first["next_offset"])
    assert names(second) == expected[12:]
    assert (second["count"], second["total"], second["next_offset"]) == (2, 14, None)

    middle = catalog.list_restaurants(limit=5, offset=5)
    assert names(middle) == expected[5:10]
    assert (middle["count"], middle["total"], middle["next_offset"]) == (5, 14, 10)

    beyond = catalog.list_restaurants(offset=20)
    assert (beyond["items"], beyond["count"], beyond["total"], beyond["next_offset"]) == (
        [], 0, 14, None)

    assert catalog.list_restaurants(limit=50)["count"] == 14


def test_list_restaurants_bad_query_is_invalid_input(catalog):
    for query, field in [({"limit": 51}, "limit"), ({"limit": 0}, "limit"),
                         ({"offset": -1}, "offset"), ({"city": "  "}, "city"), ({"q": ""}, "q")]:
        with pytest.raises(InvalidInput) as exc:
            catalog.list_restaurants(**query)
        assert list(exc.value.details["fields"]) == [field], query


# --- get_restaurant / get_restaurants --------------------------------------------------------


def test_get_restaurant(catalog):
    created = restaurant(catalog, "Warung A", hours={"mon": "08:00-17:00"},
                         latitude=4.5975, longitude=101.0901, price_range=2)
    found = catalog.get_restaurant(created["id"])
    assert found == created
    assert (found["hours"], found["latitude"], found["longitude"], found["price_range"]) == (
        {"mon": "08:00-17:00"}, 4.5975, 101.0901, 2)


def test_get_restaurant_unknown_is_not_found(catalog):
    missing = str(uuid.uuid4())
    with pytest.raises(NotFound) as exc:
        catalog.get_restaurant(missing)
    assert exc.value.details == {"restaurant_id": missing}


def test_get_restaurant_malformed_id_is_invalid_input(catalog):
    for bad in ["42", "not-a-uuid", "", None]:
        with pytest.raises(InvalidInput) as exc:
            catalog.get_restaurant(bad)
        assert list(exc.value.details["fields"]) == ["restaurant_id"], bad


def test_get_restaurants_in_order_without_missing_or_duplicates(catalog):
    a, b, c = (restaurant(catalog, n) for n in ("A", "B", "C"))
    answer = catalog.get_restaurants([c["id"], str(uuid.uuid4()), a["id"], c["id"], b["id"]])
    assert [r["id"] for r in answer] == [c["id"], a["id"], b["id"]]
    assert answer[0] == c
    assert catalog.get_restaurants([]) == []
    with pytest.raises(InvalidInput):
        catalog.get_restaurants([a["id"], "nope"])


# --- get_menu / get_dish / get_dishes ---------------------------------------------------------


def test_get_menu_lists_only_its_dishes_by_name(catalog):
    mine = restaurant(catalog, "Mine")
    other = restaurant(catalog, "Other")
    roti = dish(catalog, mine["id"], "Roti Canai", "roti canai")
    mee = dish(catalog, mine["id"], "Mee Goreng", "mee goreng", is_available=False)
    dish(catalog, other["id"], "Laksa")

    menu = catalog.get_menu(mine["id"])
    assert [d["id"] for d in menu["items"]] == [mee["id"], roti["id"]]
    assert (menu["count"], menu["total"], menu["next_offset"]) == (2, 2, None)
    paged = catalog.get_menu(mine["id"], limit=1)
    assert ([d["id"] for d in paged["items"]], paged["next_offset"]) == ([mee["id"]], 1)

    empty = restaurant(catalog, "Empty")
    assert catalog.get_menu(empty["id"]) == {"items": [], "count": 0, "total": 0,
                                             "total_is_estimate": False, "next_offset": None,
                                             "next_cursor": None}


def test_get_menu_unknown_restaurant_is_not_found(catalog):
    with pytest.raises(NotFound):
        catalog.get_menu(str(uuid.uuid4()))
    with pytest.raises(InvalidInput):
        catalog.get_menu(restaurant(catalog, "A")["id"], limit=201)


def test_get_dish_and_get_dishes(catalog):
    r = restaurant(catalog, "A")
    x = dish(catalog, r["id"], "X", price="7.5", tags=["Spicy"], description="hot")
    y = dish(catalog, r["id"], "Y")
    assert catalog.get_dish(x["id"]) == x
    assert (x["price"], x["tags"], x["description"], x["restaurant_id"]) == (
        "7.50", ["spicy"], "hot", r["id"])
    assert (x["is_available"], x["is_seasonal"], x["average_rank"]) == (True, False, None)

    missing = str(uuid.uuid4())
    with pytest.raises(NotFound) as exc:
        catalog.get_dish(missing)
    assert exc.value.details == {"dish_id": missing}
    with pytest.raises(InvalidInput):
        catalog.get_dish("x")

    answer = catalog.get_dishes([y["id"], missing, x["id"], y["id"]])
    assert [d["id"] for d in answer] == [y["id"], x["id"]]
    assert answer == [y, x]


# --- search_dishes ---------------------------------------------------------------------------


@pytest.fixture
def food(catalog, events):
    """Dishes in two cities; creation events drained."""
    ipoh = restaurant(catalog, "Warung Ipoh", "Ipoh")
    penang = restaurant(catalog, "Kedai Penang", "Penang")
    made = {
        "curry": dish(catalog, ipoh["id"], "Curry Laksa", "laksa", "9.00",
                      description="Coconut curry broth", tags=["spicy", "noodles"]),
        "assam": dish(catalog, penang["id"], "Assam Laksa", "laksa", "8.00",
                      description="Tamarind fish broth", tags=["sour", "noodles"]),
        "nasi": dish(catalog, ipoh["id"], "Nasi Lemak", "nasi lemak", "6.50",
                     description="Rice with sambal, like a dry laksa", tags=["spicy"]),
        "cendol": dish(catalog, penang["id"], "Cendol", "dessert", "4.00",
                       description="Shaved ice", tags=["sweet", "vegetarian"]),
        "gone": dish(catalog, penang["id"], "Laksa Johor", "laksa", "12.00",
                     tags=["spicy", "noodles"], is_available=False),
    }
    events.take(2 + len(made))
    return made


def ids(answer) -> list[str]:
    return [item["id"] for item in answer["items"]]


def test_search_dishes_full_text_name_description_tags(catalog, food):
    assert ids(catalog.search_dishes(q="tamarind")) == [food["assam"]["id"]]  # description
    assert ids(catalog.search_dishes(q="vegetarian")) == [food["cendol"]["id"]]  # tags
    assert ids(catalog.search_dishes(q="cendol")) == [food["cendol"]["id"]]  # name
    assert ids(catalog.search_dishes(q="broths")) == sorted([food["assam"]["id"],
                                                             food["curry"]["id"]])  # stemmed
    assert ids(catalog.search_dishes(q="pizza")) == []


def test_search_dishes_only_available_and_answer_shape(catalog, food):
    answer = catalog.search_dishes(q="laksa")
    assert food["gone"]["id"] not in ids(answer)
    assert answer["total"] == 3
    item = next(i for i in answer["items"] if i["id"] == food["assam"]["id"])
    assert item == {**food["assam"], "restaurant_name": "Kedai Penang", "city": "Penang"}


def test_search_dishes_name_match_ranks_above_description_match(catalog, food, db):
    # sorts first by name and has the best average rank, but only its description matches
    apam = dish(catalog, food["nasi"]["restaurant_id"], "Apam Balik", "dessert",
                description="A sweet pancake, eaten after laksa")
    with db.begin() as conn:
        conn.execute(text("UPDATE dishes SET average_rank = 1.00 WHERE id = ANY(:ids)"),
                     {"ids": [uuid.UUID(apam["id"]), uuid.UUID(food["nasi"]["id"])]})
    answer = catalog.search_dishes(q="laksa")
    # both Laksa dishes tie on text match (their type says it), unranked: then by id; the
    # others only say it in prose, ranked alike: by id
    assert ids(answer) == [*sorted([food["assam"]["id"], food["curry"]["id"]]),
                           *sorted([apam["id"], food["nasi"]["id"]])]
    assert (answer["count"], answer["total"], answer["next_offset"]) == (4, 4, None)


def in_rank_order(food, *names) -> list[str]:
    """The ids of these unranked dishes as a search orders them (its ties fall to id)."""
    return sorted(food[name]["id"] for name in names)


def test_search_dishes_filters(catalog, food):
    assert ids(catalog.search_dishes(dish_type="Laksa")) == in_rank_order(food, "assam", "curry")
    assert ids(catalog.search_dishes(dish_type=" NASI  lemak")) == in_rank_order(food, "nasi")
    assert ids(catalog.search_dishes(tags="spicy")) == in_rank_order(food, "curry", "nasi")
    assert ids(catalog.search_dishes(tags="Spicy,noodles")) == in_rank_order(food, "curry")
    assert ids(catalog.search_dishes(tags=["noodles"])) == in_rank_order(food, "assam", "curry")
    assert ids(catalog.search_dishes(price_min="6.50", price_max="8.00")) == in_rank_order(
        food, "assam", "nasi")
    assert ids(catalog.search_dishes(price_min="9")) == in_rank_order(food, "curry")
    assert ids(catalog.search_dishes(price_max="4")) == in_rank_order(food, "cendol")
    assert ids(catalog.search_dishes(city="Penang")) == in_rank_order(food, "assam", "cendol")
    # curry's type says laksa, nasi's description only
    assert ids(catalog.search_dishes(city="Ipoh", q="laksa")) == [food["curry"]["id"],
                                                                  food["nasi"]["id"]]
    assert ids(catalog.search_dishes(city="ipoh")) == []


def test_search_dishes_paging_and_bad_query(catalog, food):
    answer = catalog.search_dishes(limit=3)
    assert (answer["count"], answer["total"], answer["next_offset"]) == (3, 4, 3)
    with pytest.raises(InvalidInput) as exc:
        catalog.search_dishes(price_min="10", price_max="5")
    assert exc.value.details["fields"] == {"price_min": ["must not be above price_max"]}


def test_search_dishes_ties_on_text_ordered_by_average_rank(catalog, events, db):
    r = restaurant(catalog, "Hawker Centre")
    made = [dish(catalog, r["id"], "Char Kway Teow", "char kway teow",
                 description="Wok-fried flat noodles") for _ in range(4)]
    other = dish(catalog, r["id"], "Kway Teow Soup", "soup", description="Clear broth")
    events.take(6)
    ranks = [None, "3.20", "1.50", "2.00"]
    with db.begin() as conn:
        for made_dish, rank in zip(made, ranks, strict=True):
            conn.execute(text("UPDATE dishes SET average_rank = :rank WHERE id = :id"),
                         {"rank": rank, "id": made_dish["id"]})
        conn.execute(text("UPDATE dishes SET average_rank = 1.00 WHERE id = :id"),
                     {"id": other["id"]})

    best_first = [made[2]["id"], made[3]["id"], made[1]["id"], made[0]["id"]]
    answer = catalog.search_dishes(q="char kway teow")
    assert ids(answer) == best_first
    assert [item["average_rank"] for item in answer["items"]] == [1.5, 2.0, 3.2, None]
    # without text, average rank alone orders (best first, unranked last)
    assert ids(catalog.search_dishes()) == [other["id"], *best_first]
    # a better average rank does not beat a better text match
    assert ids(catalog.search_dishes(q="kway teow"))[-1] == other["id"]


# --- list_cuisines ---------------------------------------------------------------------------


def test_list_cuisines(catalog):
    assert catalog.list_cuisines() == []
    restaurant(catalog, "A", cuisine_type=["Thai", " thai ", "Malay"])
    r = restaurant(catalog, "B", cuisine_type=["Chinese", "Malay"])
    assert catalog.list_cuisines() == [{"name": "Chinese"}, {"name": "Malay"}, {"name": "Thai"}]
    catalog.update_restaurant(r["id"], {"cuisine_type": ["Indian"]})
    assert catalog.list_cuisines() == [{"name": "Chinese"}, {"name": "Indian"},
                                       {"name": "Malay"}, {"name": "Thai"}]


# --- restaurant writes -----------------------------------------------------------------------


def test_create_restaurant_publishes_restaurant_created(catalog, events):
    owner = str(uuid.uuid4())
    created = catalog.create_restaurant({
        "name": "Warung A", "city": "Ipoh", "address": "1 Jalan", "state": "Perak",
        "country": "Malaysia", "postal_code": "30000", "latitude": -4.5, "longitude": 101.25,
        "phone": "05-1234", "website": "https://a.example.com", "hours": {"sun": "closed"},
        "cuisine_type": ["Malay", "malay "], "price_range": 1,
    }, owner_id=owner)
    uuid.UUID(created["id"])
    assert {k: v for k, v in created.items() if k not in ("id", "created_at", "updated_at")} == {
        "name": "Warung A", "city": "Ipoh", "address": "1 Jalan", "state": "Perak",
        "country": "Malaysia", "postal_code": "30000", "latitude": -4.5, "longitude": 101.25,
        "phone": "05-1234", "website": "https://a.example.com", "hours": {"sun": "closed"},
        "cuisine_type": ["Malay"], "price_range": 1, "owner_id": owner,
    }
    [body] = published(catalog, events)
    assert envelope(body, "restaurant_created")["payload"] == created
    assert catalog.get_restaurant(created["id"]) == created


def test_create_restaurant_minimal_fields(catalog):
    created = restaurant(catalog, "Warung A")
    assert (created["cuisine_type"], created["hours"], created["price_range"],
            created["owner_id"]) == ([], None, None, None)
    assert datetime.fromisoformat(created["created_at"]).utcoffset() == timedelta(0)


def test_the_owner_comes_from_the_caller_never_from_the_fields(catalog):
    with pytest.raises(InvalidInput) as refused:
        catalog.create_restaurant({"name": "Warung B", "city": "Ipoh",
                                   "owner_id": str(uuid.uuid4())})
    assert "owner_id" in refused.value.details["fields"]
    with pytest.raises(InvalidInput):
        restaurant(catalog, "Warung B", owner_id="not-a-uuid")


def test_invalid_create_restaurant_writes_and_publishes_nothing(catalog, events):
    for data, fields in [
        ({"city": "Ipoh", "cuisine_type": ["Malay"]},
         {"name": ["Missing data for required field."]}),
        ({"name": "A", "city": "Ipoh", "price_range": 5, "cuisine_type": ["Malay"]},
         {"price_range": ["Must be greater than or equal to 1 and less than or equal to 4."]}),
        ({"name": "A", "city": "Ipoh", "rating": 5}, {"rating": ["Unknown field."]}),
        ({"name": "A", "city": "Ipoh", "website": "a.example.com"},
         {"website": ["Not a valid URL."]}),
        ({"name": "A", "city": "Ipoh", "hours": {"monday": "9-5"}},
         {"hours": {"monday": {"key": ["Must be one of: mon, tue, wed, thu, fri, sat, sun."]}}}),
    ]:
        with pytest.raises(InvalidInput) as exc:
            catalog.create_restaurant(data)
        assert exc.value.details == {"fields": fields}
    assert catalog.list_restaurants()["total"] == 0
    assert catalog.list_cuisines() == []
    assert published(catalog, events) == []


def test_update_restaurant_partial_keeps_other_fields(catalog, events):
    created = restaurant(catalog, "Warung A", address="1 Jalan", price_range=2,
                         cuisine_type=["Malay"], hours={"mon": "9-5"})
    events.take(1)
    updated = catalog.update_restaurant(created["id"], {"price_range": 3, "phone": "05-1"})
    assert updated == {**created, "price_range": 3, "phone": "05-1",
                       "updated_at": updated["updated_at"]}
    assert updated["updated_at"] > created["updated_at"]
    assert catalog.get_restaurant(created["id"]) == updated

    [body] = published(catalog, events)
    assert envelope(body, "restaurant_updated")["payload"] == updated

    cleared = catalog.update_restaurant(created["id"], {"address": None})
    assert (cleared["address"], cleared["phone"]) == (None, "05-1")


def test_update_unknown_restaurant_is_not_found_and_publishes_nothing(catalog, events):
    with pytest.raises(NotFound):
        catalog.update_restaurant(str(uuid.uuid4()), {"name": "X"})
    assert published(catalog, events) == []


def test_invalid_update_restaurant_changes_and_publishes_nothing(catalog, events):
    created = restaurant(catalog, "Warung A")
    events.take(1)
    with pytest.raises(InvalidInput) as exc:
        catalog.update_restaurant(created["id"], {"name": " ", "latitude": 91})
    assert sorted(exc.value.details["fields"]) == ["latitude", "name"]
    assert catalog.get_restaurant(created["id"]) == created
    assert published(catalog, events) == []


def test_delete_restaurant_deletes_dishes_and_publishes_each(catalog, events):
    r = restaurant(catalog, "Warung A")
    other = restaurant(catalog, "Warung B")
    roti = dish(catalog, r["id"], "Roti Canai", "roti canai")
    mee = dish(catalog, r["id"], "Mee Goreng", "mee goreng")
    kept = dish(catalog, other["id"], "Laksa")
    events.take(5)

    assert catalog.delete_restaurant(r["id"]) is None
    assert names(catalog.list_restaurants()) == ["Warung B"]

    bodies = published(catalog, events)
    assert [b["event_type"] for b in bodies] == ["dish_deleted", "dish_deleted",
                                                 "restaurant_deleted"]
    parsed = [envelope(b, b["event_type"]) for b in bodies]
    assert [p["payload"] for p in parsed] == [
        {"id": mee["id"], "restaurant_id": r["id"], "dish_type": "mee goreng"},
        {"id": roti["id"], "restaurant_id": r["id"], "dish_type": "roti canai"},
        {"id": r["id"]},
    ]
    assert len({p["event_id"] for p in parsed}) == 3

    with pytest.raises(NotFound):
        catalog.get_restaurant(r["id"])
    with pytest.raises(NotFound):
        catalog.get_dish(roti["id"])
    assert catalog.get_dishes([roti["id"], mee["id"], kept["id"]]) == [kept]


def test_delete_unknown_restaurant_is_not_found_and_publishes_nothing(catalog, events):
    with pytest.raises(NotFound):
        catalog.delete_restaurant(str(uuid.uuid4()))
    assert published(catalog, events) == []


# --- dish writes -----------------------------------------------------------------------------


def test_create_dish_publishes_dish_created(catalog, events):
    r = restaurant(catalog, "Warung A")
    events.take(1)
    created = catalog.create_dish(r["id"], {
        "name": "Nasi Lemak", "dish_type": " Nasi  Lemak", "price": "8.5",
        "description": "with sambal", "image_url": "https://img.example.com/n.jpg",
        "tags": ["Spicy", "spicy", "Halal"], "is_seasonal": True,
    })
    assert {k: v for k, v in created.items() if k not in ("id", "created_at", "updated_at")} == {
        "restaurant_id": r["id"], "name": "Nasi Lemak", "dish_type": "nasi lemak",
        "price": "8.50", "description": "with sambal",
        "image_url": "https://img.example.com/n.jpg", "tags": ["spicy", "halal"],
        "is_seasonal": True, "is_available": True, "average_rank": None,
    }
    [body] = published(catalog, events)
    assert envelope(body, "dish_created")["payload"] == created
    assert catalog.get_menu(r["id"])["items"] == [created]


def test_invalid_create_dish_writes_and_publishes_nothing(catalog, events):
    r = restaurant(catalog, "Warung A")
    events.take(1)
    with pytest.raises(InvalidInput) as exc:
        catalog.create_dish(r["id"], {"name": "X", "dish_type": "x", "price": "-1"})
    assert list(exc.value.details["fields"]) == ["price"]
    with pytest.raises(InvalidInput) as exc:
        catalog.create_dish(r["id"], {"name": "X", "dish_type": "x", "price": "NaN"})
    assert list(exc.value.details["fields"]) == ["price"]
    with pytest.raises(NotFound):
        dish(catalog, str(uuid.uuid4()), "X")
    assert catalog.get_menu(r["id"])["total"] == 0
    assert catalog.search_dishes()["total"] == 0
    assert published(catalog, events) == []


def test_update_dish_partial_keeps_other_fields(catalog, events):
    r = restaurant(catalog, "Warung A")
    created = dish(catalog, r["id"], "Laksa", "laksa", "9.00", tags=["spicy"],
                   description="curry")
    events.take(2)
    updated = catalog.update_dish(created["id"], {"price": "9.5", "is_available": False})
    assert updated == {**created, "price": "9.50", "is_available": False,
                       "updated_at": updated["updated_at"]}
    assert catalog.get_dish(created["id"]) == updated
    [body] = published(catalog, events)
    assert envelope(body, "dish_updated")["payload"] == updated
    # no longer available: out of search, still on the menu
    assert catalog.search_dishes(q="laksa")["total"] == 0
    assert [d["id"] for d in catalog.get_menu(r["id"])["items"]] == [created["id"]]


def test_update_dish_text_changes_search(catalog, events):
    r = restaurant(catalog, "Warung A")
    created = dish(catalog, r["id"], "Laksa", description="curry")
    catalog.update_dish(created["id"], {"description": "tamarind", "dish_type": "Assam  Laksa"})
    assert ids(catalog.search_dishes(q="tamarind")) == [created["id"]]
    assert catalog.search_dishes(q="curry")["total"] == 0
    assert ids(catalog.search_dishes(dish_type="assam laksa")) == [created["id"]]


def test_update_unknown_or_invalid_dish_publishes_nothing(catalog, events):
    r = restaurant(catalog, "Warung A")
    created = dish(catalog, r["id"], "Laksa")
    events.take(2)
    with pytest.raises(NotFound):
        catalog.update_dish(str(uuid.uuid4()), {"name": "X"})
    with pytest.raises(InvalidInput) as exc:
        catalog.update_dish(created["id"], {"price": "-1", "restaurant_id": r["id"]})
    assert sorted(exc.value.details["fields"]) == ["price", "restaurant_id"]
    assert catalog.get_dish(created["id"]) == created
    assert published(catalog, events) == []


def test_delete_dish_publishes_dish_deleted(catalog, events):
    r = restaurant(catalog, "Warung A")
    created = dish(catalog, r["id"], "Laksa", "curry laksa")
    kept = dish(catalog, r["id"], "Cendol", "dessert")
    events.take(3)
    assert catalog.delete_dish(created["id"]) is None
    [body] = published(catalog, events)
    assert envelope(body, "dish_deleted")["payload"] == {
        "id": created["id"], "restaurant_id": r["id"], "dish_type": "curry laksa"}
    with pytest.raises(NotFound):
        catalog.get_dish(created["id"])
    assert [d["id"] for d in catalog.get_menu(r["id"])["items"]] == [kept["id"]]
    with pytest.raises(NotFound):
        catalog.delete_dish(created["id"])
    assert published(catalog, events) == []


# --- idempotency keys, no-op updates, spelling ---------------------------------------


def test_a_retried_create_with_its_key_returns_the_first_answer(catalog, events, db):
    first = catalog.create_restaurant({"name": "Warung Once", "city": "Ipoh"},
                                      idempotency_key="create-1")
    again = catalog.create_restaurant({"name": "Warung Once", "city": "Ipoh"},
                                      idempotency_key="create-1")
    assert again == first
    with db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM restaurants WHERE name = 'Warung Once'")) == 1
    assert [body["payload"]["id"] for body in published(catalog, events)] == [first["id"]]


def test_a_key_reused_for_another_request_is_a_conflict(catalog, events):
    from shared.errors import Conflict

    catalog.create_restaurant({"name": "Warung A", "city": "Ipoh"}, idempotency_key="k")
    with pytest.raises(Conflict):
        catalog.create_restaurant({"name": "Warung B", "city": "Ipoh"}, idempotency_key="k")
    assert [body["payload"]["name"] for body in published(catalog, events)] == ["Warung A"]


def test_keys_are_per_operation_and_writes_without_keys_all_apply(catalog, events):
    created = restaurant(catalog, "Kedai Keys")
    catalog.create_dish(created["id"], {"name": "Laksa", "dish_type": "laksa", "price": "9.00"},
                        idempotency_key="same")
    catalog.update_restaurant(created["id"], {"phone": "+60 1"}, idempotency_key="same")
    restaurant(catalog, "Kedai Keys")  # no key: a second, distinct restaurant
    types = [body["event_type"] for body in published(catalog, events)]
    assert types == ["restaurant_created", "dish_created", "restaurant_updated",
                     "restaurant_created"]


def test_a_retried_delete_with_its_key_succeeds_again(catalog, events):
    created = restaurant(catalog, "Gone Soon")
    catalog.delete_restaurant(created["id"], idempotency_key="del-1")
    assert catalog.delete_restaurant(created["id"], idempotency_key="del-1") is None
    with pytest.raises(NotFound):
        catalog.delete_restaurant(created["id"])
    types = [body["event_type"] for body in published(catalog, events)]
    assert types == ["restaurant_created", "restaurant_deleted"]


def test_an_invalid_key_is_refused(catalog):
    with pytest.raises(InvalidInput):
        catalog.create_restaurant({"name": "X", "city": "Ipoh"}, idempotency_key="k" * 201)


def test_an_update_that_changes_nothing_announces_nothing(catalog, events):
    created = restaurant(catalog, "Same Same", phone="+60 3")
    dish_created = dish(catalog, created["id"], "Laksa")
    assert catalog.update_restaurant(created["id"], {})["name"] == "Same Same"
    catalog.update_restaurant(created["id"], {"phone": "+60 3"})
    catalog.update_dish(dish_created["id"], {"price": "10.00"})
    types = [body["event_type"] for body in published(catalog, events)]
    assert types == ["restaurant_created", "dish_created"]


def test_cuisines_are_one_whatever_their_capitals(catalog):
    first = restaurant(catalog, "Warung Satu", cuisine_type=["Malay"])
    second = restaurant(catalog, "Warung Dua", cuisine_type=["malay", "THAI"])
    assert second["cuisine_type"] == ["Malay", "THAI"]
    assert [c["name"] for c in catalog.list_cuisines()] == ["Malay", "THAI"]
    found = catalog.list_restaurants(cuisine="MALAY")
    assert [item["id"] for item in found["items"]] == [second["id"], first["id"]]


def test_prices_with_more_than_two_decimals_are_refused_not_rounded(catalog):
    created = restaurant(catalog, "Exact Prices")
    with pytest.raises(InvalidInput) as refused:
        dish(catalog, created["id"], "Laksa", price="9.999")
    assert refused.value.details["fields"] == {"price": ["at most 2 decimal places"]}


def test_text_with_nul_characters_is_refused(catalog):
    with pytest.raises(InvalidInput) as refused:
        restaurant(catalog, "Bad\x00Name")
    assert "name" in refused.value.details["fields"]


def test_order_quote_answers_the_restaurant_and_the_asked_dishes_that_exist(catalog):
    owner = str(uuid.uuid4())
    place = restaurant(catalog, "Quote Place", owner_id=owner)
    other = restaurant(catalog, "Elsewhere")
    laksa = dish(catalog, place["id"], "Laksa", price="12.50")
    sold_out = dish(catalog, place["id"], "Cendol", price="4.00", is_available=False)
    foreign = dish(catalog, other["id"], "Roti", price="2.00")
    missing = str(uuid.uuid4())

    quote = catalog.get_order_quote(place["id"], [foreign["id"], laksa["id"], missing,
                                                  sold_out["id"], laksa["id"]])

    assert quote["restaurant"] == catalog.get_restaurant(place["id"])
    assert quote["restaurant"]["owner_id"] == owner
    # what exists, in the asked order, each once; the caller judges availability and origin
    assert quote["dishes"] == [foreign, laksa, sold_out]
    assert [d["price"] for d in quote["dishes"]] == ["2.00", "12.50", "4.00"]


def test_order_quote_of_an_unknown_restaurant_or_too_many_dishes_is_refused(catalog):
    with pytest.raises(NotFound):
        catalog.get_order_quote(str(uuid.uuid4()), [])
    place = restaurant(catalog, "Quote Limits")
    assert catalog.get_order_quote(place["id"], [str(uuid.uuid4()) for _ in range(50)])[
        "dishes"] == []
    with pytest.raises(InvalidInput) as refused:
        catalog.get_order_quote(place["id"], [str(uuid.uuid4()) for _ in range(51)])
    assert "dish_ids" in refused.value.details["fields"]
    with pytest.raises(InvalidInput):
        catalog.get_order_quote(place["id"], ["not-a-uuid"])
