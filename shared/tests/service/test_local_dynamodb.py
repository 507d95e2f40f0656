"""The embedded DynamoDB keeps its tables across restarts when given a state file
(`python -m shared.local_dynamodb --state FILE`, as scripts/run runs it): restored at start,
written on SIGTERM and every few seconds, atomically, and left behind on purpose with
--empty. Each test runs the real server as its own process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from nameko.testing.utils import find_free_port

ROOT = Path(__file__).resolve().parents[3]
TABLE = "snapshot-probe"


class LocalDynamoDB:
    def __init__(self, state: Path, *extra: str):
        self.state, self.extra = state, extra
        self.port = find_free_port()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *extra: str) -> LocalDynamoDB:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.local_dynamodb", "-p", str(self.port),
             "--state", str(self.state), *self.extra, *extra], cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.endpoint, timeout=0.5)
                return self
            except requests.RequestException:
                assert self.process.poll() is None, self.process.stderr.read()
                time.sleep(0.1)
        raise AssertionError("the local DynamoDB did not answer")

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)
            self.process.wait(timeout=20)

    def client(self):
        return boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture
def local(tmp_path):
    servers = []

    def make(*extra: str) -> LocalDynamoDB:
        server = LocalDynamoDB(tmp_path / "state" / "dynamodb.json", *extra)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop(signal.SIGKILL)


def make_table(client) -> None:
    client.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": kind} for name, kind in (
            ("pk", "S"), ("sk", "S"), ("gsi_pk", "S"), ("score", "N"))],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "ScoreIndex", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "gsi_pk", "KeyType": "HASH"},
                          {"AttributeName": "score", "KeyType": "RANGE"}]}])
    client.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "expires_at"})


def put(client, n: int) -> None:
    for i in range(n):
        client.put_item(TableName=TABLE, Item={
            "pk": {"S": f"RESTAURANT#{i}"}, "sk": {"S": "VIEWS"}, "gsi_pk": {"S": "ALL"},
            "score": {"N": str(i)}, "viewers": {"SS": [f"u{i}", "x"]},
            "blob": {"B": b"\x00\xffbytes"}, "nested": {"M": {"n": {"N": "1.5"}}}})


def saved_items(state: Path) -> int:
    if not state.exists():
        return 0
    backends = json.loads(state.read_text())["backends"]
    return sum(len(table["items"]) for backend in backends for table in backend["tables"])


def test_tables_items_and_indexes_survive_a_restart(local):
    first = local().start()
    client = first.client()
    make_table(client)
    put(client, 30)
    client.update_item(TableName=TABLE, Key={"pk": {"S": "RESTAURANT#3"}, "sk": {"S": "VIEWS"}},
                       UpdateExpression="ADD view_count :one",
                       ExpressionAttributeValues={":one": {"N": "7"}})
    first.stop()
    assert first.state.exists()

    second = local().start()
    client = second.client()
    assert client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    item = client.get_item(TableName=TABLE, Key={"pk": {"S": "RESTAURANT#3"},
                                                  "sk": {"S": "VIEWS"}})["Item"]
    assert item["view_count"] == {"N": "7"}
    assert sorted(item["viewers"]["SS"]) == ["u3", "x"]
    assert item["blob"] == {"B": b"\x00\xffbytes"}
    assert item["nested"] == {"M": {"n": {"N": "1.5"}}}
    top = client.query(TableName=TABLE, IndexName="ScoreIndex",
                       KeyConditionExpression="gsi_pk = :all",
                       ExpressionAttributeValues={":all": {"S": "ALL"}},
                       ScanIndexForward=False, Limit=3)["Items"]
    assert [entry["score"]["N"] for entry in top] == ["29", "28", "27"]
    assert client.scan(TableName=TABLE, Select="COUNT")["Count"] == 30


def test_a_crash_keeps_the_last_periodic_snapshot_whole(local):
    server = local("--snapshot-every", "0.3").start()
    client = server.client()
    make_table(client)
    put(client, 10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and saved_items(server.state) != 10:
        time.sleep(0.1)  # until a periodic snapshot has the ten items
    server.stop(signal.SIGKILL)  # no snapshot on the way out
    assert not list(server.state.parent.glob(".*.tmp")), "a temporary file was left"

    again = local().start()
    assert again.client().scan(TableName=TABLE, Select="COUNT")["Count"] == 10


def test_empty_starts_with_no_tables_and_keeps_the_old_state_aside(local):
    first = local().start()
    make_table(first.client())
    put(first.client(), 3)
    first.stop()

    fresh = local().start("--empty")
    assert fresh.client().list_tables()["TableNames"] == []
    old = first.state.with_name(first.state.name + ".old")
    assert old.exists()
    fresh.stop()
    assert json.loads(first.state.read_text())["backends"] == []
