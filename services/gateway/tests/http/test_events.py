"""The analytics events the gateway publishes for reads (SPEC §1, §2, §7)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from urllib3.util import SKIP_HEADER

from services.gateway.tests.support import (
    ANDROID_PHONE,
    ANDROID_TABLET,
    DESKTOP,
    IPAD,
    IPHONE,
    UUID_RE,
    as_user,
    assert_error,
)
from shared.event_buffer import BufferedEventDispatcher
from shared.events import parse_envelope

UA = "bellyfed-tests/1.0"


@pytest.fixture
def events(record_events):
    return record_events("gateway")


def the_event(events, response) -> dict:
    """The one event this request published: a valid envelope from the gateway, parsed."""
    # buffered, then published within a flush interval (shared.event_buffer): it comes
    # alone, a request makes one view
    [body] = events.take(1)
    assert events.take_all(settle=0.1) == [], "more than one event"
    envelope = parse_envelope(body)
    assert envelope["producer"] == "gateway"
    assert envelope["version"] == 1
    assert isinstance(envelope["event_id"], uuid.UUID)
    assert abs(envelope["occurred_at"] - datetime.now(UTC)) < timedelta(seconds=30)
    assert envelope["correlation_id"] == response.headers["X-Request-ID"]
    return envelope


def test_listing_publishes_restaurants_listed(gateway, seeded, web_session, events):
    response = web_session.get("/restaurants", params={"city": "Kuala Lumpur", "limit": 1},
                               headers={"User-Agent": UA})
    assert response.status_code == 200
    event = the_event(events, response)
    assert event["event_type"] == "restaurants_listed"
    assert event["payload"] == {
        "filters": {"city": "Kuala Lumpur"},
        "limit": 1,
        "offset": 0,
        "result_count": 1,
        "total": 2,
        "restaurant_ids": [seeded["restaurants"]["Nasi Lemak House"]["id"]],
        "user_id": None,
        "anonymous_id": None,
        "device_type": "desktop",
        "user_agent": UA,
    }


def test_listing_without_parameters(gateway, seeded, web_session, events):
    response = web_session.get("/restaurants", headers={"User-Agent": UA})
    event = the_event(events, response)
    assert event["event_type"] == "restaurants_listed"
    assert event["payload"]["filters"] == {}
    assert event["payload"]["limit"] == 12 and event["payload"]["offset"] == 0
    assert event["payload"]["restaurant_ids"] == [i["id"] for i in response.json()["items"]]


def test_searching_publishes_restaurants_searched(gateway, seeded, web_session, events):
    response = web_session.get("/restaurants", params={"q": "jalan", "city": "Ipoh",
                                                       "offset": 0},
                               headers={"User-Agent": UA})
    assert response.status_code == 200
    event = the_event(events, response)
    assert event["event_type"] == "restaurants_searched"
    assert event["payload"] == {
        "filters": {"q": "jalan", "city": "Ipoh"},
        "limit": 12,
        "offset": 0,
        "result_count": 1,
        "total": 1,
        "restaurant_ids": [seeded["restaurants"]["Curry Corner"]["id"]],
        "user_id": None,
        "anonymous_id": None,
        "device_type": "desktop",
        "user_agent": UA,
    }


def test_viewing_publishes_restaurant_viewed(gateway, seeded, web_session, events):
    restaurant = seeded["restaurants"]["Sushi Zen"]
    response = web_session.get(f"/restaurants/{restaurant['id']}", headers={"User-Agent": UA})
    assert response.status_code == 200
    event = the_event(events, response)
    assert event["event_type"] == "restaurant_viewed"
    assert event["payload"] == {"restaurant_id": restaurant["id"], "user_id": None,
                                "anonymous_id": None, "device_type": "desktop",
                                "user_agent": UA}


def test_menu_publishes_restaurant_menu_viewed(gateway, seeded, web_session, events):
    restaurant = seeded["restaurants"]["Penang Kitchen"]
    response = web_session.get(f"/restaurants/{restaurant['id']}/menu",
                               headers={"User-Agent": IPHONE})
    assert response.status_code == 200
    event = the_event(events, response)
    assert event["event_type"] == "restaurant_menu_viewed"
    assert event["payload"] == {"restaurant_id": restaurant["id"], "user_id": None,
                                "anonymous_id": None, "device_type": "mobile",
                                "user_agent": IPHONE}


def test_failed_and_non_view_requests_publish_nothing(gateway, rankings_service, seeded,
                                                      web_session, events, admin_headers):
    missing = uuid.uuid4()
    assert_error(web_session.get(f"/restaurants/{missing}"), 404, "not_found")
    assert_error(web_session.get(f"/restaurants/{missing}/menu"), 404, "not_found")
    assert_error(web_session.get("/restaurants", params={"limit": 0}), 400, "bad_request")
    assert_error(web_session.get("/restaurants/nope"), 404, "not_found")
    assert web_session.get("/dishes/search", params={"q": "rice"}).status_code == 200
    assert web_session.get("/health").status_code == 200
    assert web_session.get("/ready").status_code == 503  # analytics is not running here
    assert web_session.get("/openapi.json").status_code == 200
    assert web_session.post("/restaurants", json={"name": "A", "city": "B"},
                            headers=admin_headers).status_code == 201
    # reviews of a restaurant rankings does not know, or asked for badly
    assert_error(web_session.get(f"/restaurants/{missing}/reviews"), 404, "not_found")
    assert_error(web_session.get(f"/restaurants/{missing}/reviews", params={"limit": 51}),
                 400, "bad_request")
    assert events.take_all() == []


def test_reviews_publish_restaurant_reviews_viewed(rankings_gateway, known, register,
                                                   web_session, events):
    """The same context as restaurant_viewed, with the viewer when the request says who."""
    restaurant_id = known.restaurant("Warung Events")
    response = web_session.get(f"/restaurants/{restaurant_id}/reviews",
                               headers={"User-Agent": IPAD})
    assert response.status_code == 200
    event = the_event(events, response)
    assert event["event_type"] == "restaurant_reviews_viewed"
    assert event["payload"] == {"restaurant_id": restaurant_id, "user_id": None,
                                "anonymous_id": None, "device_type": "tablet",
                                "user_agent": IPAD}

    viewer = register("viewer")
    response = web_session.get(f"/restaurants/{restaurant_id}/reviews",
                               params={"limit": 5}, headers={"User-Agent": UA,
                                                             **as_user(viewer["id"])})
    assert response.status_code == 200
    event = the_event(events, response)
    assert event["event_type"] == "restaurant_reviews_viewed"
    assert event["payload"] == {"restaurant_id": restaurant_id, "user_id": viewer["id"],
                                "anonymous_id": None, "device_type": "desktop",
                                "user_agent": UA}


def test_dish_rankings_publish_dish_viewed(rankings_gateway, known, register, web_session,
                                           events):
    """Looking at a dish's rankings is a view of the dish (analytics: views, trending)."""
    dish_id = known.dish(known.restaurant("Warung Dish"), "Nasi Lemak Ayam")
    viewer = register("dishlooker")
    response = web_session.get(f"/dishes/{dish_id}/rankings",
                               headers={"User-Agent": IPHONE, **as_user(viewer["id"])})
    assert response.status_code == 200
    event = the_event(events, response)
    assert event["event_type"] == "dish_viewed"
    assert event["payload"] == {"dish_id": dish_id, "user_id": viewer["id"],
                                "anonymous_id": None, "device_type": "mobile",
                                "user_agent": IPHONE}

    assert_error(web_session.get(f"/dishes/{uuid.uuid4()}/rankings"), 404, "not_found")
    assert events.take_all() == []  # no view of a dish that is not there


# who the anonymous viewer is (X-Anonymous-Id, the viewer cookie): test_viewer_ids.py


def test_views_carry_the_acting_user_when_known(gateway, rankings_service, seeded, register,
                                                web_session, events):
    viewer = register("looker")
    restaurant = seeded["restaurants"]["Sushi Zen"]
    for headers, expected in [
        (as_user(viewer["id"]), viewer["id"]),
        (as_user(viewer["id"].upper()), viewer["id"]),    # the same id, normalized
        ({}, None),
    ]:
        response = web_session.get(f"/restaurants/{restaurant['id']}",
                                   headers={"User-Agent": UA, **headers})
        assert response.status_code == 200
        assert the_event(events, response)["payload"]["user_id"] == expected, headers
    response = web_session.get("/restaurants", headers=as_user(viewer["id"]))
    assert the_event(events, response)["payload"]["user_id"] == viewer["id"]


def test_views_with_a_token_of_another_gateway_are_refused(catalog, seeded, start_gateway,
                                                          web_session, events):
    """A bad token is 401 even where an anonymous viewer is welcome: never silently
    anonymous."""
    start_gateway(JWT_SECRET="another-gateway-secret-long-enough-for-hs256")
    restaurant = seeded["restaurants"]["Sushi Zen"]
    response = web_session.get(f"/restaurants/{restaurant['id']}/menu",
                               headers=as_user(str(uuid.uuid4())))
    assert_error(response, 401, "unauthorized")
    response = web_session.get(f"/restaurants/{restaurant['id']}/menu")
    assert the_event(events, response)["payload"]["user_id"] is None


DEVICES = [
    ({"User-Agent": IPHONE}, "mobile"),
    ({"User-Agent": ANDROID_PHONE}, "mobile"),
    ({"User-Agent": IPAD}, "tablet"),
    ({"User-Agent": ANDROID_TABLET}, "tablet"),
    ({"User-Agent": DESKTOP}, "desktop"),
    ({"User-Agent": ""}, "desktop"),
    ({"User-Agent": DESKTOP, "X-Device-Type": "tablet"}, "tablet"),
    ({"User-Agent": DESKTOP, "X-Device-Type": "MOBILE"}, "mobile"),
    ({"User-Agent": IPHONE, "X-Device-Type": "Desktop"}, "desktop"),
    ({"User-Agent": IPHONE, "X-Device-Type": "toaster"}, "mobile"),
    ({"User-Agent": IPAD, "X-Device-Type": ""}, "tablet"),
]


def test_device_type(gateway, seeded, web_session, events):
    restaurant = seeded["restaurants"]["Curry Corner"]
    for headers, expected in DEVICES:
        response = web_session.get(f"/restaurants/{restaurant['id']}", headers=headers)
        event = the_event(events, response)
        assert event["payload"]["device_type"] == expected, headers
        assert event["payload"]["user_agent"] == headers["User-Agent"]


def test_device_type_without_user_agent_header(gateway, seeded, web_session, events):
    restaurant = seeded["restaurants"]["Curry Corner"]
    response = web_session.get(f"/restaurants/{restaurant['id']}",
                               headers={"User-Agent": SKIP_HEADER})  # none sent
    event = the_event(events, response)
    assert event["payload"]["device_type"] == "desktop"
    assert event["payload"]["user_agent"] == ""


def test_user_agent_is_capped_at_512_characters(gateway, seeded, web_session, events):
    long_agent = "A" * 300 + " iPhone " + "B" * 300
    response = web_session.get("/restaurants", headers={"User-Agent": long_agent})
    event = the_event(events, response)
    assert event["payload"]["user_agent"] == long_agent[:512]
    assert event["payload"]["device_type"] == "mobile"


# --- correlation ---------------------------------------------------------------------------

def test_request_id_is_echoed_and_becomes_the_correlation_id(gateway, seeded, web_session,
                                                             events):
    restaurant = seeded["restaurants"]["Sushi Zen"]
    response = web_session.get(f"/restaurants/{restaurant['id']}",
                               headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "abc-123"
    assert the_event(events, response)["correlation_id"] == "abc-123"


def test_request_id_is_generated_when_absent(gateway, seeded, web_session, events):
    first = web_session.get("/restaurants")
    generated = first.headers["X-Request-ID"]
    assert UUID_RE.match(generated), generated
    assert the_event(events, first)["correlation_id"] == generated
    second = web_session.get("/restaurants")
    assert second.headers["X-Request-ID"] != generated
    assert the_event(events, second)["correlation_id"] == second.headers["X-Request-ID"]


def test_unsafe_request_id_is_replaced(gateway, seeded, web_session, events):
    for unsafe in ["has space", "x" * 129, "semi;colon", "<script>", "é"]:
        response = web_session.get("/restaurants", headers={"X-Request-ID": unsafe.encode()})
        replaced = response.headers["X-Request-ID"]
        assert replaced != unsafe and UUID_RE.match(replaced), unsafe
        assert the_event(events, response)["correlation_id"] == replaced
    response = web_session.get("/restaurants", headers={"X-Request-ID": "A." + "x" * 126})
    assert response.headers["X-Request-ID"] == "A." + "x" * 126  # 128 is still fine
    assert the_event(events, response)["correlation_id"] == "A." + "x" * 126


def test_errors_carry_the_request_id(gateway, web_session):
    response = web_session.get(f"/restaurants/{uuid.uuid4()}", headers={"X-Request-ID": "e-1"})
    assert_error(response, 404, "not_found")
    assert response.headers["X-Request-ID"] == "e-1"
    response = web_session.post("/restaurants", json={}, headers={"X-Request-ID": "e-2"})
    assert_error(response, 401, "unauthorized")
    assert response.headers["X-Request-ID"] == "e-2"


# --- views never wait for the broker -----------------------------------------------------

def test_a_read_answers_while_the_broker_refuses_its_views_and_they_follow_once(
        gateway, seeded, web_session, events):
    [buffered] = [d for d in gateway.dependencies if isinstance(d, BufferedEventDispatcher)]
    publish = buffered.publisher.publish
    attempts = []

    def broker_refuses_twice(envelopes):
        attempts.append(len(envelopes))
        if len(attempts) <= 2:
            raise ConnectionError("broker down")
        publish(envelopes)

    buffered.publisher.publish = broker_refuses_twice
    restaurant = seeded["restaurants"]["Sushi Zen"]
    started = time.monotonic()
    response = web_session.get(f"/restaurants/{restaurant['id']}")
    assert response.status_code == 200
    assert response.json() == restaurant
    assert web_session.get("/restaurants").status_code == 200
    assert time.monotonic() - started < 1.0  # nobody waited for the retries
    # the batch is resent whole, with the same event ids: each view arrives once
    bodies = events.take(2, timeout=10)
    assert events.take_all(settle=0.5) == []
    assert sorted(body["event_type"] for body in bodies) == ["restaurant_viewed",
                                                            "restaurants_listed"]
    assert len(attempts) >= 3
    assert buffered.counts["batches resent"] >= 2
