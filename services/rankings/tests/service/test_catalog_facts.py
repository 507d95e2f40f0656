"""Rankings keeps its copy of catalog facts from the catalog's real events."""

from __future__ import annotations

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from services.catalog.contract.events import RESTAURANT_CREATED, RESTAURANT_UPDATED
from services.catalog.service import CatalogService
from services.rankings.storage.models import KnownDish, KnownRestaurant
from shared.events import EnvelopePublisher


def wait_for(predicate, timeout: float = 10.0):
    with eventlet.Timeout(timeout):
        while not (result := predicate()):
            eventlet.sleep(0.05)
    return result


def known(engine, model, key, value):
    with engine.connect() as conn:
        return conn.execute(select(model).where(key == value)).first()


def test_catalog_writes_reach_rankings_copy(container_factory, catalog_config, rankings_service,
                                            rankings_db_engine):
    container_factory(CatalogService, catalog_config).start()
    with ClusterRpcProxy(catalog_config, timeout=10) as cluster:
        restaurant = cluster.catalog.create_restaurant(
            {"name": "Warung Facts", "city": "Ipoh", "cuisine_type": ["Malay"]})
        dish = cluster.catalog.create_dish(
            restaurant["id"], {"name": "Nasi Lemak", "dish_type": "Nasi Lemak", "price": "8.50"})
        row = wait_for(lambda: known(rankings_db_engine, KnownDish, KnownDish.dish_id, dish["id"]))
        assert (row.name, row.dish_type, str(row.restaurant_id)) == (
            "Nasi Lemak", "nasi lemak", restaurant["id"])

        cluster.catalog.update_restaurant(restaurant["id"], {"city": "Kuala Lumpur"})
        wait_for(lambda: known(rankings_db_engine, KnownRestaurant, KnownRestaurant.restaurant_id,
                               restaurant["id"]).city == "Kuala Lumpur")

        cluster.catalog.delete_restaurant(restaurant["id"])
        wait_for(lambda: known(rankings_db_engine, KnownDish, KnownDish.dish_id,
                               dish["id"]).deleted)
        # restaurant_deleted travels on a queue of its own: it may come after the dish's
        gone = wait_for(lambda: (row := known(
            rankings_db_engine, KnownRestaurant, KnownRestaurant.restaurant_id,
            restaurant["id"])).deleted and row)
        assert (gone.name, gone.city) == ("Warung Facts", "Kuala Lumpur")
        gone_dish = known(rankings_db_engine, KnownDish, KnownDish.dish_id, dish["id"])
        assert (gone_dish.name, gone_dish.dish_type) == ("Nasi Lemak", "nasi lemak")


def test_an_older_event_never_overwrites_a_newer_one(rankings_service, rankings_config,
                                                     rankings_db_engine):
    catalog = EnvelopePublisher(rankings_config["AMQP_URI"], "catalog")
    restaurant_id = "6f1c2b1e-0000-4000-8000-000000000001"
    newer = {"id": restaurant_id, "name": "New Name", "city": "Ipoh", "cuisine_type": [],
             "updated_at": "2026-11-22T10:00:00+00:00"}
    older = {**newer, "name": "Old Name", "updated_at": "2026-11-22T09:00:00+00:00"}
    catalog.dispatch(RESTAURANT_UPDATED, newer)
    wait_for(lambda: known(rankings_db_engine, KnownRestaurant, KnownRestaurant.restaurant_id,
                           restaurant_id))
    catalog.dispatch(RESTAURANT_CREATED, older)  # arrives late, on its own queue
    duplicate = catalog.dispatch(RESTAURANT_UPDATED, {**newer, "name": "Newest",
                                                        "updated_at": "2026-11-22T11:00:00+00:00"})
    catalog.publish(duplicate)
    wait_for(lambda: known(rankings_db_engine, KnownRestaurant, KnownRestaurant.restaurant_id,
                           restaurant_id).name == "Newest")
    eventlet.sleep(0.5)  # the late, older event has had its chance
    assert known(rankings_db_engine, KnownRestaurant, KnownRestaurant.restaurant_id,
                 restaurant_id).name == "Newest"
