"""What the gateway's routes share: path templates, who may call the routes of several areas,
and running downstream calls at once."""

from __future__ import annotations

import eventlet

from services.gateway.domain.access import parties

RESTAURANT = "/restaurants/<uuid:restaurant_id>"
DISH = "/dishes/<uuid:dish_id>"
USER = "/users/<uuid:user_id>"
REVIEW = "/reviews/<uuid:review_id>"
# a dish type is free text, URL-encoded in the path (/rankings/my/nasi%20lemak)
MY_LIST = "/rankings/my/<string(minlength=1, maxlength=100):dish_type>"
ORDER = "/orders/<uuid:order_id>"
AUTHOR = parties("the review's author")
ORDER_PARTIES = parties("the order's customer, the restaurant's owner or an admin; others get 404")
ORDER_MOVERS = parties("the restaurant's owner or an admin moves an order on; its customer may "
                       "cancel it; others get 404")
LEADERBOARD = ("/leaderboards/<string(minlength=1, maxlength=100):city>"
               "/<string(minlength=1, maxlength=100):cuisine>")


def at_once(**calls) -> dict:
    """Run the calls concurrently: `{name: its answer, or the exception it raised}`.

    Each RPC keeps its own timeout, so together they take as long as the slowest, at most
    one RPC timeout, not the sum.
    """
    threads = {name: eventlet.spawn(call) for name, call in calls.items()}
    outcomes = {}
    for name, thread in threads.items():
        try:
            outcomes[name] = thread.wait()
        except Exception as exc:
            outcomes[name] = exc
    return outcomes


def read_all(bulk_read, ids: list[str]) -> list[dict]:
    """One bulk read for every id (none when there is nothing to ask for)."""
    return bulk_read(ids) if ids else []
