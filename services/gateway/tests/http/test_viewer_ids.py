"""Who the anonymous viewer of a view is, over real HTTP (SPEC §5): only an id the gateway
issued and signed names one (issue #17: 50 reads with 50 made-up X-Anonymous-Id values
made 50 unique viewers). A view without a viewer id that verifies is still a view, with
anonymous_id null, never an error, and its answer hands out a new id.

The counts these events make in analytics: tests/e2e/test_viewer_ids.py.
"""

from __future__ import annotations

import re
import secrets
import uuid

import pytest

from services.gateway.domain.viewers import COOKIE_MAX_AGE, ViewerIds
from services.gateway.tests.support import VIEWERS, as_user, assert_error
from shared.events import parse_envelope

SIGNED_ID = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}\Z")
OTHER_GATEWAY = ViewerIds("the-key-of-another-gateway-" + "0123456789abcdef" * 2)
APP = "https://app.bellyfed.example"


@pytest.fixture
def events(record_events):
    return record_events("gateway")


def viewer_of(signed_id: str) -> str:
    """What a view event names for a viewer id: its id part."""
    return signed_id.split(".")[0]


def tampered(signed_id: str) -> str:
    """The id with the last character of its signature changed."""
    return signed_id[:-1] + ("A" if signed_id[-1] != "A" else "B")


def the_view(events) -> dict:
    """The payload of the one view event the last request made."""
    [body] = events.take(1)
    assert events.take_all(settle=0.1) == [], "more than one event"
    return parse_envelope(body)["payload"]


def new_id(response, secure: bool = True) -> str | None:
    """The viewer id the answer hands out: the same in X-Anonymous-Id and in the cookie
    (HttpOnly, SameSite=Lax, Secure, a year), and such an answer is no shared cache's to
    keep. None when it hands out none."""
    signed_id = response.headers.get("X-Anonymous-Id")
    cookie = response.headers.get("Set-Cookie")
    if signed_id is None:
        assert cookie is None, cookie
        return None
    assert SIGNED_ID.match(signed_id), signed_id
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0] == f"bellyfed_viewer={signed_id}"
    assert {"HttpOnly", "SameSite=Lax", "Path=/", f"Max-Age={COOKIE_MAX_AGE}"} <= set(
        attributes), cookie
    assert ("Secure" in attributes) is secure, cookie
    assert not response.headers["Cache-Control"].startswith("public")
    return signed_id


def test_fifty_reads_with_fifty_made_up_ids_are_fifty_views_and_no_viewer(
        gateway, seeded, web_session, events):
    restaurant = seeded["restaurants"]["Sushi Zen"]
    made_up = [
        *(f"visitor-{n}" for n in range(20)),                                # plain names
        *(f"{secrets.token_urlsafe(16)}.{secrets.token_urlsafe(16)}" for _ in range(20)),
        *(OTHER_GATEWAY.issue() for _ in range(5)),                          # another key
        *(tampered(VIEWERS.issue()) for _ in range(5)),                      # altered
    ]
    handed_out = []
    for presented in made_up:
        response = web_session.get(f"/restaurants/{restaurant['id']}",
                                   headers={"X-Anonymous-Id": presented})
        assert response.status_code == 200, response.text
        assert response.json() == restaurant
        handed_out.append(new_id(response))
    published = [parse_envelope(body) for body in events.take(50)]
    assert events.take_all() == []
    assert [(event["event_type"], event["payload"]["restaurant_id"]) for event in published] \
        == [("restaurant_viewed", restaurant["id"])] * 50
    assert [event["payload"]["anonymous_id"] for event in published] == [None] * 50
    # each answer offered a viewer id of its own, good from the next request on
    assert len(set(handed_out)) == 50
    assert all(VIEWERS.viewer(signed_id) == viewer_of(signed_id) for signed_id in handed_out)


def test_an_issued_id_is_one_viewer_however_often_and_wherever_it_is_sent(
        gateway, seeded, web_session, events):
    restaurant = seeded["restaurants"]["Penang Kitchen"]
    first = web_session.get(f"/restaurants/{restaurant['id']}")
    assert the_view(events)["anonymous_id"] is None  # the view that asked for the id
    signed_id = new_id(first)
    assert signed_id

    viewer = viewer_of(signed_id)
    track = f"/restaurants/{restaurant['id']}/analytics"
    for _ in range(3):
        for method, path, kwargs in [
            ("GET", f"/restaurants/{restaurant['id']}", {"headers": {
                "X-Anonymous-Id": signed_id}}),
            ("GET", f"/restaurants/{restaurant['id']}", {"headers": {
                "Cookie": f"bellyfed_viewer={signed_id}"}}),
            ("GET", f"/restaurants/{restaurant['id']}/menu", {"headers": {
                "X-Anonymous-Id": signed_id}}),
            ("GET", "/restaurants", {"headers": {"Cookie": f"bellyfed_viewer={signed_id}"}}),
            ("POST", track, {"json": {"anonymous_id": signed_id}}),
            ("POST", track, {"json": {}, "headers": {"X-Anonymous-Id": signed_id}}),
        ]:
            response = web_session.request(method, path, **kwargs)
            assert response.status_code in (200, 202), response.text
            assert the_view(events)["anonymous_id"] == viewer, (method, path, kwargs)
            assert new_id(response) is None, (method, path)  # it has one
            if method == "GET":  # and a public read stays one for shared caches
                assert response.headers["Cache-Control"].startswith("public")


def test_a_tampered_or_foreign_id_is_a_view_with_no_viewer(gateway, seeded, web_session,
                                                          events):
    restaurant = seeded["restaurants"]["Curry Corner"]
    signed_id = VIEWERS.issue()
    path = f"/restaurants/{restaurant['id']}"
    for headers in [
        {"X-Anonymous-Id": tampered(signed_id)},
        {"X-Anonymous-Id": "A" + signed_id[1:] if signed_id[0] != "A" else "B" + signed_id[1:]},
        {"Cookie": f"bellyfed_viewer={tampered(signed_id)}"},
        {"X-Anonymous-Id": OTHER_GATEWAY.issue()},
        {"X-Anonymous-Id": viewer_of(signed_id)},                # the id part alone
        {"X-Anonymous-Id": "x" * 5000},
        {"X-Anonymous-Id": ("é" * 45).encode("latin-1")},
        {"X-Anonymous-Id": ""},
    ]:
        response = web_session.get(path, headers=headers)
        assert response.status_code == 200, (headers, response.text)  # never an error
        assert the_view(events)["anonymous_id"] is None, headers
        assert new_id(response) not in (None, signed_id), headers

    # a made-up id does not hide a good one elsewhere: the header, then the cookie
    response = web_session.get(path, headers={"X-Anonymous-Id": tampered(signed_id),
                                              "Cookie": f"bellyfed_viewer={signed_id}"})
    assert the_view(events)["anonymous_id"] == viewer_of(signed_id)
    assert new_id(response) is None


def test_a_reported_view_takes_the_bodys_id_only_when_signed(gateway, seeded, web_session,
                                                            events):
    restaurant = seeded["restaurants"]["Nasi Lemak House"]
    track = f"/restaurants/{restaurant['id']}/analytics"
    signed_id, other = VIEWERS.issue(), VIEWERS.issue()
    for body, headers, expected in [
        ({"anonymous_id": signed_id}, {}, viewer_of(signed_id)),
        ({"anonymous_id": signed_id}, {"X-Anonymous-Id": other}, viewer_of(signed_id)),
        ({"anonymous_id": "visitor-1"}, {"X-Anonymous-Id": other}, viewer_of(other)),
        ({"anonymous_id": "visitor-1"}, {}, None),              # well formed, unsigned: 202
        ({"anonymous_id": tampered(signed_id)}, {}, None),
        ({"device_type": "mobile"}, {}, None),
    ]:
        response = web_session.post(track, json=body, headers=headers)
        assert response.status_code == 202, (body, response.text)
        assert response.json() == {"status": "accepted"}
        assert the_view(events)["anonymous_id"] == expected, (body, headers)
        assert (new_id(response) is None) is (expected is not None), body
        assert response.headers["Cache-Control"] == "no-store"


def test_a_signed_in_viewer_gets_no_anonymous_id(gateway, seeded, web_session, events):
    restaurant = seeded["restaurants"]["Sushi Zen"]
    user = str(uuid.uuid4())
    response = web_session.get(f"/restaurants/{restaurant['id']}", headers=as_user(user))
    assert response.status_code == 200
    view = the_view(events)
    assert (view["user_id"], view["anonymous_id"]) == (user, None)
    assert new_id(response) is None
    # the id a browser kept from before it signed in still travels along (the user counts)
    signed_id = VIEWERS.issue()
    response = web_session.get(f"/restaurants/{restaurant['id']}",
                               headers={**as_user(user), "X-Anonymous-Id": signed_id})
    view = the_view(events)
    assert (view["user_id"], view["anonymous_id"]) == (user, viewer_of(signed_id))
    assert new_id(response) is None


def test_every_route_that_makes_a_view_hands_out_an_id_and_no_other(
        gateway, seeded, web_session, events):
    restaurant = seeded["restaurants"]["Sushi Zen"]
    for method, path in [("GET", "/restaurants"), ("GET", f"/restaurants/{restaurant['id']}"),
                         ("GET", f"/restaurants/{restaurant['id']}/menu"),
                         ("POST", f"/restaurants/{restaurant['id']}/analytics")]:
        response = web_session.request(method, path, json={} if method == "POST" else None)
        assert response.status_code in (200, 202), (path, response.text)
        assert the_view(events)["anonymous_id"] is None
        assert new_id(response), path
    # no view, no id: other reads, a view of nothing, a refused report
    for response in [web_session.get("/dishes/search", params={"q": "rice"}),
                     web_session.get("/restaurants/nearby", params={"lat": 3.1, "lng": 101.7}),
                     web_session.get("/health"), web_session.get("/openapi.json"),
                     web_session.get(f"/restaurants/{uuid.uuid4()}"),
                     web_session.post(f"/restaurants/{restaurant['id']}/analytics",
                                      json={"device_type": "toaster"})]:
        assert new_id(response) is None, response.request.url
    assert events.take_all() == []


def test_reviews_and_dish_rankings_hand_out_ids_too(rankings_gateway, known, web_session,
                                                   events):
    restaurant_id = known.restaurant("Warung Viewers")
    dish_id = known.dish(restaurant_id, "Nasi Lemak Viewer")
    for path in (f"/restaurants/{restaurant_id}/reviews", f"/dishes/{dish_id}/rankings"):
        response = web_session.get(path)
        assert response.status_code == 200, response.text
        assert the_view(events)["anonymous_id"] is None
        signed_id = new_id(response)
        assert signed_id, path
        response = web_session.get(path, headers={"X-Anonymous-Id": signed_id})
        assert the_view(events)["anonymous_id"] == viewer_of(signed_id)
        assert new_id(response) is None


def test_a_not_modified_answer_hands_out_an_id_as_well(gateway, seeded, web_session, events):
    restaurant = seeded["restaurants"]["Sushi Zen"]
    path = f"/restaurants/{restaurant['id']}"
    etag = web_session.get(path).headers["ETag"]
    the_view(events)
    response = web_session.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert the_view(events)["anonymous_id"] is None
    signed_id = new_id(response)
    assert signed_id
    response = web_session.get(path, headers={"If-None-Match": etag,
                                              "X-Anonymous-Id": signed_id})
    assert response.status_code == 304
    assert the_view(events)["anonymous_id"] == viewer_of(signed_id)
    assert new_id(response) is None


def test_a_browser_sends_the_cookie_back_by_itself(catalog, seeded, start_gateway,
                                                   web_session, events):
    """VIEWER_COOKIE_SECURE off (a browser on plain HTTP): the session keeps the cookie and
    every next view is that viewer's, without the client doing anything."""
    start_gateway(VIEWER_COOKIE_SECURE=False)
    restaurant = seeded["restaurants"]["Sushi Zen"]
    path = f"/restaurants/{restaurant['id']}"
    signed_id = new_id(web_session.get(path), secure=False)
    assert the_view(events)["anonymous_id"] is None
    for _ in range(3):
        response = web_session.get(path)
        assert the_view(events)["anonymous_id"] == viewer_of(signed_id)
        assert new_id(response) is None


def test_a_viewer_id_of_another_gateway_key_names_nobody(catalog, seeded, start_gateway,
                                                         web_session, events):
    """Rotating VIEWER_ID_SECRET makes every anonymous viewer new: the old ids name nobody."""
    start_gateway(VIEWER_ID_SECRET=OTHER_GATEWAY.secret)
    restaurant = seeded["restaurants"]["Sushi Zen"]
    response = web_session.get(f"/restaurants/{restaurant['id']}",
                               headers={"X-Anonymous-Id": VIEWERS.issue()})
    assert the_view(events)["anonymous_id"] is None
    assert OTHER_GATEWAY.viewer(new_id(response))


def test_pages_on_another_origin_may_read_the_new_id(catalog, seeded, start_gateway,
                                                     web_session, events):
    start_gateway(CORS_ORIGINS=[APP])
    restaurant = seeded["restaurants"]["Sushi Zen"]
    response = web_session.get(f"/restaurants/{restaurant['id']}", headers={"Origin": APP})
    the_view(events)
    assert new_id(response)
    exposed = [name.strip() for name in
               response.headers["Access-Control-Expose-Headers"].split(",")]
    assert "X-Anonymous-Id" in exposed
    preflight = web_session.options(f"/restaurants/{restaurant['id']}", headers={
        "Origin": APP, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-Anonymous-Id"})
    assert preflight.status_code == 204
    assert "X-Anonymous-Id" in preflight.headers["Access-Control-Allow-Headers"]
    assert_error(web_session.options(f"/restaurants/{restaurant['id']}", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}),
        403, "forbidden")
