"""At-least-once delivery, exactly-once effects, under injected faults (SPEC §2).

Real processes (tests/fault/ledger.py runs the outbox relay, tests/fault/tally.py an
idempotent consumer), the real broker and PostgreSQL. Every count is exact: each committed
entry has exactly one effect, a rolled-back one none, and once the consumers are stopped
nothing waits in the outbox or in any queue. The broker outage is in test_outage.py.
"""

from __future__ import annotations

import json
import random

import eventlet
import pytest

from shared.consumer import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    ORIGIN_HEADER,
    dead_letter_queue_name,
)
from shared.events import EnvelopePublisher

from .harness import assert_exactly_once, settle
from .ledger import record_entries
from .tally import QUEUE

pytestmark = pytest.mark.fault

DLQ = dead_letter_queue_name("tally")


def test_consumer_killed_three_times_mid_stream(faults):
    """a. 5,000 events to two tally processes; one is SIGKILLed three times mid-stream (and
    restarted each time): every event applied exactly once."""
    total, kill_at = 5000, [1000, 2000, 3000]
    victim, survivor = faults.tally("tally-a").start(), faults.tally("tally-b").start()
    relay = faults.ledger().start()  # it publishes nothing before entries commit
    faults.wait_consuming(2)

    # psycopg2 is green here (eventlet's monkey patch): entries commit while the test kills
    producing = eventlet.spawn(record_entries, faults.ledger_url, range(total),
                               per_transaction=10)
    killed_pids = []
    for threshold in kill_at:
        faults.wait_until(
            lambda threshold=threshold: faults.effects() >= threshold
            and faults.queue_depth(QUEUE)[1] == 2,
            60, f"{threshold} effects with 2 consumers")
        effects = faults.effects()
        assert effects < total, "the stream ended before the kill: make it longer"
        faults.note(f"SIGKILL {victim.name} pid {victim.pid} at {effects} effects")
        killed_pids.append(victim.pid)
        victim.sigkill()
        victim.start()
    committed = producing.wait()
    assert committed == list(range(total))
    faults.note("all committed")

    faults.wait_until(lambda: faults.effects() >= total and faults.unpublished() == 0, 90,
                      f"{total} effects")
    assert settle(faults, victim, survivor, relay) == 0
    assert_exactly_once(faults, committed)
    by_pid = faults.effects_by_pid()
    faults.note(f"effects by pid {by_pid}; redeliveries {faults.redeliveries()}")
    assert victim.kills == 3
    # each killed incarnation was working when it died, and the survivor worked throughout
    assert all(by_pid.get(pid, 0) > 0 for pid in [*killed_pids, survivor.pid]), by_pid


def test_relay_killed_at_random_points(faults):
    """b. The relay process SIGKILLed at 5 random moments while 2,000 transactions commit
    (and restarted each time): every committed event delivered, applied exactly once."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    faults.note(f"seed {seed}")
    total, kills = 2000, 5
    tally, relay = faults.tally().start(), faults.ledger().start()
    faults.wait_consuming(1)
    faults.wait_ledger_up()

    pending_at_kill = []

    def killer():
        for _ in range(kills):
            eventlet.sleep(rng.uniform(0.05, 0.8))  # a random moment of its work
            pending_at_kill.append(faults.unpublished())
            relay.sigkill()
            relay.start()
            faults.wait_ledger_up()

    # psycopg2 is green here (eventlet's monkey patch), so the killer runs as entries commit
    killing = eventlet.spawn(killer)
    committed = record_entries(faults.ledger_url, range(total))
    faults.note(f"all committed; {len(pending_at_kill)} kills so far")
    killing.wait()
    assert committed == list(range(total))
    faults.note(f"unpublished at each kill {pending_at_kill}")

    faults.wait_until(lambda: faults.unpublished() == 0 and faults.effects() >= total, 90,
                      f"outbox empty and {total} effects")
    assert settle(faults, tally, relay) == 0
    assert_exactly_once(faults, committed)
    faults.note(f"redeliveries (published again after a kill) {faults.redeliveries()}")
    assert relay.kills == kills
    assert any(pending_at_kill), "no kill found the relay with work to do"


def test_rolled_back_transactions_emit_no_event(faults):
    """d. 10% of 1,000 business transactions roll back: no event for them, all others
    delivered and applied once."""
    audit = faults.audit_queue()  # sees every message the relay publishes
    tally, relay = faults.tally().start(), faults.ledger().start()
    faults.wait_consuming(1)

    rolled_back = {seq for seq in range(1000) if seq % 10 == 7}
    committed = record_entries(faults.ledger_url, range(1000),
                               rollback=lambda seq: seq in rolled_back)
    expected = sorted(set(range(1000)) - rolled_back)
    assert committed == expected and len(expected) == 900

    faults.wait_until(lambda: faults.effects() >= 900 and faults.unpublished() == 0, 60,
                      "900 effects, outbox empty")
    assert settle(faults, tally, relay) == 0
    assert_exactly_once(faults, expected)  # incl. exactly 900 outbox rows
    published = faults.drain(audit.name)
    assert sorted(body["payload"]["seq"] for body in published) == expected
    assert faults.redeliveries() == 0


def test_transient_failures_retried_and_poison_dead_lettered(faults):
    """e. 1% of handler calls fail transiently: all applied in the end, once. One message
    that always fails ends in dlq.tally after exactly EVENT_MAX_ATTEMPTS attempts."""
    total, poison, max_attempts = 1000, 500, 4
    tally = faults.tally(TALLY_FAIL_RATE=0.01, TALLY_POISON_SEQ=poison,
                         EVENT_MAX_ATTEMPTS=max_attempts, EVENT_RETRY_DELAY=0.1).start()
    relay = faults.ledger().start()
    faults.wait_consuming(1)
    committed = record_entries(faults.ledger_url, range(total), per_transaction=10)
    expected = [seq for seq in committed if seq != poison]

    faults.wait_until(
        lambda: faults.effects() >= total - 1 and faults.queue_depth(DLQ)[0] >= 1, 60,
        f"{total - 1} effects and a dead letter")
    assert settle(faults, tally, relay, max_attempts=max_attempts) == 1
    assert faults.committed_seqs() == committed == list(range(total))
    assert faults.effect_seqs() == expected
    assert faults.effect_counts() == (total - 1, total - 1)
    assert faults.outbox_counts() == (total, 0)

    transient = faults.failures("transient")
    faults.note(f"transient failures {len(transient)}: {transient}")
    assert transient, "no handler call failed: the fault was not injected"
    assert poison not in transient
    assert set(transient) <= set(expected)  # every transiently failed event got applied
    assert faults.failures("poison") == [poison] * max_attempts

    [letter] = faults.take_dead_letters()
    assert letter.headers[ATTEMPTS_HEADER] == max_attempts
    assert letter.headers[ERROR_HEADER] == f"PoisonFailure: seq {poison} always fails"
    assert letter.headers[ORIGIN_HEADER] == QUEUE
    assert json.loads(letter.body)["payload"] == {"seq": poison}


@pytest.mark.parametrize("idempotent", [True, False], ids=["claim-on", "negative-control"])
def test_duplicate_delivery_changes_counters_once(faults, idempotent):
    """f. The same 1,000 events delivered twice (the copies back to back, so they are handled
    concurrently): 1,000 effects. The negative control runs the same handler with the claim
    switched off (TALLY_IDEMPOTENT=0) and must see 2,000, or this test could not catch
    double counting."""
    total = 1000
    tally = faults.tally(TALLY_IDEMPOTENT=int(idempotent)).start()
    faults.wait_consuming(1)
    # no relay runs: the test sends each event twice itself
    committed = record_entries(faults.ledger_url, range(total), per_transaction=10)
    envelopes = faults.outbox_envelopes()
    assert [envelope["payload"]["seq"] for envelope in envelopes] == committed
    assert len({envelope["event_id"] for envelope in envelopes}) == total

    publisher = EnvelopePublisher(faults.amqp_uri, "ledger")
    for envelope in envelopes:
        publisher.publish(envelope)
        publisher.publish(envelope)
    faults.mark_all_published()

    faults.wait_until(lambda: faults.effects() + faults.redeliveries() >= 2 * total, 60,
                      f"{2 * total} deliveries handled")
    assert settle(faults, tally) == 0
    assert faults.effect_seqs() == (committed if idempotent
                                    else sorted(committed + committed))
    if idempotent:
        assert faults.effect_counts() == (total, total)
        assert faults.redeliveries() == total
    else:
        assert faults.effect_counts() == (2 * total, total)  # the double counting shows
        assert faults.redeliveries() == 0
