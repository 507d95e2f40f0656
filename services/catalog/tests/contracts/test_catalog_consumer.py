"""The catalog as a consumer: what it relies on in rankings' ranking events (each dish's
rank totals and average rank).

Each declared event's example envelope goes through the real handler (CatalogService's
entrypoint method, with a CatalogStore on the test database, read as its entrypoint
reads it), and the test checks the dish's totals moved as the event says.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text as sql
from sqlalchemy.orm import sessionmaker

from contracts.consumer import Contract, an_id, delivered, integer
from services.catalog.service import CatalogService
from services.catalog.storage import CatalogStore
from shared.postgres import make_engine

# the fields that change a dish's totals: the catalog ignores every other one
RANKED = {"dish_id": an_id("dish"), "rank": integer(2)}
MOVED = {"dish_id": an_id("dish"), "old_rank": integer(2), "new_rank": integer(1)}
REMOVED = {"dish_id": an_id("dish"), "old_rank": integer(1)}


@pytest.fixture
def sessions(catalog_db):
    engine = make_engine(catalog_db)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def totals(sessions, dish_id: str) -> tuple[int, int]:
    with sessions() as session:
        return tuple(session.execute(sql(
            "SELECT rank_sum, rank_count FROM dishes WHERE id = :id"), {"id": dish_id}).one())


def test_the_catalog_relies_on_rankings_ranking_events(sessions, tmp_path):
    contract = Contract("catalog", "rankings")
    contract.event("dish_ranked", RANKED, given="a user and a dish are known",
                   handler=CatalogService.on_dish_ranked)
    contract.event("ranking_moved", MOVED, given="a user has ranked two dishes",
                   handler=CatalogService.on_ranking_moved)
    contract.event("ranking_removed", REMOVED, given="a user has ranked a dish",
                   handler=CatalogService.on_ranking_removed)

    def handle(handler, body: dict) -> None:
        payload = body["payload"]
        with sessions() as session:  # the ranked dish, with totals that may move either way
            store = CatalogStore(session, "catalog")
            with store.transaction():
                restaurant = store.add_restaurant({"name": "Warung", "city": "Ipoh"})
                store.add_dish(restaurant.id, {"id": uuid.UUID(payload["dish_id"]),
                                               "name": "Laksa", "dish_type": "laksa",
                                               "price": "9.00", "rank_sum": 10,
                                               "rank_count": 5})
        service = CatalogService()
        with sessions() as session:
            service.store = CatalogStore(session, "catalog")
            handler(service, delivered(handler, body))
        rank_sum, rank_count = totals(sessions, payload["dish_id"])
        expected = {
            "dish_ranked": lambda: (10 + payload.get("rank", 0), 6),
            "ranking_moved": lambda: (10 + payload.get("new_rank", 0)
                                      - payload.get("old_rank", 0), 5),
            "ranking_removed": lambda: (10 - payload.get("old_rank", 0), 4),
        }[body["event_type"]]()
        assert (rank_sum, rank_count) == expected
        with sessions() as session, session.begin():
            session.execute(sql("TRUNCATE restaurants, processed_events CASCADE"))

    contract.feed_events(handle)
    contract.write(tmp_path)
