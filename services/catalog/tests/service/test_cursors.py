"""Cursor paging of every catalog list (SPEC §3), through the real RPC and PostgreSQL: the
pages by cursor hold every row once while rows are added between pages, a text search's
cursor crosses its match tiers, and a bad cursor is refused by name."""

from __future__ import annotations

import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.catalog.service import CatalogService
from shared.errors import InvalidInput
from shared.postgres import make_engine
from shared.schemas import MAX_CURSOR, encode_cursor

CITY = f"Kuantan-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def db(catalog_config):
    engine = make_engine(catalog_config["DATABASE_URL"])
    yield engine
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM restaurants WHERE city = :city"), {"city": CITY})
    engine.dispose()


@pytest.fixture
def catalog(container_factory, catalog_config, db):
    container = container_factory(CatalogService, catalog_config)
    container.start()
    with ClusterRpcProxy(catalog_config, timeout=10) as cluster:
        yield cluster.catalog


def add_restaurants(db, names: list[str]) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in names]
    with db.begin() as connection:
        connection.execute(text(
            "INSERT INTO restaurants (id, name, city, cuisine_type) "
            "VALUES (:id, :name, :city, '{}')"),
            [{"id": id_, "name": name, "city": CITY} for id_, name in zip(ids, names,
                                                                          strict=True)])
    return ids


def add_dishes(db, restaurant_id: str, dishes: list[dict]) -> list[str]:
    rows = [{"id": str(uuid.uuid4()), "restaurant_id": restaurant_id, "description": None,
             "average_rank": None, "rank_count": 0, **dish} for dish in dishes]
    with db.begin() as connection:
        connection.execute(text(
            "INSERT INTO dishes (id, restaurant_id, name, description, price, dish_type, "
            "average_rank, rank_count) VALUES (:id, :restaurant_id, :name, :description, "
            "5, :dish_type, :average_rank, :rank_count)"), rows)
    return [row["id"] for row in rows]


def follow(call, **query) -> list[dict]:
    """Every page of a list, by cursor from the first page; each page's answer."""
    pages = [call(**query)]
    while pages[-1]["next_cursor"]:
        pages.append(call(**query, cursor=pages[-1]["next_cursor"]))
    return pages


def names(page) -> list[str]:
    return [item["name"] for item in page["items"]]


def test_pages_by_cursor_hold_every_row_once_while_rows_are_added(catalog, db):
    add_restaurants(db, [f"Kedai {n:02d}" for n in range(0, 40, 2)])  # 00, 02 .. 38
    first = catalog.list_restaurants(city=CITY, limit="6")
    assert names(first) == ["Kedai 00", "Kedai 02", "Kedai 04", "Kedai 06", "Kedai 08",
                            "Kedai 10"]
    assert (first["total"], first["next_offset"]) == (20, 6)

    # added between pages: before the cursor (not shown: the client is past it), after it
    # (shown in its place), and a twin of the last name shown (shown if its id is after)
    add_restaurants(db, ["Kedai 01", "Kedai 07", "Kedai 10", "Kedai 13", "Kedai 39"])
    seen = names(first)
    answer = first
    while answer["next_cursor"]:
        answer = catalog.list_restaurants(city=CITY, limit="6", cursor=answer["next_cursor"])
        assert answer["next_offset"] is None  # a cursor's page has no known position
        seen += names(answer)
    originals = [f"Kedai {n:02d}" for n in range(0, 40, 2)]
    assert [name for name in seen if name != "Kedai 10"] == sorted(
        {*originals, "Kedai 13", "Kedai 39"} - {"Kedai 10"})  # no duplicate, no gap
    assert seen.count("Kedai 10") in (1, 2)
    assert "Kedai 01" not in seen and "Kedai 07" not in seen
    assert answer["total"] == 25


def test_a_cursor_page_costs_no_count_of_what_it_skips_and_matches_offset(catalog, db):
    add_restaurants(db, [f"Warung {n:03d}" for n in range(30)])
    by_offset = [name for offset in range(0, 30, 7) for name in names(
        catalog.list_restaurants(city=CITY, limit="7", offset=str(offset)))]
    pages = follow(catalog.list_restaurants, city=CITY, limit="7")
    assert [name for page in pages for name in names(page)] == by_offset
    assert [page["count"] for page in pages] == [7, 7, 7, 7, 2]
    assert pages[-1]["next_cursor"] is None
    assert {page["total"] for page in pages} == {30}


def test_the_text_filter_pages_by_cursor_too(catalog, db):
    add_restaurants(db, [f"Kopitiam {n:02d}" for n in range(15)] + ["Mamak Corner"])
    pages = follow(catalog.list_restaurants, city=CITY, q="kopitiam", limit="4")
    assert [name for page in pages for name in names(page)] == [
        f"Kopitiam {n:02d}" for n in range(15)]
    assert pages[0]["total"] == 15


def test_a_search_cursor_crosses_from_better_matches_to_worse(catalog, db):
    [restaurant] = add_restaurants(db, ["Kedai Laksa"])
    by_type = add_dishes(db, restaurant, [
        {"name": f"Special {n}", "dish_type": "laksa", "average_rank": rank, "rank_count": 3}
        for n, rank in enumerate(["1.50", "2.00", "2.00", None])])
    by_name = add_dishes(db, restaurant, [{"name": "Laksa Goreng", "dish_type": "noodles"}])
    by_text = add_dishes(db, restaurant, [
        {"name": f"Mee {n}", "dish_type": "noodles", "description": "a dry laksa"}
        for n in range(3)])
    add_dishes(db, restaurant, [{"name": "Cendol", "dish_type": "dessert"}])

    whole = catalog.search_dishes(q="laksa", city=CITY, limit="50")
    ids = [item["id"] for item in whole["items"]]
    # the type says it (best rank first, unranked last), then the name, then the prose
    assert ids[:4] == [by_type[0], *sorted(by_type[1:3]), by_type[3]]
    assert ids[4:] == [*by_name, *sorted(by_text)]
    for size in ("1", "3", "4", "5"):
        pages = follow(catalog.search_dishes, q="laksa", city=CITY, limit=size)
        assert [item["id"] for page in pages for item in page["items"]] == ids, size
    # without text, the same key with every dish in one tier
    pages = follow(catalog.search_dishes, city=CITY, limit="3")
    assert [item["id"] for page in pages for item in page["items"]] == [
        item["id"] for item in catalog.search_dishes(city=CITY, limit="50")["items"]]


def test_a_menu_pages_by_cursor(catalog, db):
    [restaurant] = add_restaurants(db, ["Kedai Menu"])
    add_dishes(db, restaurant, [{"name": f"Dish {n:02d}", "dish_type": "rice"}
                                for n in range(11)])
    pages = follow(catalog.get_menu, restaurant_id=restaurant, limit="4")
    assert [name for page in pages for name in names(page)] == [
        f"Dish {n:02d}" for n in range(11)]


def test_the_longest_name_makes_a_cursor_within_its_limit(catalog, db):
    longest = "\U0001f35c" * 200  # a name's most characters, each four bytes in UTF-8
    add_restaurants(db, [longest, longest, "Warung Z"])
    first = catalog.list_restaurants(city=CITY, limit="1")
    assert len(first["next_cursor"]) <= MAX_CURSOR
    second = catalog.list_restaurants(city=CITY, limit="1", cursor=first["next_cursor"])
    assert names(second) == [longest] and second["items"] != first["items"]


@pytest.mark.parametrize("cursor", [
    "not a cursor",
    "W10",  # base64 of "[]"
    encode_cursor("menu", ("Kedai", str(uuid.uuid4()))),  # another list's
    encode_cursor("restaurants", ("Kedai",)),  # another shape
    encode_cursor("restaurants", ("Kedai", "not-an-id")),
    encode_cursor("restaurants", (7, str(uuid.uuid4()))),
    "x" * (MAX_CURSOR + 1),
    encode_cursor("restaurants", ("Kedai", str(uuid.uuid4()))) + "=",  # not base64url
])
def test_a_bad_cursor_is_refused_by_name(catalog, cursor):
    with pytest.raises(InvalidInput) as exc:
        catalog.list_restaurants(cursor=cursor)
    assert list(exc.value.details["fields"]) == ["cursor"]


def test_a_cursor_and_an_offset_together_are_refused(catalog, db):
    add_restaurants(db, [f"Kedai {n}" for n in range(3)])
    cursor = catalog.list_restaurants(city=CITY, limit="1")["next_cursor"]
    with pytest.raises(InvalidInput) as exc:
        catalog.list_restaurants(city=CITY, cursor=cursor, offset="1")
    assert exc.value.details["fields"] == {"offset": ["give a cursor or an offset, not both"]}
    bad_search = encode_cursor("dish_search", (0, "NaN", 0, str(uuid.uuid4())))
    with pytest.raises(InvalidInput) as exc:
        catalog.search_dishes(q="laksa", cursor=bad_search)
    assert list(exc.value.details["fields"]) == ["cursor"]
