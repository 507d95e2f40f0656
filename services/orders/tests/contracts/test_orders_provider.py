"""Orders as a producer: every committed pact naming it (contracts/pacts/*-orders.json)
verified against its real code — OrdersService's entrypoints with an OrdersStore on the
orders test database and the DynamoDB client on the session's moto. Events are read back
from the outbox the writes filled; RPC answers are the entrypoints' own.

The catalog that prices orders is the one orders' own pact with it promises
(contracts/pacts/orders-catalog.json, which the catalog verifies): so orders is checked
with its own database and nothing else running.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from contracts.consumer import Promised
from contracts.provider import (
    DatabaseProducer,
    Producer,
    consumer_of,
    pacts_naming,
    verify,
)
from services.orders.domain.history import StatusChange
from services.orders.service import OrdersService
from services.orders.storage import history
from services.orders.storage.orders import OrdersStore
from shared.dynamodb import ensure_tables
from shared.events import parse_envelope


def new_id() -> str:
    return str(uuid.uuid4())


class Orders(DatabaseProducer):
    """Orders' side of its contracts, on the test database and DynamoDB tables."""

    service_name, service_cls, store_cls = "orders", OrdersService, OrdersStore

    def __init__(self, database_url: str, dynamodb):
        super().__init__(database_url)
        self.dynamodb = dynamodb
        self.catalog = Promised.by_pact("orders", "catalog", translate=self.aliases)
        self.ids: dict[str, str] = {}

    def give_dependencies(self, service) -> None:
        service.dynamodb, service.catalog = self.dynamodb, self.catalog

    def name(self, params: dict, role: str, real: str) -> str:
        self.ids[role] = real
        if role in params:
            self.aliases[params[role]] = real
        return real

    def order_request(self) -> tuple:
        return (self.ids["customer_id"], {"restaurant_id": self.ids["restaurant_id"],
                                          "items": [{"dish_id": self.ids["dish_id"],
                                                     "quantity": 2}]})

    # --- provider states ----------------------------------------------------------------------

    def a_restaurants_dish_can_be_ordered(self, params: dict) -> None:
        """The catalog (as orders' pact with it promises) prices a fresh restaurant's dish."""
        for role in ("customer_id", "restaurant_id", "dish_id", "owner_id"):
            self.name(params, role, new_id())
        # the promised quote names the example restaurant, dish and owner: these are they
        for role, example in (("restaurant_id", self.example("restaurant_id")),
                              ("dish_id", self.example("dish_id")),
                              ("owner_id", self.example("owner_id"))):
            self.aliases[example] = self.ids[role]

    def example(self, role: str) -> str:
        """The id orders' pact with the catalog uses for `role` in its quote."""
        quote = next(rpc for rpc in self.catalog.rpcs if rpc["method"] == "get_order_quote"
                     and not rpc["response"].get("error"))
        answer = quote["response"]["result"]
        return {"restaurant_id": quote["args"][0], "dish_id": answer["dishes"][0]["id"],
                "owner_id": answer["restaurant"]["owner_id"]}[role]

    def a_customer_has_placed_an_order(self, params: dict) -> None:
        self.a_restaurants_dish_can_be_ordered(params)
        self.placed = self.emitted("order_created", "create_order", *self.order_request())
        self.name(params, "order_id", self.placed["payload"]["order_id"])

    def an_orders_history_has_been_written(self, params: dict) -> None:
        """Placed, and its order_created through orders' own history consumer."""
        self.a_customer_has_placed_an_order(params)
        self.call("history_changes", [parse_envelope(self.placed)])

    def orders_changed_status_on_2026_03_04(self, params: dict) -> None:
        history.write_history(self.dynamodb, [StatusChange(
            order_id=new_id(), version=1, previous_status=None, new_status="PENDING",
            actor_id=new_id(), actor_role="customer",
            changed_at=datetime(2026, 3, 4, 12, tzinfo=UTC), total=Decimal("25.00"),
            currency="MYR")])

    def producer(self) -> Producer:
        return Producer("orders", states={
            "a restaurant's dish can be ordered": self.a_restaurants_dish_can_be_ordered,
            "a customer has placed an order": self.a_customer_has_placed_an_order,
            "an order's history has been written": self.an_orders_history_has_been_written,
            "orders changed status on 2026-03-04": self.orders_changed_status_on_2026_03_04,
        }, events={
            "order_created": lambda: self.emitted(
                "order_created", "create_order", *self.order_request()),
            "order_status_changed": lambda: self.emitted(
                "order_status_changed", "change_status", self.ids["order_id"], "CONFIRMED",
                self.ids["owner_id"]),
        }, service=self.service, aliases=self.aliases)


@pytest.fixture
def orders(orders_db, dynamodb_client):
    ensure_tables(dynamodb_client, history.TABLES)
    world = Orders(orders_db, dynamodb_client)
    yield world
    world.close()


@pytest.mark.parametrize("pact_file", pacts_naming("orders"), ids=consumer_of)
def test_orders_keeps_its_contract_with(pact_file, orders):
    verify(pact_file, orders.producer())
