"""DynamoDB access from config: AWS by default, DynamoDB Local or moto with an endpoint.

    dynamodb = DynamoDB(tables=TABLES)          # in a service class: creates what is missing
    self.dynamodb.table("Analytics").get_item(Key={...})   # a table under the prefix
    apply_once(self.dynamodb, consumer, batch)   # shared.writes' writes, once per event
"""

from __future__ import annotations

import functools
import time
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

from shared.errors import ServiceUnavailable
from shared.writes import Increment, PutIfAbsent

DYNAMODB_CONFIG_KEY = "DYNAMODB"
# markers outlive any redelivery (RabbitMQ keeps nothing near this long)
EVENT_MARKER_TTL_SECONDS = 30 * 24 * 3600


# DynamoDB saying "not now", rather than "not this"
TRANSIENT_ERROR_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionInProgressException",
}


def is_transient(exc: BaseException) -> bool:
    """True for failures of DynamoDB itself (unreachable, timing out, throttling), which
    retrying later fixes; False for those of the request (validation, a missing table)."""
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError,
                        ConnectionClosedError)):
        return True
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in TRANSIENT_ERROR_CODES
    return False


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

    def __init__(self, endpoint_url: str | None, region: str, table_prefix: str = ""):
        self.table_prefix = table_prefix
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

    @classmethod
    def from_config(cls, settings: dict) -> DynamoDBClient:
        return cls(settings.get("endpoint_url"), settings["region"],
                   settings.get("table_prefix", ""))

    def table_name(self, name: str) -> str:
        return f"{self.table_prefix}{name}"

    def table(self, name: str):
        return self.resource.Table(self.table_name(name))

    def ping(self) -> bool:
        self.client.list_tables(Limit=1)
        return True


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
PROCESSED_EVENTS = TableSpec(MARKER_TABLE, (("pk", "S"),), ttl_attribute="expires_at")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


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
    found: set[tuple] = set()
    unique = {_key_id(table, key): (table, key) for table, key in keys}
    pending = list(unique.values())
    while pending:
        chunk, pending = pending[:100], pending[100:]
        request: dict = {}
        for table, key in chunk:
            entry = request.setdefault(dynamodb.table_name(table), {
                "Keys": [], "ProjectionExpression": ", ".join(f"#k{n}" for n in range(len(key))),
                "ExpressionAttributeNames": {f"#k{n}": name for n, name in enumerate(key)}})
            entry["Keys"].append(_dynamo_item(key))
        while request:
            response = dynamodb.client.batch_get_item(RequestItems=request)
            for table_name, items in response.get("Responses", {}).items():
                table = table_name[len(dynamodb.table_prefix):]
                for item in items:
                    key = {name: _deserializer.deserialize(value) for name, value in item.items()}
                    found.add(_key_id(table, key))
            request = response.get("UnprocessedKeys") or {}
    return found


def apply_once(dynamodb: DynamoDBClient, consumer: str, batch: list[tuple[str, list]]) -> int:
    """Apply each event's writes exactly once per (consumer, event_id); returns how many
    events were newly applied.

    `batch` is [(event_id, [Increment | PutIfAbsent, ...]), ...]. Events are grouped into
    TransactWriteItems of at most 100 entries: one conditional marker in ProcessedEvents
    per event, the group's PutIfAbsent items (conditional), and one update per distinct
    key, increments to the same key summed. An event and its marker commit together or not
    at all, so a redelivered event (marker present) or a repeat within the batch changes
    nothing, and a crash between batches loses nothing. A transaction cancelled by a
    condition (a duplicate delivered concurrently to another replica, a viewer marker
    someone else just wrote) is planned again without what turned out to exist.
    """
    events: dict[str, list] = {}
    for event_id, writes in batch:
        events.setdefault(str(event_id), list(writes))
    applied = 0
    for _ in range(MAX_APPLY_ROUNDS):
        done = existing_keys(dynamodb, [(MARKER_TABLE, {"pk": _marker_key(consumer, event)})
                                        for event in events])
        events = {event: writes for event, writes in events.items()
                  if _key_id(MARKER_TABLE, {"pk": _marker_key(consumer, event)}) not in done}
        present = existing_keys(dynamodb, [(write.table, write.key)
                                           for writes in events.values() for write in writes
                                           if isinstance(write, PutIfAbsent)])
        # events that write the same items travel together, so their increments coalesce
        # (a transaction holds at most 100 entries: a batch spans several)
        events = dict(sorted(events.items(), key=lambda event: _affinity(event[1])))
        remaining = dict(events)
        # groups are planned one after another: a put committed by one group is present
        # for the next; after a cancelled group, everything left is planned again
        for group in _groups(events, present):
            if not _commit(dynamodb, consumer, group, present):
                break
            applied += len(group)
            for event_id in group:
                del remaining[event_id]
        events = remaining
        if not events:
            return applied
    raise RuntimeError(f"{len(events)} events could not be applied after "
                       f"{MAX_APPLY_ROUNDS} rounds of conflicting writes")


def _affinity(writes: list) -> tuple:
    """The item an event's first increment goes to: what it shares with its neighbours."""
    for write in writes:
        if isinstance(write, Increment):
            return _key_id(write.table, write.key)
    return ("",)


def _plan(events: dict[str, list], present: set[tuple]) -> tuple[list[PutIfAbsent], list]:
    """The group's conditional puts (first one wins a key) and its coalesced increments."""
    puts: dict[tuple, PutIfAbsent] = {}
    increments: dict[tuple, list[Increment]] = {}
    for writes in events.values():
        for write in writes:
            if isinstance(write, PutIfAbsent):
                key = _key_id(write.table, write.key)
                if key in present or key in puts:
                    continue
                puts[key] = write
                for increment in write.on_new:
                    increments.setdefault(_key_id(increment.table, increment.key),
                                          []).append(increment)
            else:
                increments.setdefault(_key_id(write.table, write.key), []).append(write)
    return list(puts.values()), [_merge(same_key) for same_key in increments.values()]


def _footprint(writes: list, present: set[tuple], puts: set, items: set) -> tuple[set, set]:
    """The conditional puts and updated items one event adds to a group that already has
    `puts` and `items` (the same rules as _plan: the first put of a key wins)."""
    new_puts: set = set()
    new_items: set = set()
    for write in writes:
        if isinstance(write, PutIfAbsent):
            key = _key_id(write.table, write.key)
            if key in present or key in puts or key in new_puts:
                continue
            new_puts.add(key)
            new_items.update(_key_id(increment.table, increment.key)
                             for increment in write.on_new)
        else:
            new_items.add(_key_id(write.table, write.key))
    return new_puts, new_items - items


def _groups(events: dict[str, list], present: set[tuple]):
    """Consecutive groups of events whose transaction fits in MAX_TRANSACTION_ITEMS: one
    marker per event, one entry per conditional put and per distinct updated item. Each
    event's footprint is counted once as it joins (linear in the batch)."""
    group: dict[str, list] = {}
    puts: set = set()
    items: set = set()
    for event_id, writes in events.items():
        new_puts, new_items = _footprint(writes, present, puts, items)
        if group and (len(group) + 1 + len(puts) + len(new_puts) + len(items)
                      + len(new_items)) > MAX_TRANSACTION_ITEMS:
            yield group
            group, puts, items = {}, set(), set()
            new_puts, new_items = _footprint(writes, present, puts, items)
        if 1 + len(new_puts) + len(new_items) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"event {event_id} alone needs more than "
                             f"{MAX_TRANSACTION_ITEMS} writes")
        group[event_id] = writes
        puts |= new_puts
        items |= new_items
    if group:
        yield group


def _commit(dynamodb: DynamoDBClient, consumer: str, group: dict[str, list],
            present: set[tuple]) -> bool:
    """One transaction for the group. Either way `present` learns about the group's
    conditional puts: written (True), or found to exist already (False, a condition
    cancelled it, and the caller plans again)."""
    puts, increments = _plan(group, present)
    entries = [_marker_entry(dynamodb, consumer, event_id) for event_id in group]
    entries += [{"Put": {"TableName": dynamodb.table_name(put.table),
                         "Item": _dynamo_item(put.item),
                         "ConditionExpression": f"attribute_not_exists({put.key_names[0]})"}}
                for put in puts]
    entries += [_update_entry(dynamodb, increment) for increment in increments]
    try:
        dynamodb.client.transact_write_items(TransactItems=entries)
        present.update(_key_id(put.table, put.key) for put in puts)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code") or "None"
                   for reason in exc.response.get("CancellationReasons") or []]
        # a condition that failed, or another transaction on the same item: plan again;
        # anything else (validation, throughput) is the caller's failure to retry
        if not reasons or not set(reasons) <= {"None", "ConditionalCheckFailed",
                                               "TransactionConflict"}:
            raise
        conflicts = [index for index, code in enumerate(reasons)
                     if code == "ConditionalCheckFailed"]
        for index in conflicts:
            offset = index - len(group)
            if 0 <= offset < len(puts):
                present.add(_key_id(puts[offset].table, puts[offset].key))
        return False
    return True


class DynamoDB(DependencyProvider):
    """One DynamoDBClient per container (boto3 clients are safe to share between workers).

    With `tables`, the service creates the ones missing when it starts (unless the config
    says DYNAMODB_CREATE_TABLES false, for deployments where tables are provisioned)."""

    def __init__(self, tables: list[TableSpec] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.tables = list(tables or [])

    def setup(self):
        self.dynamodb = DynamoDBClient.from_config(self.container.config[DYNAMODB_CONFIG_KEY])
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
