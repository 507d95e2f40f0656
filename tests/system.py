"""The whole system as a newcomer runs it: `scripts/run`, real processes, real HTTP.

`run_system` starts it on its own databases, its own vhost (the caller's) and spare ports,
so it runs beside a developer's own scripts/run, and stops it (and drops the databases)
afterwards. The end-to-end test of scripts/run and the API fuzzer (tests/api) both use it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from nameko.testing.utils import find_free_port

from conftest import drop_database, fresh_database

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120


@dataclass
class RunningSystem:
    base: str  # the gateway, http://127.0.0.1:<port>
    process: subprocess.Popen  # scripts/run, leader of its own process group
    log: Path  # everything scripts/run and the services printed
    rankings_url: str  # rankings' database


def wait_until_ready(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"scripts/run exited with {process.returncode}:\n{log.read_text()}")
        try:
            # /ready takes up to READY_TIMEOUT per check: more on a busy machine
            if requests.get(f"{base}/ready", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or still starting
        time.sleep(0.5)
    pytest.fail(f"not ready after {START_TIMEOUT}s:\n{log.read_text()}")


@contextmanager
def run_system(amqp_uri: str, workdir: Path, name: str = "e2e",
               **settings: str) -> Iterator[RunningSystem]:
    """scripts/run on the vhost of `amqp_uri`, with databases bellyfed_test_<name>_* of
    this test session, until the block ends. `settings` are more environment variables
    (DEMO_ADMIN_PASSWORD=..., RPC_TIMEOUT=..., DEMO_DATA="1" for the living demo); the
    output goes to `workdir`/run.log."""
    port, moto_port = find_free_port(), find_free_port()
    catalog_url = fresh_database(f"bellyfed_test_{name}_catalog")
    rankings_url = fresh_database(f"bellyfed_test_{name}_rankings")
    orders_url = fresh_database(f"bellyfed_test_{name}_orders")
    env = {
        **os.environ,
        "PORT": str(port),
        "MOTO_PORT": str(moto_port),
        # free metrics ports: never a developer's scripts/run's (9100-9104)
        **{f"{process}_METRICS_PORT": str(find_free_port())
           for process in ("GATEWAY", "CATALOG", "RANKINGS", "ANALYTICS", "ORDERS")},
        "AMQP_URI": amqp_uri,
        "CATALOG_DATABASE_URL": catalog_url,
        "RANKINGS_DATABASE_URL": rankings_url,
        "ORDERS_DATABASE_URL": orders_url,
        "RPC_TIMEOUT": "5",
        # its own embedded DynamoDB's tables, as fresh as its databases
        "DYNAMODB_STATE": str(workdir / "dynamodb.json"),
        # an empty system, but for the demo catalog: the living demo (demo/) only when a
        # test asks for it (DEMO_DATA="1": tests/e2e/test_demo.py)
        "DEMO_DATA": "0",
        **settings,
    }
    env.pop("DYNAMODB_ENDPOINT", None)  # its own embedded DynamoDB
    log = workdir / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process, log)
        yield RunningSystem(base, process, log, rankings_url)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for url in (catalog_url, rankings_url, orders_url):
            drop_database(url.rsplit("/", 1)[1])
