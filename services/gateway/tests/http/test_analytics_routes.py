"""The analytics routes over real HTTP (SPEC §5, §7): tracking views, the restaurant
dashboard, trending restaurants and dishes, experts, leaderboards, engagement.

The broad tests run the real catalog, rankings and analytics behind the gateway (analytics
on the session's embedded moto server) and follow views and rankings through the events to
the answers. The others put small stand-ins behind it: to be slow on purpose, or to count
how the gateway asks (one bulk read for a whole list, never one per item).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from services.gateway.tests.support import DESKTOP, IPHONE, as_user, assert_error
from shared.events import EventDispatcher, parse_envelope

DEADLINE = 10.0  # events travel through the broker (and rankings' outbox): poll, never sleep
HOURS = [f"{hour:02d}" for hour in range(24)]


def eventually(check, deadline: float = DEADLINE):
    """check() until it returns something truthy (then that), or fail with its last answer."""
    stop = time.monotonic() + deadline
    while True:
        answer = check()
        if answer or time.monotonic() > stop:
            assert answer, f"not within {deadline}s"
            return answer
        eventlet.sleep(0.1)


def answer_when(request, condition, deadline: float = DEADLINE):
    """Repeat the request until its 200 answer's JSON satisfies `condition`; that answer."""
    last = {}

    def check():
        response = request()
        assert response.status_code == 200, response.text
        last["body"] = response.json()
        return response if condition(last["body"]) else None

    try:
        return eventually(check, deadline)
    except AssertionError:
        raise AssertionError(f"last answer: {last.get('body')}") from None


@pytest.fixture
def analytics_rpc(analytics_service, analytics_config):
    with ClusterRpcProxy(analytics_config, timeout=5) as cluster:
        yield cluster.analytics


@pytest.fixture
def gateway_events(record_events):
    return record_events("gateway")


# --- everything running -----------------------------------------------------------------

def test_views_reach_the_dashboard_and_trending(catalog, rankings_service, analytics_service,
                                                seeded, document, register, web_session,
                                                admin_headers, validate_against,
                                                gateway_events):
    house = seeded["restaurants"]["Nasi Lemak House"]
    sushi = seeded["restaurants"]["Sushi Zen"]
    viewer = register("viewer")
    dashboard = f"/restaurants/{house['id']}/analytics"
    answers = []  # (method, OpenAPI path, response): each checked against the document

    def track(restaurant, body, headers=None):
        response = web_session.post(f"/restaurants/{restaurant['id']}/analytics", json=body,
                                    headers={"User-Agent": DESKTOP, **(headers or {})})
        answers.append(("post", "/restaurants/{restaurant_id}/analytics", response))
        assert response.status_code == 202, response.text
        assert response.json() == {"status": "accepted"}

    # two anonymous visitors, each with the viewer id the gateway handed out when they
    # first listed restaurants (a view of the listing, not of these restaurants)
    visitor_1, visitor_2 = (web_session.get("/restaurants").headers["X-Anonymous-Id"]
                            for _ in range(2))
    listings = [parse_envelope(body) for body in gateway_events.take(2)]
    assert [event["payload"]["anonymous_id"] for event in listings] == [None, None]

    # five views of the house: two viewers (a user, an anonymous visitor), one unnamed
    track(house, {}, as_user(viewer["id"]))
    assert web_session.get(f"/restaurants/{house['id']}",
                           headers={"User-Agent": IPHONE, **as_user(viewer["id"])}
                           ).status_code == 200
    track(house, {"device_type": "tablet", "anonymous_id": visitor_1})
    assert web_session.get(f"/restaurants/{house['id']}",
                           headers={"User-Agent": DESKTOP, "X-Anonymous-Id": visitor_1}
                           ).status_code == 200
    # a client retrying its request (same Idempotency-Key) reports the same view again
    track(house, {"device_type": "mobile"}, {"Idempotency-Key": "view-1"})
    track(house, {"device_type": "mobile"}, {"Idempotency-Key": "view-1"})
    # and two of the sushi place
    track(sushi, {"anonymous_id": visitor_2})
    track(sushi, {"anonymous_id": visitor_2})

    # what the gateway published for the tracked views: the body's device and visitor (the
    # id part of the viewer id: one id is one viewer)
    visitor_1 = visitor_1.split(".")[0]
    published = [parse_envelope(body) for body in gateway_events.take(8)]
    house_events = [event for event in published
                    if event["payload"].get("restaurant_id") == house["id"]]
    tracked = [event["payload"] for event in house_events]
    # (the reads' own views are buffered: they may arrive after the tracked ones)
    viewers = [(p["user_id"], p["anonymous_id"], p["device_type"]) for p in tracked]
    assert sorted(viewers, key=repr) == sorted([
        (viewer["id"], None, "desktop"),
        (viewer["id"], None, "mobile"),
        (None, visitor_1, "tablet"),
        (None, visitor_1, "desktop"),
        (None, None, "mobile"),
        (None, None, "mobile"),
    ], key=repr)
    retried = [event for event in house_events
               if (event["payload"]["anonymous_id"], event["payload"]["user_id"],
                   event["payload"]["device_type"]) == (None, None, "mobile")]
    assert retried[0]["event_id"] == retried[1]["event_id"]  # one view, counted once
    assert {event["event_type"] for event in published} == {"restaurant_viewed"}

    # a review, once rankings has heard of the restaurant from the catalog's events
    def review():
        response = web_session.post(f"/restaurants/{house['id']}/reviews",
                                    json={"rating": 4, "content": "good sambal"},
                                    headers=as_user(viewer["id"]))
        return response if response.status_code == 201 else None

    eventually(review)

    response = answer_when(
        lambda: web_session.get(dashboard, headers=admin_headers),
        lambda body: (body["view_data"] or {}).get("view_count") == 5
        and body["review_analytics"]["total_reviews"] == 1)
    answers.append(("get", "/restaurants/{restaurant_id}/analytics", response))
    body = response.json()
    now = datetime.now(UTC)
    week = [(now.date() - timedelta(days=back)).isoformat() for back in range(6, -1, -1)]
    assert body["restaurant"] == house
    assert body["view_data"] == {"view_count": 5, "unique_viewers": 2}
    assert body["traffic_data"] == [{"date": day, "views": 5 if day == week[-1] else 0}
                                    for day in week]  # zero-filled, oldest first
    assert set(body["hourly_views"]) == set(HOURS)
    assert sum(body["hourly_views"].values()) == 5
    assert body["hourly_views"][f"{now.hour:02d}"] >= 1  # (unless the hour just turned)
    assert body["device_data"] == {"mobile": 2, "tablet": 1, "desktop": 2}
    review_analytics = body["review_analytics"]
    assert (review_analytics["total_reviews"], review_analytics["average_rating"]) == (1, 4.0)
    assert review_analytics["rating_distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    assert (body["period"], body["partial"], body["unavailable"]) == ("week", False, [])

    for period, days in [("day", 1), ("month", 30), ("year", 365)]:
        response = web_session.get(dashboard, params={"period": period}, headers=admin_headers)
        answers.append(("get", "/restaurants/{restaurant_id}/analytics", response))
        assert response.status_code == 200, response.text
        got = response.json()
        assert (got["period"], len(got["traffic_data"])) == (period, days)
        assert got["traffic_data"][-1] == {"date": week[-1], "views": 5}

    # trending: the house (5 views) before the sushi place (2), by decayed score (a city's
    # list: below, from rankings); restaurants from the catalog
    response = answer_when(
        lambda: web_session.get("/trending/restaurants"),
        lambda body: [item["views"] for item in body["items"]] == [5, 2])
    answers.append(("get", "/trending/restaurants", response))
    trending = response.json()
    assert (trending["period"], trending["city"]) == (None, None)
    assert (trending["count"], trending["total"], trending["next_offset"]) == (2, 2, None)
    assert [(item["restaurant_id"], item["restaurant"]) for item in trending["items"]] == [
        (house["id"], house), (sushi["id"], sushi)]
    assert [round(item["score"], 3) for item in trending["items"]] == [5.0, 2.0]
    # raw counts of a calendar window, for who asks
    response = web_session.get("/trending/restaurants", params={"period": "day", "limit": 1})
    answers.append(("get", "/trending/restaurants", response))
    assert [item["restaurant_id"] for item in response.json()["items"]] == [house["id"]]
    assert (response.json()["period"], response.json()["items"][0]["score"]) == ("day", None)

    # engagement: counted per type; a retry with the same key counts once
    target = {"entity_type": "restaurant", "entity_id": house["id"], "engagement_type": "share"}
    counts = []
    for key in ("k-1", "k-2", "k-2"):
        response = web_session.post("/engagement", json=target,
                                    headers={"Idempotency-Key": key, **as_user(viewer["id"])})
        answers.append(("post", "/engagement", response))
        assert response.status_code == 201, response.text
        counts.append(response.json())
    assert counts[0] == {**target, "count": 1}
    assert [answer["count"] for answer in counts] == [1, 2, 2]
    response = web_session.post("/engagement", json={**target, "engagement_type": "call",
                                                     "entity_id": house["id"].upper()})
    assert response.status_code == 201, response.text
    assert response.json() == {**target, "engagement_type": "call", "count": 1}
    menu = {**target, "entity_type": "menu", "engagement_type": "menu_open"}
    assert web_session.post("/engagement", json=menu).status_code == 201

    # ... and readable by the restaurant's owner and admins, per type and per page
    engagement = f"/restaurants/{house['id']}/engagement"
    response = web_session.get(engagement, headers=admin_headers)
    answers.append(("get", "/restaurants/{restaurant_id}/engagement", response))
    assert response.status_code == 200, response.text
    counters = response.json()
    assert counters["restaurant_id"] == house["id"]
    assert counters["counts"] == {"click": 0, "share": 2, "save": 0, "call": 1,
                                  "directions": 0, "website": 0, "menu_open": 1}
    assert (counters["by_entity_type"]["restaurant"]["share"],
            counters["by_entity_type"]["menu"]["menu_open"],
            counters["by_entity_type"]["reviews"]["share"]) == (2, 1, 0)
    assert_error(web_session.get(engagement), 401, "unauthorized")
    assert_error(web_session.get(engagement, headers=as_user(viewer["id"])), 403, "forbidden")
    assert_error(web_session.get(f"/restaurants/{uuid.uuid4()}/engagement",
                                 headers=admin_headers), 404, "not_found")

    for method, path, response in answers:
        validate_against(method, path, response)


def test_rankings_and_follows_reach_experts_leaderboards_and_trending_dishes(
        catalog, rankings_service, analytics_service, analytics_rpc, seeded, document,
        register, web_session, validate_against):
    dishes = seeded["dishes"]
    house = seeded["restaurants"]["Nasi Lemak House"]
    alice, bob, carol = register("alice"), register("bob"), register("carol")

    def place(user, dish_type, dish, rank):
        def placed():
            response = web_session.put(f"/rankings/my/{dish_type}", headers=as_user(user["id"]),
                                       json={"dish_id": dish["id"], "rank": rank})
            return response if response.status_code == 200 else None
        eventually(placed)  # once rankings has heard of the dish from the catalog

    for follower in (bob, carol):
        assert web_session.post(f"/users/{alice['id']}/follow",
                                headers=as_user(follower["id"])).status_code == 200
    place(alice, "nasi lemak", dishes["Nasi Lemak Special"], 1)
    place(bob, "nasi lemak", dishes["Nasi Lemak Special"], 1)
    place(bob, "drink", dishes["Teh Tarik"], 1)
    # influence: alice 5·2 followers + 2·1 ranking = 12; bob 2·2 rankings = 4

    experts_response = answer_when(
        lambda: web_session.get("/experts"),
        lambda body: [(item["user_id"], item["influence_score"]) for item in body["items"]][:2]
        == [(alice["id"], 12), (bob["id"], 4)])
    assert experts_response.json()["count"] == experts_response.json()["total"] >= 2
    experts = experts_response.json()["items"]
    assert experts[0] | {"profile": None} == {
        "user_id": alice["id"], "follower_count": 2, "ranking_count": 1, "review_count": 0,
        "influence_score": 12, "profile": None}
    assert [(item["profile"]["id"], item["profile"]["username"]) for item in experts[:2]] == [
        (alice["id"], "alice"), (bob["id"], "bob")]
    limited = web_session.get("/experts", params={"limit": 1})
    assert [item["user_id"] for item in limited.json()["items"]] == [alice["id"]]

    # trending dishes in the city: two rankings at 1 (10 points) before one (5)
    trending_response = answer_when(
        lambda: web_session.get("/trending/dishes", params={"city": "Kuala Lumpur"}),
        lambda body: [item["dish_id"] for item in body["items"]] == [
            dishes["Nasi Lemak Special"]["id"], dishes["Teh Tarik"]["id"]])
    trending = trending_response.json()
    assert [item["dish"]["name"] for item in trending["items"]] == [
        "Nasi Lemak Special", "Teh Tarik"]
    nasi_lemak = trending["items"][0]["dish"]
    assert (nasi_lemak["id"], nasi_lemak["restaurant_id"]) == (
        dishes["Nasi Lemak Special"]["id"], house["id"])
    assert trending["items"][0]["score"] > trending["items"][1]["score"] > 0
    assert trending["items"][0]["ranking_count"] == 2
    nowhere = web_session.get("/trending/dishes", params={"city": "Atlantis"})
    assert nowhere.status_code == 200 and nowhere.json()["items"] == []
    assert (nowhere.json()["count"], nowhere.json()["total"]) == (0, 0)

    # trending restaurants: the house, whose dishes took all three rankings (5 + 5 + 5)
    restaurants_response = answer_when(
        lambda: web_session.get("/trending/restaurants", params={"city": "kuala lumpur"}),
        lambda body: [item["ranking_count"] for item in body["items"]] == [3])
    (top,) = restaurants_response.json()["items"]
    assert (top["restaurant_id"], top["restaurant"]["name"]) == (house["id"],
                                                                 "Nasi Lemak House")
    assert top["score"] == pytest.approx(15, rel=1e-3)

    # the leaderboard of Kuala Lumpur's Malaysian food, once its rank slots are rewritten:
    # three rank-1 rankings of the house's dishes score 3 × (6 - 1)
    path = "/leaderboards/Kuala%20Lumpur/Malaysian"

    def refreshed():
        analytics_rpc.refresh_leaderboards()
        return web_session.get(path)

    board_response = answer_when(refreshed, lambda body: [
        (row["restaurant_id"], row["score"]) for row in body["items"]] == [
        (house["id"], 15)] and len(body["users"]) == 2)
    board = board_response.json()
    assert (board["count"], board["total"], board["next_offset"]) == (1, 1, None)
    assert board["items"][0]["rank"] == 1
    assert board["items"][0]["restaurant"]["name"] == "Nasi Lemak House"
    assert [(row["user_id"], row["profile"]["username"]) for row in board["users"]] == [
        (alice["id"], "alice"), (bob["id"], "bob")]
    assert board["updated_at"]
    empty = web_session.get("/leaderboards/Atlantis/Malaysian")
    assert empty.status_code == 200
    assert (empty.json()["items"], empty.json()["users"]) == ([], [])

    for method, openapi_path, answer in [
        ("get", "/experts", experts_response),
        ("get", "/experts", limited),
        ("get", "/trending/dishes", trending_response),
        ("get", "/trending/dishes", nowhere),
        ("get", "/trending/restaurants", restaurants_response),
        ("get", "/leaderboards/{city}/{cuisine}", board_response),
        ("get", "/leaderboards/{city}/{cuisine}", empty),
    ]:
        validate_against(method, openapi_path, answer)


# --- what the gateway refuses, before asking anyone ---------------------------------------

def test_refusals(catalog, seeded, start_gateway, web_session, admin_headers, gateway_events):
    """Bad paths, queries and bodies are refused at the gateway (400/404/422), the dashboard
    is for admins (401/403), and nothing is published for a view that was refused."""
    start_gateway()
    house = seeded["restaurants"]["Nasi Lemak House"]
    track = f"/restaurants/{house['id']}/analytics"

    for body, field in [
        ({"user_id": str(uuid.uuid4())}, "user_id"),   # a body never names the viewer
        ({"device_type": "toaster"}, "device_type"),
        ({"anonymous_id": "x" * 65}, "anonymous_id"),
        ({"anonymous_id": "no spaces"}, "anonymous_id"),
        ({"anonymous_id": ""}, "anonymous_id"),
        ({"anonymous_id": 42}, "anonymous_id"),
    ]:
        details = assert_error(web_session.post(track, json=body), 422, "invalid_input")
        assert list(details["fields"]) == [field], body
    assert_error(web_session.post(track, data="{not json",
                                  headers={"Content-Type": "application/json"}),
                 400, "bad_request")
    assert_error(web_session.post(track, json=["a list"]), 400, "bad_request")
    assert_error(web_session.post(track, json={}, headers={"Idempotency-Key": "x" * 201}),
                 400, "bad_request")
    assert_error(web_session.post(f"/restaurants/{uuid.uuid4()}/analytics", json={}),
                 404, "not_found")
    assert_error(web_session.post("/restaurants/nope/analytics", json={}), 404, "not_found")
    assert gateway_events.take_all() == []

    dashboard = f"/restaurants/{house['id']}/analytics"
    assert_error(web_session.get(dashboard), 401, "unauthorized")
    assert_error(web_session.get(dashboard, headers=as_user(str(uuid.uuid4()))),
                 403, "forbidden")
    assert_error(web_session.get(dashboard, params={"period": "decade"}, headers=admin_headers),
                 400, "bad_request")

    for path, params in [
        ("/trending/restaurants", {"period": "fortnight"}),
        ("/trending/restaurants", {"limit": 0}),
        ("/trending/restaurants", {"limit": 51}),
        ("/trending/restaurants", {"limit": "ten"}),
        ("/trending/restaurants", {"city": " "}),
        ("/trending/restaurants", {"city": "x" * 101}),
        # a period's raw counts are overall only
        ("/trending/restaurants", {"city": "Ipoh", "period": "week"}),
        ("/trending/dishes", {}),                       # city is required
        ("/trending/dishes", {"city": " "}),
        ("/trending/dishes", {"city": "x" * 101}),
        ("/trending/dishes", {"city": "Ipoh", "limit": 51}),
        ("/experts", {"limit": 0}),
        ("/leaderboards/Ipoh/Malay", {"limit": 100}),
    ]:
        assert_error(web_session.get(path, params=params), 400, "bad_request")
    assert_error(web_session.get(f"/leaderboards/{'x' * 101}/Malay"), 404, "not_found")

    target = {"entity_type": "dish", "entity_id": str(uuid.uuid4()), "engagement_type": "save"}
    for body, field in [
        ({**target, "user_id": str(uuid.uuid4())}, "user_id"),
        ({**target, "entity_type": "listing"}, "entity_type"),
        ({**target, "engagement_type": "like"}, "engagement_type"),
        ({**target, "entity_id": "not-a-uuid"}, "entity_id"),
        ({key: value for key, value in target.items() if key != "entity_id"}, "entity_id"),
    ]:
        details = assert_error(web_session.post("/engagement", json=body), 422, "invalid_input")
        assert list(details["fields"]) == [field], body


def test_a_view_the_client_asked_to_record_fails_loudly(catalog, seeded, start_gateway,
                                                         web_session, gateway_events):
    """GET reads buffer their views (tests/http/test_events.py); POST .../analytics is
    a 503 when it cannot publish at once."""
    gateway = start_gateway()
    [dispatcher] = [d for d in gateway.dependencies if isinstance(d, EventDispatcher)]

    def broker_refuses(envelope):
        raise ConnectionError("broker down")

    dispatcher.publisher.publish = broker_refuses
    house = seeded["restaurants"]["Nasi Lemak House"]
    details = assert_error(web_session.post(f"/restaurants/{house['id']}/analytics", json={}),
                           503, "service_unavailable")
    assert details == {"service": "broker"}
    assert gateway_events.take_all() == []


# --- when analytics (or rankings) does not answer -------------------------------------------

RPC_TIMEOUT = 1.0
SLACK = 1.5


class SlowAnalytics:
    """Answers as analytics, but only after the gateway has given up."""

    name = "analytics"

    @rpc
    def get_restaurant_traffic(self, restaurant_id, period="week"):
        eventlet.sleep(RPC_TIMEOUT * 3)


class SlowRankings:
    name = "rankings"

    @rpc
    def get_review_summary(self, restaurant_id):
        eventlet.sleep(RPC_TIMEOUT * 3)


def timed_get(web_session, path, **kwargs):
    started = time.monotonic()
    response = web_session.get(path, timeout=10, **kwargs)
    return response, time.monotonic() - started


def test_dashboard_is_partial_when_analytics_is_missing(catalog, rankings_service, seeded,
                                                        document, web_session, admin_headers,
                                                        validate_against):
    house = seeded["restaurants"]["Nasi Lemak House"]
    response = web_session.get(f"/restaurants/{house['id']}/analytics", headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "restaurant": house,
        "view_data": None,
        "review_analytics": {"restaurant_id": house["id"], "total_reviews": 0,
                             "average_rating": 0.0, "rating_distribution": {
                                 "1": 0, "2": 0, "3": 0, "4": 0, "5": 0}},
        "traffic_data": [],
        "hourly_views": None,
        "device_data": None,
        "period": "week",
        "partial": True,
        "unavailable": ["analytics"],
    }
    validate_against("get", "/restaurants/{restaurant_id}/analytics", response)

    # ... a missing restaurant is still a 404, whoever else is missing
    assert_error(web_session.get(f"/restaurants/{uuid.uuid4()}/analytics",
                                 headers=admin_headers), 404, "not_found")
    # ... and the routes that have nothing to say without analytics say so
    for path, params in [("/trending/restaurants", {}), ("/trending/dishes", {"city": "Ipoh"}),
                         ("/experts", {}), ("/leaderboards/Ipoh/Malay", {})]:
        details = assert_error(web_session.get(path, params=params), 503,
                               "service_unavailable")
        assert details == {"service": "analytics"}, path
    details = assert_error(web_session.get(f"/restaurants/{house['id']}/engagement",
                                           headers=admin_headers), 503, "service_unavailable")
    assert details == {"service": "analytics"}
    target = {"entity_type": "menu", "entity_id": house["id"], "engagement_type": "menu_open"}
    assert_error(web_session.post("/engagement", json=target), 503, "service_unavailable")


def test_dashboard_asks_at_once_and_answers_partially_in_time(
        catalog, seeded, container_factory, service_config, start_gateway, web_session,
        admin_headers):
    """Analytics and rankings both too slow: one RPC timeout, not two, then what there is."""
    container_factory(SlowAnalytics, service_config).start()
    container_factory(SlowRankings, service_config).start()
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    house = seeded["restaurants"]["Nasi Lemak House"]

    response, elapsed = timed_get(web_session, f"/restaurants/{house['id']}/analytics",
                                  params={"period": "month"}, headers=admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["restaurant"]["id"] == house["id"]
    assert (body["partial"], body["unavailable"], body["period"]) == (
        True, ["analytics", "rankings"], "month")
    assert (body["view_data"], body["review_analytics"], body["traffic_data"]) == (
        None, None, [])
    assert RPC_TIMEOUT <= elapsed < RPC_TIMEOUT + SLACK


def test_dashboard_without_the_catalog_is_an_error(start_gateway, web_session, admin_headers):
    """The restaurant is the dashboard's subject: without it there is no partial answer."""
    start_gateway(RPC_TIMEOUT=RPC_TIMEOUT)
    details = assert_error(web_session.get(f"/restaurants/{uuid.uuid4()}/analytics",
                                           headers=admin_headers), 503, "service_unavailable")
    assert details == {"service": "catalog"}


# --- one bulk read per list, never one per item ----------------------------------------------

IDS = [str(uuid.uuid4()) for _ in range(4)]


class CountingCatalog:
    """A catalog that knows the first three ids and remembers how it was asked."""

    name = "catalog"
    calls: list = []

    @rpc
    def get_restaurants(self, restaurant_ids):
        self.calls.append(("get_restaurants", list(restaurant_ids)))
        return [{"id": rid, "name": f"R{IDS.index(rid)}"} for rid in restaurant_ids
                if rid in IDS[:3]]

    @rpc
    def get_dishes(self, dish_ids):
        self.calls.append(("get_dishes", list(dish_ids)))
        return [{"id": did, "name": f"D{IDS.index(did)}"} for did in dish_ids if did in IDS[:3]]

    @rpc
    def get_restaurant(self, restaurant_id):
        self.calls.append(("get_restaurant", restaurant_id))
        return {"id": restaurant_id}


class CountingRankings:
    name = "rankings"
    calls: list = []

    @rpc
    def get_public_profiles(self, user_ids):
        self.calls.append(("get_public_profiles", list(user_ids)))
        return [{"id": uid, "username": f"u{IDS.index(uid)}"} for uid in user_ids
                if uid in IDS[:3]]


class CannedAnalytics:
    """Lists that name the same things more than once, and one nobody knows (IDS[3])."""

    name = "analytics"
    order = [IDS[0], IDS[1], IDS[0], IDS[3], IDS[2]]

    @rpc
    def get_trending_restaurants(self, period=None, limit=10, city=None):
        return {**page([{"restaurant_id": rid, "views": 10 - n, "score": 10.0 - n,
                         "ranking_count": 0} for n, rid in enumerate(self.order)]),
                "period": period, "city": city}

    @rpc
    def get_trending_dishes(self, city, limit=10):
        return {**page([{"dish_id": did, "restaurant_id": IDS[0], "dish_type": "laksa",
                         "score": 1.5, "ranking_count": 1, "views": 2}
                        for did in self.order]), "city": city}

    @rpc
    def get_top_influencers(self, limit=10):
        return page([{"user_id": uid, "follower_count": 1, "ranking_count": 1,
                      "review_count": 1, "influence_score": 10} for uid in self.order])

    @rpc
    def get_leaderboard(self, city, cuisine, limit=10):
        return {**page([{"rank": n + 1, "restaurant_id": rid, "score": 5.0}
                        for n, rid in enumerate(self.order)]),
                "city": city, "cuisine": cuisine, "updated_at": None,
                "users": [{"rank": n + 1, "user_id": uid, "score": 3.0}
                          for n, uid in enumerate(reversed(self.order))]}


def page(items: list) -> dict:
    return {"items": items, "count": len(items), "total": len(items),
            "total_is_estimate": False, "next_offset": None, "next_cursor": None}


def test_lists_are_joined_with_one_bulk_read(container_factory, service_config, start_gateway,
                                             web_session):
    CountingCatalog.calls.clear()
    CountingRankings.calls.clear()
    for stand_in in (CountingCatalog, CountingRankings, CannedAnalytics):
        container_factory(stand_in, service_config).start()
    start_gateway()
    asked = [IDS[0], IDS[1], IDS[3], IDS[2]]  # each once, in order of appearance
    names = ["R0", "R1", "R0", None, "R2"]

    trending = web_session.get("/trending/restaurants", params={"limit": 5}).json()
    assert [(item["restaurant_id"], (item["restaurant"] or {}).get("name"))
            for item in trending["items"]] == list(zip(CannedAnalytics.order, names,
                                                       strict=True))
    assert CountingCatalog.calls == [("get_restaurants", asked)]

    CountingCatalog.calls.clear()
    dishes = web_session.get("/trending/dishes", params={"city": "Ipoh"}).json()
    assert [(item["dish"] or {}).get("name") for item in dishes["items"]] == [
        "D0", "D1", "D0", None, "D2"]
    assert dishes["city"] == "Ipoh"
    assert CountingCatalog.calls == [("get_dishes", asked)]

    experts = web_session.get("/experts").json()
    assert [(item["profile"] or {}).get("username") for item in experts["items"]] == [
        "u0", "u1", "u0", None, "u2"]
    assert CountingRankings.calls == [("get_public_profiles", asked)]

    CountingCatalog.calls.clear()
    CountingRankings.calls.clear()
    board = web_session.get("/leaderboards/Kuala%20Lumpur/Malay").json()
    assert (board["city"], board["cuisine"]) == ("Kuala Lumpur", "Malay")
    assert [(row["restaurant"] or {}).get("name") for row in board["items"]] == names
    assert [(row["profile"] or {}).get("username") for row in board["users"]] == [
        "u2", None, "u0", "u1", "u0"]
    assert CountingCatalog.calls == [("get_restaurants", asked)]
    assert CountingRankings.calls == [("get_public_profiles", [IDS[2], IDS[3], IDS[0], IDS[1]])]
