"""Each service installs on its own, with shared/ as its only Bellyfed dependency."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = {
    "shared": ("bellyfed_shared", ["shared/events.py", "shared/db.py", "shared/rpc.py"]),
    "services/catalog": ("bellyfed_catalog", [
        "services/catalog/service.py", "services/catalog/__main__.py",
        "services/catalog/migrations/env.py", "services/catalog/migrations/script.py.mako",
        "services/catalog/migrations/versions/0001_catalog_tables.py",
    ]),
    "services/rankings": ("bellyfed_rankings", [
        "services/rankings/service.py", "services/rankings/__main__.py",
        "services/rankings/domain/rankings.py", "services/rankings/storage/__init__.py",
        "services/rankings/entrypoints/reviews.py", "services/rankings/schemas/users.py",
        "services/rankings/migrations/versions/0001_rankings_tables.py",
    ]),
    "services/analytics": ("bellyfed_analytics", [
        "services/analytics/service.py", "services/analytics/__main__.py",
        "services/analytics/tables.py", "services/analytics/domain/views.py",
        "services/analytics/storage/activity.py",
    ]),
    "services/orders": ("bellyfed_orders", [
        "services/orders/service.py", "services/orders/__main__.py",
        "services/orders/domain/status.py", "services/orders/storage/history.py",
        "services/orders/migrations/env.py", "services/orders/migrations/script.py.mako",
        "services/orders/migrations/versions/0001_orders_tables.py",
    ]),
    "services/gateway": ("bellyfed_gateway", [
        "services/gateway/service.py", "services/gateway/__main__.py",
    ]),
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    # build from copies: setuptools builds in-tree and would leave build/ behind
    sources = tmp_path_factory.mktemp("sources")
    for folder in DISTRIBUTIONS:
        shutil.copytree(ROOT / folder, sources / folder,
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), *[str(sources / folder) for folder in DISTRIBUTIONS]],
        check=True, capture_output=True,
    )
    return {folder: next(out.glob(f"{name}-*.whl")) for folder, (name, _) in DISTRIBUTIONS.items()}


@pytest.mark.parametrize("folder", DISTRIBUTIONS)
def test_wheel_holds_the_code_and_no_tests(wheels, folder):
    names = set(zipfile.ZipFile(wheels[folder]).namelist())
    for expected in DISTRIBUTIONS[folder][1]:
        assert expected in names, f"{folder}: {expected} missing from the wheel"
    assert not [name for name in names if "/tests/" in name], f"{folder}: tests were packaged"
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {folder.split("/")[0]}


@pytest.mark.parametrize("folder", ["services/catalog", "services/rankings", "services/analytics",
                                    "services/orders", "services/gateway"])
def test_service_depends_only_on_bellyfed_distributions(folder):
    project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
    assert "bellyfed-shared==0.1.0" in project["dependencies"]
    assert all(dep.startswith("bellyfed-") for dep in project["dependencies"]), (
        "third-party pins belong in shared/pyproject.toml, once"
    )
