"""scripts/loadtest, the operator's smoke load test, against scripts/run's system: locust
headless for a fixed time with the whole mix (browsing, ranking, reviewing, ordering,
moving orders), passing against a healthy system and failing when a budget is broken.

Not a timed test: the p95 budget here is loose (this machine runs other tests at once);
the budgets a deployment gates on are scripts/loadtest's defaults."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import requests

from tests.system import run_system

ROOT = Path(__file__).resolve().parents[2]


def wait_until_rankings_knows_the_catalog(base: str, timeout: float = 120.0) -> None:
    """A system just started learns the catalog from events; the load test's own set-up
    waits for that too, but inside its fixed run time."""
    menu = requests.get(f"{base}/dishes/search", params={"limit": 50}, timeout=30).json()
    deadline = time.monotonic() + timeout
    for dish in menu["items"][-5:]:
        while requests.get(f"{base}/dishes/{dish['id']}/rankings",
                           timeout=30).status_code == 404:
            assert time.monotonic() < deadline, "rankings never learned the catalog"
            time.sleep(0.5)


def loadtest(base: str, *args: str, **budgets: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "loadtest"), "--host", base, *args],
        cwd=ROOT, env={**os.environ, **budgets}, capture_output=True, text=True, timeout=180)


def test_the_smoke_load_test_passes_a_healthy_system_and_fails_a_broken_budget(
        rabbit_config, tmp_path):
    with run_system(rabbit_config["AMQP_URI"], tmp_path, name="loadtest") as running:
        wait_until_rankings_knows_the_catalog(running.base)
        healthy = loadtest(running.base, "--users", "8", "--spawn-rate", "8",
                           "--run-time", "15s", LOADTEST_MAX_P95_MS="30000")
        report = healthy.stdout + healthy.stderr
        verdict = "\n".join(line for line in report.splitlines() if "loadtest:" in line
                            or "Error" in line)
        assert healthy.returncode == 0, verdict or report[-4000:]
        assert "loadtest: ok   5xx or no answer: 0" in report
        for route in ("/restaurants/{id}", "/orders", "/orders/{id}/status",
                      "/rankings/my/{dish_type}", "/restaurants/{id}/reviews"):
            assert f" {route} " in report, f"{route} was not in the mix"

        broken = loadtest(running.base, "--users", "2", "--run-time", "3s",
                          LOADTEST_MAX_P95_MS="0")
        assert broken.returncode == 1
        assert "loadtest: FAIL slowest route's p95" in broken.stdout + broken.stderr
