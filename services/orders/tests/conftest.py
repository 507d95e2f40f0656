"""Orders fixtures: the service (root conftest) with the real catalog behind it."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy


@pytest.fixture
def catalog_service(container_factory, catalog_config):
    """The real catalog, which prices orders."""
    from services.catalog.service import CatalogService

    container = container_factory(CatalogService, catalog_config)
    container.start()
    return container


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
