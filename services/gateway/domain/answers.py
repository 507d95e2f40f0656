"""Answers assembled from several services, and requests turned into what a service
takes. No I/O."""

from __future__ import annotations

from datetime import UTC

from shared.errors import ServiceTimeout, ServiceUnavailable


def order_request(fields: dict) -> dict:
    """A validated order body (OrderInput) as the orders service takes it: ids as text."""
    data = {
        "restaurant_id": str(fields["restaurant_id"]),
        "items": [{"dish_id": str(item["dish_id"]), "quantity": item["quantity"]}
                  for item in fields["items"]],
    }
    for optional in ("notes", "delivery_address"):
        if optional in fields:
            data[optional] = fields[optional]
    return data


def metrics_window(query: dict) -> tuple[str, str]:
    """The validated from/to of GET /orders/metrics as UTC ISO-8601 text."""
    return tuple(query[key].astimezone(UTC).isoformat() for key in ("from", "to"))


# --- answers assembled from several services -----------------------------------------

UNAVAILABLE = (ServiceTimeout, ServiceUnavailable)


def settle(outcomes: dict, optional: tuple[str, ...] = ()) -> tuple[dict, list[str]]:
    """Each source's answer, from `{source: answer or the exception it raised}`.

    A source named in `optional` that timed out or is unavailable answers None and is
    listed (second value); any other failure is raised, the first source's first.
    """
    answers, unavailable = {}, []
    for source, outcome in outcomes.items():
        if isinstance(outcome, UNAVAILABLE) and source in optional:
            answers[source] = None
            unavailable.append(source)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            answers[source] = outcome
    return answers, unavailable


def dashboard(restaurant: dict, period: str, traffic: dict | None,
              review_summary: dict | None, unavailable: list[str]) -> dict:
    """The restaurant dashboard (SPEC §5). What a missing source would have said is null,
    or an empty list for the time series, and `partial` says so."""
    traffic = traffic or {}
    return {
        "restaurant": restaurant,
        "view_data": traffic.get("view_data"),
        "review_analytics": review_summary,
        "traffic_data": traffic.get("traffic_data", []),
        "hourly_views": traffic.get("hourly_views"),
        "device_data": traffic.get("device_data"),
        "period": period,
        "partial": bool(unavailable),
        "unavailable": list(unavailable),
    }


def _same_id(value) -> str:
    return str(value).lower()


def ids_to_fetch(items: list[dict], key: str) -> list[str]:
    """The distinct ids items refer to under `key`, in order: one bulk read asks for each once."""
    return list(dict.fromkeys(_same_id(item[key]) for item in items if item.get(key)))


def joined(items: list[dict], key: str, found: list[dict], as_name: str) -> list[dict]:
    """Each item with what its `key` refers to under `as_name` (None when it was not found,
    say a restaurant deleted since it was counted); `found` is a bulk read's answer."""
    by_id = {_same_id(thing["id"]): thing for thing in found}
    return [{**item, as_name: by_id.get(_same_id(item.get(key)))} for item in items]
