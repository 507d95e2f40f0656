"""Reviews, likes and comments through the gateway, with the real rankings service behind it
(SPEC §4, §7): anyone reads, the author writes."""

from __future__ import annotations

import uuid

import pytest

from services.gateway.tests.support import as_user, assert_error, bearer, token_for


@pytest.fixture
def warung(known):
    return known.restaurant("Warung Reviews", city="Ipoh")


@pytest.fixture
def people(register):
    return {name: register(name) for name in ("aisyah", "ben", "chong")}


def review(web_session, restaurant_id: str, user: dict, **body) -> dict:
    response = web_session.post(f"/restaurants/{restaurant_id}/reviews",
                                headers=as_user(user["id"]), json={"rating": 4, **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_write_and_read_reviews(rankings_gateway, warung, people, web_session):
    first = review(web_session, warung, people["aisyah"], rating=5, content="Best sambal",
                   photos=["https://example.com/sambal.jpg"])
    assert (first["user_id"], first["username"], first["restaurant_id"], first["rating"],
            first["content"], first["photos"], first["like_count"], first["comment_count"]) \
        == (people["aisyah"]["id"], "aisyah", warung, 5, "Best sambal",
            ["https://example.com/sambal.jpg"], 0, 0)
    second = review(web_session, warung, people["ben"], rating=3)
    assert second["content"] is None and second["photos"] == []

    response = web_session.get(f"/restaurants/{warung}/reviews")  # anyone reads
    assert response.status_code == 200
    page = response.json()
    assert [item["id"] for item in page["items"]] == [second["id"], first["id"]]  # newest first
    assert (page["count"], page["total"], page["next_offset"]) == (2, 2, None)
    assert page["items"][1] == first
    one = web_session.get(f"/restaurants/{warung}/reviews", params={"limit": 1}).json()
    assert [item["id"] for item in one["items"]] == [second["id"]]
    assert one["next_offset"] == 1


def test_one_review_per_user_per_restaurant(rankings_gateway, warung, known, people,
                                            web_session):
    review(web_session, warung, people["aisyah"])
    response = web_session.post(f"/restaurants/{warung}/reviews",
                                headers=as_user(people["aisyah"]["id"]), json={"rating": 1})
    assert_error(response, 409, "conflict")
    review(web_session, known.restaurant("Another Place"), people["aisyah"])  # elsewhere: fine


def test_review_of_an_unknown_restaurant_is_404(rankings_gateway, people, web_session):
    missing = uuid.uuid4()
    response = web_session.post(f"/restaurants/{missing}/reviews",
                                headers=as_user(people["aisyah"]["id"]), json={"rating": 4})
    assert_error(response, 404, "not_found")
    assert_error(web_session.get(f"/restaurants/{missing}/reviews"), 404, "not_found")
    assert_error(web_session.get("/restaurants/nope/reviews"), 404, "not_found")


BAD_REVIEWS = [
    ({}, "rating"),
    ({"rating": 0}, "rating"),
    ({"rating": 6}, "rating"),
    ({"rating": "5"}, "rating"),
    ({"rating": 4.5}, "rating"),
    ({"rating": True}, "rating"),
    ({"rating": 4, "photos": ["javascript:alert(1)"]}, "photos"),
    ({"rating": 4, "photos": ["https://example.com/p.jpg"] * 11}, "photos"),
    ({"rating": 4, "user_id": str(uuid.uuid4())}, "user_id"),
]


def test_review_invalid_fields_are_422(rankings_gateway, warung, people, web_session):
    for body, field in BAD_REVIEWS:
        response = web_session.post(f"/restaurants/{warung}/reviews",
                                    headers=as_user(people["aisyah"]["id"]), json=body)
        details = assert_error(response, 422, "invalid_input")
        assert field in details["fields"], (body, details)
    assert web_session.get(f"/restaurants/{warung}/reviews").json()["total"] == 0


def test_review_content_is_bounded(rankings_service, warung, register, start_gateway,
                                   web_session):
    start_gateway(MAX_BODY_BYTES=65536)  # the tests' usual 4096 would stop it first (413)
    path, me = f"/restaurants/{warung}/reviews", as_user(register("aisyah")["id"])
    too_long = web_session.post(path, headers=me, json={"rating": 4, "content": "x" * 5001})
    assert "content" in assert_error(too_long, 422, "invalid_input")["fields"]
    longest = web_session.post(path, headers=me, json={"rating": 4, "content": "x" * 5000})
    assert longest.status_code == 201, longest.text


def test_only_the_author_edits_or_deletes(rankings_gateway, warung, people, web_session):
    mine = review(web_session, warung, people["aisyah"], rating=4, content="good")
    path = f"/reviews/{mine['id']}"
    for method, body in (("PATCH", {"rating": 1}), ("DELETE", None)):
        response = web_session.request(method, path, headers=as_user(people["ben"]["id"]),
                                       json=body)
        assert_error(response, 403, "forbidden")
    assert web_session.get(f"/restaurants/{warung}/reviews").json()["items"] == [mine]

    response = web_session.patch(path, headers=as_user(people["aisyah"]["id"]),
                                 json={"rating": 5})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["rating"], changed["content"]) == (5, "good")  # a partial edit
    assert_error(web_session.patch(path, headers=as_user(people["aisyah"]["id"]),
                                   json={"rating": 9}), 422, "invalid_input")

    response = web_session.delete(path, headers=as_user(people["aisyah"]["id"]))
    assert response.status_code == 204 and response.content == b""
    assert web_session.get(f"/restaurants/{warung}/reviews").json()["total"] == 0
    for method, body in (("PATCH", {"rating": 2}), ("DELETE", None)):
        response = web_session.request(method, path, headers=as_user(people["aisyah"]["id"]),
                                       json=body)
        assert_error(response, 404, "not_found")


def test_likes(rankings_gateway, warung, people, web_session):
    mine = review(web_session, warung, people["aisyah"])
    like = f"/reviews/{mine['id']}/like"
    for n, name in enumerate(("ben", "chong"), start=1):
        response = web_session.post(like, headers=as_user(people[name]["id"]))
        assert response.status_code == 200, response.text
        assert response.json() == {"review_id": mine["id"], "like_count": n}
    assert_error(web_session.post(like, headers=as_user(people["ben"]["id"])), 409, "conflict")
    listed = web_session.get(f"/restaurants/{warung}/reviews").json()["items"][0]
    assert listed["like_count"] == 2

    response = web_session.delete(like, headers=as_user(people["ben"]["id"]))
    assert response.status_code == 200
    assert response.json() == {"review_id": mine["id"], "like_count": 1}
    assert_error(web_session.delete(like, headers=as_user(people["ben"]["id"])),
                 404, "not_found")
    assert_error(web_session.post(f"/reviews/{uuid.uuid4()}/like",
                                  headers=as_user(people["ben"]["id"])), 404, "not_found")


def test_comments(rankings_gateway, warung, people, web_session):
    mine = review(web_session, warung, people["aisyah"])
    comments = f"/reviews/{mine['id']}/comments"
    written = []
    for name, content in (("ben", "Agreed!"), ("chong", "Too spicy for me"),
                          ("aisyah", "Try the mild one")):
        response = web_session.post(comments, headers=as_user(people[name]["id"]),
                                    json={"content": content})
        assert response.status_code == 201, response.text
        written.append(response.json())
    assert (written[0]["review_id"], written[0]["user_id"], written[0]["username"],
            written[0]["content"]) == (mine["id"], people["ben"]["id"], "ben", "Agreed!")

    page = web_session.get(comments).json()  # anyone reads, oldest first
    assert page["items"] == written
    assert (page["count"], page["total"], page["next_offset"]) == (3, 3, None)
    tail = web_session.get(comments, params={"limit": 2, "offset": 1}).json()
    assert [item["content"] for item in tail["items"]] == ["Too spicy for me",
                                                          "Try the mild one"]
    listed = web_session.get(f"/restaurants/{warung}/reviews").json()["items"][0]
    assert listed["comment_count"] == 3

    for body in ({}, {"content": "   "}, {"content": "x" * 2001}, {"content": 5}):
        response = web_session.post(comments, headers=as_user(people["ben"]["id"]), json=body)
        assert_error(response, 422, "invalid_input")
    missing = f"/reviews/{uuid.uuid4()}/comments"
    assert_error(web_session.get(missing), 404, "not_found")
    assert_error(web_session.post(missing, headers=as_user(people["ben"]["id"]),
                                  json={"content": "hello?"}), 404, "not_found")
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert_error(web_session.get(comments, params=params), 400, "bad_request")


def test_review_writes_need_a_user(rankings_gateway, warung, people, web_session):
    mine = review(web_session, warung, people["aisyah"])
    rid = mine["id"]
    for headers in ({}, {"X-User-Id": people["ben"]["id"]}, bearer("aisyah"),
                    bearer(token_for(people["ben"]["id"]) + "x")):
        for method, path, body in [
            ("POST", f"/restaurants/{warung}/reviews", {"rating": 1}),
            ("PATCH", f"/reviews/{rid}", {"rating": 1}),
            ("DELETE", f"/reviews/{rid}", None),
            ("POST", f"/reviews/{rid}/like", None),
            ("DELETE", f"/reviews/{rid}/like", None),
            ("POST", f"/reviews/{rid}/comments", {"content": "anonymous"}),
        ]:
            response = web_session.request(method, path, headers=headers, json=body)
            details = assert_error(response, 401, "unauthorized")
            assert details == {"header": "Authorization"}, (method, path)
    assert web_session.get(f"/restaurants/{warung}/reviews").json()["items"] == [mine]
    assert web_session.get(f"/reviews/{rid}/comments").json()["total"] == 0


def test_review_retried_with_an_idempotency_key(rankings_gateway, warung, people,
                                                web_session):
    headers = {**as_user(people["aisyah"]["id"]), "Idempotency-Key": "review-once"}
    first = web_session.post(f"/restaurants/{warung}/reviews", headers=headers,
                             json={"rating": 4})
    again = web_session.post(f"/restaurants/{warung}/reviews", headers=headers,
                             json={"rating": 4})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the first answer, not a 409
    comment = {**as_user(people["ben"]["id"]), "Idempotency-Key": "comment-once"}
    path = f"/reviews/{first.json()['id']}/comments"
    for _ in range(2):
        assert web_session.post(path, headers=comment, json={"content": "hi"}).status_code \
            == 201
    assert web_session.get(path).json()["total"] == 1
