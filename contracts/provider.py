"""The producer's side of a contract: verifying a committed pact against the real code.

    producer = Producer("catalog", states={"a restaurant exists": make_restaurant},
                        events={"dish_created": create_a_dish}, service=catalog_service)
    verify(pact_file, producer)  # AssertionError: "rankings relies on catalog's ..."

Pact's verifier (Rust, through pact-python) asks for each interaction in turn: it sets up
the interaction's provider states (`states[name](params)`), then asks for the message.
For an event, `events[event_type]()` runs the producer's real domain code and answers the
envelope it emitted (from the outbox, or the gateway's dispatch); for an RPC, the request's
method is called on `service()` — the service class with its real dependencies — and its
answer (or exception) is the reply, as nameko would send it over the wire. The verifier
matches that against what the consumer declared.

Example ids in requests are the consumer's: provider states create real objects and name
them after the examples (`aliases[example] = real`), and requests are translated before
the call, so every state builds fresh objects and no interaction depends on another.

Verification failures become one AssertionError naming, for each broken expectation, the
consumer and the field: "rankings relies on catalog's dish_created payload.dish_type:
missing".
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import eventlet
import pact.verifier as pact_verifier
from eventlet import tpool
from kombu.utils.json import dumps as wire_dumps
from pact import Verifier
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from contracts import PACTS
from shared.context import set_correlation_id
from shared.errors import BellyfedError
from shared.events import envelopes_in
from shared.outbox import outbox_table
from shared.postgres import make_engine

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # the verifier reports no usage from tests

CORRELATION_ID = "contract-verification"
_MISSING_KEYS = re.compile(r"Actual map is missing the following keys: (.+)$")


def pacts_naming(provider: str) -> list[Path]:
    """Every committed pact whose provider is `provider`."""
    return sorted(path for path in PACTS.glob("*.json")
                  if json.loads(path.read_text())["provider"]["name"] == provider)


def consumer_of(pact_file: Path) -> str:
    return json.loads(Path(pact_file).read_text())["consumer"]["name"]


class Aliases:
    """The consumer's example values, and the real ones provider states made for them."""

    def __init__(self):
        self.real: dict[str, str] = {}

    def __setitem__(self, example, real) -> None:
        self.real[str(example)] = str(real)

    def __getitem__(self, example) -> str:
        return self.real[str(example)]

    def __call__(self, value):
        """`value` with every example replaced by its real counterpart, however deep."""
        if isinstance(value, str):
            return self.real.get(value, value)
        if isinstance(value, dict):
            return {self(key): self(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self(item) for item in value]
        return value


class Producer:
    """What a producer's test hands to `verify`.

    states: provider state name -> setup(params).
    events: event_type -> a function running the real code, answering the emitted envelope.
    service: a context manager giving the service class with real dependencies (RPCs).
    """

    def __init__(self, name: str, *, states: dict[str, Callable[[dict], None]],
                 events: dict[str, Callable[[], dict]] | None = None,
                 service: Callable[[], contextlib.AbstractContextManager] | None = None,
                 aliases: Aliases | None = None):
        self.name = name
        self.states = states
        self.events = events or {}
        self.service = service
        self.aliases = aliases or Aliases()
        self.crashes: list[str] = []  # RPCs that failed other than on purpose
    def set_up(self, state: str, params: dict) -> None:
        if not state:
            return
        if state not in self.states:
            raise LookupError(f"{self.name}'s contract tests know no provider state {state!r}")
        self.states[state](params or {})

    def event(self, event_type: str) -> dict:
        if event_type not in self.events:
            raise LookupError(f"{self.name}'s contract tests cannot produce {event_type}")
        with correlated():
            return self.events[event_type]()

    def call(self, method: str, args: list, kwargs: dict) -> dict:
        """The reply nameko would send for `method(*args, **kwargs)`: {"result", "error"}."""
        if self.service is None:
            raise LookupError(f"{self.name}'s contract tests answer no RPC")
        args, kwargs = self.aliases(args), self.aliases(kwargs)
        with correlated(), self.service() as service:
            try:
                result = getattr(service, method)(*args, **kwargs)
            except Exception as exc:
                if not isinstance(exc, BellyfedError):
                    self.crashes.append(f"{method}: {traceback.format_exc()}")
                return {"result": None, "error": {"exc_type": type(exc).__name__,
                                                  "value": str(exc)}}
        return {"result": over_the_wire(result), "error": None}


def over_the_wire(value):
    """`value` as a nameko RPC caller receives it (kombu's JSON)."""
    return json.loads(wire_dumps(value))


@contextmanager
def correlated() -> Iterator[None]:
    """As in a worker: the correlation id the producer stamps on what it emits."""
    set_correlation_id(CORRELATION_ID)
    try:
        yield
    finally:
        set_correlation_id(None)


@contextmanager
def worker_store(sessions: sessionmaker, store_cls: type, producer: str) -> Iterator[Any]:
    """A store as shared.db.Database hands one to a worker: its own session, closed after."""
    session = sessions()
    try:
        yield store_cls(session, producer)
    finally:
        session.close()


def emitted(engine, event_type: str, action: Callable[[], object]) -> dict:
    """Run `action` (a real write) and answer the first `event_type` envelope it put in the
    service's outbox: exactly what the relay publishes."""
    with engine.connect() as conn:
        mark = conn.scalar(select(func.max(outbox_table.c.id))) or 0
    action()
    with engine.connect() as conn:
        envelopes = conn.scalars(
            select(outbox_table.c.envelope)
            .where(outbox_table.c.id > mark, outbox_table.c.event_type == event_type)
            .order_by(outbox_table.c.id)).all()
    assert envelopes, f"the action emitted no {event_type}"
    return envelopes[0]


class DatabaseProducer:
    """A producer that keeps its data in PostgreSQL, for its provider test: its real service
    class as a worker has it (a store of its own on the test database), its RPC methods
    called as they are over the wire, and the events its writes put in the outbox.
    Subclasses name `service_name`, `service_cls` and `store_cls`, and set more dependencies in
    `give_dependencies`."""

    service_name: str
    service_cls: type
    store_cls: type

    def __init__(self, database_url: str):
        self.engine = make_engine(database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.aliases = Aliases()

    def give_dependencies(self, service) -> None:
        """What the service needs besides its store (none by default)."""

    @contextmanager
    def service(self):
        with worker_store(self.sessions, self.store_cls, self.service_name) as store:
            service = self.service_cls()
            service.store, service.config = store, {}
            self.give_dependencies(service)
            yield service

    def call(self, method: str, *args, **kwargs):
        with self.service() as service:
            return getattr(service, method)(*args, **kwargs)

    def emitted(self, event_type: str, method: str, *args, **kwargs) -> dict:
        return emitted(self.engine, event_type, lambda: self.call(method, *args, **kwargs))

    def close(self) -> None:
        self.engine.dispose()


# --- verifying -----------------------------------------------------------------------------------

@contextmanager
def _verifier_off_the_hub() -> Iterator[None]:
    """The Rust verifier blocks its thread while it calls back our message and state
    servers, which under eventlet are green threads of this one: run it in a real thread."""
    if not eventlet.patcher.is_monkey_patched("thread"):
        yield
        return
    ffi = pact_verifier.pact_ffi
    execute = ffi.verifier_execute
    ffi.verifier_execute = lambda handle: tpool.execute(execute, handle)
    try:
        yield
    finally:
        ffi.verifier_execute = execute


def verify(pact_file: Path, producer: Producer,
           mutate: Callable[[str, dict], dict] | None = None) -> None:
    """Verify every interaction of `pact_file` against `producer`'s real code.

    `mutate(description, body)` may change what the producer answered before it is
    matched (to prove that a broken field is reported)."""
    pact = json.loads(Path(pact_file).read_text())
    interactions = {interaction["description"]: interaction
                    for interaction in pact["interactions"]}
    problems: list[str] = []

    def produce(name: str, metadata: dict | None) -> dict:
        try:
            interaction = interactions[name]
            if interaction["type"] == "Synchronous/Messages":
                request = (metadata or {})["request"]["contents"]["content"]
                if isinstance(request, str):
                    request = json.loads(request)
                body = producer.call(request["method"], request.get("args", []),
                                     request.get("kwargs", {}))
            else:
                body = producer.event(subject(interaction))
            if mutate is not None:
                body = mutate(name, body)
        except Exception:
            problems.append(f"{name}: {traceback.format_exc()}")
            raise
        return {"contents": json.dumps(body).encode(), "content_type": "application/json"}

    def on_state(state: str, action: str, parameters: dict | None = None) -> None:
        if action != "setup":
            return
        try:
            producer.set_up(state, parameters or {})
        except Exception:
            problems.append(f"provider state {state!r}: {traceback.format_exc()}")
            raise

    verifier = (Verifier(producer.name)
                .message_handler(produce)
                .state_handler(on_state, teardown=True)
                .add_source(str(pact_file)))
    with _verifier_off_the_hub(), contextlib.suppress(RuntimeError):
        verifier.verify()  # raises when an interaction fails: the results say which
    results = verifier.results
    found = failures(results, interactions, producer.name)
    verified = len(results.get("interactionResults", []))
    if verified != len(interactions):
        found.append(f"{verified} of {len(interactions)} interactions of "
                     f"{Path(pact_file).name} were verified")
    if found:
        detail = "\n".join(f"  - {line}" for line in found)
        problems += producer.crashes
        cause = ("\n\nwhile producing:\n" + "\n".join(problems)) if problems else ""
        raise AssertionError(f"{producer.name} breaks its contract with "
                             f"{consumer_of(pact_file)}:\n{detail}{cause}")


def subject(interaction: dict) -> str:
    """What an interaction is about: the event type, or the RPC method."""
    if interaction["type"] == "Synchronous/Messages":
        return interaction["request"]["contents"]["content"]["method"]
    # a batched event type's message is an array of its envelopes
    return envelopes_in(interaction["contents"]["content"])[0]["event_type"]


def failures(results: dict, interactions: dict, provider: str) -> list[str]:
    """One line per broken expectation: who relies on what, and what is wrong with it."""
    lines = []
    for result in results.get("interactionResults", []):
        if result.get("result") == "OK":
            continue
        consumer, description = result["consumer"], result["description"]
        what = subject(interactions[description]) if description in interactions else ""
        mismatch = result.get("mismatch") or {}
        if mismatch.get("type") != "mismatches":
            lines.append(f"{consumer}'s {description!r} could not be checked against "
                         f"{provider}: {mismatch.get('message', result)}")
            continue
        for each in mismatch.get("mismatches", []):
            lines += _explain(consumer, provider, what, each)
    return lines


def _explain(consumer: str, provider: str, what: str, mismatch: dict) -> list[str]:
    path = mismatch.get("path", "$")
    field = path[2:] if path.startswith("$.") else ("" if path == "$" else path)
    text = mismatch.get("mismatch", "")
    relies = f"{consumer} relies on {provider}'s {what}"
    if missing := _MISSING_KEYS.search(text):
        keys = [key.strip() for key in missing.group(1).split(",")]
        return [f"{relies} {f'{field}.' if field else ''}{key}: missing" for key in keys]
    return [f"{relies} {field or 'body'}: {text}"]
