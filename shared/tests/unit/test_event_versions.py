"""Event versions without I/O (shared/events.py, "Versions"): producers stamp the current
version of their contract's EventType; a consumer accepts the current and the previous
one, lifts the older into the shape its handler reads, and refuses what it cannot read,
with the reason."""

from __future__ import annotations

import re

import pytest

from shared.consumer import (
    consume_event,
)
from shared.contract import EventType
from shared.events import (
    EnvelopePublisher,
    EventReader,
    UnacceptedEvent,
    make_envelope,
    parse_envelope,
)
from shared.tests.event_types import (
    DISH_PRICED,
    DISH_PRICED_V2,
    Payload,
    price_in_sen,
    v1,
    v2,
)

# --- producers: the contract's version --------------------------------------------------------

def test_producers_stamp_the_current_version_of_their_contract():
    assert make_envelope(DISH_PRICED, v1(1))["version"] == 1
    assert make_envelope(DISH_PRICED_V2, v2(1))["version"] == 2
    # a replica still on the old code says so explicitly
    assert make_envelope(DISH_PRICED_V2, v1(1), version=1)["version"] == 1


def test_the_outbox_stamps_the_current_version_too():
    """Services emit through their store's outbox, not make_envelope directly."""
    from unittest.mock import MagicMock

    from shared.db import Store

    store = Store(MagicMock(), "kitchen")
    assert store.emit(DISH_PRICED_V2, v2(1))["version"] == 2
    assert [e["version"] for e in store.emit_many(DISH_PRICED_V2, [v2(1), v2(2)])] == [2, 2]
    assert store.emit(DISH_PRICED_V2, v1(1), version=1)["version"] == 1


def test_a_producer_publishes_only_its_own_events():
    from unittest.mock import MagicMock

    from shared.db import Store

    with pytest.raises(ValueError, match="till cannot publish kitchen.dish_priced"):
        Store(MagicMock(), "till").emit(DISH_PRICED, v1(1))
    with pytest.raises(ValueError, match="till cannot publish kitchen.dish_priced"):
        EnvelopePublisher("memory://", "till").dispatch(DISH_PRICED, v1(1))


def test_every_event_type_the_services_publish_has_a_positive_current_version():
    from contracts.contract_map import event_types

    declared = event_types()
    assert len(declared) >= 27  # catalog 6, rankings 13, gateway 6, orders 2
    assert {producer for producer, _ in declared} == {
        "catalog", "rankings", "gateway", "orders"}
    assert all(isinstance(event.version, int) and event.version >= 1
               for event in declared.values())
    assert all(event.key == key for key, event in declared.items())


# --- consumers: the window and the upcasters ------------------------------------------------

@pytest.mark.parametrize(("current", "accepted"), [(1, {1}), (2, {1, 2}), (5, {4, 5})])
def test_a_consumer_accepts_the_current_and_the_previous_version_by_default(current, accepted):
    reader = EventReader(EventType("kitchen", "dish_priced", current, Payload))
    assert reader.accepts == accepted and reader.reads == current


def test_an_older_version_is_lifted_step_by_step_into_the_shape_the_handler_reads():
    def with_currency(payload: dict) -> dict:  # v2 -> v3: the currency is said
        return {**payload, "currency": "MYR"}

    reader = EventReader(DISH_PRICED, accepts=(1, 2, 3),
                         upcasters={1: price_in_sen, 2: with_currency})
    old = parse_envelope(make_envelope(DISH_PRICED, v1(12), version=1))
    lifted = reader.read(old)
    assert lifted["version"] == 3
    assert lifted["payload"] == {"seq": 12, "price_sen": 1250, "currency": "MYR"}
    assert lifted["event_id"] == old["event_id"]  # the same event, read anew
    assert old["payload"] == v1(12) and old["version"] == 1  # what came is left as it came
    assert reader.read(parse_envelope(make_envelope(DISH_PRICED, v2(7), version=2)))[
        "payload"] == {**v2(7), "currency": "MYR"}
    current = parse_envelope(make_envelope(DISH_PRICED, {**v2(3), "currency": "SGD"},
                                           version=3))
    assert reader.read(current) is current


def test_a_version_without_an_upcaster_is_read_as_it_is():
    """An additive change: v2 added "currency", which this handler does not read."""
    reader = EventReader(DISH_PRICED, accepts=(1, 2))
    assert reader.read(parse_envelope(make_envelope(DISH_PRICED, v1(4), version=1)))[
        "payload"] == v1(4)


@pytest.mark.parametrize(("version", "reason"), [
    (3, "version 3 of kitchen.dish_priced is not accepted here (accepts 1, 2)"),
    (1, None),
])
def test_a_version_not_accepted_or_not_liftable_is_refused_with_the_reason(version, reason):
    reader = EventReader(DISH_PRICED, accepts=(1, 2), upcasters={1: price_in_sen})
    broken = {"seq": 1, "price": "twelve"}  # a v1 its upcaster cannot lift
    with pytest.raises(UnacceptedEvent) as refused:
        reader.read(parse_envelope(make_envelope(DISH_PRICED, broken, version=version)))
    if reason is not None:
        assert str(refused.value) == reason
    else:
        assert "version 1 of kitchen.dish_priced could not be lifted from v1 to v2" in str(
            refused.value)


@pytest.mark.parametrize(("accepts", "upcasters", "complaint"), [
    ((), None, "accepts must be versions >= 1"),
    ((0, 1), None, "accepts must be versions >= 1"),
    (("1",), None, "accepts must be versions >= 1"),
    ((1, 2), {2: price_in_sen}, "not [2]"),
    ((2, 3), {1: price_in_sen}, "not [1]"),
    ((1, 2), {1: "price_in_sen"}, "must be callables"),
])
def test_declarations_that_cannot_work_are_refused_when_the_service_is_defined(
    accepts, upcasters, complaint
):
    def on_dish_priced(self, event):
        pass

    with pytest.raises(ValueError, match=re.escape(complaint)):
        consume_event(DISH_PRICED, accepts=accepts,
                      upcasters=upcasters)(on_dish_priced)


