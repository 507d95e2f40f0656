"""DynamoDB access from config: AWS by default, DynamoDB Local or moto with an endpoint.

    dynamodb = DynamoDB(tables=TABLES)          # in a service class: creates what is missing
    self.dynamodb.table("Analytics").get_item(Key={...})   # a table under the prefix
    apply_once(self.dynamodb, consumer, batch)   # shared.writes' writes, once per event
"""

from __future__ import annotations

import bisect
import contextvars
import functools
import hashlib
import itertools
import random
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from nameko.extensions import DependencyProvider

from shared import metrics
from shared.errors import ServiceUnavailable
from shared.writes import Increment, PutIfAbsent

DYNAMODB_CONFIG_KEY = "DYNAMODB"
# markers outlive any redelivery (RabbitMQ keeps nothing near this long)
EVENT_MARKER_TTL_SECONDS = 30 * 24 * 3600
# keys of existing markers and conditional puts a client remembers (KnownKeys)
KNOWN_KEYS_CONFIG_KEY = "DYNAMODB_KNOWN_KEYS"
KNOWN_KEYS_SIZE = 200_000
KNOWN_KEYS_MAX_AGE = 3600.0


# DynamoDB saying "not now", rather than "not this"
TRANSIENT_ERROR_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionInProgressException",
}


class TransactionConflicts(Exception):
    """Writes that kept meeting other writers' transactions on the same items: contention,
    which waiting out fixes (transient), not a fault of the events."""


def is_transient(exc: BaseException) -> bool:
    """True for failures of DynamoDB itself (unreachable, timing out, throttling) and for
    contention (transactions cancelled only by other transactions), which retrying later
    fixes; False for those of the request (validation, a missing table)."""
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError,
                        ConnectionClosedError, TransactionConflicts)):
        return True
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        if code == "TransactionCanceledException":
            reasons = {reason.get("Code") or "None"
                       for reason in exc.response.get("CancellationReasons") or []}
            return "TransactionConflict" in reasons and reasons <= {"None", "TransactionConflict"}
        return code in TRANSIENT_ERROR_CODES
    return False


def conflict_pause(base: float, attempt: int) -> float:
    """Seconds to wait before another try after `attempt` conflicts: doubling from `base`,
    jittered (writers that collided once do not collide again in step)."""
    return base * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)


def unavailable_when_down(method):
    """For RPCs that read or write DynamoDB: while it is down (is_transient), answer the
    caller ServiceUnavailable (503 at the gateway) instead of an internal error."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            if is_transient(exc):
                raise ServiceUnavailable("the data store is unavailable, try again shortly",
                                         {"store": "dynamodb"}) from None
            raise

    return wrapper


class DynamoDBClient:
    """boto3 client and resource for one configuration, with the table prefix applied."""

    def __init__(self, endpoint_url: str | None, region: str, table_prefix: str = "",
                 known_keys: int = KNOWN_KEYS_SIZE):
        self.table_prefix = table_prefix
        self.known = KnownKeys(known_keys)  # what apply_once need not ask again
        session = boto3.session.Session()
        options = {
            "region_name": region,
            "endpoint_url": endpoint_url,
            "config": BotoConfig(retries={"max_attempts": 3, "mode": "standard"},
                                 connect_timeout=3, read_timeout=5),
        }
        if endpoint_url and not session.get_credentials():
            # DynamoDB Local and moto accept any key; AWS takes the real chain.
            options.update(aws_access_key_id="local", aws_secret_access_key="local")
        self.client = session.client("dynamodb", **options)
        self.resource = session.resource("dynamodb", **options)
        for client in (self.client, self.resource.meta.client):
            time_calls(client)

    @classmethod
    def from_config(cls, settings: dict, known_keys: int = KNOWN_KEYS_SIZE) -> DynamoDBClient:
        return cls(settings.get("endpoint_url"), settings["region"],
                   settings.get("table_prefix", ""), known_keys)

    def table_name(self, name: str) -> str:
        return f"{self.table_prefix}{name}"

    def table(self, name: str):
        return self.resource.Table(self.table_name(name))

    def ping(self) -> bool:
        self.client.list_tables(Limit=1)
        return True


def time_calls(client) -> None:
    """bellyfed_dynamodb_call_duration_seconds for every API call of a botocore client,
    by operation and outcome, its retries included (botocore's before-call and after-call
    events; the start is kept in the call's own context dict)."""

    def started(model, context, **_):
        if metrics.recording:
            context["bellyfed_started"] = (model.name, time.perf_counter())

    def ended(outcome):
        def record(context, **_):
            started = context.pop("bellyfed_started", None)
            if started is not None:
                operation, at = started
                metrics.DYNAMODB_DURATION.observe(time.perf_counter() - at, operation, outcome)
        return record

    events = client.meta.events
    events.register("before-call.dynamodb", started, unique_id="bellyfed-metrics-start")
    events.register("after-call.dynamodb", ended("ok"), unique_id="bellyfed-metrics-ok")
    events.register("after-call-error.dynamodb", ended("error"),
                    unique_id="bellyfed-metrics-error")


# --- declared tables -------------------------------------------------------------------------

@dataclass(frozen=True)
class GlobalIndex:
    name: str
    key: tuple[tuple[str, str], ...]  # (("partition attr", "S"), ("sort attr", "N"))


@dataclass(frozen=True)
class TableSpec:
    """A table as the code needs it; `ensure_tables` creates the missing ones."""

    name: str  # logical name; the client adds the prefix
    key: tuple[tuple[str, str], ...]  # (("pk", "S"),) or (("pk", "S"), ("sk", "S"))
    indexes: tuple[GlobalIndex, ...] = ()
    ttl_attribute: str | None = None

    def create_arguments(self, table_name: str) -> dict:
        attributes = dict(self.key)
        for index in self.indexes:
            attributes.update(dict(index.key))
        arguments = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": _key_schema(self.key),
            "AttributeDefinitions": [{"AttributeName": name, "AttributeType": kind}
                                     for name, kind in attributes.items()],
        }
        if self.indexes:
            arguments["GlobalSecondaryIndexes"] = [
                {"IndexName": index.name, "KeySchema": _key_schema(index.key),
                 "Projection": {"ProjectionType": "ALL"}}
                for index in self.indexes
            ]
        return arguments


def _key_schema(key: tuple[tuple[str, str], ...]) -> list[dict]:
    return [{"AttributeName": name, "KeyType": kind}
            for (name, _), kind in zip(key, ("HASH", "RANGE"), strict=False)]


def ensure_tables(dynamodb: DynamoDBClient, specs: list[TableSpec]) -> list[str]:
    """Create the tables in `specs` that do not exist yet (and their TTL); returns the names
    created. Safe to run from several replicas at once: a table another one is creating
    counts as present."""
    existing = set()
    for page in dynamodb.client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for spec in specs:
        name = dynamodb.table_name(spec.name)
        if name in existing:
            continue
        try:
            dynamodb.client.create_table(**spec.create_arguments(name))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
            continue
        created.append(name)
    for spec in specs:
        name = dynamodb.table_name(spec.name)
        if name in created:
            dynamodb.client.get_waiter("table_exists").wait(
                TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
            if spec.ttl_attribute:
                dynamodb.client.update_time_to_live(TableName=name, TimeToLiveSpecification={
                    "Enabled": True, "AttributeName": spec.ttl_attribute})
    return created


# --- exactly-once batched writes -------------------------------------------------------------

MARKER_TABLE = "ProcessedEvents"
MAX_TRANSACTION_ITEMS = 100
MAX_APPLY_ROUNDS = 8
CONFLICT_DELAY = 0.05  # seconds before the second retry of a round, then doubling (jittered)
READ_CONCURRENCY = 4  # BatchGetItem calls of one batch at once
# on the item of a PutIfAbsent(marks_event=True): the event whose marker it stands for
CREATED_BY = "created_by_event"
PROCESSED_EVENTS = TableSpec(MARKER_TABLE, (("pk", "S"),), ttl_attribute="expires_at")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
NO_CREATOR = b""  # an item that names no creating event
_UNREAD = b"?"  # an item known to exist, its creator not read yet (never remembered)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class KnownKeys:
    """Items this process knows exist (event markers and conditional puts it wrote or
    found), with the event that created each where the item says (CREATED_BY), so
    apply_once need not ask again. Bounded, the oldest forgotten first, each trusted for at
    most `max_age` seconds; kept as 16-byte digests (about 150 bytes an entry in all).

    Sound because these items are never deleted while remembered, and who created one
    never changes: markers live 30 days (EVENT_MARKER_TTL_SECONDS), apply_once's
    conditional puts (viewer markers, raw records, memberships) until a TTL far longer
    than `max_age`, or for ever. A key forgotten costs a read, never a double count."""

    def __init__(self, size: int = KNOWN_KEYS_SIZE, max_age: float = KNOWN_KEYS_MAX_AGE):
        self.size = size
        self.max_age = max_age
        self._seen: OrderedDict[bytes, tuple[float, bytes]] = OrderedDict()

    def get(self, key_id: tuple) -> bytes | None:
        """None if not known to exist; else the digest of the event that created it
        (NO_CREATOR if the item names none)."""
        digest = _digest(repr(key_id))
        seen = self._seen.get(digest)
        if seen is None:
            return None
        if time.monotonic() - seen[0] > self.max_age:
            self._seen.pop(digest, None)
            return None
        return seen[1]

    def __contains__(self, key_id: tuple) -> bool:
        return self.get(key_id) is not None

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, key_id: tuple, creator: bytes = NO_CREATOR) -> None:
        digest = _digest(repr(key_id))
        self._seen[digest] = (time.monotonic(), creator)
        self._seen.move_to_end(digest)
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)


def _dynamo_value(value):
    if isinstance(value, float):
        value = Decimal(repr(value))
    return _serializer.serialize(value)


def _dynamo_item(item: dict) -> dict:
    return {name: _dynamo_value(value) for name, value in item.items()}


def _key_id(table: str, key: dict) -> tuple:
    return (table, tuple(sorted((name, str(value)) for name, value in key.items())))


def _merge(increments: list[Increment]) -> Increment:
    first = increments[0]
    add: dict = {}
    sets: dict = {}
    absent: dict = {}
    for increment in increments:
        for name, amount in increment.add.items():
            add[name] = add.get(name, 0) + amount
        sets.update(increment.set)
        for name, value in increment.set_if_absent.items():
            absent.setdefault(name, value)
    return Increment(first.table, first.key, add, sets, absent)


def _update_entry(dynamodb: DynamoDBClient, increment: Increment) -> dict:
    names, values, adds, sets = {}, {}, [], []
    for number, (name, amount) in enumerate(sorted(increment.add.items())):
        names[f"#a{number}"] = name
        values[f":a{number}"] = _dynamo_value(amount)
        adds.append(f"#a{number} :a{number}")
    for number, (name, value) in enumerate(sorted(increment.set.items())):
        names[f"#s{number}"] = name
        values[f":s{number}"] = _dynamo_value(value)
        sets.append(f"#s{number} = :s{number}")
    for number, (name, value) in enumerate(sorted(increment.set_if_absent.items())):
        if name in increment.set:
            continue
        names[f"#i{number}"] = name
        values[f":i{number}"] = _dynamo_value(value)
        sets.append(f"#i{number} = if_not_exists(#i{number}, :i{number})")
    expression = " ".join(part for part in (
        "SET " + ", ".join(sets) if sets else "",
        "ADD " + ", ".join(adds) if adds else "",
    ) if part)
    update = {"TableName": dynamodb.table_name(increment.table),
              "Key": _dynamo_item(increment.key), "UpdateExpression": expression}
    if names:
        update["ExpressionAttributeNames"] = names
        update["ExpressionAttributeValues"] = values
    return {"Update": update}


def _marker_entry(dynamodb: DynamoDBClient, consumer: str, event_id: str) -> dict:
    return {"Put": {
        "TableName": dynamodb.table_name(MARKER_TABLE),
        "Item": {"pk": {"S": _marker_key(consumer, event_id)},
                 "expires_at": {"N": str(int(time.time()) + EVENT_MARKER_TTL_SECONDS)}},
        "ConditionExpression": "attribute_not_exists(pk)",
    }}


def _marker_key(consumer: str, event_id) -> str:
    return f"EVENT#{consumer}#{event_id}"


def _marker_id(consumer: str, event_id: str) -> tuple:
    return _key_id(MARKER_TABLE, {"pk": _marker_key(consumer, event_id)})


def _event_tag(consumer: str, event_id: str) -> str:
    """What a marking put's CREATED_BY says."""
    return f"{consumer}#{event_id}"


def query_all(table, **arguments) -> list[dict]:
    """Every item a Query on `table` (a boto3 Table) answers, page after page."""
    items: list[dict] = []
    while True:
        page = table.query(**arguments)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        arguments = {**arguments, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def existing_keys(dynamodb: DynamoDBClient, keys: list[tuple[str, dict]]) -> set[tuple]:
    """Which of the (table, key) pairs name an item that exists (BatchGetItem, 100 a call)."""
    return set(_existing_items(dynamodb, keys))


def _existing_items(dynamodb: DynamoDBClient, keys: list[tuple[str, dict]],
                    attributes: tuple[str, ...] = ()) -> dict[tuple, dict]:
    """The items that exist among the (table, key) pairs, by key id, with their key and
    `attributes`: BatchGetItem, 100 keys a call, READ_CONCURRENCY calls at once."""
    unique = {_key_id(table, key): (table, key) for table, key in keys}
    key_names = {table: tuple(key) for table, key in unique.values()}
    pending = list(unique.values())
    chunks = [pending[start:start + 100] for start in range(0, len(pending), 100)]

    def read(chunk: list[tuple[str, dict]]) -> dict[tuple, dict]:
        found: dict[tuple, dict] = {}
        request: dict = {}
        for table, key in chunk:
            names = [*key, *(name for name in attributes if name not in key)]
            entry = request.setdefault(dynamodb.table_name(table), {
                "Keys": [], "ProjectionExpression": ", ".join(f"#k{n}" for n in range(len(names))),
                "ExpressionAttributeNames": {f"#k{n}": name for n, name in enumerate(names)}})
            entry["Keys"].append(_dynamo_item(key))
        while request:
            response = dynamodb.client.batch_get_item(RequestItems=request)
            for table_name, items in response.get("Responses", {}).items():
                table = table_name[len(dynamodb.table_prefix):]
                for item in items:
                    item = {name: _deserializer.deserialize(value) for name, value in item.items()}
                    found[_key_id(table, {name: item[name] for name in key_names[table]})] = item
            request = response.get("UnprocessedKeys") or {}
        return found

    if len(chunks) <= 1:
        return read(chunks[0]) if chunks else {}
    found: dict[tuple, dict] = {}
    with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(chunks))) as pool:
        # each read in a copy of the caller's context: what the caller's context vars say
        # (its worker, what meters it) holds for its reads too
        reads = [pool.submit(contextvars.copy_context().run, read, chunk) for chunk in chunks]
        for done in reads:
            found.update(done.result())
    return found


def apply_once(dynamodb: DynamoDBClient, consumer: str, batch: list[tuple[str, list]]) -> int:
    """Apply each event's writes exactly once per (consumer, event_id); returns how many
    events were newly applied.

    `batch` is [(event_id, [Increment | PutIfAbsent, ...]), ...]. Events are grouped into
    TransactWriteItems of at most 100 entries: each event's marker, the group's
    PutIfAbsent items (conditional: the first of a key wins) and one update per distinct
    item, increments to the same item summed. Events that write the same items travel
    together, and a cluster of them that fits in one transaction is not split across two.

    The marker is a conditional put in ProcessedEvents, or, for an event whose first
    PutIfAbsent(marks_event=True) it creates, that item itself (it records the event in
    CREATED_BY): one entry less. Either way an event and its marker commit together or not
    at all, so a redelivered event or a repeat within the batch changes nothing, and a
    crash between transactions loses nothing and applies nothing twice.

    Few requests: markers in ProcessedEvents are not read first (events are new, but for
    redeliveries): a transaction cancelled by one that exists (its CancellationReasons
    say which) shows a redelivery, and only then are the rest of the batch's read, once.
    Conditional puts are read first (with their CREATED_BY) unless `dynamodb.known`, the
    process's memory of existing items, already knows them: one that exists would cancel
    its whole transaction. A transaction cancelled by a condition (a duplicate another
    replica applied meanwhile, a viewer marker it just wrote) or by a conflict goes again,
    next round, without what turned out to exist.
    """
    events: dict[str, _Writes] = {}
    for event_id, writes in batch:
        if str(event_id) not in events:
            events[str(event_id)] = _Writes.of(writes)
    asked = set(events)
    present = _Existing(dynamodb.known)
    events = {event: writes for event, writes in events.items()
              if _marker_id(consumer, event) not in present}
    newly: set[str] = set()
    _read_puts(dynamodb, events, present, unread_only=False)
    applied = 0
    markers_read = False
    for round_number in range(MAX_APPLY_ROUNDS):
        if round_number:
            _read_puts(dynamodb, events, present, unread_only=True)
        events = _in_clusters(events)
        remaining = dict(events)
        redelivered = False
        # groups are planned one after another: what one committed is present for the
        # next; a cancelled group's events wait for the next round
        for group in _groups(consumer, events, present):
            for event_id in group.applied:  # found applied while planning
                del remaining[event_id]
            if not group.entries:
                continue
            already_applied = _commit(dynamodb, consumer, group, present)
            if already_applied is None:
                applied += len(group.events)
                newly.update(group.events)
                already_applied = list(group.events)
            for event_id in already_applied:
                del remaining[event_id]
            if already_applied and remaining and not markers_read and group.cancelled:
                redelivered = True
                break
        if redelivered:
            markers_read = True
            found = existing_keys(dynamodb, [(MARKER_TABLE, {"pk": _marker_key(consumer, event)})
                                             for event in remaining])
            for key_id in found:
                present.add(key_id)
            remaining = {event: writes for event, writes in remaining.items()
                         if _marker_id(consumer, event) not in found}
        events = remaining
        if not events:
            # the rest were applied before: their consumer counts them as duplicates
            metrics.note_duplicates(asked - newly)
            return applied
        # the first retry goes at once; after that, another writer may hold these items
        if round_number:
            time.sleep(conflict_pause(CONFLICT_DELAY, round_number))
    raise TransactionConflicts(f"{len(events)} events could not be applied after "
                       f"{MAX_APPLY_ROUNDS} rounds of conflicting writes")


def _in_clusters(events: dict[str, _Writes]) -> dict[str, _Writes]:
    """The events sorted by affinity, so that those writing the same items are neighbours,
    starting from a random cluster: concurrent batches (and replicas) then go through the
    items in different orders instead of racing for the same ones at the same moment."""
    ordered = sorted(events.items(), key=lambda event: event[1].affinity)
    if not ordered:
        return {}
    start = bisect.bisect_left([writes.affinity for _, writes in ordered],
                               random.choice(ordered)[1].affinity)
    return dict(ordered[start:] + ordered[:start])


class _Existing:
    """What one apply_once call knows exists (and who created it): what it found itself,
    and what the process knows (`dynamodb.known`, which concurrent batches keep teaching:
    an item another batch just wrote is not written again here)."""

    def __init__(self, known: KnownKeys):
        self.found: dict[tuple, bytes] = {}
        self.known = known

    def creator(self, key_id: tuple) -> bytes | None:
        """None if not known to exist; else its creator's digest, NO_CREATOR, or _UNREAD."""
        creator = self.found.get(key_id)
        return creator if creator is not None else self.known.get(key_id)

    def __contains__(self, key_id: tuple) -> bool:
        return self.creator(key_id) is not None

    def add(self, key_id: tuple, creator: bytes = NO_CREATOR) -> None:
        self.found[key_id] = creator
        if creator != _UNREAD:
            self.known.add(key_id, creator)


def _read_puts(dynamodb: DynamoDBClient, events: dict[str, _Writes], present: _Existing,
               unread_only: bool) -> None:
    """Teach `present` which of the events' conditional puts exist, and who created them:
    every one it does not know (or only those known to exist, creator unread)."""
    keys = {}
    for writes in events.values():
        for key_id, put, _ in writes.puts:
            creator = present.creator(key_id)
            if creator == _UNREAD or (creator is None and not unread_only):
                keys[key_id] = (put.table, put.key)
    if not keys:
        return
    for key_id, item in _existing_items(dynamodb, list(keys.values()), (CREATED_BY,)).items():
        present.add(key_id, _digest(item[CREATED_BY]) if CREATED_BY in item else NO_CREATOR)


@dataclass(frozen=True)
class _Writes:
    """One event's writes with their keys worked out once: what planning looks at."""

    puts: tuple[tuple[tuple, PutIfAbsent, tuple[tuple, ...]], ...]  # key, put, on_new keys
    increments: tuple[tuple[tuple, Increment], ...]
    marking: tuple | None  # the key of its first marks_event put
    affinity: tuple  # the item its first increment goes to: what it shares with neighbours

    @classmethod
    def of(cls, writes: list) -> _Writes:
        puts, increments = [], []
        for write in writes:
            if isinstance(write, PutIfAbsent):
                puts.append((_key_id(write.table, write.key), write, tuple(
                    _key_id(increment.table, increment.key) for increment in write.on_new)))
            else:
                increments.append((_key_id(write.table, write.key), write))
        marking = next((key_id for key_id, put, _ in puts if put.marks_event), None)
        return cls(tuple(puts), tuple(increments), marking,
                   increments[0][0] if increments else ("",))


class _Group:
    """One transaction being planned: a ProcessedEvents marker for each event no put of
    its own marks, the conditional puts (the first of a key wins; a marking one names its
    event), and one update per item, its increments coalesced."""

    def __init__(self, consumer: str, present: _Existing):
        self.consumer = consumer
        self.present = present
        self.events: dict[str, _Writes] = {}
        self.applied: list[str] = []  # found applied while planning: their marking put exists
        self.markers: list[str] = []
        self.puts: dict[tuple, tuple[PutIfAbsent, str | None]] = {}  # key -> (put, it marks)
        self.increments: dict[tuple, list[Increment]] = {}
        self.cancelled = False

    @property
    def entries(self) -> int:
        return len(self.markers) + len(self.puts) + len(self.increments)

    def effect(self, event_id: str, writes: _Writes):
        """What the event would add: "applied", "wait" (who created its marking put is
        not known yet: the next round reads it), or (whether it needs a marker, its new
        puts, the number of entries it adds)."""
        if writes.marking is not None:
            creator = self.present.creator(writes.marking)
            if creator == _digest(_event_tag(self.consumer, event_id)):
                return "applied"
            if creator == _UNREAD:
                return "wait"
        puts: dict[tuple, PutIfAbsent] = {}
        items = {key_id for key_id, _ in writes.increments}
        for key_id, put, on_new in writes.puts:
            if key_id in puts or key_id in self.puts or key_id in self.present:
                continue
            puts[key_id] = put
            items.update(on_new)
        needs_marker = writes.marking not in puts
        return needs_marker, puts, needs_marker + len(puts) + len(items - self.increments.keys())

    def add(self, event_id: str, writes: _Writes, effect) -> None:
        if effect == "applied":
            self.applied.append(event_id)
            return
        if effect == "wait":
            return
        needs_marker, puts, _ = effect
        self.events[event_id] = writes
        if needs_marker:
            self.markers.append(event_id)
        for key_id, put in puts.items():
            self.puts[key_id] = (put, event_id if key_id == writes.marking else None)
            for increment in put.on_new:
                self.increments.setdefault(_key_id(increment.table, increment.key),
                                           []).append(increment)
        for key_id, increment in writes.increments:
            self.increments.setdefault(key_id, []).append(increment)


def _cluster_entries(consumer: str, cluster: list, present: _Existing) -> int:
    """The entries a cluster of events would need in a transaction of its own."""
    alone = _Group(consumer, present)
    for event_id, writes in cluster:
        alone.add(event_id, writes, alone.effect(event_id, writes))
    return alone.entries


def _groups(consumer: str, events: dict[str, _Writes], present: _Existing):
    """Consecutive groups whose transaction fits in MAX_TRANSACTION_ITEMS. Events of one
    affinity (consecutive, as sorted) form a cluster; a cluster that fits in a
    transaction of its own starts one rather than be split across two (each piece would
    update the same items again). Planned lazily: a group is made after the one before
    it committed, so it knows what that one wrote."""
    group = _Group(consumer, present)
    for _, cluster in itertools.groupby(events.items(), key=lambda event: event[1].affinity):
        cluster = list(cluster)
        if group.entries:
            alone = _cluster_entries(consumer, cluster, present)
            if group.entries + alone > MAX_TRANSACTION_ITEMS >= alone:
                yield group
                group = _Group(consumer, present)
        for event_id, writes in cluster:
            effect = group.effect(event_id, writes)
            added = 0 if isinstance(effect, str) else effect[2]
            if group.entries and group.entries + added > MAX_TRANSACTION_ITEMS:
                yield group
                group = _Group(consumer, present)
                effect = group.effect(event_id, writes)
                added = 0 if isinstance(effect, str) else effect[2]
            if added > MAX_TRANSACTION_ITEMS:
                raise ValueError(f"event {event_id} alone needs more than "
                                 f"{MAX_TRANSACTION_ITEMS} writes")
            group.add(event_id, writes, effect)
    if group.entries or group.applied:
        yield group


def _commit(dynamodb: DynamoDBClient, consumer: str, group: _Group,
            present: _Existing) -> list[str] | None:
    """One transaction for the group: None if it committed; if a condition cancelled it,
    the group's events found applied already (their marker exists). Either way `present`
    learns about the group's markers and puts: written, or found to exist."""
    entries: list[dict] = []
    roles: list[tuple] = []  # what each entry is: ("marker", event) / ("put", key, marks)
    for event_id in group.markers:
        entries.append(_marker_entry(dynamodb, consumer, event_id))
        roles.append(("marker", event_id))
    for key_id, (put, marks) in group.puts.items():
        item = {**put.item, CREATED_BY: _event_tag(consumer, marks)} if marks else put.item
        entry = {"TableName": dynamodb.table_name(put.table), "Item": _dynamo_item(item),
                 "ConditionExpression": f"attribute_not_exists({put.key_names[0]})"}
        if marks:  # if it exists, who created it says whether this event was applied
            entry["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        entries.append({"Put": entry})
        roles.append(("put", key_id, marks))
    for increments in group.increments.values():
        entries.append(_update_entry(dynamodb, _merge(increments)))
        roles.append(("update",))
    try:
        dynamodb.client.transact_write_items(TransactItems=entries)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = exc.response.get("CancellationReasons") or []
        codes = [reason.get("Code") or "None" for reason in reasons]
        # a condition that failed, or another transaction on the same item: plan again;
        # anything else (validation, throughput) is the caller's failure to retry
        if len(codes) != len(entries) or not set(codes) <= {
                "None", "ConditionalCheckFailed", "TransactionConflict"}:
            raise
        group.cancelled = True
        return _learn(consumer, roles, reasons, present)
    for role in roles:
        if role[0] == "marker":
            present.add(_marker_id(consumer, role[1]))
        elif role[0] == "put":
            present.add(role[1], _digest(_event_tag(consumer, role[2])) if role[2]
                        else NO_CREATOR)
    return None


def _learn(consumer: str, roles: list[tuple], reasons: list[dict],
           present: _Existing) -> list[str]:
    """What a cancelled transaction's reasons say exists; the events they show applied."""
    already_applied = []
    for role, reason in zip(roles, reasons, strict=True):
        if reason.get("Code") != "ConditionalCheckFailed":
            continue
        if role[0] == "marker":
            present.add(_marker_id(consumer, role[1]))
            already_applied.append(role[1])
        elif role[0] == "put":
            _, key_id, marks = role
            if not marks:
                present.add(key_id)
                continue
            old = reason.get("Item")
            creator = (_UNREAD if old is None
                       else _digest(old[CREATED_BY]["S"]) if CREATED_BY in old else NO_CREATOR)
            present.add(key_id, creator)
            if creator == _digest(_event_tag(consumer, marks)):
                already_applied.append(marks)
    return already_applied


def take_lease(table, key: dict, holder: str, seconds: float, now: float | None = None) -> bool:
    """Whether `holder` holds the lease kept at `key` of `table` for the next `seconds`:
    taken when it was free, expired, or already `holder`'s (one conditional put). What a
    timer that must run in one replica at a time asks first; a replica that dies lets the
    lease lapse, so another takes the work over within `seconds`."""
    now = time.time() if now is None else now
    try:
        table.put_item(
            Item={**key, "lease_holder": holder,
                  "lease_expires": Decimal(str(round(now + seconds, 3)))},
            ConditionExpression="attribute_not_exists(lease_holder) OR lease_expires < :now "
                                "OR lease_holder = :holder",
            ExpressionAttributeValues={":now": Decimal(str(round(now, 3))), ":holder": holder})
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise


class DynamoDB(DependencyProvider):
    """One DynamoDBClient per container (boto3 clients are safe to share between workers).

    With `tables`, the service creates the ones missing when it starts (unless the config
    says DYNAMODB_CREATE_TABLES false, for deployments where tables are provisioned)."""

    def __init__(self, tables: list[TableSpec] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.tables = list(tables or [])

    def setup(self):
        config = self.container.config
        self.dynamodb = DynamoDBClient.from_config(
            config[DYNAMODB_CONFIG_KEY], int(config.get(KNOWN_KEYS_CONFIG_KEY, KNOWN_KEYS_SIZE)))
        if self.tables and self.container.config.get("DYNAMODB_CREATE_TABLES", True):
            ensure_tables(self.dynamodb, self.tables)

    def get_dependency(self, worker_ctx):
        return self.dynamodb


# --- for a writer of its own (services.orders.storage.history) ------------------------------

def dynamo_item(item: dict) -> dict:
    """An item of plain values in DynamoDB's typed form (floats as exact decimals)."""
    return _dynamo_item(item)


def marker_item(consumer: str, event_id: str) -> dict:
    """The ProcessedEvents item that says `consumer` applied `event_id` (apply_once's own)."""
    return {"pk": _marker_key(consumer, event_id),
            "expires_at": int(time.time()) + EVENT_MARKER_TTL_SECONDS}


def update_entry(dynamodb: DynamoDBClient, increment: Increment) -> dict:
    """A TransactWriteItems Update entry that applies `increment`."""
    return _update_entry(dynamodb, increment)
