"""shared.dynamodb against the embedded moto server: the client, its dependency provider,
and apply_once's exactly-once batches."""

from __future__ import annotations

import uuid

import pytest

from shared.dynamodb import DynamoDB, DynamoDBClient


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



def requests_of(dynamodb) -> list[tuple[str, dict]]:
    """Every request the client makes from now on: (operation, its parameters)."""
    made: list[tuple[str, dict]] = []
    dynamodb.client.meta.events.register(
        "provide-client-params.dynamodb.*",
        lambda params, model, **_: made.append((model.name, params)))
    return made


def a_marking_view(viewer: str, page: str = "M") -> list:
    """a_view, whose viewer item may stand for its event's marker (as analytics' views)."""
    from shared.writes import Increment, PutIfAbsent

    views = {"pk": page, "sk": "VIEWS"}
    return [Increment("Counters", views, {"views": 1}),
            PutIfAbsent("Counters", {"pk": page, "sk": f"VIEWER#{viewer}"},
                        on_new=(Increment("Counters", views, {"viewers": 1}),),
                        marks_event=True)]


def test_apply_once_reads_no_marker_before_writing_a_new_batch(moto_endpoint):
    from shared.dynamodb import MARKER_TABLE, DynamoDBClient, apply_once

    dynamodb = counters_client(moto_endpoint)
    made = requests_of(dynamodb)
    batch = [(str(uuid.uuid4()), a_view(f"v{n % 4}", page="N")) for n in range(30)]
    assert apply_once(dynamodb, "test", batch) == 30
    read = [table for operation, params in made if operation == "BatchGetItem"
            for table in params["RequestItems"]]
    assert read and all(not table.endswith(MARKER_TABLE) for table in read)
    assert [operation for operation, _ in made].count("TransactWriteItems") == 1
    # a redelivery, in part, to a process that remembers nothing: the markers' conditions
    # cancel the transaction, the rest of the batch's markers are read once, and nothing
    # counts twice
    forgetful = DynamoDBClient(moto_endpoint, "us-east-1", dynamodb.table_prefix)
    made = requests_of(forgetful)
    new = [(str(uuid.uuid4()), a_view(f"v{n % 6}", page="N")) for n in range(25)]
    assert apply_once(forgetful, "test", batch[:10] + new) == 25
    assert counts(dynamodb, "N") == (55, 6)
    markers_read = [params for operation, params in made if operation == "BatchGetItem"
                    and any(table.endswith(MARKER_TABLE) for table in params["RequestItems"])]
    assert len(markers_read) == 1


def test_a_first_view_marks_its_own_event_and_stays_exactly_once(moto_endpoint):
    from shared.dynamodb import CREATED_BY, DynamoDBClient, apply_once

    dynamodb = counters_client(moto_endpoint)
    batch = [(str(uuid.uuid4()), a_marking_view(f"v{n % 5}")) for n in range(20)]
    assert apply_once(dynamodb, "test", batch) == 20
    assert counts(dynamodb, "M") == (20, 5)
    # the five first views are marked by their viewer items; the other fifteen by markers
    markers = dynamodb.table("ProcessedEvents").scan()["Items"]
    viewers = [item for item in dynamodb.table("Counters").scan()["Items"]
               if item["sk"].startswith("VIEWER#")]
    assert len(markers) == 15 and len(viewers) == 5
    first_views = {f"test#{event_id}" for event_id, _ in batch[:5]}
    assert {viewer[CREATED_BY] for viewer in viewers} == first_views
    # redelivered, to this process and to one that remembers nothing, whole or in part,
    # alone or with a new view: each counts once
    forgetful = DynamoDBClient(moto_endpoint, "us-east-1", dynamodb.table_prefix)
    assert apply_once(dynamodb, "test", batch) == 0
    assert apply_once(forgetful, "test", list(reversed(batch))) == 0
    assert apply_once(forgetful, "test", batch[:3] + [(str(uuid.uuid4()),
                                                        a_marking_view("v9"))]) == 1
    assert counts(dynamodb, "M") == (21, 6)
    # another consumer's delivery of a first view's event is its own
    assert apply_once(DynamoDBClient(moto_endpoint, "us-east-1", dynamodb.table_prefix),
                      "other", batch[:1]) == 1
    assert counts(dynamodb, "M") == (22, 6)


def test_known_keys_are_bounded_and_trusted_for_a_while():
    from shared.dynamodb import NO_CREATOR, KnownKeys

    known = KnownKeys(size=3, max_age=60)
    for n in range(5):
        known.add(("T", str(n)), creator=b"e%d" % n)
    assert len(known) == 3
    assert ("T", "0") not in known and ("T", "1") not in known  # the oldest forgotten
    assert known.get(("T", "4")) == b"e4"
    known.add(("T", "plain"))
    assert known.get(("T", "plain")) == NO_CREATOR
    stale = KnownKeys(size=3, max_age=0)
    stale.add(("T", "x"))
    assert ("T", "x") not in stale  # past max_age: asked again, never trusted


def test_a_lease_is_held_by_one_holder_until_it_lapses(moto_endpoint):
    """take_lease: what a timer asks so that one replica a round does the work."""
    from shared.dynamodb import take_lease

    table = counters_client(moto_endpoint).table("Counters")
    key = {"pk": "LEASE", "sk": "refresh"}
    assert take_lease(table, key, "replica-a", 10, now=1000.0)
    assert not take_lease(table, key, "replica-b", 10, now=1005.0)  # a's, for 5 s more
    assert take_lease(table, key, "replica-a", 10, now=1008.0)  # its holder renews it
    assert not take_lease(table, key, "replica-b", 10, now=1017.0)
    assert take_lease(table, key, "replica-b", 10, now=1018.5)  # a stopped renewing
    assert not take_lease(table, key, "replica-a", 10, now=1019.0)
