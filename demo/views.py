"""Views of the past weeks, published as the gateway publishes its view events.

The gateway stamps every view it sees with the moment it sees it, so a view of last
Tuesday cannot come through HTTP. These come the way the gateway's own do: envelopes of
its contract's event types (services/gateway/contract/events.py) with the time each view
happened as occurred_at (analytics files a view under its occurred_at: its day, hour and
trending bucket), in messages of up to 500 envelopes of one type on the gateway's events
exchange, persistent, mandatory and confirmed. Each has its event id from the plan, so a
view published twice is counted once (analytics applies each event id once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kombu import Connection, Producer
from nameko.standalone.events import get_event_exchange

from demo.plan import View
from services.gateway.contract import events as gateway
from shared.events import make_envelope, on_return

MESSAGE_SIZE = 500  # envelopes a message, as the gateway's event buffer sends them
CORRELATION_ID = "bellyfed-demo"


def envelope_of(view: View, restaurant_id: str, user_id: str | None) -> dict:
    event = gateway.EVENTS[view.event_type]
    payload = event.dump({
        "restaurant_id": restaurant_id, "user_id": user_id, "anonymous_id": view.anonymous_id,
        "device_type": view.device_type, "user_agent": view.user_agent,
    })
    envelope = make_envelope(event, payload, correlation_id=CORRELATION_ID,
                             event_id=view.event_id)
    envelope["occurred_at"] = view.at.isoformat()  # when it happened, not now
    return envelope


class Unroutable(Exception):
    """The broker handed views back: nothing (analytics) is bound for them yet."""


def publish(amqp_uri: str, envelopes: list[dict],
            progress: Callable[[int], None] = lambda n: None) -> int:
    """Publish `envelopes` (one event type a message, in order) and wait for the broker's
    confirm of each message; how many were published."""
    returned = []
    exchange = get_event_exchange(gateway.PRODUCER, {})
    with Connection(amqp_uri, connect_timeout=10,
                    transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        on_return(channel, returned.append)
        exchange(channel).declare()
        producer = Producer(channel, exchange=exchange, serializer="json")
        for batch in messages(envelopes):
            producer.publish(batch, routing_key=batch[0]["event_type"], mandatory=True,
                             delivery_mode=2, retry=True, retry_policy={"max_retries": 3})
            progress(len(batch))
    if returned:
        raise Unroutable(f"{sum(r.events for r in returned)} view event(s) came back "
                         "unroutable: is analytics running?")
    return len(envelopes)


def messages(envelopes: Iterable[dict]) -> list[list[dict]]:
    """Consecutive envelopes of one type, up to MESSAGE_SIZE a message."""
    batches: list[list[dict]] = []
    for envelope in envelopes:
        if (not batches or len(batches[-1]) >= MESSAGE_SIZE
                or batches[-1][0]["event_type"] != envelope["event_type"]):
            batches.append([])
        batches[-1].append(envelope)
    return batches
