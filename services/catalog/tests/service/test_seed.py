"""The demo-data seed command against a real database."""

from services.catalog.seed import catalog_is_empty, seed


def test_seed_is_idempotent(catalog_db):
    first = seed(catalog_db, quiet=True)
    second = seed(catalog_db, quiet=True)
    assert first["new_restaurants"] == first["restaurants"] >= 200
    assert first["new_dishes"] == first["dishes"] >= 2000
    assert second["new_restaurants"] == 0 and second["new_dishes"] == 0


def test_if_empty_guard_sees_an_existing_catalog(catalog_db):
    assert catalog_is_empty(catalog_db)
    seed(catalog_db, quiet=True)
    assert not catalog_is_empty(catalog_db)
