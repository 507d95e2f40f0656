"""scripts/test-service: each service's own test command, and the pytest plugin behind it
(service_isolation.py) that keeps a service's tests to the broker and its own store."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import service_isolation
from service_env import REQUIRED_ENV

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test-service"
SERVICE_NAMES = sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))


def script_list(variable: str) -> list[str]:
    match = re.search(rf"^{variable}=\(([^)]*)\)$", SCRIPT.read_text(), re.MULTILINE)
    assert match, f"scripts/test-service defines no {variable}=(...)"
    return match[1].split()


def test_the_script_knows_every_service():
    listed = subprocess.run([SCRIPT, "--list"], capture_output=True, text=True, check=True)
    assert sorted(listed.stdout.split()) == SERVICE_NAMES
    assert sorted(service_isolation.SERVICES) == SERVICE_NAMES
    for name in SERVICE_NAMES:
        assert (ROOT / "services" / name / "tests").is_dir(), f"services/{name} has no tests"


def test_the_script_starts_postgres_for_the_services_that_own_a_database():
    owners = {name for name, env in REQUIRED_ENV.items() if f"{name.upper()}_DATABASE_URL" in env}
    assert set(script_list("POSTGRES_SERVICES")) == owners
    for name in SERVICE_NAMES:
        assert service_isolation.SERVICES[name]["databases"] == (
            (name,) if name in owners else ()
        )


@pytest.mark.parametrize("arguments", [[], ["billing"], ["--help"]])
def test_the_script_refuses_an_unknown_service(arguments):
    result = subprocess.run([SCRIPT, *arguments], capture_output=True, text=True)
    assert result.returncode == 2
    assert "usage: scripts/test-service <service>" in result.stderr


@pytest.mark.parametrize(("name", "database", "allowed"), [
    ("orders", "bellyfed_orders", True),
    ("orders", "bellyfed_test_orders_12345", True),
    ("orders", "bellyfed_test_orders_history_storage_12345", True),
    ("orders", "postgres", True),
    ("orders", "bellyfed_test_catalog_12345", False),
    ("orders", "bellyfed_catalog", False),
    ("orders", "bellyfed_test_ordersx_1", False),
    ("catalog", "bellyfed_test_rankings_1", False),
    ("gateway", "bellyfed_test_catalog_1", False),
    ("analytics", "bellyfed_analytics", False),
])
def test_which_databases_a_services_tests_may_open(name, database, allowed):
    assert service_isolation.database_allowed(name, database) is allowed


def test_the_database_of_a_connection_in_every_form():
    database_of = service_isolation.database_of
    assert database_of(("postgresql://postgres@127.0.0.1:5432/bellyfed_x",), {}) == "bellyfed_x"
    assert database_of(("host=127.0.0.1 dbname=bellyfed_y user=postgres",), {}) == "bellyfed_y"
    assert database_of((), {"dbname": "bellyfed_z", "host": "127.0.0.1"}) == "bellyfed_z"
    assert database_of((), {"database": "bellyfed_w"}) == "bellyfed_w"


def test_foreign_stores_are_the_ones_another_service_owns():
    fixtures = ["rabbit_config", "orders_db_url", "moto_endpoint", "catalog_db_url"]
    assert service_isolation.foreign_stores("orders", fixtures) == ["the catalog database"]
    assert service_isolation.foreign_stores("catalog", fixtures) == [
        "DynamoDB", "the orders database"]
    assert service_isolation.foreign_stores("gateway", ["rabbit_config", "web_session"]) == []


SYNTHETIC_CONFTEST = """
import pytest

@pytest.fixture
def catalog_db_url():
    return "postgresql://postgres@127.0.0.1:5432/bellyfed_test_catalog_1"

@pytest.fixture
def rankings_db_url():
    return "postgresql://postgres@127.0.0.1:5432/bellyfed_test_rankings_1"

@pytest.fixture
def rankings_config(rankings_db_url):
    return {"DATABASE_URL": rankings_db_url}
"""

SYNTHETIC_TESTS = """
import psycopg2
import pytest
from nameko.containers import ServiceContainer
from service_isolation import IsolationError


def test_own_database(catalog_db_url):
    assert catalog_db_url.endswith("catalog_1")


def test_needs_rankings(rankings_config):
    raise AssertionError("an integration test: never run by catalog's own command")


def test_opening_another_services_database_fails():
    with pytest.raises(IsolationError, match="bellyfed_test_rankings_1"):
        psycopg2.connect("postgresql://postgres@127.0.0.1:1/bellyfed_test_rankings_1")


def test_starting_another_services_code_fails():
    Rankings = type("RankingsService", (), {"name": "rankings",
                                            "__module__": "services.rankings.service"})
    container = ServiceContainer(Rankings, {"AMQP_URI": "memory://"})
    with pytest.raises(IsolationError, match="the real rankings service"):
        container.start()
"""


def test_the_plugin_deselects_integration_tests_and_guards_the_rest(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent(SYNTHETIC_CONFTEST))
    (tmp_path / "test_synthetic.py").write_text(textwrap.dedent(SYNTHETIC_TESTS))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "service_isolation", "--service=catalog",
         "-p", "no:cacheprovider", "-p", "no:nameko_sqlalchemy", "-p", "no:schemathesis",
         "--rootdir", str(tmp_path), "-c", os.devnull, "-v", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "3 passed, 1 deselected" in output, output
    assert "1 cross-service integration tests deselected" in output, output
    assert "1 need the rankings database" in output, output
    assert "test_synthetic.py::test_needs_rankings  (the rankings database)" in output, output
