"""Favorites, ranking histories and the cuisines list over real HTTP (SPEC §3, §4, §7):
`PUT`/`DELETE /restaurants/{id}/favorite` (idempotent), `GET /users/me/favorites`,
`GET /rankings/my/history`, `GET /users/{id}/rankings/history` (when its user made it
public: history_public, PATCH /users/me) and `GET /cuisines`.

Everything real behind the gateway: the catalog (restaurants, dishes), rankings (accounts,
lists, favorites; what it knows of restaurants and dishes from the catalog's events), one
broker. Every answer is checked against /openapi.json."""

from __future__ import annotations

import time
import uuid

import eventlet
import pytest

from services.gateway.tests.support import as_user, assert_error
from shared.schemas import encode_cursor

DEADLINE = 10.0
FAVORITE = "/restaurants/{restaurant_id}/favorite"
FAVORITES = "/users/me/favorites"
MY_HISTORY = "/rankings/my/history"
USER_HISTORY = "/users/{user_id}/rankings/history"


def eventually(check):
    stop = time.monotonic() + DEADLINE
    while not (answer := check()):
        assert time.monotonic() < stop, f"not within {DEADLINE}s"
        eventlet.sleep(0.1)
    return answer


class Client:
    """The gateway as its clients call it; every answer kept for one check against the
    OpenAPI document (`checked()`)."""

    def __init__(self, web_session, validate_against):
        self.web, self.validate = web_session, validate_against
        self.answers: list[tuple[str, str, object]] = []

    def call(self, method: str, path: str, url: str, user: str | None = None, **kwargs):
        headers = as_user(user) if user else {}
        response = self.web.request(method, url, headers=headers, **kwargs)
        self.answers.append((method.lower(), path, response))
        return response

    def made(self, user: str, url: str, body: dict) -> dict:
        response = self.web.post(url, json=body, headers=as_user(user))
        assert response.status_code == 201, response.text
        return response.json()

    def checked(self) -> None:
        for method, path, response in self.answers:
            self.validate(method, path, response)


@pytest.fixture
def client(catalog, rankings_service, document, web_session, validate_against):
    return Client(web_session, validate_against)


@pytest.fixture
def people(register) -> dict:
    return {name: register(name)["id"] for name in ("aisyah", "ben")}


def restaurant(client, owner: str, name: str, cuisines: list[str]) -> dict:
    return client.made(owner, "/restaurants", {"name": name, "city": "Ipoh",
                                               "cuisine_type": cuisines})


def items(response) -> list:
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- favorites -----------------------------------------------------------------------------

def test_a_favorite_is_kept_once_listed_with_its_restaurant_and_removed_once(client, people):
    aisyah, ben = people["aisyah"], people["ben"]
    warung = restaurant(client, ben, "Warung Favorit", ["Malay"])
    kedai = restaurant(client, ben, "Kedai Kopi", ["Chinese"])
    url = f"/restaurants/{warung['id']}/favorite"

    first = client.call("PUT", FAVORITE, url, aisyah)
    assert first.status_code == 200, first.text
    assert (first.json()["restaurant_id"], first.json()["restaurant"]) == (warung["id"], warung)
    again = client.call("PUT", FAVORITE, url, aisyah)  # idempotent: one favorite, as it was
    assert again.status_code == 200 and again.json() == first.json()
    assert client.call("PUT", FAVORITE, f"/restaurants/{kedai['id']}/favorite",
                       aisyah).status_code == 200

    listed = client.call("GET", FAVORITES, FAVORITES, aisyah)
    assert [(item["restaurant_id"], item["restaurant"]["name"]) for item in items(listed)] == [
        (kedai["id"], "Kedai Kopi"), (warung["id"], "Warung Favorit")]  # newest first
    assert (listed.json()["total"], listed.json()["next_cursor"]) == (2, None)
    assert listed.headers["Cache-Control"] == "private, no-cache"
    # by cursor: the same favorites, one page each
    page = client.call("GET", FAVORITES, FAVORITES, aisyah, params={"limit": "1"})
    rest = client.call("GET", FAVORITES, FAVORITES, aisyah,
                       params={"limit": "1", "cursor": page.json()["next_cursor"]})
    assert items(page) + items(rest) == items(listed)
    assert items(client.call("GET", FAVORITES, FAVORITES, ben)) == []  # hers alone

    for _ in range(2):  # idempotent: gone, and gone again
        removed = client.call("DELETE", FAVORITE, url, aisyah)
        assert removed.status_code == 204 and removed.content == b""
    assert [item["restaurant_id"] for item in items(
        client.call("GET", FAVORITES, FAVORITES, aisyah))] == [kedai["id"]]
    client.checked()


def test_a_favorite_names_a_restaurant_the_catalog_has(client, people):
    missing = client.call("PUT", FAVORITE, f"/restaurants/{uuid.uuid4()}/favorite",
                          people["aisyah"])
    assert_error(missing, 404, "not_found")
    assert items(client.call("GET", FAVORITES, FAVORITES, people["aisyah"])) == []
    assert_error(client.call("PUT", FAVORITE, f"/restaurants/{uuid.uuid4()}/favorite"), 401,
                 "unauthorized")
    assert_error(client.call("GET", FAVORITES, FAVORITES), 401, "unauthorized")
    # unfavoriting what is no favorite (or no restaurant) changes nothing
    assert client.call("DELETE", FAVORITE, f"/restaurants/{uuid.uuid4()}/favorite",
                       people["aisyah"]).status_code == 204
    bad = client.call("GET", FAVORITES, FAVORITES, people["aisyah"],
                      params={"cursor": encode_cursor("follows", ("x", str(uuid.uuid4())))})
    assert list(assert_error(bad, 400, "bad_request")["fields"]) == ["cursor"]
    client.checked()


def test_a_deleted_restaurant_leaves_the_favorites(client, people):
    aisyah, ben = people["aisyah"], people["ben"]
    gone = restaurant(client, ben, "Warung Tutup", ["Malay"])
    assert client.call("PUT", FAVORITE, f"/restaurants/{gone['id']}/favorite",
                       aisyah).status_code == 200
    deleted = client.web.delete(f"/restaurants/{gone['id']}", headers=as_user(ben))
    assert deleted.status_code == 204, deleted.text
    # rankings hears the catalog's restaurant_deleted; until then the join says null
    eventually(lambda: items(client.call("GET", FAVORITES, FAVORITES, aisyah)) == [])
    client.checked()


# --- ranking histories ---------------------------------------------------------------------

@pytest.fixture
def ranked(client, people) -> dict:
    """Aisyah ranks two nasi lemak and a laksa (of Ben's restaurants, once rankings knows
    the dishes)."""
    warung = restaurant(client, people["ben"], "Warung Sejarah", ["Malay"])
    dishes = {name: client.made(people["ben"], f"/restaurants/{warung['id']}/dishes",
                                {"name": name, "dish_type": dish_type, "price": "9.00"})
              for name, dish_type in (("Nasi Lemak Ayam", "nasi lemak"),
                                      ("Laksa Ipoh", "laksa"),
                                      ("Nasi Lemak Sotong", "nasi lemak"))}
    for dish in dishes.values():
        eventually(lambda dish=dish: client.web.get(
            f"/dishes/{dish['id']}/rankings").status_code == 200)
        response = client.web.put(f"/rankings/my/{dish['dish_type']}",
                                  json={"dish_id": dish["id"], "rank": 1},
                                  headers=as_user(people["aisyah"]))
        assert response.status_code == 200, response.text
    return dishes


def changes(response) -> list[tuple[str, str]]:
    return [(entry["change"], entry["dish_name"]) for entry in items(response)]


def test_my_history_is_newest_first_of_every_type_or_of_one(client, people, ranked):
    aisyah = people["aisyah"]
    every = client.call("GET", MY_HISTORY, MY_HISTORY, aisyah)
    assert changes(every) == [("shifted", "Nasi Lemak Ayam"), ("placed", "Nasi Lemak Sotong"),
                              ("placed", "Laksa Ipoh"), ("placed", "Nasi Lemak Ayam")]
    assert items(every)[0]["restaurant_name"] == "Warung Sejarah"
    one_type = client.call("GET", MY_HISTORY, MY_HISTORY, aisyah,
                           params={"dish_type": "Laksa"})
    assert changes(one_type) == [("placed", "Laksa Ipoh")]
    page = client.call("GET", MY_HISTORY, MY_HISTORY, aisyah, params={"limit": "3"})
    rest = client.call("GET", MY_HISTORY, MY_HISTORY, aisyah,
                       params={"limit": "3", "cursor": page.json()["next_cursor"]})
    assert items(page) + items(rest) == items(every)
    assert items(client.call("GET", MY_HISTORY, MY_HISTORY, people["ben"])) == []  # his own
    assert_error(client.call("GET", MY_HISTORY, MY_HISTORY), 401, "unauthorized")
    bad = client.call("GET", MY_HISTORY, MY_HISTORY, aisyah, params={"cursor": "x!"})
    assert list(assert_error(bad, 400, "bad_request")["fields"]) == ["cursor"]
    client.checked()


def test_a_users_history_is_public_only_once_they_say_so(client, people, ranked):
    aisyah, ben = people["aisyah"], people["ben"]
    url = f"/users/{aisyah}/rankings/history"
    for viewer in (None, ben):
        assert_error(client.call("GET", USER_HISTORY, url, viewer), 403, "forbidden")
    own = client.call("GET", USER_HISTORY, url, aisyah)  # hers, public or not
    assert len(items(own)) == 4
    assert client.web.get(f"/users/{aisyah}").json()["history_public"] is False

    made_public = client.web.patch("/users/me", json={"history_public": True},
                                   headers=as_user(aisyah))
    assert made_public.status_code == 200, made_public.text
    assert made_public.json()["history_public"] is True
    for viewer in (None, ben):
        shown = client.call("GET", USER_HISTORY, url, viewer, params={"dish_type": "laksa"})
        assert changes(shown) == [("placed", "Laksa Ipoh")]
        # the choice is the user's to take back: never kept by a shared cache
        assert shown.headers["Cache-Control"] == "private, no-cache"
    assert client.web.get(f"/users/{aisyah}").json()["history_public"] is True

    assert client.web.patch("/users/me", json={"history_public": False},
                            headers=as_user(aisyah)).status_code == 200
    assert_error(client.call("GET", USER_HISTORY, url), 403, "forbidden")
    assert_error(client.call("GET", USER_HISTORY, f"/users/{uuid.uuid4()}/rankings/history"),
                 404, "not_found")
    refused = client.web.patch("/users/me", json={"history_public": "yes"},
                               headers=as_user(aisyah))
    assert list(assert_error(refused, 422, "invalid_input")["fields"]) == ["history_public"]
    client.checked()


def test_the_history_route_leaves_the_other_methods_of_a_list_alone(client, people):
    """/rankings/my/history is a GET of its own: a list of that name is still written to
    (PUT /rankings/my/{dish_type}, here refused for a dish rankings does not know)."""
    dish_id = str(uuid.uuid4())
    response = client.web.put("/rankings/my/history", json={"dish_id": dish_id, "rank": 1},
                              headers=as_user(people["aisyah"]))
    assert assert_error(response, 404, "not_found") == {"dish_id": dish_id}  # rankings' 404


# --- cuisines --------------------------------------------------------------------------------

def test_cuisines_are_the_catalogs_by_name_as_soon_as_a_restaurant_brings_one(client, people):
    assert items(client.call("GET", "/cuisines", "/cuisines")) == []
    restaurant(client, people["ben"], "Warung Satu", ["Malay", "Mamak"])
    listed = client.call("GET", "/cuisines", "/cuisines")
    assert items(listed) == [{"name": "Malay"}, {"name": "Mamak"}]
    assert (listed.json()["count"], listed.json()["total"], listed.json()["next_cursor"]) == (
        2, 2, None)
    # a new cuisine shows at once through this gateway (its write changed the read model)
    restaurant(client, people["ben"], "Kedai Dua", ["Chinese", "malay"])
    assert [item["name"] for item in items(client.call("GET", "/cuisines", "/cuisines"))] == [
        "Chinese", "Malay", "Mamak"]
    client.checked()
