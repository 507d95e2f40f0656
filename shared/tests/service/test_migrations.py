"""shared.migrations.upgrade, the runner every service migrates with (one connection, under
an advisory lock), on migrations that build an index CONCURRENTLY in an autocommit block:
the catalog's 0005 (the geo index) on a catalog that already holds restaurants."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from conftest import drop_database, fresh_database
from shared.migrations import alembic_config, migrations_lock
from shared.postgres import make_engine

ROOT = Path(__file__).resolve().parents[3]
MIGRATE = "import sys; from shared.migrations import upgrade; upgrade('catalog', sys.argv[1])"


@pytest.fixture
def catalog_at_0004():
    """A catalog database at revision 0004 (before the geo index) with restaurants in it."""
    url = fresh_database("bellyfed_test_migrations")
    command.upgrade(alembic_config("catalog", url), "0004")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO restaurants (id, name, city, latitude, longitude) "
            "SELECT gen_random_uuid(), 'Kedai ' || n, 'Ipoh', 4.5 + n / 10000.0, 101.09 "
            "FROM generate_series(1, 1000) AS n"))
    yield url, engine
    engine.dispose()
    drop_database(url.rsplit("/", 1)[1])


def migrated(engine) -> tuple[str, bool]:
    """(the database's revision, whether the geo index is there and valid)."""
    with engine.connect() as connection:
        return (connection.scalar(text("SELECT version_num FROM alembic_version")),
                bool(connection.scalar(text(
                    "SELECT indisvalid FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid "
                    "WHERE relname = 'idx_restaurants_earth'"))))


def head() -> str:
    return ScriptDirectory.from_config(alembic_config("catalog", "postgresql://-")).get_current_head()


def replica(url: str) -> subprocess.Popen:
    """A service replica starting: its own process, migrating `url` to head."""
    return subprocess.Popen([sys.executable, "-c", MIGRATE, url], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> None:
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors


def test_a_catalog_at_0004_migrates_to_head_through_the_runner(catalog_at_0004):
    url, engine = catalog_at_0004
    finished(replica(url))
    assert migrated(engine) == (head(), True)
    with engine.begin() as connection:  # 0007: the restaurants there before are copied
        assert connection.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE search_text = lower(r.name || '  Ipoh') "
            "AND s.name = r.name AND s.city = r.city) "
            "FROM restaurants r JOIN restaurant_search s USING (id)")).one() == (1000, 1000)
        assert not connection.scalar(text(  # the old trigram index went
            "SELECT count(*) FROM pg_class WHERE relname = 'idx_restaurants_search_trgm'"))
        # and each write from then on is copied by the trigger; a deletion takes its copy
        connection.execute(text("UPDATE restaurants SET city = 'Taiping' WHERE name = 'Kedai 7'"))
        connection.execute(text("DELETE FROM restaurants WHERE name = 'Kedai 8'"))
        assert connection.execute(text(
            "SELECT search_text, restaurant_search.city FROM restaurant_search "
            "JOIN restaurants USING (id) "
            "WHERE restaurants.name = 'Kedai 7'")).one() == ("kedai 7  taiping", "Taiping")
        assert connection.scalar(text("SELECT count(*) FROM restaurant_search")) == 999


def test_a_replica_waiting_for_the_lock_never_holds_up_the_holders_index_build(
        catalog_at_0004):
    """While one replica migrates (here: this test, holding the lock), another waits for
    the lock. Waiting inside pg_advisory_lock would hold a snapshot, which the holder's
    CREATE INDEX CONCURRENTLY waits for: a deadlock, the build cancelled and its index left
    INVALID. The runner asks for the lock again and again outside any transaction."""
    url, engine = catalog_at_0004
    database = url.rsplit("/", 1)[1]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        holder.execute(text("SELECT pg_advisory_lock(:id)"), {"id": migrations_lock("catalog")})
        waiting = replica(f"{url}?application_name=waiting-replica")
        deadline = time.monotonic() + 60
        # until the replica has asked for the lock: between two asks its last statement
        # is the COMMIT that ends the ask, so the connection is told by its name
        while not holder.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :database "
                "AND application_name = 'waiting-replica' "
                "AND (query LIKE '%advisory_lock%' OR query = 'COMMIT')"),
                {"database": database}):
            assert time.monotonic() < deadline and waiting.poll() is None, "no replica came"
            time.sleep(0.05)
        holder.execute(text("SET lock_timeout = '20s'"))
        holder.execute(text(  # PostgreSQL finds a deadlock within a second (deadlock_timeout)
            "CREATE INDEX CONCURRENTLY idx_test_build ON restaurants (name)"))
        assert waiting.poll() is None  # still waiting: the lock is held
        holder.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": migrations_lock("catalog")})
    finished(waiting)
    assert migrated(engine) == (head(), True)
