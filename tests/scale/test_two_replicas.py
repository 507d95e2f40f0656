"""Scale-out on this machine: two catalog processes, one database, one vhost.

- RPC calls are shared: both replicas consume `rpc-catalog` (competing consumers), each
  call is answered once, and both answer some.
- Events are shared: rankings' dish_ranked events go to one durable queue both replicas
  consume; every event is handled exactly once in total (none twice, none lost), both
  replicas handle some, and the catalog's rank totals count each once.
- The outbox relays, one in each replica, publish every restaurant_created once: exactly
  N distinct events on a queue bound to catalog.events, no event_id twice.

Which replica did what is read from tests/scale/replica.py's witness files.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select, text

from services.catalog.storage.models import Dish
from services.rankings.contract.events import DISH_RANKED
from shared.events import EnvelopePublisher
from shared.idempotency import processed_events
from shared.outbox import notify_channel, outbox_table

from .conftest import DISH_RANKED_QUEUE

pytestmark = pytest.mark.scale


def rpc_client(amqp_uri: str, context: dict) -> ClusterRpcProxy:
    """A cluster proxy whose calls carry `context` as it is when each call is made (nameko
    keeps the dict it was given), so every call can have a correlation id of its own."""
    return ClusterRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"},
                           context_data=context, timeout=20)


def call_each(cluster, context: dict, calls: list[tuple[str, str, tuple]]) -> list:
    """Send every call at once (`(correlation_id, method, args)`), then collect the answers."""
    replies = []
    for correlation_id, method, args in calls:
        context["correlation_id"] = correlation_id
        replies.append(getattr(cluster.catalog, method).call_async(*args))
    return [reply.result() for reply in replies]


def by_correlation(entries: list[dict], prefix: str) -> list[dict]:
    return [entry for entry in entries if (entry["correlation_id"] or "").startswith(prefix)]


def test_rpc_calls_are_shared_between_the_replicas(catalog_replicas):
    replicas = catalog_replicas
    tag = f"scale-health-{uuid.uuid4().hex[:8]}-"
    expected = [f"{tag}{n}" for n in range(40)]
    context: dict = {}
    with rpc_client(replicas.amqp_uri, context) as cluster:
        answers = call_each(cluster, context, [(cid, "health", ()) for cid in expected])
    assert answers == [{"status": "ok", "service": "catalog"}] * len(expected)

    def ours():
        return by_correlation(replicas.witnessed("worker"), tag)
    replicas.wait_until(lambda: len(ours()) >= len(expected), 10.0,
                        "every call is in a witness file")  # written just after the reply
    answered = Counter(entry["correlation_id"] for entry in ours())
    assert answered == Counter(expected)  # each call answered once, by one replica
    per_replica = Counter(entry["pid"] for entry in ours())
    print(f"health calls answered per replica: {dict(per_replica)}")
    assert set(per_replica) == replicas.pids  # both replicas answered some


def test_events_are_shared_and_each_is_handled_exactly_once(catalog_replicas):
    replicas = catalog_replicas
    context: dict = {"correlation_id": "scale-setup"}
    with rpc_client(replicas.amqp_uri, context) as cluster:
        restaurant = cluster.catalog.create_restaurant({"name": "Warung Scale", "city": "Ipoh"})
        dish = cluster.catalog.create_dish(restaurant["id"], {
            "name": "Nasi Lemak", "price": "9.50", "dish_type": "nasi lemak"})

    rankings = EnvelopePublisher(replicas.amqp_uri, "rankings")
    ranks = [n % 5 + 1 for n in range(60)]  # a one-best list holds ranks 1..5
    published = [
        rankings.dispatch(DISH_RANKED, {
            "user_id": str(uuid.uuid4()), "dish_id": dish["id"], "dish_type": "nasi lemak",
            "restaurant_id": restaurant["id"], "rank": rank, "city": "Ipoh",
            "cuisine_type": ["Malay"],
        })
        for rank in ranks
    ]
    sent = {envelope["event_id"] for envelope in published}

    def handled():
        return [entry for entry in replicas.witnessed("worker")
                if entry["entrypoint"] == "on_dish_ranked" and entry["event_id"] in sent]
    replicas.wait_until(lambda: len({entry["event_id"] for entry in handled()}) == len(sent),
                        20.0, f"{len(sent)} dish_ranked events are handled")
    # every one handled and acked (the witness writes after the ack), the queue empty:
    # nothing is left that could still come a second time
    assert replicas.queue_state(DISH_RANKED_QUEUE)[0] == 0
    assert replicas.queue_state("dlq.catalog")[0] == 0

    times_handled = Counter(entry["event_id"] for entry in handled())
    assert set(times_handled) == sent  # none lost
    assert set(times_handled.values()) == {1}  # none handled twice
    assert all(entry["ok"] for entry in handled())
    per_replica = Counter(entry["pid"] for entry in handled())
    print(f"dish_ranked events handled per replica: {dict(per_replica)}")
    assert set(per_replica) == replicas.pids  # both replicas handled some
    with replicas.db.connect() as conn:
        totals = conn.execute(select(Dish.rank_count, Dish.rank_sum)
                              .where(Dish.id == uuid.UUID(dish["id"]))).one()
        claims = conn.scalar(select(func.count()).select_from(processed_events)
                             .where(processed_events.c.consumer == "catalog.on_dish_ranked"))
    assert tuple(totals) == (len(ranks), sum(ranks))  # the effect: each counted once
    assert claims == len(ranks)


def listening_relays(replicas) -> int:
    """Sessions of the replicas' database waiting on catalog's outbox channel: one per
    running relay (each LISTENs on a connection of its own)."""
    with replicas.db.connect() as conn:
        return conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query = :listen"), {"listen": f'LISTEN "{notify_channel("catalog")}"'})


def test_the_outbox_relays_of_both_replicas_publish_each_event_once(catalog_replicas):
    replicas = catalog_replicas
    # both relays are running and compete for the same rows (which of them publishes a
    # given row is a race, so only their sum is asserted)
    replicas.wait_until(lambda: listening_relays(replicas) == 2, 10.0,
                        "both replicas' outbox relays listen")
    capture = Queue(f"scale-capture-{uuid.uuid4().hex[:8]}",
                    exchange=Exchange("catalog.events", type="topic", durable=True),
                    routing_key="restaurant_created", durable=True)
    with Connection(replicas.amqp_uri) as connection:
        capture(connection.channel()).declare()  # bound before anything is created

    tag = f"scale-create-{uuid.uuid4().hex[:8]}-"
    count = 30
    context: dict = {}
    with rpc_client(replicas.amqp_uri, context) as cluster:
        created = call_each(cluster, context, [
            (f"{tag}{n}", "create_restaurant", ({"name": f"Kedai {n}", "city": "Ipoh"},))
            for n in range(count)])
    restaurant_ids = {restaurant["id"] for restaurant in created}
    assert len(restaurant_ids) == count

    def relayed() -> tuple[list[str], int]:
        """(event ids of our restaurants' outbox rows, how many of them are unpublished)"""
        with replicas.db.connect() as conn:
            rows = conn.execute(
                select(outbox_table.c.event_id, outbox_table.c.published_at)
                .where(outbox_table.c.event_type == "restaurant_created")
                .where(outbox_table.c.envelope["payload"]["id"].astext.in_(restaurant_ids))
            ).all()
        return [str(event_id) for event_id, _ in rows], sum(1 for row in rows if row[1] is None)

    replicas.wait_until(lambda: relayed()[1] == 0 and len(relayed()[0]) == count, 20.0,
                        f"the {count} restaurant_created outbox rows are all published")
    rows = set(relayed()[0])
    # a row is marked published only after the broker confirmed it, and a confirmed message
    # is already in every queue it was routed to: what the capture queue holds is final
    with Connection(replicas.amqp_uri) as connection:
        channel = connection.channel()
        received = []
        while (message := channel.basic_get(capture.name, no_ack=True)) is not None:
            received.append(json.loads(message.body))
        channel.queue_delete(capture.name)
    # the restaurant an earlier test created came back unroutable (no queue was bound for
    # restaurant_created then) and waited in the outbox for this queue: not ours to count
    received = [body for body in received if body["payload"]["id"] in restaurant_ids]
    arrived = Counter(body["event_id"] for body in received)
    assert set(arrived) == rows  # every committed event, and only those
    assert set(arrived.values()) == {1}  # none published twice
    assert {body["payload"]["id"] for body in received} == restaurant_ids

    published = Counter(entry["event_id"] for entry in replicas.witnessed("published")
                        if entry["event_id"] in rows)
    assert published == Counter(rows)  # and no relay sent one twice to anywhere
    creators = Counter(entry["pid"] for entry in by_correlation(replicas.witnessed("worker"),
                                                                tag))
    relays = Counter(entry["pid"] for entry in replicas.witnessed("published")
                     if entry["event_id"] in rows)
    print(f"restaurants created per replica: {dict(creators)}; "
          f"their events published per replica's relay: {dict(relays)}")
    assert set(creators) == replicas.pids
