"""Accounts, profiles and follows through the gateway, with the real rankings service behind
it (SPEC §4, §7)."""

from __future__ import annotations

import uuid

from services.gateway.tests.support import (
    UUID_RE,
    as_user,
    assert_error,
    assert_no_leak,
    bearer,
)

PRIVATE_FIELDS = {"id", "email", "username", "display_name", "bio", "location",
                  "profile_image_url", "history_public", "role", "created_at", "updated_at"}


# --- POST /auth/register --------------------------------------------------------------------

def test_register_answers_201_with_the_account(rankings_gateway, web_session):
    response = web_session.post("/auth/register", json={
        "email": "aisyah@example.com", "username": "aisyah", "password": "sambal-pedas",
        "display_name": "Aisyah"})
    assert response.status_code == 201, response.text
    account = response.json()
    assert set(account) == PRIVATE_FIELDS
    assert UUID_RE.match(account["id"])
    assert (account["email"], account["username"], account["display_name"], account["role"]) \
        == ("aisyah@example.com", "aisyah", "Aisyah", "user")
    assert "password" not in response.text and "sambal-pedas" not in response.text


def test_register_conflicts_on_a_taken_email_or_username(rankings_gateway, register,
                                                         web_session):
    register("aisyah")
    for body in (
        {"email": "AISYAH@example.com", "username": "someone", "password": "long enough"},
        {"email": "other@example.com", "username": "Aisyah", "password": "long enough"},
    ):
        assert_error(web_session.post("/auth/register", json=body), 409, "conflict")


BAD_REGISTRATIONS = [
    ({"email": "a@example.com", "username": "ab", "password": "long enough"}, "username"),
    ({"email": "a@example.com", "username": "a b c", "password": "long enough"}, "username"),
    ({"email": "not-an-email", "username": "abc", "password": "long enough"}, "email"),
    ({"email": "a@example.com", "username": "abc", "password": "short"}, "password"),
    ({"email": "a@example.com", "username": "abc", "password": "x" * 129}, "password"),
    ({"email": "a@example.com", "username": "abc"}, "password"),
    ({"email": "a@example.com", "username": "abc", "password": "long enough",
      "role": "admin"}, "role"),  # the first admin comes from configuration, never a body
]


def test_register_invalid_fields_are_422(rankings_gateway, web_session):
    for body, field in BAD_REGISTRATIONS:
        details = assert_error(web_session.post("/auth/register", json=body), 422,
                               "invalid_input")
        assert field in details["fields"], (body, details)
        assert "long enough" not in str(details)


def test_register_malformed_body_is_400(rankings_gateway, web_session):
    for data in (b"", b"{not json", b"[1, 2]"):
        response = web_session.post("/auth/register", data=data,
                                    headers={"Content-Type": "application/json"})
        assert_error(response, 400, "bad_request")


def test_register_retried_with_an_idempotency_key(rankings_gateway, web_session):
    body = {"email": "retry@example.com", "username": "retry", "password": "long enough"}
    headers = {"Idempotency-Key": "register-retry-1"}
    first = web_session.post("/auth/register", json=body, headers=headers)
    again = web_session.post("/auth/register", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert_error(web_session.post("/auth/register", json=body), 409, "conflict")


# --- GET/PATCH /users/me --------------------------------------------------------------------

def test_me_is_the_acting_user(rankings_gateway, register, web_session):
    aisyah, ben = register("aisyah"), register("ben")
    assert web_session.get("/users/me", headers=as_user(aisyah["id"])).json() == aisyah
    assert web_session.get("/users/me", headers=as_user(ben["id"])).json() == ben


def test_me_edits_only_the_acting_users_profile(rankings_gateway, register, web_session):
    aisyah, ben = register("aisyah"), register("ben")
    response = web_session.patch("/users/me", headers=as_user(aisyah["id"]), json={
        "display_name": "Aisyah R", "bio": "Nasi lemak hunter", "location": "Ipoh",
        "profile_image_url": "https://example.com/me.png"})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["display_name"], changed["bio"], changed["location"],
            changed["profile_image_url"]) == ("Aisyah R", "Nasi lemak hunter", "Ipoh",
                                              "https://example.com/me.png")
    assert web_session.get("/users/me", headers=as_user(aisyah["id"])).json() == changed
    assert web_session.get("/users/me", headers=as_user(ben["id"])).json() == ben

    cleared = web_session.patch("/users/me", headers=as_user(aisyah["id"]), json={"bio": None})
    assert cleared.json()["bio"] is None and cleared.json()["location"] == "Ipoh"


BAD_PROFILE_EDITS = [
    ({"email": "new@example.com"}, "email"),    # not editable here
    ({"role": "admin"}, "role"),
    ({"profile_image_url": "javascript:alert(1)"}, "profile_image_url"),
    ({"display_name": "   "}, "display_name"),
    ({"bio": "x" * 2001}, "bio"),
]


def test_me_invalid_edits_are_422(rankings_gateway, register, web_session):
    aisyah = register("aisyah")
    for body, field in BAD_PROFILE_EDITS:
        response = web_session.patch("/users/me", headers=as_user(aisyah["id"]), json=body)
        details = assert_error(response, 422, "invalid_input")
        assert field in details["fields"], (body, details)
    assert web_session.get("/users/me", headers=as_user(aisyah["id"])).json() == aisyah


def test_me_needs_a_user(rankings_gateway, register, web_session):
    register("aisyah")
    for headers in ({}, {"X-User-Id": str(uuid.uuid4())}, bearer("12345"),
                    {"Authorization": "Bearer whatever"}, {"Authorization": "Basic eDp5"}):
        for method in ("GET", "PATCH"):
            response = web_session.request(method, "/users/me", headers=headers,
                                           json={"bio": "hacked"})
            details = assert_error(response, 401, "unauthorized")
            assert details == {"header": "Authorization"}


def test_me_of_an_unknown_user_is_404(rankings_gateway, web_session):
    """A valid token naming an id nobody has (say, an account deleted since)."""
    response = web_session.get("/users/me", headers=as_user(str(uuid.uuid4())))
    assert_error(response, 404, "not_found")


def test_user_routes_refuse_tokens_signed_with_another_secret(rankings_service, register,
                                                              start_gateway, web_session):
    start_gateway(JWT_SECRET="another-gateway-secret-long-enough-for-hs256")
    aisyah = register("aisyah")  # registering needs no user
    headers = as_user(aisyah["id"])
    for method, path in [("GET", "/users/me"), ("PATCH", "/users/me"),
                         ("POST", f"/users/{aisyah['id']}/follow"),
                         ("GET", "/rankings/my"), ("GET", "/rankings/my/laksa")]:
        response = web_session.request(method, path, headers=headers, json={"bio": "x"})
        details = assert_error(response, 401, "unauthorized")
        assert details == {"header": "Authorization"}, (method, path)
    # anonymous reads still answer
    assert web_session.get(f"/users/{aisyah['id']}").status_code == 200


# --- GET /users/{id}: the public profile ----------------------------------------------------

def test_public_profile_shows_no_private_fields(rankings_gateway, register, web_session):
    aisyah = register("aisyah", display_name="Aisyah")
    response = web_session.get(f"/users/{aisyah['id']}")
    assert response.status_code == 200
    profile = response.json()
    assert profile["id"] == aisyah["id"] and profile["username"] == "aisyah"
    assert "email" not in profile and "role" not in profile
    assert "aisyah@example.com" not in response.text
    assert (profile["followers_count"], profile["following_count"], profile["ranking_count"],
            profile["review_count"], profile["points"]) == (0, 0, 0, 0, 0)
    assert {badge["code"] for badge in profile["badges"]} >= {"FIRST_TIMER"}
    assert profile["career"]["level"] is None


def test_unknown_or_malformed_user_is_404(rankings_gateway, register, web_session):
    aisyah = register("aisyah")
    missing = str(uuid.uuid4())
    for path in (f"/users/{missing}", f"/users/{missing}/badges",
                 f"/users/{missing}/followers", f"/users/{missing}/following",
                 "/users/not-a-uuid", "/users/not-a-uuid/followers"):
        assert_error(web_session.get(path), 404, "not_found")
    for method in ("POST", "DELETE"):
        response = web_session.request(method, f"/users/{missing}/follow",
                                       headers=as_user(aisyah["id"]))
        assert_error(response, 404, "not_found")
    assert_error(web_session.post("/users/not-a-uuid/follow", headers=as_user(aisyah["id"])),
                 404, "not_found")


# --- follows --------------------------------------------------------------------------------

def test_follow_and_unfollow(rankings_gateway, register, web_session):
    aisyah, ben, chong = register("aisyah"), register("ben"), register("chong")
    response = web_session.post(f"/users/{aisyah['id']}/follow", headers=as_user(ben["id"]))
    assert response.status_code == 200, response.text
    follow = response.json()
    assert (follow["follower_id"], follow["followed_id"]) == (ben["id"], aisyah["id"])
    assert web_session.post(f"/users/{aisyah['id']}/follow",
                            headers=as_user(chong["id"])).status_code == 200

    followers = web_session.get(f"/users/{aisyah['id']}/followers").json()
    assert [item["user"]["username"] for item in followers["items"]] == ["chong", "ben"]
    assert (followers["count"], followers["total"], followers["next_offset"]) == (2, 2, None)
    assert set(followers["items"][0]["user"]) == {"id", "username", "display_name",
                                                  "profile_image_url"}
    page = web_session.get(f"/users/{aisyah['id']}/followers", params={"limit": 1}).json()
    assert [i["user"]["username"] for i in page["items"]] == ["chong"]
    assert page["next_offset"] == 1
    following = web_session.get(f"/users/{ben['id']}/following").json()
    assert [item["user"]["username"] for item in following["items"]] == ["aisyah"]

    profile = web_session.get(f"/users/{aisyah['id']}").json()
    assert profile["followers_count"] == 2

    response = web_session.delete(f"/users/{aisyah['id']}/follow", headers=as_user(ben["id"]))
    assert response.status_code == 204 and response.content == b""
    followers = web_session.get(f"/users/{aisyah['id']}/followers").json()
    assert [item["user"]["username"] for item in followers["items"]] == ["chong"]
    assert web_session.get(f"/users/{ben['id']}/following").json()["total"] == 0


def test_follow_rules(rankings_gateway, register, web_session):
    aisyah, ben = register("aisyah"), register("ben")
    as_ben = as_user(ben["id"])
    assert_error(web_session.post(f"/users/{ben['id']}/follow", headers=as_ben),
                 422, "invalid_input")                                  # not yourself
    assert web_session.post(f"/users/{aisyah['id']}/follow", headers=as_ben).status_code \
        == 200
    assert_error(web_session.post(f"/users/{aisyah['id']}/follow", headers=as_ben),
                 409, "conflict")                                       # not twice
    assert web_session.delete(f"/users/{aisyah['id']}/follow", headers=as_ben).status_code \
        == 204
    assert_error(web_session.delete(f"/users/{aisyah['id']}/follow", headers=as_ben),
                 404, "not_found")                                      # not following


def test_follow_needs_a_user(rankings_gateway, register, web_session):
    aisyah = register("aisyah")
    for method in ("POST", "DELETE"):
        for headers in ({}, {"X-User-Id": aisyah["id"]}, bearer("ben")):
            response = web_session.request(method, f"/users/{aisyah['id']}/follow",
                                           headers=headers)
            assert_error(response, 401, "unauthorized")
    assert web_session.get(f"/users/{aisyah['id']}/followers").json()["total"] == 0


def test_follow_lists_reject_bad_paging_at_the_gateway(rankings_gateway, register,
                                                       web_session):
    aisyah = register("aisyah")
    for params in ({"limit": 0}, {"limit": 51}, {"offset": -1}, {"limit": "x"}):
        for which in ("followers", "following"):
            response = web_session.get(f"/users/{aisyah['id']}/{which}", params=params)
            assert_error(response, 400, "bad_request")


# --- badges ---------------------------------------------------------------------------------

def test_badges_show_every_badge_with_progress(rankings_gateway, register, web_session):
    aisyah = register("aisyah")
    response = web_session.get(f"/users/{aisyah['id']}/badges")
    assert response.status_code == 200
    # a list like every other: every badge, in one page
    listed = response.json()
    assert (listed["count"], listed["total"], listed["next_offset"]) == (5, 5, None)
    badges = listed["items"]
    assert {badge["code"] for badge in badges} == {
        "FIRST_TIMER", "DISH_EXPLORER", "DISH_CONNOISSEUR", "DISH_EXPERT", "DISH_MASTER"}
    for badge in badges:
        assert badge["awarded_at"] is None
        assert badge["progress"]["current"] == 0 and badge["progress"]["target"] >= 1
    assert_no_leak(response.text)
