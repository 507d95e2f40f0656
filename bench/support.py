"""What the benchmarks (and a few tests) share: a DynamoDB and a RabbitMQ vhost of their
own, and a broker connection that can be cut."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlparse

import requests

ROOT = Path(__file__).resolve().parents[1]


def start_moto() -> tuple[str, subprocess.Popen | None]:
    """The DynamoDB endpoint to use: DYNAMODB_ENDPOINT's, or an embedded moto server of
    this run's own (and its process, for `stop`), stopped again if it never answers."""
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
        except requests.RequestException:
            time.sleep(0.1)
    stop(process)
    raise SystemExit("moto_server did not start")


def stop(process: subprocess.Popen | None, grace: float = 5.0) -> None:
    """Stop a process a benchmark started: SIGTERM, then SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def exit_on_sigterm() -> None:
    """A SIGTERM (a CI timeout, `kill`) ends the benchmark as Ctrl-C does: through its
    `finally` blocks, so what it started is stopped and removed."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


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


class BrokerProxy:
    """A TCP proxy to RabbitMQ in a process of its own, that can be cut (the process
    killed: every connection through it reset, new ones refused) and opened again on the
    same port: to whoever connects through it, the broker stops and starts.

        proxy = BrokerProxy(port); proxy.open(); ...; proxy.cut(); ...; proxy.open()
    """

    def __init__(self, port: int, target: tuple[str, int] = ("127.0.0.1", 5672)):
        self.port, self.target = port, target
        self.process: subprocess.Popen | None = None

    def open(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "proxy", str(self.port),
             self.target[0], str(self.target[1])], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        self.process.stdout.readline()  # "listening"

    def cut(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def serve_proxy(port: int, host: str, target_port: int) -> None:
    """The proxy process: forwards every connection to (host, target_port)."""
    listener = socket.create_server(("127.0.0.1", port))
    print("listening", flush=True)

    def pump(source, sink) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection((host, target_port))
        except OSError:
            client.close()
            continue
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=pump, args=(source, sink), daemon=True).start()


if __name__ == "__main__" and sys.argv[1:2] == ["proxy"]:
    serve_proxy(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
