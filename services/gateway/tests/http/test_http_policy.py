"""The gateway's request policies over HTTP: CORS answers and preflights, writes past the
limit."""

from __future__ import annotations

import uuid

import pytest

from services.gateway.tests.support import as_user, assert_error

APP = "https://app.bellyfed.example"


def test_cors_over_http(gateway_with_cors, web_session):
    answer = web_session.get("/restaurants", headers={"Origin": APP})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert "X-Request-ID" in answer.headers["Access-Control-Expose-Headers"]
    error = web_session.get("/nope", headers={"Origin": APP})
    assert error.status_code == 404 and error.headers["Access-Control-Allow-Origin"] == APP
    foreign = web_session.get("/restaurants", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 200
    assert "Access-Control-Allow-Origin" not in foreign.headers

    preflight = web_session.options("/restaurants", headers={
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 204, preflight.text
    assert preflight.headers["Access-Control-Allow-Origin"] == APP
    assert {"GET", "POST"} <= set(preflight.headers["Access-Control-Allow-Methods"].split(", "))
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.content == b""

    refused = web_session.options("/restaurants", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert_error(refused, 403, "forbidden")
    assert_error(web_session.options("/nowhere", headers={
        "Origin": APP, "Access-Control-Request-Method": "GET"}), 404, "not_found")
    # an OPTIONS that is no preflight is a method the API does not serve
    assert_error(web_session.options("/restaurants"), 405, "method_not_allowed")


@pytest.fixture
def gateway_with_cors(catalog, start_gateway):
    return start_gateway(CORS_ORIGINS=[APP])


def test_writes_past_the_limit_are_429_and_reads_go_on(catalog, start_gateway, web_session):
    start_gateway(WRITE_LIMIT_PER_USER=2, WRITE_LIMIT_PER_ADDRESS=1, WRITE_WINDOW_SECONDS=60)
    owner, other = as_user(str(uuid.uuid4())), as_user(str(uuid.uuid4()))
    body = {"name": "Kedai", "city": "Ipoh"}
    created = [web_session.post("/restaurants", json=body, headers=owner) for _ in range(2)]
    assert [response.status_code for response in created] == [201, 201]
    limited = web_session.post("/restaurants", json=body, headers=owner)
    assert_error(limited, 429, "too_many_requests")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert web_session.get("/restaurants", headers=owner).json()["total"] == 2
    assert web_session.post("/restaurants", json=body, headers=other).status_code == 201
    # anonymous writes count per address
    view = f"/restaurants/{created[0].json()['id']}/analytics"
    assert web_session.post(view, json={}).status_code == 202
    assert_error(web_session.post(view, json={}), 429, "too_many_requests")


def test_anonymous_reads_past_the_limit_are_429_and_signed_in_reads_go_on(
        catalog, start_gateway, web_session):
    """Anonymous reads were never limited: one client could read (and make views) without
    end. READ_LIMIT_PER_ADDRESS per client per window; 0 turns it off."""
    start_gateway(READ_LIMIT_PER_ADDRESS=3, READ_WINDOW_SECONDS=60)
    for _ in range(3):
        assert web_session.get("/restaurants").status_code == 200
    limited = web_session.get("/restaurants")
    assert_error(limited, 429, "too_many_requests")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    user = as_user(str(uuid.uuid4()))
    assert web_session.get("/restaurants", headers=user).status_code == 200


def test_zero_turns_the_read_limit_off(catalog, start_gateway, web_session):
    start_gateway(READ_LIMIT_PER_ADDRESS=0)
    assert all(web_session.get("/restaurants").status_code == 200 for _ in range(50))
