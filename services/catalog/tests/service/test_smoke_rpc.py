from nameko.standalone.rpc import ClusterRpcProxy

from services.catalog.service import CatalogService


def test_create_then_get(container_factory, catalog_config, record_events):
    events = record_events("catalog")
    container = container_factory(CatalogService, catalog_config)
    container.start()
    with ClusterRpcProxy(catalog_config, timeout=5) as cluster:
        created = cluster.catalog.create_restaurant({"name": "Warung A", "city": "Ipoh"})
        assert cluster.catalog.get_restaurant(created["id"])["name"] == "Warung A"
    [event] = events.take(1)
    assert event["event_type"] == "restaurant_created"
