"""Real processes, a real broker and real databases for the fault suite.

`Harness` (the `faults` fixture) gives each test its own ledger and tally databases and
the per-test vhost, starts `tests/fault/ledger.py` and `tests/fault/tally.py` as process
groups (logs under tmp_path), SIGKILLs or stops them, counts what happened in PostgreSQL
and RabbitMQ, and waits with deadlines that print every process log when they pass.
`module()` starts a `python -m` module the same way (a real service, or the moto server:
see batched.py), and `pause()` SIGSTOPs a process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import eventlet
from kombu import Connection, Exchange, Queue
from kombu.exceptions import ChannelError
from sqlalchemy import func, select, text

from conftest import drop_database, fresh_database
from shared.consumer import dead_letter_queue_name, retry_queue_name
from shared.outbox import outbox_table
from shared.postgres import make_engine

from . import ledger, tally

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LOG_TAIL_LINES = 60


class ServiceProcess:
    """One service run as `python tests/fault/<script>` (or `python -m <module>`), in its
    own process group."""

    def __init__(self, name: str, script: Path, env: dict, log_path: Path,
                 command: list[str] | None = None):
        """`command` replaces `python <script>` (e.g. `python -m services.orders`)."""
        self.name = name
        self.script = script
        self.command = command or [sys.executable, str(script)]
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0
        self.expected_up = False  # started by the test and not (yet) killed or stopped by it

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> ServiceProcess:
        assert not self.alive(), f"{self.name} is already running"
        self.starts += 1
        self.expected_up = True
        with open(self.log_path, "ab") as log:
            log.write(f"===== {self.name}: start #{self.starts} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def sigkill(self) -> None:
        """SIGKILL the whole process group, and reap it."""
        assert self.alive(), f"{self.name} is not running (exit code {self.proc.returncode})"
        self.kills += 1
        self.expected_up = False
        self._signal_group(signal.SIGKILL)
        self.proc.wait()

    def terminate(self) -> None:
        """SIGTERM: nameko stops gracefully (in-flight workers finish, unacked messages go
        back to their queue)."""
        self.expected_up = False
        if self.alive():
            self._signal_group(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 20.0) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(f"{self.name} did not stop within {timeout}s") from None

    def stop(self, timeout: float = 20.0) -> None:
        self.terminate()
        self.wait_stopped(timeout)

    def pause(self) -> None:
        """SIGSTOP: the process stays, holding its sockets, and answers nothing."""
        assert self.alive(), f"{self.name} is not running"
        self._signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after `pause`."""
        self._signal_group(signal.SIGCONT)

    def cleanup(self) -> None:
        """Finalizer: SIGKILL what is left of this process group."""
        if self.proc is not None:
            self._signal_group(signal.SIGKILL)
            with contextlib.suppress(Exception):
                self.proc.wait(5)

    def _signal_group(self, signum: int) -> None:
        # only while our process is unreaped: its pid (= the group id) cannot be reused yet
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signum)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            content = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(content[-lines:])


class Harness:
    def __init__(self, amqp_uri: str, log_dir: Path, tag: str):
        self.amqp_uri = amqp_uri
        self.log_dir = log_dir
        self.tag = tag
        self.processes: list[ServiceProcess] = []
        self.databases: list[str] = []  # URLs of `database()`'s, dropped at cleanup
        self.watched: dict[str, Callable[[], object]] = {}  # more of `state()`: `watch()`
        self.ledger_url = fresh_database(f"bellyfed_fault_{tag}_ledger")
        self.tally_url = fresh_database(f"bellyfed_fault_{tag}_tally")
        ledger.create_tables(self.ledger_url)
        tally.create_tables(self.tally_url)
        self.ledger_db = make_engine(self.ledger_url)
        self.tally_db = make_engine(self.tally_url)
        self.started = time.monotonic()

    def note(self, message: str) -> None:
        """A timestamped progress line (shown with -s, and by pytest for a failing test)."""
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", flush=True)

    # --- processes ----------------------------------------------------------------------

    def _env(self, database_url: str, extra: dict) -> dict:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("TALLY_", "EVENT_", "OUTBOX_"))}
        env.update({
            "AMQP_URI": self.amqp_uri,
            "DATABASE_URL": database_url,
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "ignore",
        })
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def _process(self, name: str, script: str, database_url: str, env: dict) -> ServiceProcess:
        process = ServiceProcess(name, HERE / script, self._env(database_url, env),
                                 self.log_dir / f"{name}.log")
        self.processes.append(process)
        return process

    def tally(self, name: str = "tally", **env) -> ServiceProcess:
        """A tally process (not started). Env knobs: see tests/fault/tally.py."""
        return self._process(name, "tally.py", self.tally_url, env)

    def ledger(self, name: str = "ledger", **env) -> ServiceProcess:
        """A ledger process, i.e. its outbox relay (not started)."""
        return self._process(name, "ledger.py", self.ledger_url,
                             {"OUTBOX_POLL_INTERVAL": 0.2, **env})

    def module(self, name: str, module: str, *args: str, database_url: str = "",
               **env) -> ServiceProcess:
        """`python -m <module> <args>` as a process (not started): a real service
        (`services.orders`), or a DynamoDB the test may pause (`shared.local_dynamodb`)."""
        process = ServiceProcess(name, Path(module), self._env(database_url, env),
                                 self.log_dir / f"{name}.log",
                                 command=[sys.executable, "-m", module, *args])
        self.processes.append(process)
        return process

    def database(self, name: str) -> str:
        """A fresh, empty database of this test's own (a real service migrates it)."""
        url = fresh_database(f"bellyfed_fault_{self.tag}_{name}")
        self.databases.append(url)
        return url

    def watch(self, name: str, probe: Callable[[], object]) -> None:
        """Show `probe()` under `name` in the state a failed wait prints."""
        self.watched[name] = probe

    def stop(self, *processes: ServiceProcess) -> None:
        """Stop `processes` gracefully, all at once."""
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait_stopped()

    def cleanup(self) -> None:
        for process in self.processes:
            process.cleanup()
        self.ledger_db.dispose()
        self.tally_db.dispose()
        for url in (self.ledger_url, self.tally_url, *self.databases):
            with contextlib.suppress(Exception):
                drop_database(url.rsplit("/", 1)[1])

    # --- waiting ------------------------------------------------------------------------

    def logs(self) -> str:
        return "\n".join(
            f"----- {process.name} (pid {process.pid}, started {process.starts}x, "
            f"killed {process.kills}x, alive={process.alive()}) {process.log_path} -----\n"
            f"{process.log_tail()}"
            for process in self.processes
        )

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str,
                   interval: float = 0.1) -> float:
        """Poll `predicate` until true; fail with the state and every log after `timeout`."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            if predicate():
                return time.monotonic() - started
            if died := [process for process in self.processes
                        if process.expected_up and not process.alive()]:
                raise AssertionError(
                    f"while waiting until {what}: {', '.join(p.name for p in died)} exited "
                    f"by itself (exit code {died[0].proc.returncode})\n"
                    f"state: {self.state()}\n{self.logs()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting until {what}\n"
                    f"state: {self.state()}\n{self.logs()}"
                )
            eventlet.sleep(interval)

    def wait_consuming(self, consumers: int, timeout: float = 30.0) -> None:
        """Until the tally queue has exactly `consumers` consumers."""
        self.wait_until(lambda: self.queue_depth(tally.QUEUE)[1] == consumers, timeout,
                        f"{tally.QUEUE} has {consumers} consumer(s)")

    def wait_ledger_up(self, timeout: float = 30.0) -> None:
        """Until the ledger process consumes its RPC queue (the relay started with it)."""
        self.wait_until(lambda: self.queue_depth("rpc-ledger")[1] >= 1, timeout,
                        "the ledger process is up")

    # --- counting -----------------------------------------------------------------------

    def effects(self) -> int:
        with self.tally_db.connect() as conn:
            return conn.scalar(select(func.count()).select_from(tally.effects))

    def effect_counts(self) -> tuple[int, int]:
        """(rows, distinct event ids) of the effects table."""
        with self.tally_db.connect() as conn:
            return tuple(conn.execute(select(
                func.count(), func.count(tally.effects.c.event_id.distinct())
            )).one())

    def effect_seqs(self) -> list[int]:
        with self.tally_db.connect() as conn:
            return sorted(conn.scalars(select(tally.effects.c.seq)))

    def effects_by_pid(self) -> dict[int, int]:
        with self.tally_db.connect() as conn:
            return dict(conn.execute(
                select(tally.effects.c.pid, func.count()).group_by(tally.effects.c.pid)).all())

    def redeliveries(self) -> int:
        with self.tally_db.connect() as conn:
            return conn.scalar(select(func.count()).select_from(tally.redeliveries))

    def failures(self, kind: str) -> list[int]:
        with self.tally_db.connect() as conn:
            return sorted(conn.scalars(
                select(tally.failures.c.seq).where(tally.failures.c.kind == kind)))

    def committed_seqs(self) -> list[int]:
        with self.ledger_db.connect() as conn:
            return sorted(conn.scalars(select(ledger.entries.c.seq)))

    def outbox_counts(self) -> tuple[int, int]:
        """(rows, unpublished rows) of the ledger's outbox."""
        with self.ledger_db.connect() as conn:
            return tuple(conn.execute(select(
                func.count(), func.count().filter(outbox_table.c.published_at.is_(None))
            ).select_from(outbox_table)).one())

    def unpublished(self) -> int:
        return self.outbox_counts()[1]

    def outbox_envelopes(self) -> list[dict]:
        with self.ledger_db.connect() as conn:
            return list(conn.scalars(select(outbox_table.c.envelope).order_by(outbox_table.c.id)))

    def mark_all_published(self) -> None:
        with self.ledger_db.begin() as conn:
            conn.execute(text("UPDATE outbox SET published_at = now()"))

    def queue_depth(self, queue: str, strict: bool = False) -> tuple[int, int]:
        """(ready messages, consumers) of `queue`. Unless `strict`, (0, 0) when it does not
        exist or the broker cannot be reached (for polling)."""
        try:
            with Connection(self.amqp_uri, connect_timeout=2) as connection:
                result = connection.channel().queue_declare(queue, passive=True)
                return result.message_count, result.consumer_count
        except (ChannelError, OSError):
            if strict:
                raise
            return 0, 0

    def tally_queues(self, max_attempts: int) -> list[str]:
        return [tally.QUEUE, *(retry_queue_name(tally.QUEUE, attempt)
                               for attempt in range(1, max_attempts))]

    def queued(self, max_attempts: int = 5) -> dict[str, int]:
        """Messages waiting in the tally queue, its retry queues and its dead-letter queue."""
        names = [*self.tally_queues(max_attempts), dead_letter_queue_name("tally")]
        return {name: self.queue_depth(name, strict=True)[0] for name in names}

    def take_dead_letters(self) -> list:
        """Every message of dlq.tally, taken off the queue."""
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            letters = []
            while (message := channel.basic_get(dead_letter_queue_name("tally"),
                                                no_ack=True)) is not None:
                letters.append(message)
            return letters

    def audit_queue(self, name: str = "fault-audit") -> Queue:
        """A durable queue bound to every event ledger publishes (declare before publishing)."""
        queue = Queue(name, exchange=Exchange("ledger.events", type="topic", durable=True),
                      routing_key="#", durable=True)
        with Connection(self.amqp_uri) as connection:
            queue(connection.channel()).declare()
        return queue

    def drain(self, queue_name: str) -> list[dict]:
        """Every message body of `queue_name`, taken off the queue."""
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            bodies = []
            while (message := channel.basic_get(queue_name, no_ack=True)) is not None:
                bodies.append(json.loads(message.body))
            return bodies

    def state(self) -> dict:
        state = {}
        for key, probe in [("effects", self.effect_counts), ("redeliveries", self.redeliveries),
                           ("committed", lambda: len(self.committed_seqs())),
                           ("outbox (rows, unpublished)", self.outbox_counts),
                           ("queues", self.queued), *self.watched.items()]:
            try:
                state[key] = probe()
            except Exception as exc:  # the state is for a failure message: never mask it
                state[key] = f"unavailable: {exc!r}"
        return state


def settle(faults, *processes, max_attempts: int = 5) -> int:
    """Stop `processes` gracefully and check no message waits in the tally queue or its retry
    queues (a stopped consumer's unacked messages go back to the queue, so an empty queue
    means no delivery is pending and the counts are final). Returns the dead letters' count."""
    faults.stop(*processes)
    queued = faults.queued(max_attempts)
    dead = queued.pop(dead_letter_queue_name("tally"))
    assert queued == dict.fromkeys(queued, 0), faults.state()
    return dead


def assert_exactly_once(faults, expected: list[int]) -> None:
    """Every committed entry (and only those) applied exactly once; the outbox all sent."""
    assert faults.committed_seqs() == expected
    assert faults.effect_seqs() == expected  # nothing lost, nothing applied twice
    assert faults.effect_counts() == (len(expected), len(expected))
    assert faults.outbox_counts() == (len(expected), 0)
