"""services/gateway/domain (and config.py): device type, who is asking,
analytics payloads. No I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway import config
from services.gateway.contract.events import RESTAURANTS_LISTED, RESTAURANTS_SEARCHED
from services.gateway.domain import answers, identity, views
from services.gateway.domain.auth import Identity
from services.gateway.domain.viewers import ViewerIds
from services.gateway.tests.support import (
    ANDROID_PHONE,
    ANDROID_TABLET,
    IPAD,
    IPHONE,
    TOKENS,
    VIEWERS,
    as_admin_user,
    as_user,
    bearer,
    token_for,
)
from shared.config import ConfigError
from shared.errors import NotFound, ServiceTimeout, ServiceUnavailable, Unauthorized

OTHER_GATEWAY = ViewerIds("another-gateway-viewer-secret-long-enough")
KINDLE = ("Mozilla/5.0 (Linux; U; en-US) AppleWebKit/528.5+ (KHTML, like Gecko, Safari/528.5+) "
          "Version/4.0 Kindle/3.0 (screen 600x800; rotate)")
WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
           "(KHTML, like Gecko) Chrome/124.0 Safari/537.36")
MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 "
       "(KHTML, like Gecko) Version/17.4 Safari/605.1.15")
OPERA_MINI = "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en)"


def request(headers: dict | None = None) -> Request:
    return Request(EnvironBuilder(path="/restaurants", headers=headers or {}).get_environ())


# --- device_type ---------------------------------------------------------------------------

@pytest.mark.parametrize("user_agent, expected", [
    (IPHONE, "mobile"),
    (ANDROID_PHONE, "mobile"),
    (OPERA_MINI, "mobile"),
    ("Mozilla/5.0 (iPod touch; CPU iPhone OS 15_0 like Mac OS X)", "mobile"),
    ("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) Mobile", "mobile"),
    ("BlackBerry9700/5.0.0.351 Profile/MIDP-2.1", "mobile"),
    (IPAD, "tablet"),
    (ANDROID_TABLET, "tablet"),
    (KINDLE, "tablet"),
    ("Mozilla/5.0 (PlayBook; U; RIM Tablet OS 2.1.0; en-US)", "tablet"),
    (WINDOWS, "desktop"),
    (MAC, "desktop"),
    ("curl/8.5.0", "desktop"),
    ("", "desktop"),
    (None, "desktop"),
])
def test_device_type_from_user_agent(user_agent, expected):
    assert views.device_type(user_agent) == expected


@pytest.mark.parametrize("declared, user_agent, expected", [
    ("mobile", WINDOWS, "mobile"),
    ("tablet", IPHONE, "tablet"),
    ("desktop", IPAD, "desktop"),
    ("MOBILE", None, "mobile"),
    ("Tablet", "", "tablet"),
    ("toaster", IPHONE, "mobile"),   # unknown words fall back to the User-Agent
    ("", IPAD, "tablet"),
    (None, ANDROID_PHONE, "mobile"),
    (" mobile", WINDOWS, "desktop"),  # only exact words count
])
def test_device_type_declared_by_the_client(declared, user_agent, expected):
    assert views.device_type(user_agent, declared) == expected


def test_device_types_are_the_known_three():
    assert views.DEVICE_TYPES == ("mobile", "tablet", "desktop")


# --- view_context, listing_event, restaurant_event -------------------------------------------

def test_view_context():
    assert views.view_context(request({"User-Agent": IPHONE}), None) == {
        "user_id": None, "anonymous_id": None, "device_type": "mobile", "user_agent": IPHONE}
    assert views.view_context(request({"User-Agent": IPHONE, "X-Device-Type": "tablet"}), None) \
        == {"user_id": None, "anonymous_id": None, "device_type": "tablet",
            "user_agent": IPHONE}
    assert views.view_context(request(), None) == {
        "user_id": None, "anonymous_id": None, "device_type": "desktop", "user_agent": ""}


def test_view_context_names_only_a_viewer_the_gateway_signed():
    signed = VIEWERS.issue()
    viewer = signed.split(".")[0]
    forged = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    for headers, expected in [
        ({"X-Anonymous-Id": signed}, viewer),
        ({"Cookie": f"bellyfed_viewer={signed}"}, viewer),
        ({"X-Anonymous-Id": "visitor-1"}, None),      # made up by the client
        ({"X-Anonymous-Id": forged}, None),           # one character of the signature off
        ({"Cookie": f"bellyfed_viewer={forged}"}, None),
        ({"X-Anonymous-Id": OTHER_GATEWAY.issue()}, None),
        ({}, None),
    ]:
        assert views.view_context(request(headers), None, VIEWERS)["anonymous_id"] \
            == expected, headers
    # a made-up header does not hide a good cookie, nor a good header a made-up body
    both = request({"X-Anonymous-Id": "visitor-1", "Cookie": f"bellyfed_viewer={signed}"})
    assert views.view_context(both, None, VIEWERS)["anonymous_id"] == viewer
    assert views.view_context(request({"X-Anonymous-Id": signed}), None, VIEWERS,
                              declared="visitor-1")["anonymous_id"] == viewer
    assert views.view_context(request(), None, VIEWERS, declared=signed)["anonymous_id"] \
        == viewer
    # without a key to check them with, no id names anyone
    assert views.view_context(request({"X-Anonymous-Id": signed}), None)["anonymous_id"] is None


def test_view_context_caps_the_user_agent():
    agent = "x" * 600 + " iPad"
    context = views.view_context(request({"User-Agent": agent}), None)
    assert context["user_agent"] == "x" * views.MAX_USER_AGENT
    assert views.MAX_USER_AGENT == 512
    assert context["device_type"] == "desktop"  # judged on what is kept


CONTEXT = {"user_id": None, "device_type": "tablet", "user_agent": "ua"}
ANSWER = {"items": [{"id": "r1", "name": "A"}, {"id": "r2", "name": "B"}],
          "count": 2, "total": 7, "next_offset": 2,
          "next_cursor": None}


def test_listing_event_without_q_is_restaurants_listed():
    query = {"city": "Ipoh", "cuisine": "Malaysian", "limit": 2, "offset": 0}
    assert views.listing_event(query, ANSWER, CONTEXT) == (RESTAURANTS_LISTED, {
        "filters": {"city": "Ipoh", "cuisine": "Malaysian"},
        "limit": 2,
        "offset": 0,
        "result_count": 2,
        "total": 7,
        "restaurant_ids": ["r1", "r2"],
        "user_id": None,
        "device_type": "tablet",
        "user_agent": "ua",
    })


def test_listing_event_with_q_is_restaurants_searched():
    query = {"q": "laksa", "limit": 12, "offset": 24}
    event_type, payload = views.listing_event(query, ANSWER, CONTEXT)
    assert event_type is RESTAURANTS_SEARCHED
    assert payload["filters"] == {"q": "laksa"}
    assert (payload["limit"], payload["offset"]) == (12, 24)


def test_listing_event_leaves_out_empty_filters():
    query = {"city": "", "cuisine": None, "q": "", "limit": 12, "offset": 0}
    event_type, payload = views.listing_event(query, ANSWER, CONTEXT)
    assert event_type is RESTAURANTS_LISTED
    assert payload["filters"] == {}


def test_listing_event_of_an_empty_page():
    empty = {"items": [], "count": 0, "total": 0, "total_is_estimate": False, "next_offset": None,
             "next_cursor": None}
    _, payload = views.listing_event({"limit": 12, "offset": 0}, empty, CONTEXT)
    assert (payload["result_count"], payload["total"], payload["restaurant_ids"]) == (0, 0, [])


def test_listing_event_context_cannot_be_overridden_by_filters():
    """The context is spread last: who looked is never taken from the query."""
    query = {"city": "Ipoh", "user_id": "someone-else", "limit": 12, "offset": 0}
    _, payload = views.listing_event(query, ANSWER, CONTEXT)
    assert payload["user_id"] is None
    assert "user_id" not in payload["filters"]


def test_restaurant_event():
    assert views.restaurant_event("r1", CONTEXT) == {
        "restaurant_id": "r1", "user_id": None, "device_type": "tablet", "user_agent": "ua"}


def test_dish_event():
    assert views.dish_event("d1", CONTEXT) == {
        "dish_id": "d1", "user_id": None, "device_type": "tablet", "user_agent": "ua"}


def test_tracked_view_event_takes_the_device_from_the_body():
    context = {"user_id": "u1", "anonymous_id": "checked", "device_type": "desktop",
               "user_agent": "ua"}
    assert views.tracked_view_event("r1", context, {}) == {"restaurant_id": "r1", **context}
    # the body's anonymous id counts only as view_context checked it (declared=)
    assert views.tracked_view_event(
        "r1", context, {"device_type": "mobile", "anonymous_id": "from-body"}) == {
        "restaurant_id": "r1", "user_id": "u1", "anonymous_id": "checked",
        "device_type": "mobile", "user_agent": "ua"}


def test_tracked_view_event_never_takes_the_viewer_from_the_body():
    context = {"user_id": None, "anonymous_id": None, "device_type": "desktop",
               "user_agent": "ua"}
    payload = views.tracked_view_event("r1", context, {"user_id": "someone-else"})
    assert payload["user_id"] is None


# --- settle, dashboard: answers from several services ---------------------------------------

def test_settle_keeps_every_answer():
    assert answers.settle({"catalog": {"id": "r1"}, "rankings": []},
                         optional=("rankings",)) == ({"catalog": {"id": "r1"}, "rankings": []},
                                                     [])


@pytest.mark.parametrize("failure", [ServiceTimeout("slow"), ServiceUnavailable("gone")])
def test_settle_names_an_optional_source_that_did_not_answer(failure):
    found, unavailable = answers.settle(
        {"catalog": {"id": "r1"}, "analytics": failure, "rankings": {"total_reviews": 0}},
        optional=("analytics", "rankings"))
    assert found == {"catalog": {"id": "r1"}, "analytics": None,
                       "rankings": {"total_reviews": 0}}
    assert unavailable == ["analytics"]


@pytest.mark.parametrize("failure", [ServiceTimeout("slow"), ServiceUnavailable("gone"),
                                     NotFound("no such restaurant")])
def test_settle_raises_what_a_required_source_raised(failure):
    with pytest.raises(type(failure)):
        answers.settle({"catalog": failure, "analytics": ServiceTimeout("slow")},
                      optional=("analytics",))


def test_settle_raises_an_optional_source_s_other_errors():
    """Only "did not answer" makes an answer partial; a bug stays a bug."""
    with pytest.raises(RuntimeError):
        answers.settle({"catalog": {}, "analytics": RuntimeError("bug")},
                      optional=("analytics",))


def test_settle_raises_the_first_failure():
    with pytest.raises(NotFound):
        answers.settle({"catalog": NotFound("gone"), "rankings": ServiceTimeout("slow")})


TRAFFIC = {
    "view_data": {"view_count": 3, "unique_viewers": 2},
    "traffic_data": [{"date": "2024-05-01", "views": 1}, {"date": "2024-05-02", "views": 2}],
    "hourly_views": {f"{hour:02d}": 0 for hour in range(24)},
    "device_data": {"mobile": 1, "tablet": 0, "desktop": 2},
    "period": "week",
}
SUMMARY = {"restaurant_id": "r1", "total_reviews": 1, "average_rating": 4.0,
           "rating_distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}}


def test_dashboard_of_every_source():
    assert answers.dashboard({"id": "r1"}, "week", TRAFFIC, SUMMARY, []) == {
        "restaurant": {"id": "r1"},
        "view_data": TRAFFIC["view_data"],
        "review_analytics": SUMMARY,
        "traffic_data": TRAFFIC["traffic_data"],
        "hourly_views": TRAFFIC["hourly_views"],
        "device_data": TRAFFIC["device_data"],
        "period": "week",
        "partial": False,
        "unavailable": [],
    }


def test_dashboard_without_analytics_or_rankings():
    assert answers.dashboard({"id": "r1"}, "day", None, None, ["analytics", "rankings"]) == {
        "restaurant": {"id": "r1"},
        "view_data": None,
        "review_analytics": None,
        "traffic_data": [],
        "hourly_views": None,
        "device_data": None,
        "period": "day",
        "partial": True,
        "unavailable": ["analytics", "rankings"],
    }
    partial = answers.dashboard({"id": "r1"}, "week", TRAFFIC, None, ["rankings"])
    assert partial["view_data"] == TRAFFIC["view_data"] and partial["partial"] is True


# --- ids_to_fetch, joined: one bulk read, joined back ----------------------------------------

R1, R2 = "0b7c6a3e-52f4-4c1e-9d0a-8a6f2f3e4b51", "0b7c6a3e-52f4-4c1e-9d0a-8a6f2f3e4b52"


def test_ids_to_fetch_asks_for_each_once_in_order():
    items = [{"restaurant_id": R2}, {"restaurant_id": R1}, {"restaurant_id": R2.upper()},
             {"restaurant_id": None}, {}]
    assert answers.ids_to_fetch(items, "restaurant_id") == [R2, R1]
    assert answers.ids_to_fetch([], "restaurant_id") == []


def test_joined_puts_what_was_found_beside_each_item():
    items = [{"restaurant_id": R1, "views": 5}, {"restaurant_id": R2, "views": 3},
             {"restaurant_id": R1.upper(), "views": 1}]
    found = [{"id": R1, "name": "One"}]   # R2 was deleted since it was counted
    assert answers.joined(items, "restaurant_id", found, "restaurant") == [
        {"restaurant_id": R1, "views": 5, "restaurant": {"id": R1, "name": "One"}},
        {"restaurant_id": R2, "views": 3, "restaurant": None},
        {"restaurant_id": R1.upper(), "views": 1, "restaurant": {"id": R1, "name": "One"}},
    ]
    assert answers.joined([], "restaurant_id", found, "restaurant") == []


# --- acting_identity: who is asking ----------------------------------------------------------

USER = "0b7c6a3e-52f4-4c1e-9d0a-8a6f2f3e4b5c"


def test_acting_identity_is_the_tokens_user_and_role():
    assert identity.acting_identity(request(as_user(USER)), TOKENS) == Identity(USER, "user")
    assert identity.acting_identity(request(as_admin_user(USER)), TOKENS) == Identity(USER, "admin")
    lower = {"authorization": "bearer " + token_for(USER)}
    assert identity.acting_identity(request(lower), TOKENS) == Identity(USER, "user")


def test_no_token_is_anonymous():
    assert identity.acting_identity(request(), TOKENS) is None


@pytest.mark.parametrize("headers", [
    bearer("garbage"), bearer(""), {"Authorization": "Bearer"}, {"Authorization": ""},
    {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": token_for(USER)},
    bearer(token_for(USER, secret="another-secret-that-is-long-enough-too")),
])
def test_a_bad_token_is_refused_never_anonymous(headers):
    with pytest.raises(Unauthorized) as raised:
        identity.acting_identity(request(headers), TOKENS)
    assert raised.value.details["header"] == "Authorization"


@pytest.mark.parametrize("headers", [{"X-User-Id": USER}, {"X-Admin-Token": "s3cret"}])
def test_the_retired_headers_make_nobody(headers):
    assert identity.acting_identity(request(headers), TOKENS) is None


def test_a_token_on_a_gateway_without_tokens_is_refused():
    with pytest.raises(Unauthorized):
        identity.acting_identity(request(as_user(USER)), None)


def test_view_context_names_the_user_when_known():
    headers = {"User-Agent": IPHONE}
    assert views.view_context(request(headers), Identity(USER, "user"))["user_id"] == USER
    assert views.view_context(request(headers), None)["user_id"] is None


# --- config: JWT --------------------------------------------------------------------------

def test_jwt_secret_is_required_outside_dev_mode(monkeypatch):
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.delenv("DEV_MODE", raising=False)
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        config.load()
    monkeypatch.setenv("DEV_MODE", "0")
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        config.load()


def test_dev_mode_makes_a_random_secret(monkeypatch, caplog):
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("DEV_MODE", "1")
    first, second = config.load()["JWT_SECRET"], config.load()["JWT_SECRET"]
    assert first != second and len(first) >= 32
    assert "JWT_SECRET is not set" in caplog.text


def test_jwt_settings(monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "x" * 32)
    monkeypatch.setenv("VIEWER_ID_SECRET", "v" * 32)
    loaded = config.load()
    assert loaded["JWT_SECRET"] == "x" * 32
    assert (loaded["JWT_ALGORITHM"], loaded["JWT_TTL_SECONDS"], loaded["JWT_ISSUER"],
            loaded["JWT_AUDIENCE"]) == ("HS256", 900, "bellyfed", "bellyfed-clients")
    assert (loaded["LOGIN_MAX_FAILURES_PER_ACCOUNT"], loaded["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            loaded["LOGIN_WINDOW_SECONDS"]) == (5, 20, 900.0)


@pytest.mark.parametrize("name, value", [("JWT_SECRET", "short"), ("JWT_ALGORITHM", "none"),
                                         ("JWT_ALGORITHM", "RS256"), ("DEV_MODE", "maybe")])
def test_jwt_settings_refuse_unusable_values(monkeypatch, name, value):
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("DEV_MODE", "1")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        config.load()


def test_ready_asks_every_downstream_service():
    assert config.DOWNSTREAM == ("catalog", "rankings", "analytics", "orders")


# --- orders ---------------------------------------------------------------------------------

def test_order_request_is_what_the_orders_service_takes():
    restaurant, dish = uuid.uuid4(), uuid.uuid4()
    fields = {"restaurant_id": restaurant, "items": [{"dish_id": dish, "quantity": 2}]}
    assert answers.order_request(fields) == {
        "restaurant_id": str(restaurant), "items": [{"dish_id": str(dish), "quantity": 2}]}
    assert answers.order_request({**fields, "notes": None})["notes"] is None
    address = "12 Jalan Sultan Idris Shah, Ipoh"
    assert answers.order_request({**fields, "delivery_address": address})[
        "delivery_address"] == address


def test_metrics_window_is_utc_text():
    plus8 = timezone(timedelta(hours=8))
    query = {"from": datetime(2024, 5, 1, 8, 30, tzinfo=plus8),
             "to": datetime(2024, 5, 2, 0, 0, tzinfo=UTC)}
    assert answers.metrics_window(query) == ("2024-05-01T00:30:00+00:00",
                                            "2024-05-02T00:00:00+00:00")


# --- view events: what the gateway publishes is what its schemas say -------------------------

def test_view_events_are_sent_as_their_schema_says():
    from marshmallow import ValidationError

    from services.gateway.contract.events import DISH_VIEWED, EVENTS, RESTAURANT_VIEWED
    from services.gateway.schemas import view_event_payload

    context = views.view_context(request({"User-Agent": IPHONE}), Identity(USER, "user"))
    restaurant = str(uuid.uuid4())
    payload = view_event_payload(RESTAURANT_VIEWED, {
        **views.restaurant_event(restaurant, context), "stray": "not sent"})
    assert payload == {"restaurant_id": restaurant, "user_id": USER, "anonymous_id": None,
                       "device_type": "mobile", "user_agent": IPHONE}
    with pytest.raises(ValidationError):
        view_event_payload(DISH_VIEWED, views.dish_event("not-a-uuid", context))
    with pytest.raises(ValidationError):  # a field the schema requires is missing
        view_event_payload(RESTAURANT_VIEWED, {"restaurant_id": restaurant})
    assert set(EVENTS) == {
        "restaurants_listed", "restaurants_searched", "restaurant_viewed",
        "restaurant_menu_viewed", "restaurant_reviews_viewed", "dish_viewed"}
