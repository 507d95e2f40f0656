"""Fixtures of the orders service tests."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.orders.service import OrdersService


@pytest.fixture
def orders(container_factory, orders_config, db):
    """The orders service alone (nothing here is priced: no catalog), over RPC; killed
    before its database is emptied."""
    container = container_factory(OrdersService, orders_config)
    container.start()
    with ClusterRpcProxy(orders_config, timeout=10) as cluster:
        yield cluster.orders
    container.kill()
