"""Orders fixtures: the service and the real catalog (root conftest), the one pricing the
other's orders."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.postgres import make_engine


@pytest.fixture
def catalog(catalog_service, catalog_config):
    """The catalog over RPC, to set up restaurants and dishes."""
    with ClusterRpcProxy(catalog_config, timeout=10) as cluster:
        yield cluster.catalog


@pytest.fixture
def orders_service(catalog_service, orders_service):
    """The root conftest's orders service, with the real catalog pricing its orders."""
    return orders_service


@pytest.fixture
def orders(orders_service, orders_config):
    """The orders service over RPC (as the gateway calls it)."""
    with ClusterRpcProxy(orders_config, timeout=10) as cluster:
        yield cluster.orders


@pytest.fixture
def db(orders_config):
    """An engine on the orders database, for tests that read or seed it directly."""
    engine = make_engine(orders_config["DATABASE_URL"])
    yield engine
    engine.dispose()
