"""The catalog keeps each dish's average rank from rankings' real events (broker + PostgreSQL)."""

from __future__ import annotations

import uuid

import eventlet
import pytest
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.catalog.service import CatalogService
from services.rankings.contract.events import DISH_RANKED, RANKING_MOVED, RANKING_REMOVED
from shared.consumer import ERROR_HEADER, dead_letter_queue
from shared.events import EnvelopePublisher
from shared.postgres import make_engine


def wait_for(predicate, timeout: float = 10.0):
    with eventlet.Timeout(timeout):
        while not (result := predicate()):
            eventlet.sleep(0.05)
    return result


@pytest.fixture
def config(catalog_config):
    # a payload it cannot parse is dead-lettered after two quick attempts
    return {**catalog_config, "EVENT_RETRY_DELAY": 0.05, "EVENT_MAX_ATTEMPTS": 2}


@pytest.fixture
def catalog(container_factory, config):
    container_factory(CatalogService, config).start()
    with ClusterRpcProxy(config, timeout=5) as cluster:
        yield cluster.catalog


@pytest.fixture
def db(config):
    engine = make_engine(config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def rankings(config):
    return EnvelopePublisher(config["AMQP_URI"], "rankings")


@pytest.fixture
def restaurant(catalog) -> dict:
    return catalog.create_restaurant({"name": "Warung Ranks", "city": "Ipoh",
                                      "cuisine_type": ["Malay"]})


def add_dish(catalog, restaurant: dict, name: str) -> dict:
    return catalog.create_dish(restaurant["id"], {"name": name, "dish_type": "laksa",
                                                  "price": "9.00"})


def ranking(dish: dict, **fields) -> dict:
    """A payload as rankings publishes it: the catalog reads only what it needs."""
    return {"user_id": str(uuid.uuid4()), "dish_id": dish["id"], "dish_type": dish["dish_type"],
            "restaurant_id": dish["restaurant_id"], **fields}


def ranked(dish: dict, rank: int, user_id: str | None = None) -> dict:
    payload = ranking(dish, city="Ipoh", cuisine_type=["Malay"], rank=rank)
    return {**payload, "user_id": user_id or payload["user_id"]}


def totals(db, dish_id: str) -> tuple:
    with db.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT rank_sum, rank_count, average_rank FROM dishes WHERE id = :id"),
            {"id": dish_id}).one())


def processed(db, event: dict) -> bool:
    with db.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM processed_events WHERE event_id = :id"),
                           {"id": str(event["event_id"])}) == 1


def average_becomes(catalog, dish: dict, expected: float | None) -> None:
    wait_for(lambda: catalog.get_dish(dish["id"])["average_rank"] == expected)


def test_average_follows_placements_moves_and_removals(catalog, rankings, restaurant, db):
    dish = add_dish(catalog, restaurant, "Curry Laksa")
    assert catalog.get_dish(dish["id"])["average_rank"] is None
    first, second = str(uuid.uuid4()), str(uuid.uuid4())

    rankings.dispatch(DISH_RANKED, ranked(dish, 1, first))
    average_becomes(catalog, dish, 1.0)
    rankings.dispatch(DISH_RANKED, ranked(dish, 3, second))
    average_becomes(catalog, dish, 2.0)

    rankings.dispatch(RANKING_MOVED, {**ranking(dish, old_rank=3, new_rank=2,
                                                  reason="moved"), "user_id": second})
    average_becomes(catalog, dish, 1.5)
    assert totals(db, dish["id"])[:2] == (3, 2)

    rankings.dispatch(RANKING_REMOVED, {**ranking(dish, old_rank=1, reason="removed"),
                                          "user_id": first})
    average_becomes(catalog, dish, 2.0)  # the other user's rank

    rankings.dispatch(RANKING_REMOVED, {**ranking(dish, old_rank=2, reason="tasted"),
                                          "user_id": second})
    average_becomes(catalog, dish, None)
    assert totals(db, dish["id"]) == (0, 0, None)


def test_ranks_change_no_dish_details_and_announce_nothing(catalog, rankings, restaurant,
                                                           record_events):
    dish = add_dish(catalog, restaurant, "Curry Laksa")
    # the creations above waited in the outbox for a queue bound to them: they may come now
    events = record_events("catalog")
    rankings.dispatch(DISH_RANKED, ranked(dish, 2))
    average_becomes(catalog, dish, 2.0)
    after = catalog.get_dish(dish["id"])
    assert {**after, "average_rank": None} == dish  # updated_at included
    announced = [body["event_type"] for body in events.take_all()]
    assert set(announced) <= {"restaurant_created", "dish_created"}  # no dish_updated echo


def test_a_redelivered_event_changes_nothing(catalog, rankings, restaurant, db):
    dish, marker = add_dish(catalog, restaurant, "Curry Laksa"), add_dish(
        catalog, restaurant, "Assam Laksa")
    placed = rankings.dispatch(DISH_RANKED, ranked(dish, 4))
    average_becomes(catalog, dish, 4.0)
    rankings.publish(placed)
    moved = rankings.dispatch(RANKING_MOVED, ranking(dish, old_rank=4, new_rank=2,
                                                        reason="shifted"))
    average_becomes(catalog, dish, 2.0)
    rankings.publish(moved)
    rankings.publish(placed)

    # the duplicates queue with a later event each; once those are applied, and a moment
    # more for workers running concurrently, the duplicates have had their chance
    rankings.dispatch(DISH_RANKED, ranked(marker, 1))
    rankings.dispatch(RANKING_MOVED, ranking(marker, old_rank=1, new_rank=2, reason="moved"))
    average_becomes(catalog, marker, 2.0)
    eventlet.sleep(0.5)
    assert totals(db, dish["id"])[:2] == (2, 1)
    assert catalog.get_dish(dish["id"])["average_rank"] == 2.0


def test_an_event_for_an_unknown_dish_is_harmless(catalog, rankings, restaurant, db):
    gone = {"id": str(uuid.uuid4()), "dish_type": "laksa", "restaurant_id": restaurant["id"]}
    events = [
        rankings.dispatch(DISH_RANKED, ranked(gone, 2)),
        rankings.dispatch(RANKING_MOVED, ranking(gone, old_rank=2, new_rank=1,
                                                   reason="moved")),
        rankings.dispatch(RANKING_REMOVED, ranking(gone, old_rank=1, reason="dropped")),
    ]
    for event in events:
        wait_for(lambda event=event: processed(db, event))  # handled, not retried
    with db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM dishes")) == 0


def test_totals_never_go_negative_when_a_removal_overtakes_its_placement(
        catalog, rankings, restaurant, db):
    dish = add_dish(catalog, restaurant, "Curry Laksa")
    removal = rankings.dispatch(RANKING_REMOVED, ranking(dish, old_rank=3, reason="removed"))
    wait_for(lambda: processed(db, removal))
    assert totals(db, dish["id"]) == (0, 0, None)


def test_an_unparseable_payload_is_dead_lettered(catalog, rankings, restaurant, db, config):
    dish = add_dish(catalog, restaurant, "Curry Laksa")
    bad = rankings.dispatch(DISH_RANKED, ranked(dish, rank="first"))

    def dead_letter():
        with Connection(config["AMQP_URI"]) as connection:
            return dead_letter_queue("catalog")(connection.default_channel).get(no_ack=True)

    message = wait_for(dead_letter)
    assert message.payload["event_id"] == str(bad["event_id"])
    assert message.headers[ERROR_HEADER].startswith("InvalidInput")
    assert totals(db, dish["id"]) == (0, 0, None)


def test_search_puts_the_better_ranked_of_equal_matches_first(catalog, rankings, restaurant):
    alpha = add_dish(catalog, restaurant, "Laksa Alpha")
    beta = add_dish(catalog, restaurant, "Laksa Beta")
    unranked_order = catalog.search_dishes(q="laksa")["items"]  # unranked ties: by id
    assert [item["id"] for item in unranked_order] == sorted([alpha["id"], beta["id"]])

    rankings.dispatch(DISH_RANKED, ranked(alpha, 4))
    rankings.dispatch(DISH_RANKED, ranked(beta, 1))
    average_becomes(catalog, alpha, 4.0)
    average_becomes(catalog, beta, 1.0)
    items = catalog.search_dishes(q="laksa")["items"]
    assert [(item["id"], item["average_rank"]) for item in items] == [
        (beta["id"], 1.0), (alpha["id"], 4.0)]
