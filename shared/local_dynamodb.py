"""The embedded DynamoDB for local runs and tests: moto, with transactions that scale,
and (with --state) tables that outlive the process.

    python -m shared.local_dynamodb [-H 127.0.0.1] [-p 4566] [--state FILE [--empty]]

moto's TransactWriteItems deep-copies every table an entry touches, once per entry, to
be able to roll back: a 100-entry transaction against tables of a few thousand items
takes seconds, and it gets slower as the tables grow. Real DynamoDB (and DynamoDB Local)
has no such cost, and analytics writes in transactions of up to 100 entries. So this
replaces it with the same semantics - conditions checked entry by entry, every failure
reported in CancellationReasons, nothing applied unless all succeed - rolling back only
the items the transaction touched.

moto keeps everything in memory, so each restart of a local system lost all analytics and
order history while PostgreSQL kept the orders and reviews they describe. With --state
the tables and items are restored from FILE at start, and written to it every
--snapshot-every seconds (when something changed) and on SIGTERM or SIGINT. A snapshot is
taken while no write runs (every write and transaction holds one lock) and written to a
temporary file that then replaces FILE, so a crash leaves the previous snapshot whole.
--empty starts with no tables on purpose (the old FILE is set aside as FILE.old).
"""

from __future__ import annotations

import argparse
import base64
import copy
import functools
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend

_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
# moto serves requests on threads: one transaction at a time, as if isolated, and no
# write while a snapshot is taken (reentrant: a transaction's entries are writes too)
_TRANSACTIONS = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item")
SNAPSHOT_VERSION = 1
BYTES_KEY = "$base64"  # never an attribute map's only key: those values are typed dicts
log = logging.getLogger("local_dynamodb")


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict) -> dict:
    if op_type != "Put":
        return op["Key"]
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _restore(backend: DynamoDBBackend, saved: list[tuple[str, dict, Any]]) -> None:
    for table_name, key, before in reversed(saved):
        if before is None:
            if backend.get_item(table_name, key) is not None:
                backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, before)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    with _TRANSACTIONS:
        _transact(self, transact_items)


def _transact(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    touched: set[tuple[str, str]] = set()
    saved: list[tuple[str, dict, Any]] = []  # (table, key, item as it was: dynamo JSON)
    errors: list[tuple[str | None, str | None, Any]] = []
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        failed_item = None
        try:
            op_type, op = next(iter(entry.items()))
            if op_type not in _OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            key = _key_of(self, op_type, op)
            identity = (str(table_name), str(dict(sorted(key.items()))))
            if identity in touched:
                raise MultipleTransactionsException()
            touched.add(identity)
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            current = self.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None and not get_filter_expression(condition, names, values).expr(
                    current):
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    failed_item = current.to_json()["Attributes"]
                raise ConditionalCheckFailed(item=failed_item)
            if op_type == "ConditionCheck":
                errors.append((None, None, None))
                continue
            saved.append((table_name, key,
                          copy.deepcopy(current.to_json()["Attributes"]) if current else None))
            if op_type == "Put":
                self.put_item(table_name, op["Item"], condition_expression=condition,
                              expression_attribute_names=names,
                              expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(table_name, key, condition_expression=condition,
                                 expression_attribute_names=names,
                                 expression_attribute_values=values)
            else:
                self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                                 condition_expression=condition,
                                 expression_attribute_names=names,
                                 expression_attribute_values=values)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            _restore(self, saved)
            raise
        except ConditionalCheckFailed as exc:
            errors.append(("ConditionalCheckFailed", str(exc.message), failed_item))
        except Exception as exc:  # reported per entry, as DynamoDB does
            errors.append((type(exc).__name__, str(exc), failed_item))
    if any(code is not None for code, _, _ in errors):
        _restore(self, saved)
        raise TransactionCanceledException(errors)


class _Changes:
    count = 0  # writes since start: a snapshot is due when it moved


def _serialized(write):
    @functools.wraps(write)
    def locked(*args, **kwargs):
        with _TRANSACTIONS:
            _Changes.count += 1
            return write(*args, **kwargs)
    locked.serialized = True
    return locked


def patch_moto() -> None:
    """Install the item-level rollback in this process's moto, and make every write hold
    the lock a snapshot takes (idempotent)."""
    DynamoDBBackend.transact_write_items = transact_write_items
    for name in _WRITES:
        write = getattr(DynamoDBBackend, name)
        if not getattr(write, "serialized", False):
            setattr(DynamoDBBackend, name, _serialized(write))
    for name in ("create_table", "delete_table", "update_table", "update_time_to_live"):
        write = getattr(DynamoDBBackend, name, None)
        if write is not None and not getattr(write, "serialized", False):
            setattr(DynamoDBBackend, name, _serialized(write))


# --- state that outlives the process -------------------------------------------------

def _backends():
    from moto.dynamodb.models import dynamodb_backends

    for account_id in list(dynamodb_backends.keys()):
        for region, backend in list(dynamodb_backends[account_id].items()):
            yield account_id, region, backend


def _table_state(table) -> dict:
    def index(described: dict) -> dict:
        return {key: described[key] for key in (
            "IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
            if described.get(key) is not None}

    return {
        "name": table.name, "schema": table.schema, "attr": table.attr,
        "throughput": table.throughput, "billing_mode": table.billing_mode,
        "global_indexes": [index(i.describe()) for i in table.global_indexes],
        "indexes": [index(i.describe()) for i in table.indexes],
        "streams": table.stream_specification, "ttl": table.ttl,
        "items": [item.to_json()["Attributes"] for item in table.all_items()],
    }


def snapshot() -> dict:
    """Every table of every account and region, with its items, at one moment."""
    with _TRANSACTIONS:
        return {"version": SNAPSHOT_VERSION, "changes": _Changes.count, "backends": [
            {"account_id": account_id, "region": region,
             "tables": [_table_state(table) for table in list(backend.tables.values())]}
            for account_id, region, backend in _backends() if backend.tables]}


def _encode_bytes(value):  # binary attributes (B, BS) are bytes in moto
    if isinstance(value, bytes):
        return {BYTES_KEY: base64.b64encode(value).decode("ascii")}
    raise TypeError(f"{type(value).__name__} in a snapshot")


def _decode_bytes(value: dict):
    if len(value) == 1 and isinstance(value.get(BYTES_KEY), str):
        return base64.b64decode(value[BYTES_KEY])
    return value


def write_snapshot(path: Path, state: dict) -> None:
    """Atomically: a reader (or a crash) sees the previous file or this one, whole."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(state, out, separators=(",", ":"), default=_encode_bytes)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def restore(path: Path) -> int:
    """Recreate the tables and items of a snapshot; how many items."""
    from moto.dynamodb.models import dynamodb_backends

    state = json.loads(path.read_text(encoding="utf-8"), object_hook=_decode_bytes)
    if state.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"{path}: snapshot version {state.get('version')!r}, "
                         f"expected {SNAPSHOT_VERSION}")
    items = 0
    for saved in state["backends"]:
        backend = dynamodb_backends[saved["account_id"]][saved["region"]]
        for table_state in saved["tables"]:
            table = backend.create_table(
                table_state["name"], schema=table_state["schema"],
                throughput=table_state["throughput"], attr=table_state["attr"],
                global_indexes=table_state["global_indexes"] or None,
                indexes=table_state["indexes"] or None, streams=table_state["streams"],
                billing_mode=table_state["billing_mode"], sse_specification=None, tags=[],
                deletion_protection_enabled=False, warm_throughput=None)
            table.ttl = table_state["ttl"]
            for item in table_state["items"]:
                backend.put_item(table_state["name"], item)
            items += len(table_state["items"])
    _Changes.count = 0
    return items


class Snapshots:
    """Keeps FILE current: every `every` seconds when something was written since the last
    snapshot, and once more on stop."""

    def __init__(self, path: Path, every: float):
        self.path, self.every = path, every
        self.saved_at_change = _Changes.count
        self.stopping = threading.Event()

    def save(self) -> bool:
        if _Changes.count == self.saved_at_change and self.path.exists():
            return False
        started = time.monotonic()
        state = snapshot()
        write_snapshot(self.path, state)
        self.saved_at_change = state["changes"]
        log.info("snapshot of %d tables written to %s in %.2f s",
                 sum(len(b["tables"]) for b in state["backends"]), self.path,
                 time.monotonic() - started)
        return True

    def run(self) -> None:
        while not self.stopping.wait(self.every):
            try:
                self.save()
            except Exception:  # the next round tries again; the old file stays whole
                log.exception("snapshot failed")

    def start(self) -> None:
        threading.Thread(target=self.run, name="snapshots", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self.save()


def _prepare_state(path: Path, empty: bool) -> None:
    if empty:
        if path.exists():
            os.replace(path, path.with_name(path.name + ".old"))
            log.info("starting empty on purpose; the previous state is in %s.old", path)
        return
    if path.exists():
        started = time.monotonic()
        items = restore(path)
        log.info("restored %d items from %s in %.1f s", items, path,
                 time.monotonic() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto DynamoDB with scalable transactions")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    parser.add_argument("--state", type=Path, help="keep the tables in this file")
    parser.add_argument("--empty", action="store_true",
                        help="start with no tables (the old state file becomes FILE.old)")
    parser.add_argument("--snapshot-every", type=float, default=60.0, metavar="SECONDS")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    patch_moto()
    from moto.server import main as moto_server

    if args.state is None:
        moto_server(["-H", args.host, "-p", str(args.port)])
        return
    _prepare_state(args.state, args.empty)
    snapshots = Snapshots(args.state, args.snapshot_every)
    snapshots.start()
    try:  # moto's own SIGTERM and SIGINT handlers end it with sys.exit
        moto_server(["-H", args.host, "-p", str(args.port)])
    finally:
        snapshots.stop()


if __name__ == "__main__":
    main()
