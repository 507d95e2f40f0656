"""shared's building blocks without I/O: config, the envelope, correlation ids, JSON logs,
RPC timeouts, ids in RPC arguments."""

from __future__ import annotations

import json
import logging
import time
import uuid

import pytest
from marshmallow import ValidationError

from services.catalog.contract.events import DISH_CREATED
from services.rankings.contract.events import BADGE_AWARDED, DISH_RANKED
from shared import config
from shared.context import new_correlation_id, set_correlation_id
from shared.contract import publishes_mandatory
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
            TimedReply(Client(), "ping", Silent(), time.monotonic() + 5.0).result()
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



def cancelled(*codes: str):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "x"},
                        "CancellationReasons": [{"Code": code} for code in codes]},
                       "TransactWriteItems")


def test_contention_is_transient_and_a_failed_condition_is_not():
    from shared.dynamodb import TransactionConflicts, is_transient

    assert is_transient(cancelled("None", "TransactionConflict", "None"))
    assert is_transient(TransactionConflicts("3 events could not be applied"))
    assert not is_transient(cancelled("None", "ConditionalCheckFailed"))
    assert not is_transient(cancelled("TransactionConflict", "ValidationError"))
    assert not is_transient(cancelled())
    assert not is_transient(RuntimeError("a bug"))


def test_conflict_pauses_double_and_are_jittered():
    from shared.dynamodb import conflict_pause

    pauses = [conflict_pause(0.05, 3) for _ in range(200)]
    assert all(0.1 <= pause <= 0.3 for pause in pauses)  # 0.2 s, give or take half
    assert len(set(pauses)) > 100


# --- mandatory publishing ----------------------------------------------------------------

def test_events_are_mandatory_but_those_a_contract_announces_without_a_consumer():
    assert not publishes_mandatory("rankings", "badge_awarded") and BADGE_AWARDED.no_consumer_yet
    assert not publishes_mandatory("rankings", "points_awarded")
    assert not publishes_mandatory("rankings", "user_registered")
    assert publishes_mandatory("rankings", "dish_ranked") and DISH_RANKED.mandatory
    assert publishes_mandatory("catalog", "dish_created")
    # a type no contract declares (a typo, a contract not imported) is held, never lost
    assert publishes_mandatory("rankings", "badge_awardd")
