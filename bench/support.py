"""What the benchmarks (and a few tests) share: a DynamoDB and a RabbitMQ vhost of their
own, a broker connection that can be cut, the processes they start (and stop), the
system on :8000, wrk's figures, and where a process's time goes (CPU per request, py-spy)."""

from __future__ import annotations

import collections
import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


# --- processes a benchmark starts, and the system on :8000 ----------------------------------

GATEWAY = "http://127.0.0.1:8000"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{what} did not answer {url} within {timeout:.0f}s")


class Processes:
    """Everything this run starts, stopped on success, failure and Ctrl-C."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []

    def start(self, args, **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(args, cwd=ROOT, start_new_session=True, **kwargs)
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 20) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)


def use_or_start_system(processes: Processes) -> None:
    """The system on :8000: the running one, or `scripts/run` started (and, through
    `processes`, stopped after)."""
    try:
        requests.get(f"{GATEWAY}/ready", timeout=2).raise_for_status()
        print("using the running system on :8000")
    except requests.RequestException:
        print("starting scripts/run ...")
        processes.start([str(ROOT / "scripts" / "run")], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        wait_for(f"{GATEWAY}/ready", 240, "scripts/run")


def service_process(name: str) -> int | None:
    """The pid of the one `python -m services.<name>` running (None if not exactly one)."""
    found = subprocess.run(["pgrep", "-f", f"python -m services.{name}$"],
                           capture_output=True, text=True).stdout.split()
    return int(found[0]) if len(found) == 1 else None


# --- load ----------------------------------------------------------------------------------

def wrk(url: str, duration: int, connections: int, script: str | Path | None = None) -> dict:
    """req/s, p50/p99/max in ms, requests, non-2xx answers, socket errors and the whole
    output of one `wrk -t2` run (`script`: a Lua script, e.g. for a POST)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True,
                            check=True).stdout

    def ms(text: str) -> float:
        found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
        if not found:
            raise SystemExit(f"could not read wrk's figures for {url}:\n{output}")
        value, unit = found.groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    latency = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                       r"timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),
        "p99": ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)),
        "max": ms(latency.group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non_2xx": int((re.search(r"Non-2xx or 3xx responses: (\d+)", output)
                        or re.match(r"()", "0")).group(1) or 0),
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
        "output": output,
    }


# --- where the time goes -------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pids_of(user: str) -> list[int]:
    """Every process of a system user (PostgreSQL's backends, RabbitMQ's VM)."""
    found = subprocess.run(["pgrep", "-u", user], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


class CpuMeter:
    """CPU seconds used by named groups of processes between `start()` and `stop()`:

        meter = CpuMeter({"gateway": [pid], "postgres": pids_of("postgres")})
        meter.start(); ...load...; used = meter.stop()   # {"gateway": 1.9, ...}
    """

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = {name: pids for name, pids in groups.items() if pids}
        self.before: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(pid) for pid in pids)
                for name, pids in self.groups.items()}

    def start(self) -> None:
        self.before = self._now()

    def stop(self) -> dict[str, float]:
        return {name: used - self.before[name] for name, used in self._now().items()}


def py_spy(pids: dict[str, int], seconds: float = 5) -> dict[str, collections.Counter | str]:
    """py-spy's samples (stack -> count) of each named process over the same `seconds`,
    or why there are none (a string)."""
    spy = shutil.which("py-spy")
    if not spy:
        return dict.fromkeys(pids, "(py-spy not installed)")
    found: dict[str, collections.Counter | str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        spies = {}
        for name, pid in pids.items():
            raw = Path(scratch) / f"{pid}.txt"
            spies[name] = raw, subprocess.Popen(
                [spy, "record", "-p", str(pid), "-d", str(seconds), "-f", "raw", "-o",
                 str(raw), "--nonblocking"], stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
        for name, (raw, process) in spies.items():
            _, stderr = process.communicate()
            if process.returncode or not raw.exists():
                found[name] = f"(py-spy could not attach: {stderr.decode()[-200:].strip()})"
                continue
            samples = collections.Counter()
            for line in raw.read_text().splitlines():
                stack, count = line.rsplit(" ", 1)
                samples[stack] += int(count)
            found[name] = samples
    return found


def by_area(samples: collections.Counter | str, areas: tuple[tuple[str, str], ...],
            rest: str = "event loop and the rest") -> list[str]:
    """Samples grouped by the first of `areas` (marker, name) each stack contains, as
    lines "share  area", largest first."""
    if isinstance(samples, str):
        return [samples]
    grouped = collections.Counter()
    for stack, count in samples.items():
        grouped[next((area for marker, area in areas if marker in stack), rest)] += count
    total = sum(grouped.values()) or 1
    return [f"{count / total:6.1%}  {area}" for area, count in grouped.most_common()]


def profile(pid: int, url: str, connections: int, areas: tuple[tuple[str, str], ...]
            ) -> list[str]:
    """py-spy's view of one process under 8 s of wrk on `url`, by area."""
    load = subprocess.Popen(["wrk", "-t2", f"-c{connections}", "-d8s", url],
                            stdout=subprocess.DEVNULL)
    try:
        time.sleep(1)
        samples = py_spy({"process": pid})["process"]
    finally:
        load.wait()
    return by_area(samples, areas)


if __name__ == "__main__" and sys.argv[1:2] == ["proxy"]:
    serve_proxy(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
