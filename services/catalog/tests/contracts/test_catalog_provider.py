"""The catalog as a producer: every committed pact naming it (contracts/pacts/*-catalog.json)
verified against its real code — CatalogService's entrypoints with a CatalogStore on the
catalog test database. Events are read back from the outbox the writes filled, exactly as
the relay publishes them; RPC answers are the entrypoints' own, as they go over the wire.
"""

from __future__ import annotations

import uuid

import pytest

from contracts.provider import (
    DatabaseProducer,
    Producer,
    consumer_of,
    pacts_naming,
    verify,
)
from services.catalog.service import CatalogService
from services.catalog.storage import CatalogStore

# every detail filled: a consumer may rely on any field the catalog ever sends
RESTAURANT = {
    "name": "Warung Contract", "address": "1 Jalan Sultan Idris Shah", "city": "Ipoh",
    "state": "Perak", "country": "Malaysia", "postal_code": "30000", "latitude": 4.5975,
    "longitude": 101.0901, "phone": "+60 5-000 0000", "website": "https://warung.example.com",
    "hours": {"mon": "08:00-22:00"}, "cuisine_type": ["Malay"], "price_range": 2,
}
DISH = {
    "name": "Nasi Lemak Ayam", "description": "Coconut rice, sambal, fried chicken",
    "price": "12.50", "image_url": "https://warung.example.com/nasi-lemak.jpg",
    "dish_type": "nasi lemak", "tags": ["spicy"], "is_seasonal": False, "is_available": True,
}


class Catalog(DatabaseProducer):
    """The catalog's side of its contracts, on the test database."""

    service_name, service_cls, store_cls = "catalog", CatalogService, CatalogStore

    def __init__(self, database_url: str):
        super().__init__(database_url)
        self.restaurant: dict = {}
        self.dish: dict = {}

    # --- provider states: fresh objects, named after the consumer's examples ------------------

    def no_state(self, params: dict) -> None:
        pass

    def a_restaurant_exists(self, params: dict) -> None:
        owner = str(uuid.uuid4())
        self.restaurant = self.call("create_restaurant", RESTAURANT, owner_id=owner)
        for name, real in (("restaurant_id", self.restaurant["id"]), ("owner_id", owner)):
            if name in params:
                self.aliases[params[name]] = real

    def a_restaurant_with_a_dish_exists(self, params: dict) -> None:
        self.a_restaurant_exists(params)
        self.dish = self.call("create_dish", self.restaurant["id"], DISH)
        if "dish_id" in params:
            self.aliases[params["dish_id"]] = self.dish["id"]

    # --- events: the real writes, and what they put in the outbox -----------------------------

    def events(self) -> dict:
        return {
            "restaurant_created": lambda: self.emitted(
                "restaurant_created", "create_restaurant", RESTAURANT,
                owner_id=str(uuid.uuid4())),
            "restaurant_updated": lambda: self.emitted(
                "restaurant_updated", "update_restaurant", self.restaurant["id"],
                {"name": "Warung Contract Baru"}),
            "restaurant_deleted": lambda: self.emitted(
                "restaurant_deleted", "delete_restaurant", self.restaurant["id"]),
            "dish_created": lambda: self.emitted(
                "dish_created", "create_dish", self.restaurant["id"], DISH),
            "dish_updated": lambda: self.emitted(
                "dish_updated", "update_dish", self.dish["id"], {"price": "13.50"}),
            "dish_deleted": lambda: self.emitted(
                "dish_deleted", "delete_dish", self.dish["id"]),
        }

    def producer(self) -> Producer:
        return Producer("catalog", states={
            "a restaurant can be created": self.no_state,
            "a restaurant exists": self.a_restaurant_exists,
            "a restaurant with a dish exists": self.a_restaurant_with_a_dish_exists,
        }, events=self.events(), service=self.service, aliases=self.aliases)


@pytest.fixture
def catalog(catalog_db):
    world = Catalog(catalog_db)
    yield world
    world.close()


@pytest.mark.parametrize("pact_file", pacts_naming("catalog"), ids=consumer_of)
def test_the_catalog_keeps_its_contract_with(pact_file, catalog):
    verify(pact_file, catalog.producer())


def without(path: str):
    """A mutation for verify(): the field at dotted `path` taken out of the answer."""
    *parents, name = path.split(".")

    def mutate(description: str, body: dict) -> dict:
        node = body
        for parent in parents:
            node = node[parent]
        node.pop(name, None)
        return body

    return mutate


def test_a_field_a_consumer_relies_on_breaks_the_build_naming_consumer_and_field(catalog):
    """Take a real dish_created and drop dish_type: verification fails and says who relies
    on it (rankings keeps each dish's type for its lists)."""
    pact_file = next(path for path in pacts_naming("catalog")
                     if consumer_of(path) == "rankings")
    with pytest.raises(AssertionError) as failure:
        verify(pact_file, catalog.producer(), mutate=lambda description, body: (
            without("payload.dish_type")(description, body)
            if body.get("event_type") == "dish_created" else body))
    message = str(failure.value)
    assert "rankings relies on catalog's dish_created payload.dish_type: missing" in message
    assert "restaurant_created" not in message  # only what broke is named


def test_an_rpc_answer_missing_a_field_breaks_the_build_naming_consumer_and_field(catalog):
    """Take get_restaurant's real answer and drop owner_id: the gateway authorizes owners by
    it, and verification says so."""
    pact_file = next(path for path in pacts_naming("catalog") if consumer_of(path) == "gateway")
    drop_owner = without("result.owner_id")
    with pytest.raises(AssertionError) as failure:
        verify(pact_file, catalog.producer(), mutate=lambda description, body: (
            drop_owner(description, body) if description == "rpc get_restaurant" else body))
    assert "gateway relies on catalog's get_restaurant result.owner_id: missing" in str(
        failure.value)
