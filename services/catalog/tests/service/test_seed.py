"""The demo-data seed command against a real database."""

from sqlalchemy import text

from services.catalog.jobs import catalog_is_empty, seed
from shared.postgres import make_engine


def test_seed_is_idempotent(catalog_db):
    first = seed(catalog_db, quiet=True)
    second = seed(catalog_db, quiet=True)
    assert first["new_restaurants"] == first["restaurants"] >= 200
    assert first["new_dishes"] == first["dishes"] >= 2000
    assert second["new_restaurants"] == 0 and second["new_dishes"] == 0
    # one creation event per new row, waiting in the outbox for the relay
    engine = make_engine(catalog_db)
    with engine.connect() as conn:
        counts = dict(conn.execute(text(
            "SELECT event_type, count(*) FROM outbox GROUP BY event_type")).all())
    engine.dispose()
    assert counts == {"restaurant_created": first["restaurants"], "dish_created": first["dishes"]}


def test_if_empty_guard_sees_an_existing_catalog(catalog_db):
    assert catalog_is_empty(catalog_db)
    seed(catalog_db, quiet=True)
    assert not catalog_is_empty(catalog_db)
