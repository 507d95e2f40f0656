"""What the benchmarks share: a DynamoDB and a RabbitMQ vhost of their own."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlparse

import requests

ROOT = Path(__file__).resolve().parents[1]


def start_moto() -> tuple[str, subprocess.Popen | None]:
    endpoint = os.environ.get("DYNAMODB_ENDPOINT")
    if endpoint:
        return endpoint, None
    port = 4700 + random.randrange(200)
    process = subprocess.Popen([sys.executable, "-m", "shared.local_dynamodb",
                                "-H", "127.0.0.1", "-p", str(port)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(endpoint, timeout=0.5)
            return endpoint, process
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("moto_server did not start")


class Vhost:
    """A throwaway RabbitMQ vhost (management API), so nothing else consumes our events."""

    def __init__(self, base_uri: str):
        parts = urlparse(base_uri)
        self.name = f"bellyfed_bench_{uuid.uuid4().hex[:8]}"
        self.api = f"http://{parts.hostname}:15672/api"
        self.auth = (parts.username or "guest", parts.password or "guest")
        self.uri = f"{parts.scheme}://{parts.netloc}/{quote(self.name, safe='')}"
        user = self.auth[0]
        requests.put(f"{self.api}/vhosts/{self.name}", auth=self.auth, timeout=10
                     ).raise_for_status()
        requests.put(f"{self.api}/permissions/{self.name}/{user}", auth=self.auth, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()

    def delete(self):
        requests.delete(f"{self.api}/vhosts/{self.name}", auth=self.auth, timeout=10)
