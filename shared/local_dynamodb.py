"""The embedded DynamoDB for local runs and tests: moto, with transactions that scale.

    python -m shared.local_dynamodb [-H 127.0.0.1] [-p 4566]

moto's TransactWriteItems deep-copies every table an entry touches, once per entry, to
be able to roll back: a 100-entry transaction against tables of a few thousand items
takes seconds, and it gets slower as the tables grow. Real DynamoDB (and DynamoDB Local)
has no such cost, and analytics writes in transactions of up to 100 entries. So this
replaces it with the same semantics - conditions checked entry by entry, every failure
reported in CancellationReasons, nothing applied unless all succeed - rolling back only
the items the transaction touched.
"""

from __future__ import annotations

import argparse
import copy
import threading
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
# moto serves requests on threads: one transaction at a time, as if isolated
_TRANSACTIONS = threading.Lock()


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


def patch_moto() -> None:
    """Install the item-level rollback in this process's moto (idempotent)."""
    DynamoDBBackend.transact_write_items = transact_write_items


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto DynamoDB with scalable transactions")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    args = parser.parse_args(argv)
    patch_moto()
    from moto.server import main as moto_server

    moto_server(["-H", args.host, "-p", str(args.port)])


if __name__ == "__main__":
    main()
