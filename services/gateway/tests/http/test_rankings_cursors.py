"""Rankings' lists paged by cursor through the gateway (SPEC §3), with the real rankings
service behind it: followers and following, a restaurant's reviews, a review's comments
and the best dishes. A client follows next_cursor to the end and meets every row once; a
cursor no list gave, or a cursor with an offset, is a 400 before rankings is asked."""

from __future__ import annotations

import uuid

import pytest

from services.gateway.tests.support import as_user, assert_error
from shared.schemas import MAX_CURSOR, encode_cursor


def pages_by_cursor(web_session, path: str, **params) -> list[dict]:
    """Every page of the list at `path`, following next_cursor from the first page."""
    pages = []
    while True:
        response = web_session.get(path, params=params)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        if pages[-1]["next_cursor"] is None:
            return pages
        assert len(pages) < 50, "the cursor does not move on"
        assert pages[-1]["count"] == int(params["limit"])
        params = {**params, "cursor": pages[-1]["next_cursor"]}


def items(pages: list[dict]) -> list[dict]:
    return [item for page in pages for item in page["items"]]


def test_followers_and_following_by_cursor(rankings_gateway, register, web_session):
    aisyah = register("aisyah")
    fans = [register(name) for name in ("ben", "chong", "dina")]
    for fan in fans:
        response = web_session.post(f"/users/{aisyah['id']}/follow", headers=as_user(fan["id"]))
        assert response.status_code == 200, response.text
        response = web_session.post(f"/users/{fan['id']}/follow", headers=as_user(aisyah["id"]))
        assert response.status_code == 200, response.text

    for which in ("followers", "following"):
        path = f"/users/{aisyah['id']}/{which}"
        pages = pages_by_cursor(web_session, path, limit="1")
        assert [item["user"]["username"] for item in items(pages)] == ["dina", "chong", "ben"]
        assert [page["next_offset"] for page in pages] == [1, None, None]  # by cursor: none
        assert {page["total"] for page in pages} == {3}
        assert items(pages) == web_session.get(path).json()["items"]


def test_reviews_and_their_comments_by_cursor(rankings_gateway, known, register, web_session):
    warung = known.restaurant("Warung Cursor", city="Ipoh")
    people = [register(name) for name in ("aisyah", "ben", "chong", "dina", "eng")]
    written = []
    for person in people:
        response = web_session.post(f"/restaurants/{warung}/reviews",
                                    headers=as_user(person["id"]), json={"rating": 4})
        assert response.status_code == 201, response.text
        written.append(response.json()["id"])
    pages = pages_by_cursor(web_session, f"/restaurants/{warung}/reviews", limit="2")
    assert [page["count"] for page in pages] == [2, 2, 1]
    assert [item["id"] for item in items(pages)] == written[::-1]  # newest first

    comments = f"/reviews/{written[0]}/comments"
    said = []
    for n, person in enumerate(people):
        response = web_session.post(comments, headers=as_user(person["id"]),
                                    json={"content": f"comment {n}"})
        assert response.status_code == 201, response.text
        said.append(response.json()["id"])
    pages = pages_by_cursor(web_session, comments, limit="3")
    assert [item["id"] for item in items(pages)] == said  # oldest first
    assert {page["total"] for page in pages} == {5}


def test_best_dishes_by_cursor(rankings_gateway, known, register, web_session):
    dishes = [known.dish(known.restaurant(f"Warung {n}", city="Ipoh"), f"NL{n}")
              for n in range(3)]
    lists = {"aisyah": [0, 1, 2], "ben": [1, 2], "chong": [2]}  # each best first
    for name, ranked in lists.items():
        person = register(name)
        for rank, n in enumerate(ranked, start=1):
            response = web_session.put("/rankings/my/nasi%20lemak", headers=as_user(
                person["id"]), json={"dish_id": dishes[n], "rank": rank})
            assert response.status_code == 200, response.text
    query = {"dish_type": "nasi lemak", "city": "Ipoh"}
    pages = pages_by_cursor(web_session, "/rankings/best", **query, limit="1")
    assert [item["dish_name"] for item in items(pages)] == ["NL2", "NL1", "NL0"]
    assert [item["ranking_count"] for item in items(pages)] == [3, 2, 1]
    assert [page["total"] for page in pages] == [3, 3, 3]


SOMEONE = str(uuid.uuid4())
WHEN = "2026-03-04T12:00:00+00:00"
CURSORED = [  # each route, its query, and a cursor of its list
    (f"/users/{SOMEONE}/followers", {}, encode_cursor("follows", (WHEN, SOMEONE))),
    (f"/users/{SOMEONE}/following", {}, encode_cursor("follows", (WHEN, SOMEONE))),
    (f"/restaurants/{SOMEONE}/reviews", {}, encode_cursor("reviews", (WHEN, SOMEONE))),
    (f"/reviews/{SOMEONE}/comments", {}, encode_cursor("comments", (WHEN, SOMEONE))),
    ("/rankings/best", {"dish_type": "nasi lemak", "city": "Ipoh"},
     encode_cursor("best_dishes", (WHEN, "-5", -1, SOMEONE))),
]


@pytest.mark.parametrize(("path", "query", "cursor"), CURSORED)
def test_a_bad_cursor_is_400_before_rankings_is_asked(start_gateway, web_session, path, query,
                                                      cursor):
    """rankings is not even running here."""
    start_gateway()
    for bad in ("not a cursor", encode_cursor("restaurants", ("A", SOMEONE)),
                "x" * (MAX_CURSOR + 1)):
        details = assert_error(web_session.get(path, params={**query, "cursor": bad}), 400,
                               "bad_request")
        assert list(details["fields"]) == ["cursor"], (path, bad)
    # one way of paging or the other
    details = assert_error(web_session.get(path, params={**query, "cursor": cursor,
                                                         "offset": "2"}), 400, "bad_request")
    assert details["fields"] == {"offset": ["give a cursor or an offset, not both"]}
