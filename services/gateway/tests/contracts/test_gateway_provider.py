"""The gateway as a producer: its view events (contracts/pacts/*-gateway.json) verified
against its real routes. Each event comes from the route that emits it, run in-process
(GatewayService's route method, with the request a signed-in browser would send), its
downstream services answering as the gateway's own pacts with them promise; the envelope
is what its buffered view dispatch would publish (shared.event_buffer), in the message
(an array of envelopes) it would travel in.
"""

from __future__ import annotations

import uuid

import pytest

from contracts.consumer import Promised, example_id
from contracts.provider import Producer, consumer_of, pacts_naming, verify
from services.gateway.tests.contracts.support import DOWNSTREAM, VIEWERS, gateway_with, request

RESTAURANT, DISH = uuid.UUID(example_id("restaurant")), uuid.UUID(example_id("dish"))
# a browser that kept the viewer id the gateway gave it
BROWSER = {"X-Anonymous-Id": VIEWERS.issue(), "X-Device-Type": "mobile",
           "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"}


def viewed(route: str, query: dict | None = None, **path_values):
    """The event `route` emits when a signed-in user's phone asks it."""

    def produce() -> dict:
        gateway = gateway_with(**{name: Promised.by_pact("gateway", name)
                                  for name in DOWNSTREAM})
        getattr(gateway, route)(request(user=str(uuid.uuid4()), headers=BROWSER, query=query),
                                **path_values)
        [message] = gateway.views.messages()  # an array of the one view's envelope
        return message

    return produce


def gateway_producer() -> Producer:
    nothing = lambda params: None  # noqa: E731 (the routes need nothing but the request)
    return Producer("gateway", states={
        "a restaurant is viewed": nothing, "a restaurant's menu is viewed": nothing,
        "a restaurant's reviews are viewed": nothing, "a dish's rankings are viewed": nothing,
        "restaurants are listed": nothing, "restaurants are searched": nothing,
    }, events={
        "restaurant_viewed": viewed("get_restaurant", restaurant_id=RESTAURANT),
        "restaurant_menu_viewed": viewed("get_menu", restaurant_id=RESTAURANT),
        "restaurant_reviews_viewed": viewed("list_reviews", restaurant_id=RESTAURANT),
        "dish_viewed": viewed("get_dish_stats", dish_id=DISH),
        "restaurants_listed": viewed("list_restaurants", query={"city": "Ipoh"}),
        "restaurants_searched": viewed("list_restaurants", query={"q": "warung"}),
    })


@pytest.mark.parametrize("pact_file", pacts_naming("gateway"), ids=consumer_of)
def test_the_gateway_keeps_its_contract_with(pact_file):
    verify(pact_file, gateway_producer())
