"""Rankings fixtures: the service with the real broker and PostgreSQL, and quick test data."""

from __future__ import annotations

import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.rankings.storage.models import User


@pytest.fixture
def rankings(rankings_service, rankings_config):
    """The rankings service over RPC (as the gateway calls it)."""
    with ClusterRpcProxy(rankings_config, timeout=10) as cluster:
        yield cluster.rankings


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
