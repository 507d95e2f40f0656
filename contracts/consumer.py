"""The consumer's side of a contract: declaring what it relies on, as a Pact V4 pact.

    contract = Contract("rankings", "catalog")
    contract.event("dish_created", {"id": an_id("dish"), "dish_type": text("laksa")},
                   given="a restaurant exists", handler=RankingsService.on_dish_created)
    contract.feed_events(handle)  # handle(handler, body): the REAL handler, then checks
    contract.write(tmp_path)  # == contracts/pacts/rankings-catalog.json, or fail

Events are asynchronous messages whose body is the whole envelope (shared/events.py) with
the payload fields the consumer reads; RPCs are synchronous messages whose request is
`{method, args, kwargs}` and whose response is the nameko reply the caller reads:
`{"result": ...}`, `{"error": null}` (a method answering nothing), or
`{"error": {"exc_type": "NotFound"}}`. Values are matched by type (ids by the uuid
pattern, times as ISO-8601 with a zone, money as a two-decimal string); event_type and
producer exactly; the version against the versions the consumer accepts.

A contract is written to a temporary directory and compared with the committed
contracts/pacts/<consumer>-<provider>.json, which the producers verify: so the order in
which consumer and producer tests run never matters. `UPDATE_PACTS=1` writes it in place
instead (see contracts/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from pact import Pact, match
from pact.match.matcher import AbstractMatcher, AndMatcher

from contracts import PACTS
from shared import errors
from shared.events import envelopes_in, parse_envelope

UPDATE_PACTS = "UPDATE_PACTS"

ISO_8601 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
MONEY = r"^-?\d+\.\d{2}$"
EXAMPLE_TIME = "2026-03-04T12:00:00+00:00"
_EXAMPLES = uuid.UUID("6f1c2b9e-5d8a-4c3e-9a7b-2e4f6a8c0d1b")

VOID = object()  # an RPC answering nothing: the caller relies on it not failing


def example_id(name: str) -> str:
    """The example uuid every contract uses for `name` ("restaurant", "dish", "user"):
    the same name is the same id across interactions, so examples hang together."""
    return str(uuid.uuid5(_EXAMPLES, name))


# --- matchers with examples ------------------------------------------------------------------

def an_id(name: str) -> AbstractMatcher:
    """A uuid (any), with example_id(name) as its example."""
    return match.uuid(name if _is_uuid(name) else example_id(name))


def text(example: str = "text") -> AbstractMatcher:
    return match.str(example)


def integer(example: int = 1) -> AbstractMatcher:
    return match.int(example)


def number(example: float = 1.5) -> AbstractMatcher:
    """Any JSON number (an average, a score): 2 and 2.5 alike."""
    return match.number(example)


def boolean(example: bool = True) -> AbstractMatcher:
    return match.bool(example)


def moment(example: str = EXAMPLE_TIME) -> AbstractMatcher:
    """An ISO-8601 date and time with its zone (what marshmallow's AwareDateTime reads)."""
    return match.regex(example, regex=ISO_8601)


def money(example: str = "12.50") -> AbstractMatcher:
    """An exact amount: a string with two decimals, never a float."""
    return match.regex(example, regex=MONEY)


def each(item, *, nonempty: bool = False) -> AbstractMatcher:
    """A list whose every element is like `item` (at least one when `nonempty`: the
    provider state guarantees one, so the element's fields are really checked)."""
    return match.each_like(item, min=1 if nonempty else None)


def an_object() -> AbstractMatcher:
    """Some JSON object, whatever its keys."""
    return match.like({})


class _AllOf(AndMatcher):
    """Matchers combined with AND, keeping their example in the pact (pact-python 4.2's
    AndMatcher leaves it out, so the example would be null)."""

    def to_integration_json(self) -> dict[str, Any]:
        return {**super().to_integration_json(), "value": self._value}


def one_of_versions(accepts: Iterable[int]) -> AbstractMatcher:
    """An envelope's version: an integer among those the consumer accepts (its example is
    the newest)."""
    versions = sorted(set(accepts))
    newest = versions[-1]
    pattern = "^(" + "|".join(str(version) for version in versions) + ")$"
    return _AllOf(match.int(newest), match.regex(newest, regex=pattern), value=newest)


def envelope(producer: str, event_type: str, payload: dict,
             accepts: Iterable[int] = (1,)) -> dict:
    """The whole envelope around `payload` (shared.events.EnvelopeSchema): what
    consume_event parses before any handler runs."""
    return {
        "event_id": an_id(f"{producer}.{event_type}.event"),
        "event_type": event_type,
        "version": one_of_versions(accepts),
        "occurred_at": moment(),
        "producer": producer,
        "correlation_id": text("contract-test"),
        "payload": payload,
    }


def page(item, *, nonempty: bool = True) -> dict:
    """A list answer (shared.schemas.page) as a caller relies on it. next_offset is left
    out: it is null on the last page, and Pact has no "integer or null"."""
    return {"items": each(item, nonempty=nonempty), "count": integer(1), "total": integer(1)}


def example(value) -> Any:
    """The plain example a matcher tree stands for (what the pact file's body holds)."""
    if isinstance(value, AndMatcher):
        return example(value._value)
    if isinstance(value, AbstractMatcher):
        return example(value.value) if value.has_value() else None
    if isinstance(value, dict):
        return {key: example(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [example(item) for item in value]
    return value


# --- expectations from a producer's marshmallow schema -----------------------------------------

def shape(schema: Schema | type[Schema], *, keep: Iterable[str] = (), drop: Iterable[str] = (),
          examples: dict | None = None, nonempty: Iterable[str] = ()) -> dict:
    """What a caller relies on in an answer dumped by `schema`: every field it always has,
    matched by type. Nullable fields are left out (Pact has no "this type or null") unless
    named in `keep`, for a field the caller reads and the provider state fills. `drop`
    names fields the caller does not count on; `examples` gives example values; `nonempty`
    names lists the provider state fills. Nested fields are named by dotted paths
    ("badges.progress.current")."""
    return _shape(schema, "", set(keep), set(drop), examples or {}, set(nonempty))


def _shape(schema, prefix: str, keep: set, drop: set, examples: dict, nonempty: set) -> dict:
    schema = schema() if isinstance(schema, type) else schema
    body = {}
    for name, field in schema.fields.items():
        path = f"{prefix}{name}"
        if field.load_only or path in drop or (field.allow_none and path not in keep):
            continue
        body[field.data_key or name] = _field(field, path, keep, drop, examples, nonempty)
    return body


def _field(field, path: str, keep: set, drop: set, examples: dict, nonempty: set):
    if isinstance(field, fields.Nested):
        inner = _shape(field.schema, f"{path}.", keep, drop, examples, nonempty)
        return each(inner, nonempty=path in nonempty) if field.many else inner
    if isinstance(field, fields.List):
        return each(_field(field.inner, path, keep, drop, examples, nonempty),
                    nonempty=path in nonempty)
    given = examples.get(path)
    name = path.rsplit(".", 1)[-1]
    if isinstance(field, fields.Dict):
        return match.like(given if given is not None else {})
    if isinstance(field, fields.UUID):  # restaurant_id's example is example_id("restaurant")
        return an_id(given or (name[:-3] if name.endswith("_id") else name))
    if isinstance(field, fields.Decimal) and field.as_string:
        return money(given or "12.50")
    if isinstance(field, fields.DateTime):
        return moment(given or EXAMPLE_TIME)
    if isinstance(field, fields.Boolean):
        return boolean(True if given is None else given)
    if isinstance(field, fields.Integer):
        return integer(1 if given is None else given)
    if isinstance(field, fields.Number):
        return number(1.5 if given is None else given)
    if isinstance(field, fields.String):
        return text(given or name)
    return match.like(given if given is not None else name)


# --- the consumer's real handlers ----------------------------------------------------------------

def _reader(handler: Callable, producer: str, event_type: str):
    """The handler's entrypoint's reader of (producer, event_type): None when the entrypoint
    has none (it reads every version as it comes); LookupError when the handler is not
    bound to that event at all."""
    for entrypoint in getattr(handler, ENTRYPOINT_EXTENSIONS_ATTR, ()):
        readers = getattr(entrypoint, "readers", None)  # consume_batch
        if readers is not None and (producer, event_type) in readers:
            return readers[(producer, event_type)]
        if (producer, event_type) in getattr(entrypoint, "bindings", ()):
            return None
        if (getattr(entrypoint, "source_service", None), getattr(
                entrypoint, "event_type", None)) == (producer, event_type):  # consume_event
            return getattr(entrypoint, "reader", None)
    raise LookupError(f"{handler.__qualname__} does not consume {producer}'s {event_type}")


def accepted_versions(handler: Callable, producer: str, event_type: str) -> tuple[int, ...]:
    """The versions of the event `handler`'s entrypoint accepts (1 if it does not say)."""
    reader = _reader(handler, producer, event_type)
    return tuple(sorted(reader.accepts)) if reader is not None else (1,)


def delivered(handler: Callable, body: dict) -> dict:
    """`body` as `handler`'s entrypoint hands it over: the parsed envelope, read in the
    version the handler is written for (shared.consumer, shared.batch_consumer)."""
    envelope = parse_envelope(body)
    reader = _reader(handler, envelope["producer"], envelope["event_type"])
    return reader.read(envelope) if reader is not None else envelope


# --- a contract ----------------------------------------------------------------------------------

def event_description(event_type: str, reader: str) -> str:
    """`dish_ranked event, as rankings.reward_dish_ranked reads it` (one consumer may read
    one event type in two handlers, each relying on its own fields)."""
    return f"{event_type} event, as {reader} reads it"


def rpc_description(method: str, case: str | None = None) -> str:
    return f"rpc {method}" + (f": {case}" if case else "")


class Contract:
    """One consumer's pact with one provider."""

    def __init__(self, consumer: str, provider: str):
        self.consumer = consumer
        self.provider = provider
        self.pact = Pact(consumer, provider).with_specification("V4")
        self.events: list[dict] = []  # {description, handler, body}: the example envelopes
        self.rpcs: list[dict] = []  # {description, method, args, kwargs, response}

    @property
    def file_name(self) -> str:
        return f"{self.consumer}-{self.provider}.json"

    def event(self, event_type: str, payload: dict, *, given: str, handler: Callable,
              **params) -> dict:
        """`handler` (the consumer's entrypoint method) relies on `event_type` events whose
        payload has `payload`'s fields, in a version its entrypoint accepts; answers the
        example envelope. `given` (with `params`) is the provider state the event comes
        from."""
        accepts = accepted_versions(handler, self.provider, event_type)
        body = envelope(self.provider, event_type, payload, accepts)
        reader = _reader(handler, self.provider, event_type)
        # a batched event type's message is an array of its envelopes (shared.contract)
        message = each(body, nonempty=True) if reader and reader.event.batched else body
        description = event_description(event_type, f"{self.consumer}.{handler.__name__}")
        (self.pact.upon_receiving(description, "Async")
         .given(given, params or None)
         .with_body(message, "application/json"))
        self.events.append({"description": description, "handler": handler,
                            "message": example(message)})
        return example(body)

    def rpc(self, method: str, args: Iterable = (), kwargs: dict | None = None, *,
            answer=VOID, error: str | None = None, given: str | None = None,
            params: dict | None = None, case: str | None = None) -> dict:
        """The consumer calls `method(*args, **kwargs)` and relies on `answer` (a matcher
        tree), on nothing but success (VOID), or on failing with `error` (an exception type
        name, which nameko re-raises as shared.errors' type)."""
        request = {"method": method, "args": list(args), "kwargs": dict(kwargs or {})}
        if error is not None:
            response = {"error": {"exc_type": error}}
        elif answer is VOID:
            response = {"error": None}
        else:
            response = {"result": answer}
        description = rpc_description(method, case)
        interaction = self.pact.upon_receiving(description, "Sync")
        if given is not None:
            interaction.given(given, params or None)
        (interaction.with_body(request, "application/json", part="Request")
         .will_respond_with()
         .with_body(response, "application/json", part="Response"))
        declared = {"description": description, **request, "response": example(response)}
        self.rpcs.append(declared)
        return declared

    def feed_events(self, handle: Callable[[Callable, dict], None]) -> None:
        """Hand each declared event's example envelope (what the pact file holds; each
        envelope of a batched message, as the consumer unpacks it) to `handle(handler,
        body)`, which runs the consumer's real handling and checks its effect; fails naming
        every event that could not be handled."""
        failed = []
        for event in self.events:
            try:
                for body in envelopes_in(json.loads(json.dumps(event["message"]))):
                    handle(event["handler"], body)
            except Exception as exc:
                failed.append(f"{event['description']}: {type(exc).__name__}: {exc}")
        assert not failed, (f"{self.consumer} cannot handle what its pact with "
                            f"{self.provider} declares:\n" + "\n".join(failed))

    def write(self, directory: Path) -> Path:
        """Write the pact to `directory`; fail unless the committed one says the same (or,
        with UPDATE_PACTS=1, replace the committed one)."""
        self.pact.write_file(directory, overwrite=True)
        fresh = Path(directory) / self.file_name
        written = {interaction["description"]: interaction
                   for interaction in json.loads(fresh.read_text())["interactions"]}
        for event in self.events:  # what feed_events handed over is what the file says
            assert written[event["description"]]["contents"]["content"] == event["message"]
        committed = PACTS / self.file_name
        if os.environ.get(UPDATE_PACTS):
            PACTS.mkdir(exist_ok=True)
            shutil.copyfile(fresh, committed)
            return committed
        assert committed.exists(), (
            f"contracts/pacts/{self.file_name} is missing: run "
            f"`UPDATE_PACTS=1 pytest services/{self.consumer}/tests/contracts` and commit it")
        difference = first_difference(comparable(fresh), comparable(committed))
        assert difference is None, (
            f"contracts/pacts/{self.file_name} is not what {self.consumer}'s contract test "
            f"declares (first difference at {difference}). If the change is meant, regenerate "
            f"it with `UPDATE_PACTS=1 pytest services/{self.consumer}/tests/contracts`, then "
            f"run {self.provider}'s contract tests, which verify the committed file")
        return committed


def comparable(path: Path) -> dict:
    """A pact file's content, without the Pact library versions that wrote it."""
    content = json.loads(Path(path).read_text())
    content.get("metadata", {}).pop("pactRust", None)
    content.get("metadata", {}).pop("pactPython", None)
    return content


def first_difference(fresh, committed, path: str = "$") -> str | None:
    if type(fresh) is not type(committed):
        return path
    if isinstance(fresh, dict):
        for key in sorted(set(fresh) | set(committed)):
            if key not in fresh or key not in committed:
                return f"{path}.{key}"
            if (found := first_difference(fresh[key], committed[key], f"{path}.{key}")):
                return found
        return None
    if isinstance(fresh, list):
        if len(fresh) != len(committed):
            return f"{path} (length)"
        for index, (left, right) in enumerate(zip(fresh, committed, strict=True)):
            if (found := first_difference(left, right, f"{path}[{index}]")):
                return found
        return None
    return None if fresh == committed else path


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- a service as a pact promises it ---------------------------------------------------------

class Promised:
    """A service as a pact promises it to its caller: each RPC answers the example of the
    interaction whose request it is (else the method's first successful one), or raises
    the declared error as shared.errors' type, as nameko would re-raise it.

    For replaying a caller against exactly what it declared it relies on (an answer
    missing a field the caller reads then fails), and for standing in for a service a
    producer calls while it is verified (orders' catalog). `translate` turns the pact's
    example values into the caller's (contracts.provider.Aliases)."""

    def __init__(self, rpcs: list[dict], translate: Callable = lambda value: value):
        self.rpcs = rpcs
        self.translate = translate

    @classmethod
    def by_pact(cls, consumer: str, provider: str, translate: Callable = lambda value: value):
        """The committed pact's promises (contracts/pacts/<consumer>-<provider>.json)."""
        pact = json.loads((PACTS / f"{consumer}-{provider}.json").read_text())
        rpcs = [{"description": interaction["description"],
                 **interaction["request"]["contents"]["content"],
                 "response": interaction["response"][0]["contents"]["content"]}
                for interaction in pact["interactions"]
                if interaction["type"] == "Synchronous/Messages"]
        return cls(rpcs, translate)

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self.answer(method, list(args), kwargs)

    def answer(self, method: str, args: list, kwargs: dict):
        calls = [rpc for rpc in self.rpcs if rpc["method"] == method]
        asked = json.loads(json.dumps([args, kwargs], default=str))
        same = [rpc for rpc in calls
                if self.translate([rpc["args"], rpc["kwargs"]]) == asked]
        succeeding = [rpc for rpc in calls if not rpc["response"].get("error")]
        if not (same or succeeding):
            raise LookupError(f"no pact promises {method}({args}, {kwargs})")
        response = (same or succeeding)[0]["response"]
        if response.get("error"):
            raise getattr(errors, response["error"]["exc_type"])(
                f"{method}: {response['error']['exc_type']} (as the pact declares)")
        return self.translate(response.get("result"))
