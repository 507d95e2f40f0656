"""Orders as a consumer: what its history consumers rely on in its own events, and what
placing an order relies on in the catalog's get_order_quote.

Each declared event's example envelope goes through the real handler (the entrypoint
method, with the DynamoDB client on the session's moto), read as its entrypoint reads
it, and the test finds the change in the order's history. The quote's declared answer
prices a real order (domain.create_order on the orders test database) through a catalog
answering exactly that.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy.orm import sessionmaker

from contracts.consumer import (
    Contract,
    Promised,
    an_id,
    boolean,
    delivered,
    each,
    example_id,
    money,
    shape,
    text,
)
from services.orders.contract.events import OrderCreatedPayload, OrderStatusChangedPayload
from services.orders.domain import orders
from services.orders.service import OrdersService
from services.orders.storage import history
from services.orders.storage.orders import OrdersStore
from shared.dynamodb import ensure_tables
from shared.errors import InvalidInput
from shared.postgres import make_engine

RESTAURANT, DISH, OWNER = (example_id(name) for name in ("restaurant", "dish", "owner"))


def test_orders_relies_on_its_own_events_for_the_status_history(dynamodb_client, tmp_path):
    ensure_tables(dynamodb_client, history.TABLES)
    contract = Contract("orders", "orders")
    # the history consumers load the whole payload (their schemas require every field)
    created = shape(OrderCreatedPayload, keep=("restaurant_owner_id",), nonempty=("items",),
                    examples={"order_id": example_id("order"), "status": "PENDING",
                              "restaurant_owner_id": OWNER, "currency": "MYR",
                              "items.dish_name": "Nasi Lemak Ayam"})
    changed = shape(OrderStatusChangedPayload, keep=("actor_id",),
                    examples={"order_id": example_id("order"), "previous_status": "PENDING",
                              "new_status": "CONFIRMED", "version": 2, "actor_id": OWNER,
                              "actor_role": "owner", "currency": "MYR"})
    contract.event("order_created", created, given="a restaurant's dish can be ordered",
                   handler=OrdersService.history_changes)
    contract.event("order_status_changed", changed, given="a customer has placed an order",
                   handler=OrdersService.history_changes)
    service = OrdersService()
    service.dynamodb = dynamodb_client

    def handle(handler, body: dict) -> None:
        handler(service, [delivered(handler, body)])
        logged = history.order_history(dynamodb_client, body["payload"]["order_id"])
        assert body["payload"]["version"] in [entry["version"] for entry in logged]

    contract.feed_events(handle)
    contract.write(tmp_path)


@pytest.fixture
def store(orders_db):
    engine = make_engine(orders_db)
    session = sessionmaker(engine, expire_on_commit=False)()
    yield OrdersStore(session, "orders")
    session.close()
    engine.dispose()


def test_orders_relies_on_the_catalogs_order_quote(store, tmp_path):
    contract = Contract("orders", "catalog")
    # what pricing reads: the restaurant's owner, and each asked dish's restaurant,
    # availability, name and price
    contract.rpc("get_order_quote", [RESTAURANT, [DISH]], answer={
        "restaurant": {"owner_id": an_id("owner")},
        "dishes": each({"id": an_id("dish"), "restaurant_id": an_id("restaurant"),
                        "name": text("Nasi Lemak Ayam"), "price": money("12.50"),
                        "is_available": boolean(True)}, nonempty=True),
    }, given="a restaurant with a dish exists",
        params={"restaurant_id": RESTAURANT, "dish_id": DISH, "owner_id": OWNER})
    unknown = example_id("nothing")
    contract.rpc("get_order_quote", [unknown, [DISH]], error="NotFound",
                 case="no such restaurant")

    catalog = Promised(contract.rpcs)
    customer = uuid.uuid4()
    order = orders.create_order(store, catalog, customer, {
        "restaurant_id": uuid.UUID(RESTAURANT), "items": [{"dish_id": uuid.UUID(DISH),
                                                           "quantity": 2}]})
    assert (order["total"], order["restaurant_owner_id"]) == ("25.00", OWNER)
    assert Decimal(order["items"][0]["unit_price"]) == Decimal("12.50")
    with pytest.raises(InvalidInput) as refused:  # an unknown restaurant is a bad field
        orders.create_order(store, catalog, customer, {
            "restaurant_id": uuid.UUID(unknown), "items": [{"dish_id": uuid.UUID(DISH),
                                                            "quantity": 1}]})
    assert "restaurant_id" in refused.value.details["fields"]
    contract.write(tmp_path)
