"""A list's total at a large city's size (SPEC §3): exact up to 10,000, an estimate past
it (and said to be one), through the real RPC and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.catalog.service import CatalogService
from shared.postgres import make_engine
from shared.schemas import EXACT_TOTAL_UP_TO

BIG_CITY = f"Kota-{uuid.uuid4().hex[:8]}"  # more restaurants than are ever counted
SMALL_CITY = f"Pekan-{uuid.uuid4().hex[:8]}"
BIG = EXACT_TOTAL_UP_TO + 500


@pytest.fixture
def catalog(container_factory, catalog_config):
    engine = make_engine(catalog_config["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO restaurants (id, name, city, cuisine_type) "
            "SELECT gen_random_uuid(), 'Warung ' || lpad(n::text, 6, '0'), :city, '{}' "
            "FROM generate_series(1, :count) AS n"), {"city": BIG_CITY, "count": BIG})
        connection.execute(text(
            "INSERT INTO restaurants (id, name, city, cuisine_type) "
            "SELECT gen_random_uuid(), 'Kedai ' || n, :city, '{}' "
            "FROM generate_series(1, 30) AS n"), {"city": SMALL_CITY})
        connection.execute(text("ANALYZE restaurants"))
    container = container_factory(CatalogService, catalog_config)
    container.start()
    with ClusterRpcProxy(catalog_config, timeout=10) as cluster:
        yield cluster.catalog
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM restaurants WHERE city IN (:big, :small)"),
                           {"big": BIG_CITY, "small": SMALL_CITY})
    engine.dispose()


def test_past_ten_thousand_the_total_is_an_estimate_and_says_so(catalog):
    first = catalog.list_restaurants(city=BIG_CITY, limit="12")
    assert first["total_is_estimate"] is True
    assert first["total"] > EXACT_TOTAL_UP_TO
    assert (first["count"], first["next_offset"]) == (12, 12)
    assert first["items"][0]["name"] == "Warung 000001"


def test_up_to_ten_thousand_the_total_is_counted(catalog):
    small = catalog.list_restaurants(city=SMALL_CITY, limit="12", offset="12")
    assert (small["total"], small["total_is_estimate"], small["next_offset"]) == (30, False, 24)
    assert catalog.list_restaurants(city=SMALL_CITY, offset="100")["total"] == 30  # past the end


def test_the_last_page_of_a_big_list_knows_its_exact_total(catalog):
    last = catalog.list_restaurants(city=BIG_CITY, limit="50", offset=str(BIG - 20))
    assert (last["count"], last["total"], last["total_is_estimate"]) == (20, BIG, False)
    assert last["next_offset"] is None
