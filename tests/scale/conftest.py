"""Two replicas of the catalog service as separate OS processes, on one database and one
vhost, for the whole module (starting them costs seconds; each test tags what it sends so
it counts only its own)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import eventlet
import pytest
from fault.harness import ServiceProcess
from kombu import Connection
from kombu.exceptions import ChannelError
from nameko.rpc import RPC_QUEUE_TEMPLATE

from conftest import drop_database, fresh_database
from shared.migrations import upgrade
from shared.postgres import make_engine

HERE = Path(__file__).resolve().parent
SERVICE = "catalog"
REPLICAS = 2
# the queue of catalog's on_dish_ranked consumer, as nameko names it
DISH_RANKED_QUEUE = "evt-rankings-dish_ranked--catalog.on_dish_ranked"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "scale: two replicas of a real service as separate processes, sharing "
        "one database and one vhost")


class Replicas:
    """The replicas, their database and vhost, what they witnessed, and waiting with
    deadlines that show every replica's log when they pass."""

    def __init__(self, amqp_uri: str, database_url: str, witness_dir: Path, log_dir: Path):
        self.amqp_uri = amqp_uri
        self.database_url = database_url
        self.db = make_engine(database_url)
        self.witness_dir = witness_dir
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("EVENT_", "OUTBOX_", "CATALOG_", "SCALE_", "LOG_"))}
        env.update({
            "AMQP_URI": amqp_uri,
            "CATALOG_DATABASE_URL": database_url,
            "MIGRATE_ON_START": "0",  # migrated once, before: as a deployment's job does
            "SCALE_SERVICE": SERVICE,
            "SCALE_WITNESS_DIR": str(witness_dir),
            "OUTBOX_POLL_INTERVAL": "0.2",
            "MAX_WORKERS": "10",
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "ignore",
        })
        self.processes = [
            ServiceProcess(f"{SERVICE}-{n}", HERE / "replica.py", env,
                           log_dir / f"{SERVICE}-{n}.log")
            for n in range(1, REPLICAS + 1)
        ]

    @property
    def pids(self) -> set[int]:
        return {process.pid for process in self.processes}

    def start(self) -> None:
        for process in self.processes:
            process.start()
        self.wait_until(lambda: self.consumers(RPC_QUEUE_TEMPLATE.format(SERVICE)) == REPLICAS
                        and self.consumers(DISH_RANKED_QUEUE) == REPLICAS,
                        60.0, f"both replicas consume the RPC and {DISH_RANKED_QUEUE} queues")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait_stopped()

    def cleanup(self) -> None:
        for process in self.processes:
            process.cleanup()
        self.db.dispose()

    # --- what happened ------------------------------------------------------------------

    def witnessed(self, kind: str) -> list[dict]:
        """Every line of every replica's witness file of this kind."""
        entries = []
        for path in self.witness_dir.glob("*.jsonl"):
            for line in path.read_text().splitlines():
                entry = json.loads(line)
                if entry["kind"] == kind:
                    entries.append(entry)
        return entries

    def queue_state(self, queue: str) -> tuple[int, int]:
        """(ready messages, consumers) of `queue`; (0, 0) while it does not exist."""
        try:
            with Connection(self.amqp_uri, connect_timeout=2) as connection:
                result = connection.channel().queue_declare(queue, passive=True)
                return result.message_count, result.consumer_count
        except (ChannelError, OSError):
            return 0, 0

    def consumers(self, queue: str) -> int:
        return self.queue_state(queue)[1]

    # --- waiting --------------------------------------------------------------------------

    def logs(self) -> str:
        return "\n".join(
            f"----- {process.name} (pid {process.pid}, alive={process.alive()}) -----\n"
            f"{process.log_tail()}"
            for process in self.processes
        )

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str,
                   interval: float = 0.05) -> float:
        """Poll `predicate` until true; fail with every replica's log after `timeout`, or
        as soon as a replica exits by itself."""
        started = time.monotonic()
        while not predicate():
            if died := [process for process in self.processes if not process.alive()]:
                raise AssertionError(f"while waiting until {what}: {died[0].name} exited "
                                     f"(code {died[0].proc.returncode})\n{self.logs()}")
            if time.monotonic() - started > timeout:
                raise AssertionError(f"timed out after {timeout}s waiting until {what}\n"
                                     f"{self.logs()}")
            eventlet.sleep(interval)
        return time.monotonic() - started


@pytest.fixture(scope="module")
def vhost_uri(request, vhost_pipeline):
    """A vhost of this module's own (nameko's pipeline, as the rabbit_config fixture's)."""
    uri = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        yield f"{uri.scheme}://{uri.netloc}/{vhost}"


@pytest.fixture(scope="module")
def catalog_replicas(vhost_uri, tmp_path_factory):
    """Two `python -m services.catalog` processes (tests/scale/replica.py) on one fresh,
    migrated database and one vhost, both consuming; stopped and dropped afterwards."""
    database_url = fresh_database("bellyfed_scale_catalog")
    upgrade(SERVICE, database_url)
    replicas = Replicas(vhost_uri, database_url, tmp_path_factory.mktemp("witness"),
                        tmp_path_factory.mktemp("logs"))
    try:
        replicas.start()
        yield replicas
        replicas.stop()
    finally:
        replicas.cleanup()
        drop_database(database_url.rsplit("/", 1)[1])
