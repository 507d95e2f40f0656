"""c. The broker stopped for 20 s mid-stream: the relay and the consumer reconnect by
themselves and nothing is lost (SPEC §2: a committed event leaves "even if the broker was
down at that moment").

This stops RabbitMQ for the whole machine (`rabbitmqctl stop_app`), so it first waits
(a few minutes at most) until no other pytest runs, and always starts it again.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import eventlet
import pytest
from kombu import Connection

from .harness import assert_exactly_once, settle
from .ledger import record_entries

pytestmark = pytest.mark.fault

OUTAGE_SECONDS = 20.0


def rabbitmqctl(*args: str, timeout: float = 120.0) -> str:
    return subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, text=True,
                          timeout=timeout).stdout


def _ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state: ppid
    return found


def other_pytest_processes() -> list[str]:
    """Command lines of pytest processes that are not this one or its ancestors."""
    own = _ancestors(os.getpid())
    others = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in own:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if "pytest" in cmdline:
            others.append(f"{entry.name}: {cmdline}")
    return others


def wait_until_broker_is_ours(faults, patience: float = 120.0) -> None:
    """Until no other pytest process runs (they would see the broker vanish), `patience`
    seconds at most."""
    started = time.monotonic()
    others = other_pytest_processes()
    if others:
        faults.note(f"waiting up to {patience:.0f}s: other pytest processes run: {others}")
    while others and time.monotonic() - started < patience:
        time.sleep(2)
        others = other_pytest_processes()
    if others:
        faults.note(f"proceeding after {patience:.0f}s although others run: {others}")
    elif time.monotonic() - started > 1:
        faults.note(f"the broker is ours after {time.monotonic() - started:.0f}s")


def start_broker(amqp_uri: str) -> None:
    """`rabbitmqctl start_app` (retried: the machine's broker must not stay down), then wait
    until it accepts connections to this test's vhost."""
    for attempt in range(3):
        try:
            rabbitmqctl("start_app")
            break
        except subprocess.SubprocessError:
            if attempt == 2:
                raise
            time.sleep(2)
    wait_for_broker(amqp_uri)


def wait_for_broker(amqp_uri: str, timeout: float = 120.0) -> None:
    """Until the broker accepts connections to this test's vhost again."""
    rabbitmqctl("-q", "await_startup", timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with Connection(amqp_uri, connect_timeout=2) as connection:
                connection.connect()
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class Stream:
    """Commits entries (one per transaction, ~70 a second) in a greenthread until stopped;
    psycopg2 is green here, so it goes on while the test waits or the broker stops."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.committed: list[int] = []
        self.next_seq = 0
        self._running = False
        self._thread = None

    def start(self) -> None:
        self._running = True
        self._thread = eventlet.spawn(self._run)

    def _run(self) -> None:
        while self._running:
            self.committed += record_entries(self.database_url,
                                             range(self.next_seq, self.next_seq + 5))
            self.next_seq += 5
            eventlet.sleep(0.05)

    def stop(self) -> None:
        self._running = False
        self._thread.wait()

    def record(self, count: int) -> None:
        """Commit `count` more entries now."""
        self.committed += record_entries(self.database_url,
                                         range(self.next_seq, self.next_seq + count))
        self.next_seq += count


def test_broker_outage_mid_stream(faults):
    """Entries commit one per transaction in a steady stream, published and consumed as they
    come, when the broker stops; it stays down 20 s, during which 300 more commit, and 300
    commit after it is back. No process is restarted, nothing is lost."""
    wait_until_broker_is_ours(faults)
    tally, relay = faults.tally().start(), faults.ledger().start()
    faults.wait_consuming(1)
    faults.wait_ledger_up()
    pids = {process.name: process.pid for process in (tally, relay)}

    stream = Stream(faults.ledger_url)
    deadline = time.monotonic() + 120
    while True:  # the stream flows, and no other pytest at that moment: stop the broker
        stream.start()
        flowing = faults.effects() + 100
        faults.wait_until(lambda flowing=flowing: faults.effects() >= flowing, 30,
                          "the stream flows")
        others = other_pytest_processes()
        if not others or time.monotonic() > deadline:
            break
        stream.stop()
        wait_until_broker_is_ours(faults, patience=max(0.0, deadline - time.monotonic()))
    if others:
        faults.note(f"stopping the broker although other pytest processes run: {others}")
    before_stop = faults.effects()
    try:
        rabbitmqctl("stop_app")
        stopped = time.monotonic()
        stream.stop()
        at_stop = {"effects": faults.effects(), "committed": len(faults.committed_seqs())}
        faults.note(f"broker stopped ({before_stop} effects when asked to): {at_stop}")
        stream.record(300)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        unpublished_in_outage = faults.unpublished()
        faults.note(f"starting the broker; {unpublished_in_outage} events wait in the outbox")
    finally:
        start_broker(faults.amqp_uri)
    back = time.monotonic()
    faults.note("broker up")
    # it went down mid-stream: entries were committed up to the stop, not all applied
    assert before_stop > 0 and at_stop["committed"] > at_stop["effects"]
    assert unpublished_in_outage >= 300  # those committed while it was down had to wait

    stream.record(300)
    total = stream.next_seq
    faults.wait_until(lambda: faults.effects() >= total and faults.unpublished() == 0, 120,
                      f"{total} effects after the outage")
    faults.note(f"{total} applied {time.monotonic() - back:.1f}s after the broker came back; "
                f"redeliveries {faults.redeliveries()}")
    # they reconnected by themselves: the very same processes, never restarted
    assert tally.alive() and relay.alive()
    assert {process.name: process.pid for process in (tally, relay)} == pids
    assert tally.starts == relay.starts == 1

    assert stream.committed == list(range(total))
    assert settle(faults, tally, relay) == 0
    assert_exactly_once(faults, stream.committed)
