"""The gateway over real HTTP with the real catalog behind it (SPEC §3, §7)."""

from __future__ import annotations

import json
import uuid

import pytest

from services.gateway.tests.support import (
    MAX_BODY_BYTES,
    as_user,
    assert_error,
    assert_page,
)

SEEDED_NAMES = ["Curry Corner", "Nasi Lemak House", "Penang Kitchen", "Sushi Zen"]


# --- GET /restaurants ----------------------------------------------------------------------

def test_list_answers_every_restaurant_by_name(gateway, seeded, web_session):
    response = web_session.get("/restaurants")
    items = assert_page(response, SEEDED_NAMES, total=4, next_offset=None)
    assert items == sorted(seeded["restaurants"].values(), key=lambda r: r["name"])


def test_list_filters_by_city_and_cuisine(gateway, seeded, web_session):
    for params, names in [
        ({"city": "Kuala Lumpur"}, ["Nasi Lemak House", "Sushi Zen"]),
        ({"city": "Kuala"}, []),                                 # exact city only
        ({"cuisine": "Malaysian"}, ["Nasi Lemak House", "Penang Kitchen"]),
        ({"cuisine": "Chinese"}, ["Penang Kitchen"]),            # any element of the list
        ({"cuisine": "Malay"}, []),
        ({"cuisine": "Malaysian", "city": "George Town"}, ["Penang Kitchen"]),
        ({"q": "jalan", "city": "Kuala Lumpur"}, ["Nasi Lemak House", "Sushi Zen"]),
        ({"q": "jalan", "cuisine": "Indian"}, ["Curry Corner"]),
        ({"city": "Ipoh", "utm_source": "x"}, ["Curry Corner"]),  # unknown ones ignored
    ]:
        assert_page(web_session.get("/restaurants", params=params),
                    names, total=len(names), next_offset=None)


def test_list_searches_name_address_city(gateway, seeded, web_session):
    for q, names in [
        ("sushi", ["Sushi Zen"]),                           # name
        ("LEBUH", ["Penang Kitchen"]),                      # address, any case
        ("ipoh", ["Curry Corner"]),                         # city
        ("jalan", ["Curry Corner", "Nasi Lemak House", "Sushi Zen"]),
        ("%", []),                                          # LIKE wildcards are literal
        ("_", []),
    ]:
        assert_page(web_session.get("/restaurants", params={"q": q}),
                    names, total=len(names), next_offset=None)


@pytest.fixture
def fifteen(catalog_rpc):
    names = [f"Place {n:02d}" for n in range(1, 16)]
    for name in reversed(names):  # created out of order: the answer is ordered by name
        catalog_rpc.create_restaurant({"name": name, "city": "Testville"})
    return names


def test_list_pages_with_default_limit_12(gateway, fifteen, web_session):
    assert_page(web_session.get("/restaurants"), fifteen[:12], total=15, next_offset=12)
    assert_page(web_session.get("/restaurants", params={"offset": 12}),
                fifteen[12:], total=15, next_offset=None)


def test_list_pages_with_explicit_limit_and_offset(gateway, fifteen, web_session):
    assert_page(web_session.get("/restaurants", params={"limit": 5, "offset": 5}),
                fifteen[5:10], total=15, next_offset=10)
    assert_page(web_session.get("/restaurants", params={"limit": 50}),
                fifteen, total=15, next_offset=None)
    assert_page(web_session.get("/restaurants", params={"limit": 1, "offset": 14}),
                fifteen[14:], total=15, next_offset=None)
    assert_page(web_session.get("/restaurants", params={"offset": 100}),
                [], total=15, next_offset=None)


BAD_LIST_QUERIES = [
    ({"limit": "51"}, "limit"),
    ({"limit": "0"}, "limit"),
    ({"limit": "-3"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"limit": "1.5"}, "limit"),
    ({"limit": ""}, "limit"),
    ({"offset": "-1"}, "offset"),
    ({"offset": "abc"}, "offset"),
    ({"q": "   "}, "q"),
    ({"city": ""}, "city"),
    ({"q": "x" * 101}, "q"),
]


def test_list_rejects_bad_query_parameters_at_the_gateway(start_gateway, web_session):
    """400 before any downstream call: the catalog is not even running here."""
    start_gateway()
    for params, field in BAD_LIST_QUERIES:
        response = web_session.get("/restaurants", params=params)
        details = assert_error(response, 400, "bad_request")
        assert details == {"fields": {field: details["fields"][field]}}, params
        assert all(isinstance(m, str) for m in details["fields"][field]), details


def test_list_accepts_the_paging_bounds(gateway, web_session):
    for params in ({"limit": "1"}, {"limit": "50"}, {"offset": "0"}, {"offset": "1000000"}):
        assert_page(web_session.get("/restaurants", params=params), [], total=0,
                    next_offset=None)


# --- GET /restaurants/{id} and its menu ----------------------------------------------------

def test_get_restaurant(gateway, seeded, web_session):
    restaurant = seeded["restaurants"]["Sushi Zen"]
    response = web_session.get(f"/restaurants/{restaurant['id']}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == restaurant

    missing = str(uuid.uuid4())
    details = assert_error(web_session.get(f"/restaurants/{missing}"), 404, "not_found")
    assert details == {"restaurant_id": missing}


def test_non_uuid_ids_are_404(gateway, web_session, admin_headers):
    for method, path in [
        ("GET", "/restaurants/not-a-uuid"),
        ("GET", "/restaurants/123"),
        ("GET", "/restaurants/not-a-uuid/menu"),
        ("PATCH", "/restaurants/not-a-uuid"),
        ("DELETE", "/dishes/not-a-uuid"),
        ("POST", "/restaurants/0000/dishes"),
    ]:
        response = web_session.request(method, path, headers=admin_headers, json={})
        assert_error(response, 404, "not_found")


def test_get_menu(gateway, seeded, web_session):
    restaurant = seeded["restaurants"]["Nasi Lemak House"]
    response = web_session.get(f"/restaurants/{restaurant['id']}/menu")
    items = assert_page(response, ["Nasi Lemak Special", "Teh Tarik"], total=2,
                        next_offset=None)
    assert items[0] == seeded["dishes"]["Nasi Lemak Special"]
    assert all(item["restaurant_id"] == restaurant["id"] for item in items)

    assert_page(web_session.get(f"/restaurants/{restaurant['id']}/menu", params={"limit": 1}),
                ["Nasi Lemak Special"], total=2, next_offset=1)
    details = assert_error(
        web_session.get(f"/restaurants/{restaurant['id']}/menu", params={"limit": 201}),
        400, "bad_request")
    assert list(details["fields"]) == ["limit"]

    missing = str(uuid.uuid4())
    details = assert_error(web_session.get(f"/restaurants/{missing}/menu"), 404, "not_found")
    assert details == {"restaurant_id": missing}


# --- GET /dishes/search --------------------------------------------------------------------

def search(web_session, **params):
    response = web_session.get("/dishes/search", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "count", "total", "total_is_estimate", "next_offset",
                         "next_cursor"}
    assert body["count"] == len(body["items"])
    return body


def test_search_dishes_by_text_type_and_city(gateway, seeded, web_session):
    body = search(web_session, q="noodles")
    assert [item["name"] for item in body["items"]] == ["Char Kway Teow"]
    assert body["total"] == 1 and body["next_offset"] is None
    item = body["items"][0]
    assert item["restaurant_name"] == "Penang Kitchen"
    assert item["city"] == "George Town"
    assert item["price"] == "9.00"

    assert [i["name"] for i in search(web_session, dish_type="Sushi")["items"]] \
        == ["Salmon Nigiri"]
    assert sorted(i["name"] for i in search(web_session, city="Kuala Lumpur")["items"]) \
        == ["Nasi Lemak Special", "Salmon Nigiri", "Teh Tarik"]

    # only available dishes
    assert search(web_session, q="curry")["items"] == []
    everything = search(web_session)
    names = sorted(item["name"] for item in everything["items"])
    assert names == ["Char Kway Teow", "Nasi Lemak Special", "Salmon Nigiri", "Teh Tarik"]
    assert everything["total"] == 4


def test_search_dishes_by_price_and_tags(gateway, seeded, web_session):
    assert [i["name"] for i in search(web_session, price_min="10", price_max="20")["items"]] \
        == ["Nasi Lemak Special"]
    assert [i["name"] for i in search(web_session, price_min="9", price_max="9")["items"]] \
        == ["Char Kway Teow"]
    assert sorted(i["name"] for i in search(web_session, price_max="9.00")["items"]) \
        == ["Char Kway Teow", "Teh Tarik"]
    assert [i["name"] for i in search(web_session, price_min="20")["items"]] \
        == ["Salmon Nigiri"]

    assert sorted(i["name"] for i in search(web_session, tags="spicy")["items"]) \
        == ["Char Kway Teow", "Nasi Lemak Special"]
    assert [i["name"] for i in search(web_session, tags="Spicy, noodles")["items"]] \
        == ["Char Kway Teow"]
    assert [i["name"] for i in search(web_session, tags="spicy", price_max="10")["items"]] \
        == ["Char Kway Teow"]


def test_search_dishes_rejects_bad_parameters(start_gateway, web_session):
    start_gateway()
    for params, field in [
        ({"price_min": "20", "price_max": "10"}, "price_min"),
        ({"price_min": "20.01", "price_max": "20"}, "price_min"),
        ({"price_min": "-1"}, "price_min"),
        ({"price_max": "abc"}, "price_max"),
        ({"price_min": "NaN"}, "price_min"),
        ({"limit": "51"}, "limit"),
        ({"q": " "}, "q"),
        ({"tags": ",".join(f"t{n}" for n in range(11))}, "tags"),
    ]:
        details = assert_error(web_session.get("/dishes/search", params=params), 400,
                               "bad_request")
        assert list(details["fields"]) == [field], params
    details = assert_error(web_session.get("/dishes/search", params={"price_min": "20",
                                                                      "price_max": "10"}),
                           400, "bad_request")
    assert details == {"fields": {"price_min": ["must not be above price_max"]}}


# --- admin writes --------------------------------------------------------------------------

def admin_routes(seeded):
    restaurant = seeded["restaurants"]["Curry Corner"]["id"]
    dish = seeded["dishes"]["Teh Tarik"]["id"]
    return {
        "create restaurant": ("POST", "/restaurants", {"name": "New", "city": "Ipoh"}),
        "update restaurant": ("PATCH", f"/restaurants/{restaurant}", {"name": "Renamed"}),
        "delete restaurant": ("DELETE", f"/restaurants/{restaurant}", None),
        "create dish": ("POST", f"/restaurants/{restaurant}/dishes",
                        {"name": "Roti", "dish_type": "roti", "price": "2.00"}),
        "update dish": ("PATCH", f"/dishes/{dish}", {"price": "4.00"}),
        "delete dish": ("DELETE", f"/dishes/{dish}", None),
    }


ADMIN_ROUTES = ["create restaurant", "update restaurant", "delete restaurant",
                "create dish", "update dish", "delete dish"]


def catalog_snapshot(catalog_rpc):
    restaurants = catalog_rpc.list_restaurants(limit="50")["items"]
    return restaurants, {r["id"]: catalog_rpc.get_menu(r["id"])["items"] for r in restaurants}


def test_catalog_writes_refuse_anonymous_and_other_users(gateway, seeded, catalog_rpc,
                                                        web_session):
    """The seeded restaurants have no owner: only admins may change them. The retired
    X-Admin-Token header counts for nothing."""
    before = catalog_snapshot(catalog_rpc)
    for route in ADMIN_ROUTES:
        method, path, body = admin_routes(seeded)[route]
        for headers in ({}, {"X-Admin-Token": "test-admin"}):
            details = assert_error(web_session.request(method, path, json=body,
                                                       headers=headers), 401, "unauthorized")
            assert details == {"header": "Authorization"}, route
        if route != "create restaurant":  # any user may open a restaurant (theirs)
            response = web_session.request(method, path, json=body,
                                           headers=as_user(str(uuid.uuid4())))
            assert_error(response, 403, "forbidden")
    assert catalog_snapshot(catalog_rpc) == before


def test_the_owner_changes_their_restaurant_and_no_one_elses(gateway, seeded, catalog_rpc,
                                                             web_session):
    owner, rival = str(uuid.uuid4()), str(uuid.uuid4())
    created = web_session.post("/restaurants", json={"name": "Kedai Owner", "city": "Ipoh"},
                               headers=as_user(owner))
    assert created.status_code == 201, created.text
    mine = created.json()
    assert mine["owner_id"] == owner
    dish = web_session.post(f"/restaurants/{mine['id']}/dishes", headers=as_user(owner),
                            json={"name": "Roti", "dish_type": "roti", "price": "2.00"})
    assert dish.status_code == 201, dish.text
    dish_id = dish.json()["id"]
    assert web_session.patch(f"/dishes/{dish_id}", json={"price": "2.50"},
                             headers=as_user(owner)).json()["price"] == "2.50"
    renamed = web_session.patch(f"/restaurants/{mine['id']}", json={"name": "Kedai Baru"},
                                headers=as_user(owner))
    assert renamed.status_code == 200 and renamed.json()["name"] == "Kedai Baru"

    # the rival owns a restaurant too, which gives no rights over this one
    assert web_session.post("/restaurants", json={"name": "Rival", "city": "Ipoh"},
                            headers=as_user(rival)).status_code == 201
    for method, path, body in [
        ("PATCH", f"/restaurants/{mine['id']}", {"name": "Stolen"}),
        ("DELETE", f"/restaurants/{mine['id']}", None),
        ("POST", f"/restaurants/{mine['id']}/dishes",
         {"name": "Fake", "dish_type": "roti", "price": "1.00"}),
        ("PATCH", f"/dishes/{dish_id}", {"price": "0.01"}),
        ("DELETE", f"/dishes/{dish_id}", None),
        ("PATCH", f"/restaurants/{seeded['restaurants']['Sushi Zen']['id']}", {"name": "X"}),
    ]:
        assert_error(web_session.request(method, path, json=body, headers=as_user(rival)),
                     403, "forbidden")
    assert catalog_rpc.get_restaurant(mine["id"])["name"] == "Kedai Baru"
    assert catalog_rpc.get_dish(dish_id)["price"] == "2.50"

    # nobody may hand a restaurant to someone else, or claim one, through the body
    for method, path in [("POST", "/restaurants"), ("PATCH", f"/restaurants/{mine['id']}")]:
        details = assert_error(web_session.request(
            method, path, headers=as_user(owner),
            json={"name": "Mine Now", "city": "Ipoh", "owner_id": rival}), 422, "invalid_input")
        assert "owner_id" in details["fields"]
    assert web_session.delete(f"/dishes/{dish_id}", headers=as_user(owner)).status_code == 204
    assert web_session.delete(f"/restaurants/{mine['id']}",
                              headers=as_user(owner)).status_code == 204


def test_owner_routes_say_404_for_what_does_not_exist(gateway, seeded, web_session):
    missing = str(uuid.uuid4())
    for method, path in [("PATCH", f"/restaurants/{missing}"), ("DELETE", f"/dishes/{missing}"),
                         ("POST", f"/restaurants/{missing}/dishes")]:
        assert_error(web_session.request(method, path, json={"name": "x"},
                                         headers=as_user(str(uuid.uuid4()))),
                     404, "not_found")


def test_admin_creates_restaurant(gateway, seeded, web_session, admin_headers):
    data = {"name": "Roti Canai Stall", "city": "Ipoh", "address": "9 Jalan Pasar",
            "cuisine_type": ["Malaysian", "Indian"], "price_range": 1,
            "latitude": 4.6, "longitude": 101.08, "website": "https://roti.example",
            "hours": {"mon": "07:00-14:00"}}
    response = web_session.post("/restaurants", json=data, headers=admin_headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert {key: created[key] for key in data} == data
    assert uuid.UUID(created["id"])

    fetched = web_session.get(f"/restaurants/{created['id']}")
    assert fetched.status_code == 200 and fetched.json() == created
    listed = web_session.get("/restaurants", params={"city": "Ipoh"}).json()
    assert [item["name"] for item in listed["items"]] == ["Curry Corner", "Roti Canai Stall"]


def test_admin_updates_restaurant_partially(gateway, seeded, web_session, admin_headers):
    original = seeded["restaurants"]["Sushi Zen"]
    response = web_session.patch(f"/restaurants/{original['id']}",
                                 json={"name": "Sushi Zen Ginza", "price_range": 3},
                                 headers=admin_headers)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Sushi Zen Ginza" and updated["price_range"] == 3
    unchanged = {k: v for k, v in original.items()
                 if k not in ("name", "price_range", "updated_at")}
    assert {k: updated[k] for k in unchanged} == unchanged
    assert web_session.get(f"/restaurants/{original['id']}").json() == updated


def test_admin_deletes_restaurant_with_its_dishes(gateway, seeded, web_session, admin_headers):
    restaurant = seeded["restaurants"]["Nasi Lemak House"]
    response = web_session.delete(f"/restaurants/{restaurant['id']}", headers=admin_headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(web_session.get(f"/restaurants/{restaurant['id']}"), 404, "not_found")
    assert_error(web_session.get(f"/restaurants/{restaurant['id']}/menu"), 404, "not_found")
    assert search(web_session, q="nasi")["items"] == []
    assert_error(web_session.delete(f"/restaurants/{restaurant['id']}", headers=admin_headers),
                 404, "not_found")


def test_admin_creates_dish(gateway, seeded, web_session, admin_headers):
    restaurant = seeded["restaurants"]["Curry Corner"]
    data = {"name": "Roti Canai", "dish_type": "Roti  Canai", "price": "2.5",
            "tags": ["Flaky", "vegetarian"], "description": "flatbread with dhal"}
    response = web_session.post(f"/restaurants/{restaurant['id']}/dishes", json=data,
                                headers=admin_headers)
    assert response.status_code == 201, response.text
    dish = response.json()
    assert dish["restaurant_id"] == restaurant["id"]
    assert dish["price"] == "2.50"
    assert dish["dish_type"] == "roti canai"
    assert dish["tags"] == ["flaky", "vegetarian"]
    assert dish["is_available"] is True

    menu = web_session.get(f"/restaurants/{restaurant['id']}/menu").json()
    assert dish in menu["items"]
    assert [i["id"] for i in search(web_session, q="flatbread")["items"]] == [dish["id"]]

    missing = str(uuid.uuid4())
    response = web_session.post(f"/restaurants/{missing}/dishes",
                                json={"name": "x", "dish_type": "x", "price": "1.00"},
                                headers=admin_headers)
    assert assert_error(response, 404, "not_found") == {"restaurant_id": missing}


def test_admin_updates_dish(gateway, seeded, web_session, admin_headers):
    dish = seeded["dishes"]["Char Kway Teow"]
    response = web_session.patch(f"/dishes/{dish['id']}",
                                 json={"price": "10.90", "is_available": False},
                                 headers=admin_headers)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["price"] == "10.90" and updated["is_available"] is False
    assert updated["name"] == dish["name"] and updated["tags"] == dish["tags"]

    menu = web_session.get(f"/restaurants/{dish['restaurant_id']}/menu").json()
    assert [i for i in menu["items"] if i["id"] == dish["id"]] == [updated]
    assert search(web_session, q="noodles")["items"] == []  # no longer available


def test_admin_deletes_dish(gateway, seeded, web_session, admin_headers):
    dish = seeded["dishes"]["Teh Tarik"]
    response = web_session.delete(f"/dishes/{dish['id']}", headers=admin_headers)
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response.headers
    menu = web_session.get(f"/restaurants/{dish['restaurant_id']}/menu").json()
    assert [i["name"] for i in menu["items"]] == ["Nasi Lemak Special"]
    details = assert_error(web_session.delete(f"/dishes/{dish['id']}", headers=admin_headers),
                           404, "not_found")
    assert details == {"dish_id": dish["id"]}


def test_admin_writes_to_unknown_ids_are_404(gateway, web_session, admin_headers):
    for method, path, key in [
        ("PATCH", "/restaurants/{id}", "restaurant_id"),
        ("DELETE", "/restaurants/{id}", "restaurant_id"),
        ("PATCH", "/dishes/{id}", "dish_id"),
        ("DELETE", "/dishes/{id}", "dish_id"),
    ]:
        missing = str(uuid.uuid4())
        body = {"name": "x"} if method == "PATCH" else None
        response = web_session.request(method, path.format(id=missing), json=body,
                                       headers=admin_headers)
        assert assert_error(response, 404, "not_found") == {key: missing}, (method, path)


def test_admin_write_retried_with_idempotency_key(gateway, seeded, web_session,
                                                 admin_headers):
    """The gateway forwards Idempotency-Key: a retry gets the first answer, no second row."""
    headers = {**admin_headers, "Idempotency-Key": "create-kopitiam-1"}
    data = {"name": "Kopitiam", "city": "Ipoh"}
    first = web_session.post("/restaurants", json=data, headers=headers)
    again = web_session.post("/restaurants", json=data, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert_page(web_session.get("/restaurants", params={"city": "Ipoh"}),
                ["Curry Corner", "Kopitiam"], total=2, next_offset=None)

    other = web_session.post("/restaurants", json={**data, "name": "Other"}, headers=headers)
    assert_error(other, 409, "conflict")
    for bad in ("k" * 201, "tab\there"):
        response = web_session.post("/restaurants", json=data,
                                    headers={**admin_headers, "Idempotency-Key": bad})
        assert assert_error(response, 400, "bad_request") == {"header": "Idempotency-Key"}


def test_an_idempotency_key_is_its_callers_own(gateway, seeded, web_session):
    """User B sending user A's key gets an answer of B's own: no 409 that confirms the key
    exists, no block (SPEC §7)."""
    alice, bob = as_user(str(uuid.uuid4())), as_user(str(uuid.uuid4()))
    key = {"Idempotency-Key": "new-restaurant-1"}
    first = web_session.post("/restaurants", json={"name": "Alice's", "city": "Ipoh"},
                             headers={**alice, **key})
    theirs = web_session.post("/restaurants", json={"name": "Bob's", "city": "Ipoh"},
                              headers={**bob, **key})
    assert first.status_code == theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != first.json()["id"]
    assert theirs.json()["name"] == "Bob's"
    # each one's retry still gets their own first answer
    again = web_session.post("/restaurants", json={"name": "Bob's", "city": "Ipoh"},
                             headers={**bob, **key})
    assert again.status_code == 201 and again.json() == theirs.json()
    # and reusing one's own key for another request is a 409 that does not echo the key
    reused = web_session.post("/restaurants", json={"name": "Alice's 2", "city": "Ipoh"},
                              headers={**alice, **key})
    details = assert_error(reused, 409, "conflict")
    assert "new-restaurant-1" not in reused.text and details == {
        "idempotency_key": ["used for a different request"]}


INVALID_BODIES = [
    ("create restaurant", {"name": "x"}, {"city"}),
    ("create restaurant", {"name": "", "city": "Ipoh"}, {"name"}),
    ("create restaurant", {"name": "x", "city": "Ipoh", "price_range": 5, "latitude": 91,
                           "website": "not a url"}, {"price_range", "latitude", "website"}),
    ("create restaurant", {"name": "x", "city": "Ipoh", "price_range": "2"}, {"price_range"}),
    ("create restaurant", {"name": "x", "city": "Ipoh", "hours": {"someday": "9-5"}},
     {"hours"}),
    ("update restaurant", {"name": "   "}, {"name"}),
    ("update restaurant", {"cuisine_type": "Malaysian"}, {"cuisine_type"}),
    ("create dish", {"name": "Roti"}, {"dish_type", "price"}),
    ("create dish", {"name": "Roti", "dish_type": "roti", "price": "-1"}, {"price"}),
    ("create dish", {"name": "Roti", "dish_type": "roti", "price": "cheap"}, {"price"}),
    ("update dish", {"tags": ["ok", ""]}, {"tags"}),
    ("update dish", {"is_available": "maybe"}, {"is_available"}),
]


def test_admin_invalid_fields_are_422(gateway, seeded, catalog_rpc, web_session,
                                      admin_headers):
    before = catalog_snapshot(catalog_rpc)
    for route, body, fields in INVALID_BODIES:
        method, path, _ = admin_routes(seeded)[route]
        response = web_session.request(method, path, json=body, headers=admin_headers)
        details = assert_error(response, 422, "invalid_input")
        assert list(details) == ["fields"], (route, body)
        assert set(details["fields"]) == fields, (route, body, details)
    assert catalog_snapshot(catalog_rpc) == before


def test_admin_unknown_field_is_422(gateway, seeded, catalog_rpc, web_session, admin_headers):
    before = catalog_snapshot(catalog_rpc)
    for route in ("create restaurant", "update restaurant", "create dish", "update dish"):
        method, path, body = admin_routes(seeded)[route]
        response = web_session.request(method, path, json={**body, "is_admin": True},
                                       headers=admin_headers)
        details = assert_error(response, 422, "invalid_input")
        assert details == {"fields": {"is_admin": ["Unknown field."]}}, route
    assert catalog_snapshot(catalog_rpc) == before


BAD_BODIES = [
    (b"{bad json", "the request body is not valid JSON"),
    (b'{"name": "x",}', "the request body is not valid JSON"),
    (b"\xff\xfe\x00", "the request body is not valid JSON"),
    (b"", "a JSON body is required"),
    (b"[]", "the request body must be a JSON object"),
    (b'[{"name": "x", "city": "Ipoh"}]', "the request body must be a JSON object"),
    (b'"a string"', "the request body must be a JSON object"),
    (b"42", "the request body must be a JSON object"),
    (b"null", "the request body must be a JSON object"),
    # small, but deeper than any parser should follow
    (b'{"name":' + b"[" * 2000 + b"]" * 2000 + b"}", "the request body is nested too deeply"),
]


def test_admin_malformed_or_non_object_body_is_400(gateway, seeded, catalog_rpc, web_session,
                                                   admin_headers):
    before = catalog_snapshot(catalog_rpc)
    headers = {**admin_headers, "Content-Type": "application/json"}
    for route in ("create restaurant", "update restaurant", "create dish", "update dish"):
        method, path, _ = admin_routes(seeded)[route]
        for raw, message in BAD_BODIES:
            response = web_session.request(method, path, data=raw, headers=headers)
            assert_error(response, 400, "bad_request")
            assert response.json()["error"]["message"] == message, (route, raw)
    assert catalog_snapshot(catalog_rpc) == before


def padded_body(size: int) -> bytes:
    """A JSON object of exactly `size` bytes (valid apart from its address being too long)."""
    skeleton = json.dumps({"name": "Big", "city": "Ipoh", "address": ""}).encode()
    body = json.dumps({"name": "Big", "city": "Ipoh",
                       "address": "a" * (size - len(skeleton))}).encode()
    assert len(body) == size
    return body


def test_admin_body_over_max_body_bytes_is_413(gateway, seeded, catalog_rpc, web_session,
                                               admin_headers):
    before = catalog_snapshot(catalog_rpc)
    headers = {**admin_headers, "Content-Type": "application/json"}
    for route in ("create restaurant", "update restaurant", "create dish", "update dish"):
        method, path, _ = admin_routes(seeded)[route]
        for size in (MAX_BODY_BYTES + 1, MAX_BODY_BYTES * 10):
            response = web_session.request(method, path, data=padded_body(size),
                                           headers=headers)
            assert_error(response, 413, "payload_too_large")
        # the limit itself goes through to validation (where the long address fails)
        response = web_session.request(method, path, data=padded_body(MAX_BODY_BYTES),
                                       headers=headers)
        assert_error(response, 422, "invalid_input")
    assert catalog_snapshot(catalog_rpc) == before


def test_a_body_far_over_the_limit_gets_its_413_not_a_reset(gateway, seeded, admin_headers,
                                                             web_config_port):
    """The gateway reads (and drops) what the client is still sending before it answers:
    answering and closing with a body of megabytes half sent made the client's writes fail
    (a broken pipe, a reset) before it could read the 413. The client here is one that sends
    `Expect: 100-continue` (as curl does for such bodies) and, as it may, does not wait."""
    import socket

    body = padded_body(8 * 1024 * 1024)  # over what the sockets' buffers take at once
    head = (f"POST /restaurants HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {admin_headers['Authorization']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Expect: 100-continue\r\n\r\n").encode()
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", web_config_port), timeout=10) as client:
            client.sendall(head + body)  # a reset or broken pipe fails the test here
            answer = b""
            while b"payload_too_large" not in answer:
                chunk = client.recv(65536)  # ... or here
                assert chunk, answer
                answer += chunk
        assert b"413" in answer.split(b"\r\n\r\n100", 1)[-1], answer[:300]


def test_max_body_bytes_is_configurable(catalog, seeded, start_gateway, web_session,
                                        admin_headers):
    start_gateway(MAX_BODY_BYTES=100)
    body = json.dumps({"name": "Kedai Kopi", "city": "Ipoh", "address": "x" * 60}).encode()
    assert len(body) > 100
    response = web_session.post("/restaurants", data=body,
                                headers={**admin_headers, "Content-Type": "application/json"})
    assert_error(response, 413, "payload_too_large")
    response = web_session.post("/restaurants", json={"name": "Kedai Kopi", "city": "Ipoh"},
                                headers=admin_headers)
    assert response.status_code == 201


def chunked(body: bytes):
    for start in range(0, len(body), 1000):
        yield body[start:start + 1000]


def test_admin_chunked_body_is_never_taken_past_the_limit(gateway, seeded, catalog_rpc,
                                                         web_session, admin_headers):
    """No Content-Length to check: the limit applies while the body is read."""
    before = catalog_snapshot(catalog_rpc)
    response = web_session.post("/restaurants", data=chunked(padded_body(MAX_BODY_BYTES * 3)),
                                headers={**admin_headers, "Content-Type": "application/json"})
    assert "Content-Length" not in response.request.headers
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert_error(response, 413, "payload_too_large")
    assert catalog_snapshot(catalog_rpc) == before


def test_admin_chunked_body_at_the_limit_is_read_and_one_byte_more_is_not(
        gateway, seeded, catalog_rpc, web_session, admin_headers):
    before = catalog_snapshot(catalog_rpc)
    headers = {**admin_headers, "Content-Type": "application/json"}
    response = web_session.post("/restaurants", data=chunked(padded_body(MAX_BODY_BYTES)),
                                headers=headers)
    assert_error(response, 422, "invalid_input")  # read whole, then the long address fails
    response = web_session.post("/restaurants",
                                data=chunked(padded_body(MAX_BODY_BYTES + 1)), headers=headers)
    assert_error(response, 413, "payload_too_large")
    assert catalog_snapshot(catalog_rpc) == before


def test_admin_chunked_body_within_the_limit_is_read(gateway, seeded, web_session,
                                                    admin_headers):
    body = json.dumps({"name": "Chunked Cafe", "city": "Ipoh"}).encode()
    response = web_session.post("/restaurants", data=chunked(body),
                                headers={**admin_headers, "Content-Type": "application/json"})
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Chunked Cafe"


# --- routing -------------------------------------------------------------------------------

def test_unknown_route_is_404_json(start_gateway, web_session):
    start_gateway()
    traced = web_session.get("/nope", headers={"X-Request-ID": "lost-123"})
    assert traced.headers["X-Request-ID"] == "lost-123"
    for method, path in [
        ("GET", "/nope"),
        ("GET", "/"),
        ("GET", "/restaurants/"),
        ("POST", "/nope"),
        ("GET", "/dishes"),
        ("GET", f"/restaurants/{uuid.uuid4()}/photos"),
        ("GET", "/rankings"),
        ("GET", "/users"),
        ("GET", "/rankings/my/"),             # a list's dish type is at least 1 character
        ("GET", "/rankings/my/" + "x" * 101),  # and at most 100
        ("GET", "/openapi.yaml"),
    ]:
        response = web_session.request(method, path)
        assert_error(response, 404, "not_found")


def test_wrong_method_is_405_json(start_gateway, web_session):
    start_gateway()
    for method, path, allowed in [
        ("PUT", "/restaurants", {"GET", "HEAD", "POST"}),
        ("DELETE", "/restaurants", {"GET", "HEAD", "POST"}),
        ("POST", "/restaurants/{id}", {"GET", "HEAD", "PATCH", "DELETE"}),
        ("PUT", "/dishes/{id}", {"PATCH", "DELETE"}),
        ("GET", "/dishes/{id}", {"PATCH", "DELETE"}),
        ("POST", "/dishes/search", {"GET", "HEAD"}),
        ("DELETE", "/restaurants/{id}/menu", {"GET", "HEAD"}),
        ("GET", "/restaurants/{id}/dishes", {"POST"}),
        ("POST", "/health", {"GET", "HEAD"}),
        ("POST", "/rankings/my/laksa", {"GET", "HEAD", "PUT"}),
        ("PATCH", "/rankings/my/laksa/{id}", {"DELETE"}),
        ("PUT", "/users/me", {"GET", "HEAD", "PATCH"}),
        ("GET", "/users/{id}/follow", {"POST", "DELETE"}),
        ("GET", "/auth/register", {"POST"}),
    ]:
        response = web_session.request(method, path.format(id=uuid.uuid4()))
        assert_error(response, 405, "method_not_allowed")
        assert set(response.headers["Allow"].split(", ")) == allowed, (method, path)


def test_health_and_security_headers(start_gateway, web_session):
    start_gateway()
    response = web_session.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "gateway"}

    # every answer, errors included, carries the security headers
    for response in (web_session.get("/health"), web_session.get("/nope"),
                     web_session.post("/restaurants", json={})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert response.headers["Referrer-Policy"] == "no-referrer"
        # no CORS_ORIGINS configured: nothing lets a browser page read the answer
        assert "Access-Control-Allow-Origin" not in response.headers
