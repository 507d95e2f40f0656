"""shared/ on its own: config, envelope, logging, DynamoDB access (against moto)."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from marshmallow import ValidationError

from services.catalog.contract.events import DISH_CREATED
from shared import config
from shared.context import new_correlation_id, set_correlation_id
from shared.dynamodb import DynamoDB, DynamoDBClient
from shared.errors import InvalidInput
from shared.events import make_envelope, parse_envelope
from shared.log import JsonFormatter
from shared.schemas import parse_id, parse_ids

# --- config ----------------------------------------------------------------------------

def test_config_defaults_and_overrides(monkeypatch):
    monkeypatch.delenv("RPC_TIMEOUT", raising=False)
    monkeypatch.delenv("CATALOG_DATABASE_URL", raising=False)
    assert config.rpc_timeout() == 5.0
    assert config.database_url("catalog").endswith("/bellyfed_catalog")
    monkeypatch.setenv("RPC_TIMEOUT", "1.5")
    monkeypatch.setenv("CATALOG_DATABASE_URL", "postgresql://db/other")
    assert config.rpc_timeout() == 1.5
    assert config.database_url("catalog") == "postgresql://db/other"


@pytest.mark.parametrize("bad", ["soon", "-1", "0"])
def test_unusable_numbers_are_refused_with_the_variable_named(monkeypatch, bad):
    monkeypatch.setenv("RPC_TIMEOUT", bad)
    with pytest.raises(config.ConfigError, match="RPC_TIMEOUT"):
        config.rpc_timeout()


def test_dynamodb_endpoint_is_optional(monkeypatch):
    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.setenv("DYNAMODB_TABLE_PREFIX", "stage-")
    settings = config.DynamoDBSettings.from_env()
    assert settings.endpoint_url is None and settings.table_prefix == "stage-"


# --- envelope --------------------------------------------------------------------------

def test_envelope_round_trip():
    envelope = make_envelope(DISH_CREATED, {"id": "d1"}, correlation_id="req-1")
    assert json.loads(json.dumps(envelope)) == envelope  # JSON-ready as is
    parsed = parse_envelope(envelope)
    assert parsed["event_type"] == "dish_created" and parsed["version"] == 1
    assert parsed["producer"] == "catalog" and parsed["correlation_id"] == "req-1"
    assert parsed["occurred_at"].tzinfo is not None
    assert isinstance(parsed["event_id"], uuid.UUID)


def test_every_envelope_gets_its_own_id():
    first = make_envelope(DISH_CREATED, {})
    second = make_envelope(DISH_CREATED, {})
    assert first["event_id"] != second["event_id"]


@pytest.mark.parametrize("broken", [
    {"payload": None},
    {"event_id": "not-a-uuid"},
    {"version": "1"},
    {"version": 0},
    {"occurred_at": "yesterday"},
    {"occurred_at": "2026-11-22T10:00:00"},  # no zone: whose ten o'clock?
    {"surprise": True},
])
def test_envelope_rejects_what_it_cannot_trust(broken):
    envelope = {**make_envelope(DISH_CREATED, {"id": "d1"}), **broken}
    with pytest.raises(ValidationError):
        parse_envelope(envelope)


def test_missing_fields_are_rejected():
    envelope = make_envelope(DISH_CREATED, {})
    del envelope["producer"]
    with pytest.raises(ValidationError, match="producer"):
        parse_envelope(envelope)


# --- correlation ids and logs ----------------------------------------------------------

@pytest.mark.parametrize("candidate", [None, "", "x" * 200, "bad id\nwith newline", "<script>"])
def test_unsafe_or_missing_request_ids_are_replaced(candidate):
    replaced = new_correlation_id(candidate)
    assert replaced != candidate and uuid.UUID(replaced)


def test_safe_request_ids_are_kept():
    assert new_correlation_id("req-42.a:b_c") == "req-42.a:b_c"


def test_json_log_lines_carry_service_and_correlation_id():
    record = logging.LogRecord("catalog.x", logging.WARNING, __file__, 1, "hello %s", ("you",),
                               None)
    set_correlation_id("req-7")
    try:
        line = json.loads(JsonFormatter("catalog").format(record))
    finally:
        set_correlation_id(None)
    assert line["message"] == "hello you" and line["level"] == "WARNING"
    assert line["service"] == "catalog" and line["correlation_id"] == "req-7"


# --- DynamoDB (moto server, as the local default runs it) --------------------------------

def test_dynamodb_client_applies_the_table_prefix(moto_endpoint):
    dynamodb = DynamoDBClient(moto_endpoint, "us-east-1", table_prefix="t1-")
    assert dynamodb.ping()
    dynamodb.client.create_table(
        TableName=dynamodb.table_name("Views"), BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    dynamodb.table("Views").put_item(Item={"pk": "RESTAURANT#1", "view_count": 3})
    assert dynamodb.client.describe_table(TableName="t1-Views")["Table"]["TableName"]
    assert dynamodb.table("Views").get_item(Key={"pk": "RESTAURANT#1"})["Item"]["view_count"] == 3


def test_dynamodb_provider_hands_workers_the_configured_client(container_factory, moto_endpoint,
                                                             rabbit_config):
    from nameko.rpc import rpc
    from nameko.standalone.rpc import ClusterRpcProxy

    class Probe:
        name = "probe"
        dynamodb = DynamoDB()

        @rpc
        def tables(self):
            return [self.dynamodb.table_name("X"), self.dynamodb.ping()]

    settings = {"endpoint_url": moto_endpoint, "region": "us-east-1", "table_prefix": "p-"}
    container = container_factory(Probe, {**rabbit_config, "DYNAMODB": settings})
    container.start()
    with ClusterRpcProxy(rabbit_config, timeout=5) as cluster:
        assert cluster.probe.tables() == ["p-X", True]


# --- RPC timeouts ------------------------------------------------------------------------

def test_an_outer_timeout_is_not_mistaken_for_the_rpc_timeout():
    """A caller's own deadline (e.g. /ready's) passes through the RPC wait untouched."""
    import eventlet

    from shared.rpc import TimedReply

    class Silent:  # a reply that never comes
        def result(self):
            eventlet.sleep(10)

    class Client:
        timeout = 5.0

        def raise_for_silence(self, method):
            raise AssertionError("the RPC's own timeout did not expire")

    outer = eventlet.Timeout(0.1)
    with pytest.raises(eventlet.Timeout) as caught:
        try:
            TimedReply(Client(), "ping", Silent()).result()
        finally:
            outer.cancel()
    assert caught.value is outer


# --- ids in RPC arguments ------------------------------------------------------------


def test_parse_id_names_the_argument_it_refuses():
    user_id = uuid.uuid4()
    assert parse_id(str(user_id), "user_id") == user_id
    for bad in ["nope", "", None, 7, ["x"]]:
        with pytest.raises(InvalidInput) as exc:
            parse_id(bad, "user_id")
        assert list(exc.value.details["fields"]) == ["user_id"]


def test_parse_ids_bounds_the_list():
    ids = [uuid.uuid4() for _ in range(3)]
    assert parse_ids([str(one) for one in ids], "user_ids") == ids
    for bad in ["not-a-list", [str(uuid.uuid4())] * 501, ["nope"]]:
        with pytest.raises(InvalidInput):
            parse_ids(bad, "user_ids")


# --- apply_once: batched, coalesced, exactly once ------------------------------------------

def counters_client(endpoint: str):
    from shared.dynamodb import PROCESSED_EVENTS, TableSpec, ensure_tables

    dynamodb = DynamoDBClient(endpoint, "us-east-1", table_prefix=f"b{uuid.uuid4().hex[:8]}-")
    created = ensure_tables(dynamodb, [PROCESSED_EVENTS,
                                       TableSpec("Counters", (("pk", "S"), ("sk", "S")))])
    assert len(created) == 2 and ensure_tables(dynamodb, [PROCESSED_EVENTS]) == []
    return dynamodb


def a_view(viewer: str, page: str = "A") -> list:
    from shared.writes import Increment, PutIfAbsent

    views = {"pk": page, "sk": "VIEWS"}
    return [Increment("Counters", views, {"views": 1}, {"last_viewer": viewer}),
            PutIfAbsent("Counters", {"pk": page, "sk": f"VIEWER#{viewer}"},
                        on_new=(Increment("Counters", views, {"viewers": 1}),))]


def counts(dynamodb, page: str = "A") -> tuple[int, int]:
    item = dynamodb.table("Counters").get_item(Key={"pk": page, "sk": "VIEWS"}).get("Item", {})
    return int(item.get("views", 0)), int(item.get("viewers", 0))


def test_apply_once_coalesces_a_batch_and_absorbs_every_kind_of_duplicate(moto_endpoint):
    from shared.dynamodb import apply_once

    dynamodb = counters_client(moto_endpoint)
    calls = []
    transact = dynamodb.client.transact_write_items
    dynamodb.client.transact_write_items = lambda **kw: calls.append(kw) or transact(**kw)
    batch = [(str(uuid.uuid4()), a_view(f"v{n % 7}")) for n in range(250)]
    repeated = batch[:3]  # repeated inside the same batch
    assert apply_once(dynamodb, "test", batch + repeated) == 250
    assert counts(dynamodb) == (250, 7)
    # 250 markers + 7 viewer puts + the views item, coalesced: 92 + 99 + 59 events, not 250
    assert [len(call["TransactItems"]) for call in calls] == [100, 100, 60]
    assert all(len(call["TransactItems"]) <= 100 for call in calls)
    # the whole batch redelivered, plus one new event with a new viewer
    assert apply_once(dynamodb, "test", batch + [(str(uuid.uuid4()), a_view("v99"))]) == 1
    assert counts(dynamodb) == (251, 8)
    # another consumer keeps its own markers
    assert apply_once(dynamodb, "other", batch[:1]) == 1


def test_apply_once_stays_exact_when_replicas_race_on_the_same_events(moto_endpoint):
    import eventlet

    from shared.dynamodb import apply_once

    dynamodb = counters_client(moto_endpoint)
    batch = [(str(uuid.uuid4()), a_view(f"v{n % 5}", page="B")) for n in range(60)]
    racers = [eventlet.spawn(apply_once, dynamodb, "test", list(reversed(batch)) if n else batch)
              for n in range(3)]
    assert sum(racer.wait() for racer in racers) == 60
    assert counts(dynamodb, "B") == (60, 5)


def test_apply_once_refuses_an_event_too_big_for_one_transaction(moto_endpoint):
    from shared.dynamodb import apply_once
    from shared.writes import Increment

    dynamodb = counters_client(moto_endpoint)
    huge = [Increment("Counters", {"pk": "C", "sk": str(n)}, {"n": 1}) for n in range(100)]
    with pytest.raises(ValueError, match="more than 100"):
        apply_once(dynamodb, "test", [(str(uuid.uuid4()), huge)])


def test_the_local_dynamodb_rolls_a_cancelled_transaction_back_item_by_item(moto_endpoint):
    from botocore.exceptions import ClientError

    dynamodb = counters_client(moto_endpoint)
    table = dynamodb.table_name("Counters")
    dynamodb.table("Counters").put_item(Item={"pk": "D", "sk": "taken", "n": 1})

    def add(sk):
        return {"Update": {"TableName": table, "Key": {"pk": {"S": "D"}, "sk": {"S": sk}},
                           "UpdateExpression": "ADD n :one",
                           "ExpressionAttributeValues": {":one": {"N": "1"}}}}
    claim = {"Put": {"TableName": table, "Item": {"pk": {"S": "D"}, "sk": {"S": "taken"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}}
    with pytest.raises(ClientError) as cancelled:
        dynamodb.client.transact_write_items(TransactItems=[add("a"), claim, add("b")])
    reasons = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed", "None"]
    items = dynamodb.table("Counters").scan()["Items"]
    assert [(item["sk"], item["n"]) for item in items] == [("taken", 1)]  # a and b undone
