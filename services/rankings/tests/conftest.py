"""Rankings fixtures: the service with the real broker and PostgreSQL, and quick test data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.rankings.models import KnownDish, KnownRestaurant, User
from shared.postgres import make_engine


@pytest.fixture
def rankings_db_engine(rankings_db):
    engine = make_engine(rankings_db)
    yield engine
    engine.dispose()


@pytest.fixture
def rankings(rankings_service, rankings_config):
    """The rankings service over RPC (as the gateway calls it)."""
    with ClusterRpcProxy(rankings_config, timeout=10) as cluster:
        yield cluster.rankings


@pytest.fixture
def catalog_facts(rankings_db_engine):
    """Known restaurants and dishes written straight into rankings' copy of the catalog.

    catalog_facts.restaurant("Warung A", city="Ipoh", cuisines=["Malay"]) -> id
    catalog_facts.dish(restaurant_id, "Nasi Lemak Ayam", dish_type="nasi lemak") -> id
    """

    class Facts:
        def restaurant(self, name: str, city: str = "Kuala Lumpur",
                       cuisines: list[str] | None = None) -> str:
            restaurant_id = uuid.uuid4()
            with rankings_db_engine.begin() as conn:
                conn.execute(KnownRestaurant.__table__.insert().values(
                    restaurant_id=restaurant_id, name=name, city=city,
                    cuisine_type=cuisines or ["Malay"], source_updated_at=datetime.now(UTC)))
            return str(restaurant_id)

        def dish(self, restaurant_id: str, name: str, dish_type: str = "nasi lemak") -> str:
            dish_id = uuid.uuid4()
            with rankings_db_engine.begin() as conn:
                conn.execute(KnownDish.__table__.insert().values(
                    dish_id=dish_id, restaurant_id=restaurant_id, name=name,
                    dish_type=dish_type, source_updated_at=datetime.now(UTC)))
            return str(dish_id)

    return Facts()


@pytest.fixture
def make_user(rankings_db_engine):
    """make_user("aisyah") -> id: a user row written directly (no password check possible)."""

    def make(username: str, role: str = "user") -> str:
        user_id = uuid.uuid4()
        with rankings_db_engine.begin() as conn:
            conn.execute(User.__table__.insert().values(
                id=user_id, email=f"{username}@example.com", username=username,
                password_hash="not-a-real-hash", role=role))
        return str(user_id)

    return make
