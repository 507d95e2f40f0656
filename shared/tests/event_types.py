"""The event types shared's tests publish and consume (imported by them, collected by
none): the ledger's and journal's plain ones, and `kitchen.dish_priced`, which the version
tests follow through a breaking change: v1 says `"price": "12.50"` (ringgit, a string),
v2 renames it `"price_sen": 1250`."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields

from shared.contract import EventType, event_types

ENTRY_RECORDED = EventType("ledger", "entry_recorded", 1, Schema)
LINE_WRITTEN = EventType("journal", "line_written", 1, Schema)
# the outbox tests' unroutable events: one no consumer binds, one its contract announces
ENTRY_VOIDED = EventType("ledger", "entry_voided", 1, Schema)
ENTRY_AUDITED = EventType("ledger", "entry_audited", 1, Schema, no_consumer_yet=True)
# the ledger's contract (its EVENTS), as a service's contract package declares them
LEDGER_EVENTS = event_types(ENTRY_RECORDED, ENTRY_VOIDED, ENTRY_AUDITED)


class Payload(Schema):
    seq = fields.Integer()


# the kitchen's contract before and after the change: one line, its version
DISH_PRICED = EventType("kitchen", "dish_priced", 1, Payload)
DISH_PRICED_V2 = EventType("kitchen", "dish_priced", 2, Payload)
DISH_PLATED = EventType("kitchen", "dish_plated", 1, Payload)
# many envelopes to a message, as the gateway's views travel (shared.contract)
TICKET_PUNCHED = EventType("turnstile", "ticket_punched", 1, Payload, batched=True)


def price_in_sen(payload: dict) -> dict:
    """dish_priced v1 -> v2: "price" (ringgit, a string) became "price_sen" (an integer)."""
    lifted = {key: value for key, value in payload.items() if key != "price"}
    lifted["price_sen"] = int(Decimal(payload["price"]) * 100)
    return lifted


def v1(seq: int) -> dict:
    return {"seq": seq, "price": f"{seq}.50"}


def v2(seq: int) -> dict:
    return {"seq": seq, "price_sen": seq * 100 + 50}
