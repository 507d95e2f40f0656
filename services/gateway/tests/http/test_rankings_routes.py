"""One-best rankings through the gateway, with the real rankings service behind it
(SPEC §4, §7): the whole story over HTTP, then each rule and error on its own."""

from __future__ import annotations

import uuid

import eventlet
import pytest

from services.gateway.tests.support import as_user, assert_error, bearer, token_for

NASI_LEMAK = "/rankings/my/nasi%20lemak"


def ranked(answer: dict) -> list[tuple[int, str]]:
    """(rank, dish name) of a list answer, in rank order."""
    return [(entry["rank"], entry["dish_name"]) for entry in answer["ranked"]]


def tasted(answer: dict) -> dict[str, str]:
    return {entry["dish_name"]: entry["taste_status"] for entry in answer["tasted"]}


@pytest.fixture
def nasi_lemak(known):
    """Six nasi lemak dishes at six restaurants (three in Ipoh, three in Kuala Lumpur)."""
    dishes = {}
    for n, city in enumerate(["Ipoh", "Ipoh", "Ipoh", "Kuala Lumpur", "Kuala Lumpur",
                              "Kuala Lumpur"], start=1):
        restaurant = known.restaurant(f"Warung {n}", city=city, cuisines=["Malay"])
        dishes[f"NL{n}"] = {"id": known.dish(restaurant, f"NL{n}"), "restaurant_id": restaurant}
    return dishes


def place(web_session, user: dict, dish: dict, dish_type_path: str = NASI_LEMAK, **change):
    response = web_session.put(dish_type_path, headers=as_user(user["id"]),
                               json={"dish_id": dish["id"], **change})
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(predicate, timeout: float = 10.0):
    with eventlet.Timeout(timeout):
        while not (result := predicate()):
            eventlet.sleep(0.1)
    return result


# --- the story ------------------------------------------------------------------------------

def test_the_whole_story_over_http(rankings_gateway, nasi_lemak, known, register, web_session):
    """Register two users, rank five dishes of a type, insert a new #1 and see the others
    shift, move one, remove one, review a restaurant, follow someone, see the profile."""
    aisyah, ben = register("aisyah"), register("ben")
    me = as_user(aisyah["id"])

    for n in range(1, 6):
        answer = place(web_session, aisyah, nasi_lemak[f"NL{n}"], rank=n)
    assert answer["dish_type"] == "nasi lemak"
    assert ranked(answer) == [(1, "NL1"), (2, "NL2"), (3, "NL3"), (4, "NL4"), (5, "NL5")]
    assert answer["tasted"] == []

    # a new #1: every other dish shifts down, the old #5 leaves the list but stays tasted
    answer = place(web_session, aisyah, nasi_lemak["NL6"], rank=1, notes="the one")
    assert ranked(answer) == [(1, "NL6"), (2, "NL1"), (3, "NL2"), (4, "NL3"), (5, "NL4")]
    assert tasted(answer) == {"NL5": "ACCEPTABLE"}
    assert answer["ranked"][0]["notes"] == "the one"

    # move: #5 to #2 closes its gap and shifts the ones in between
    answer = place(web_session, aisyah, nasi_lemak["NL4"], rank=2)
    assert ranked(answer) == [(1, "NL6"), (2, "NL4"), (3, "NL1"), (4, "NL2"), (5, "NL3")]

    # remove: the ones below move up
    response = web_session.delete(f"{NASI_LEMAK}/{nasi_lemak['NL1']['id']}", headers=me)
    assert response.status_code == 200, response.text
    assert ranked(response.json()) == [(1, "NL6"), (2, "NL4"), (3, "NL2"), (4, "NL3")]

    # the same list when read back, and among all of the user's lists
    assert web_session.get(NASI_LEMAK, headers=me).json() == response.json()
    mine = web_session.get("/rankings/my", headers=me).json()
    assert (mine["count"], mine["total"], mine["next_offset"]) == (1, 1, None)
    assert mine["items"] == [response.json()]

    # ben sees nothing of hers as his own
    assert web_session.get(NASI_LEMAK, headers=as_user(ben["id"])).json()["ranked"] == []

    # review a restaurant
    restaurant_id = nasi_lemak["NL6"]["restaurant_id"]
    review = web_session.post(f"/restaurants/{restaurant_id}/reviews", headers=me,
                              json={"rating": 5, "content": "Sambal like my grandmother's"})
    assert review.status_code == 201, review.text
    reviews = web_session.get(f"/restaurants/{restaurant_id}/reviews").json()
    assert [(r["username"], r["rating"]) for r in reviews["items"]] == [("aisyah", 5)]

    # follow someone
    response = web_session.post(f"/users/{aisyah['id']}/follow", headers=as_user(ben["id"]))
    assert response.status_code == 200, response.text

    # the profile: counts at once; points, badges and career as rankings awards them
    def profile():
        return web_session.get(f"/users/{aisyah['id']}").json()

    shown = profile()
    # ranking_count: the dishes in her lists now (NL5 was pushed out, NL1 removed)
    assert (shown["ranking_count"], shown["review_count"], shown["followers_count"],
            shown["following_count"]) == (4, 1, 1, 0)
    # 6 dishes ranked (10 each), a review (5), a follower (3), awarded from events
    shown = wait_for(lambda: (p := profile())["points"] == 68 and p)
    badges = {badge["code"]: badge for badge in shown["badges"]}
    assert badges["FIRST_TIMER"]["awarded_at"] is not None
    assert badges["DISH_EXPLORER"]["awarded_at"] is not None       # 5 different dishes
    assert badges["DISH_EXPERT"]["awarded_at"] is not None         # at 3 restaurants
    assert badges["DISH_MASTER"]["awarded_at"] is not None         # at 5
    assert badges["DISH_CONNOISSEUR"]["awarded_at"] is None        # 10 dishes
    assert shown["career"]["rankings"] == 6
    ben_profile = web_session.get(f"/users/{ben['id']}").json()
    assert ben_profile["following_count"] == 1


def test_dishes_the_catalog_creates_become_rankable(catalog, rankings_service, start_gateway,
                                                    register, web_session, admin_headers):
    """No shortcut: the dish reaches rankings through the catalog's events."""
    start_gateway()
    restaurant = web_session.post("/restaurants", headers=admin_headers, json={
        "name": "Kedai Events", "city": "Ipoh", "cuisine_type": ["Malay"]}).json()
    dish = web_session.post(f"/restaurants/{restaurant['id']}/dishes", headers=admin_headers,
                            json={"name": "Nasi Lemak Events", "dish_type": "Nasi Lemak",
                                  "price": "9.00"}).json()
    aisyah = register("aisyah")

    def placed():
        response = web_session.put(NASI_LEMAK, headers=as_user(aisyah["id"]),
                                   json={"dish_id": dish["id"], "rank": 1})
        return response if response.status_code == 200 else None

    answer = wait_for(placed).json()
    assert ranked(answer) == [(1, "Nasi Lemak Events")]
    assert answer["ranked"][0]["restaurant_name"] == "Kedai Events"
    stats = web_session.get(f"/dishes/{dish['id']}/rankings").json()
    assert stats["ranking_count"] == 1


# --- placing, moving, removing --------------------------------------------------------------

def test_taste_status_instead_of_a_rank(rankings_gateway, nasi_lemak, register, web_session):
    aisyah = register("aisyah")
    place(web_session, aisyah, nasi_lemak["NL1"], rank=1)
    place(web_session, aisyah, nasi_lemak["NL2"], rank=2)
    answer = place(web_session, aisyah, nasi_lemak["NL3"], taste_status="DISSATISFIED")
    assert tasted(answer) == {"NL3": "DISSATISFIED"}
    # a ranked dish given a taste status leaves the list, closing the gap
    answer = place(web_session, aisyah, nasi_lemak["NL1"], taste_status="SECOND_CHANCE")
    assert ranked(answer) == [(1, "NL2")]
    assert tasted(answer) == {"NL1": "SECOND_CHANCE", "NL3": "DISSATISFIED"}
    entry = answer["tasted"][0]
    assert entry["rank"] is None and entry["restaurant_id"] and entry["city"]


def test_dish_type_is_url_encoded_text(rankings_gateway, known, register, web_session):
    aisyah = register("aisyah")
    me = as_user(aisyah["id"])
    teh = known.dish(known.restaurant("Kopitiam"), "Teh Tarik", dish_type="teh tarik")
    response = web_session.put("/rankings/my/teh%20tarik", headers=me,
                               json={"dish_id": teh, "rank": 1})
    assert response.status_code == 200 and response.json()["dish_type"] == "teh tarik"
    # one list, however the client spells its type (rankings normalizes it)
    for spelling in ("teh tarik", "Teh%20Tarik", "TEH%20%20tarik%20"):
        answer = web_session.get(f"/rankings/my/{spelling}", headers=me).json()
        assert (answer["dish_type"], ranked(answer)) == ("teh tarik", [(1, "Teh Tarik")])
    response = web_session.delete(f"/rankings/my/Teh%20Tarik/{teh}", headers=me)
    assert response.status_code == 200 and response.json()["ranked"] == []
    # an encoded "/" still separates path segments: such a type has no list URL
    assert_error(web_session.get("/rankings/my/kopi%20o%2Fpeng", headers=me),
                 404, "not_found")


def test_dish_type_is_bounded(rankings_gateway, register, web_session):
    aisyah = register("aisyah")
    me = as_user(aisyah["id"])
    assert web_session.get("/rankings/my/" + "x" * 100, headers=me).status_code == 200
    for path in ("/rankings/my/" + "x" * 101, "/rankings/my/",
                 "/rankings/my/" + "%C3%A9" * 101):
        assert_error(web_session.get(path, headers=me), 404, "not_found")
        assert_error(web_session.put(path, headers=me, json={}), 404, "not_found")
    # accented letters count as one character each
    assert web_session.get("/rankings/my/" + "%C3%A9" * 100, headers=me).status_code == 200
    assert_error(web_session.get("/rankings/my/%20%20", headers=me), 422, "invalid_input")


BAD_PLACEMENTS = [
    ({"rank": 1}, "dish_id"),
    ({"dish_id": "not-a-uuid", "rank": 1}, "dish_id"),
    ({"dish_id": "{dish}"}, "rank"),                                       # neither
    ({"dish_id": "{dish}", "rank": 1, "taste_status": "ACCEPTABLE"}, "rank"),  # both
    ({"dish_id": "{dish}", "rank": 0}, "rank"),
    ({"dish_id": "{dish}", "rank": 6}, "rank"),
    ({"dish_id": "{dish}", "rank": "1"}, "rank"),
    ({"dish_id": "{dish}", "taste_status": "DELICIOUS"}, "taste_status"),
    ({"dish_id": "{dish}", "rank": 1, "photo_urls": ["file:///etc/passwd"]}, "photo_urls"),
    ({"dish_id": "{dish}", "rank": 1, "user_id": "{dish}"}, "user_id"),
]


def test_place_invalid_fields_are_422(rankings_gateway, nasi_lemak, register, web_session):
    aisyah = register("aisyah")
    dish = nasi_lemak["NL1"]["id"]
    for template, field in BAD_PLACEMENTS:
        body = {key: value.replace("{dish}", dish) if isinstance(value, str) else value
                for key, value in template.items()}
        response = web_session.put(NASI_LEMAK, headers=as_user(aisyah["id"]), json=body)
        details = assert_error(response, 422, "invalid_input")
        assert field in details["fields"], (template, details)
    assert web_session.get(NASI_LEMAK, headers=as_user(aisyah["id"])).json()["ranked"] == []


def test_place_rules_from_the_list(rankings_gateway, nasi_lemak, known, register,
                                   web_session):
    aisyah = register("aisyah")
    me = as_user(aisyah["id"])
    # a rank past the end of the list would leave a gap
    response = web_session.put(NASI_LEMAK, headers=me,
                               json={"dish_id": nasi_lemak["NL1"]["id"], "rank": 2})
    assert_error(response, 422, "invalid_input")
    # a dish of another type does not go into this list
    laksa = known.dish(nasi_lemak["NL1"]["restaurant_id"], "Laksa", dish_type="laksa")
    response = web_session.put(NASI_LEMAK, headers=me, json={"dish_id": laksa, "rank": 1})
    assert_error(response, 422, "invalid_input")
    # a dish rankings does not know
    response = web_session.put(NASI_LEMAK, headers=me,
                               json={"dish_id": str(uuid.uuid4()), "rank": 1})
    assert_error(response, 404, "not_found")
    assert web_session.get(NASI_LEMAK, headers=me).json()["ranked"] == []


def test_remove_what_is_not_there_is_404(rankings_gateway, nasi_lemak, register, web_session):
    aisyah = register("aisyah")
    me = as_user(aisyah["id"])
    for path in (f"{NASI_LEMAK}/{nasi_lemak['NL1']['id']}", f"{NASI_LEMAK}/{uuid.uuid4()}",
                 f"{NASI_LEMAK}/not-a-uuid"):
        assert_error(web_session.delete(path, headers=me), 404, "not_found")


def test_place_retried_with_an_idempotency_key(rankings_gateway, nasi_lemak, register,
                                               web_session):
    aisyah = register("aisyah")
    headers = {**as_user(aisyah["id"]), "Idempotency-Key": "place-nl1-at-1"}
    place(web_session, aisyah, nasi_lemak["NL2"], rank=1)
    body = {"dish_id": nasi_lemak["NL1"]["id"], "rank": 1}
    first = web_session.put(NASI_LEMAK, headers=headers, json=body)
    again = web_session.put(NASI_LEMAK, headers=headers, json=body)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert ranked(again.json()) == [(1, "NL1"), (2, "NL2")]  # inserted once, not twice
    # the same key for another request is a conflict, not a silent replay
    other = web_session.put(NASI_LEMAK, headers=headers,
                            json={"dish_id": nasi_lemak["NL3"]["id"], "rank": 1})
    assert_error(other, 409, "conflict")


# --- who may do it --------------------------------------------------------------------------

def test_my_rankings_need_a_user(rankings_gateway, nasi_lemak, register, web_session):
    aisyah = register("aisyah")
    place(web_session, aisyah, nasi_lemak["NL1"], rank=1)
    dish = nasi_lemak["NL1"]["id"]
    for headers in ({}, {"X-User-Id": aisyah["id"]}, bearer("aisyah"),
                    bearer(token_for(aisyah["id"])[:-2]), {"Authorization": ""},
                    bearer(token_for(aisyah["id"], secret="x" * 40))):
        for method, path, body in [
            ("GET", "/rankings/my", None),
            ("GET", NASI_LEMAK, None),
            ("PUT", NASI_LEMAK, {"dish_id": dish, "rank": 1}),
            ("DELETE", f"{NASI_LEMAK}/{dish}", None),
        ]:
            response = web_session.request(method, path, headers=headers, json=body)
            details = assert_error(response, 401, "unauthorized")
            assert details == {"header": "Authorization"}, (method, path, headers)
    assert ranked(web_session.get(NASI_LEMAK, headers=as_user(aisyah["id"])).json()) == [
        (1, "NL1")]


def test_the_401_comes_before_the_body_is_read(rankings_gateway, web_session):
    response = web_session.put(NASI_LEMAK, data=b"{not json",
                               headers={"Content-Type": "application/json"})
    assert_error(response, 401, "unauthorized")


def test_unknown_acting_user_is_404(rankings_gateway, nasi_lemak, web_session):
    nobody = as_user(str(uuid.uuid4()))
    response = web_session.put(NASI_LEMAK, headers=nobody,
                               json={"dish_id": nasi_lemak["NL1"]["id"], "rank": 1})
    assert_error(response, 404, "not_found")


# --- what anyone may read -------------------------------------------------------------------

def test_dish_stats(rankings_gateway, nasi_lemak, register, web_session):
    aisyah, ben, chong = register("aisyah"), register("ben"), register("chong")
    dish = nasi_lemak["NL1"]
    place(web_session, aisyah, dish, rank=1)
    place(web_session, ben, nasi_lemak["NL2"], rank=1)
    place(web_session, ben, dish, rank=2)
    place(web_session, chong, dish, taste_status="SECOND_CHANCE")
    response = web_session.get(f"/dishes/{dish['id']}/rankings")  # anonymous
    assert response.status_code == 200
    assert response.json() == {
        "dish_id": dish["id"], "dish_type": "nasi lemak", "ranking_count": 2,
        "average_rank": 1.5, "rank_counts": {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0},
        "taste_counts": {"ACCEPTABLE": 0, "SECOND_CHANCE": 1, "DISSATISFIED": 0}}
    assert_error(web_session.get(f"/dishes/{uuid.uuid4()}/rankings"), 404, "not_found")
    assert_error(web_session.get("/dishes/nope/rankings"), 404, "not_found")


def test_best_dishes_of_a_type_in_a_city(rankings_gateway, nasi_lemak, register, web_session):
    aisyah, ben = register("aisyah"), register("ben")
    place(web_session, aisyah, nasi_lemak["NL1"], rank=1)
    place(web_session, aisyah, nasi_lemak["NL2"], rank=2)
    place(web_session, ben, nasi_lemak["NL2"], rank=1)
    place(web_session, ben, nasi_lemak["NL4"], rank=2)   # Kuala Lumpur
    response = web_session.get("/rankings/best",
                               params={"dish_type": "nasi lemak", "city": "Ipoh"})
    assert response.status_code == 200, response.text
    best = response.json()
    assert [(item["dish_name"], item["ranking_count"]) for item in best["items"]] == [
        ("NL2", 2), ("NL1", 1)]
    assert best["items"][0]["score"] > best["items"][1]["score"]
    assert (best["count"], best["total"], best["next_offset"]) == (2, 2, None)
    page = web_session.get("/rankings/best", params={
        "dish_type": "nasi lemak", "city": "Ipoh", "limit": 1, "offset": 1}).json()
    assert [item["dish_name"] for item in page["items"]] == ["NL1"]
    kl = web_session.get("/rankings/best",
                         params={"dish_type": "nasi lemak", "city": "Kuala Lumpur"}).json()
    assert [item["dish_name"] for item in kl["items"]] == ["NL4"]


BAD_BEST_QUERIES = [
    ({"city": "Ipoh"}, "dish_type"),
    ({"dish_type": "nasi lemak"}, "city"),
    ({"dish_type": "", "city": "Ipoh"}, "dish_type"),
    ({"dish_type": "x" * 101, "city": "Ipoh"}, "dish_type"),
    ({"dish_type": "laksa", "city": "Ipoh", "limit": 51}, "limit"),
    ({"dish_type": "laksa", "city": "Ipoh", "limit": 0}, "limit"),
    ({"dish_type": "laksa", "city": "Ipoh", "offset": -1}, "offset"),
]


def test_best_dishes_rejects_bad_parameters_at_the_gateway(start_gateway, web_session):
    """400 before any downstream call: rankings is not even running here."""
    start_gateway()
    for params, field in BAD_BEST_QUERIES:
        details = assert_error(web_session.get("/rankings/best", params=params), 400,
                               "bad_request")
        assert list(details["fields"]) == [field], params


def test_rankings_never_started_is_503(start_gateway, web_session):
    start_gateway(RPC_TIMEOUT=1.0)
    me = as_user(str(uuid.uuid4()))
    for method, path in [("GET", "/rankings/my"), ("GET", NASI_LEMAK),
                         ("GET", f"/dishes/{uuid.uuid4()}/rankings"),
                         ("GET", f"/users/{uuid.uuid4()}"),
                         ("GET", f"/restaurants/{uuid.uuid4()}/reviews"),
                         ("POST", "/auth/register")]:
        response = web_session.request(method, path, headers=me, json={})
        assert assert_error(response, 503, "service_unavailable") == {"service": "rankings"}
