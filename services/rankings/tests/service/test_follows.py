"""Every follows RPC against the real broker and PostgreSQL."""

from __future__ import annotations

import uuid

import eventlet
import pytest

from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import parse_envelope


@pytest.fixture
def events(record_events):
    """Bound to rankings.events before the service starts."""
    return record_events("rankings")


@pytest.fixture
def service(events, rankings):
    return rankings


@pytest.fixture
def users(make_user):
    return {name: make_user(name) for name in ("aisyah", "bala", "chen", "dina")}


def received(events, event_type: str, count: int = 1) -> list[dict]:
    """The payloads of the next `count` events of `event_type` (others skipped)."""
    found = []
    with eventlet.Timeout(10):
        while len(found) < count:
            [body] = events.take(1)
            if body["event_type"] == event_type:
                envelope = parse_envelope(body)
                assert (envelope["producer"], envelope["version"]) == ("rankings", 1)
                found.append(envelope["payload"])
    return found


def no_more(events, event_type: str) -> None:
    assert [body for body in events.take_all() if body["event_type"] == event_type] == []


def lite(user_id: str, username: str) -> dict:
    return {"id": user_id, "username": username, "display_name": None, "profile_image_url": None}


def test_follow_answers_the_follow_and_announces_it(service, events, users):
    follow = service.follow_user(users["aisyah"], users["bala"])
    assert set(follow) == {"follower_id", "followed_id", "created_at"}
    assert (follow["follower_id"], follow["followed_id"]) == (users["aisyah"], users["bala"])
    assert received(events, "user_followed") == [{
        "follower_id": users["aisyah"], "followed_id": users["bala"], "user_id": users["aisyah"]}]


def test_nobody_follows_themselves(service, events, users):
    with pytest.raises(InvalidInput) as exc:
        service.follow_user(users["aisyah"], users["aisyah"])
    assert list(exc.value.details["fields"]) == ["target_id"]
    no_more(events, "user_followed")


def test_following_twice_is_a_conflict(service, events, users):
    service.follow_user(users["aisyah"], users["bala"])
    with pytest.raises(Conflict):
        service.follow_user(users["aisyah"], users["bala"])
    received(events, "user_followed")
    no_more(events, "user_followed")


def test_racing_follows_make_one(service, events, users):
    replies = [service.follow_user.call_async(users["aisyah"], users["bala"]) for _ in range(6)]
    conflicts = 0
    for reply in replies:
        try:
            reply.result()
        except Conflict:
            conflicts += 1
    assert conflicts == 5
    assert service.list_followers(users["bala"])["total"] == 1
    received(events, "user_followed")
    no_more(events, "user_followed")


def test_follow_errors(service, users):
    with pytest.raises(NotFound) as exc:
        service.follow_user(users["aisyah"], str(uuid.uuid4()))
    assert exc.value.message == "user not found"
    with pytest.raises(NotFound):
        service.follow_user(str(uuid.uuid4()), users["aisyah"])
    with pytest.raises(InvalidInput) as exc:
        service.follow_user(users["aisyah"], "nope")
    assert list(exc.value.details["fields"]) == ["target_id"]
    with pytest.raises(InvalidInput) as exc:
        service.follow_user("nope", users["aisyah"])
    assert list(exc.value.details["fields"]) == ["user_id"]


def test_unfollow_removes_the_follow_and_announces_it(service, events, users):
    service.follow_user(users["aisyah"], users["bala"])
    assert service.unfollow_user(users["aisyah"], users["bala"]) is None
    assert received(events, "user_unfollowed") == [{
        "follower_id": users["aisyah"], "followed_id": users["bala"], "user_id": users["aisyah"]}]
    assert service.list_following(users["aisyah"])["total"] == 0
    with pytest.raises(NotFound):
        service.unfollow_user(users["aisyah"], users["bala"])
    service.follow_user(users["aisyah"], users["bala"])  # and may follow again
    assert service.list_following(users["aisyah"])["total"] == 1


def test_unfollow_errors(service, events, users):
    with pytest.raises(NotFound):
        service.unfollow_user(users["aisyah"], users["bala"])
    with pytest.raises(NotFound):
        service.unfollow_user(users["aisyah"], str(uuid.uuid4()))
    with pytest.raises(NotFound):
        service.unfollow_user(str(uuid.uuid4()), users["aisyah"])
    with pytest.raises(InvalidInput):
        service.unfollow_user(users["aisyah"], "nope")
    no_more(events, "user_unfollowed")


def test_followers_and_following_newest_first_with_counts(service, users):
    for fan in ("bala", "chen", "dina"):
        service.follow_user(users[fan], users["aisyah"])
    service.follow_user(users["aisyah"], users["dina"])
    service.follow_user(users["aisyah"], users["bala"])

    followers = service.list_followers(users["aisyah"])
    assert [item["user"] for item in followers["items"]] == [
        lite(users["dina"], "dina"), lite(users["chen"], "chen"), lite(users["bala"], "bala")]
    assert (followers["count"], followers["total"], followers["next_offset"]) == (3, 3, None)
    times = [item["followed_at"] for item in followers["items"]]
    assert times == sorted(times, reverse=True)

    following = service.list_following(users["aisyah"])
    assert [item["user"]["username"] for item in following["items"]] == ["bala", "dina"]

    page = service.list_followers(users["aisyah"], limit=2)
    assert ([item["user"]["username"] for item in page["items"]], page["next_offset"]) == (
        ["dina", "chen"], 2)
    page = service.list_followers(users["aisyah"], limit=2, offset=2)
    assert ([item["user"]["username"] for item in page["items"]], page["next_offset"]) == (
        ["bala"], None)

    profile = service.get_public_profile(users["aisyah"])
    assert (profile["followers_count"], profile["following_count"]) == (3, 2)
    service.unfollow_user(users["chen"], users["aisyah"])
    assert service.get_public_profile(users["aisyah"])["followers_count"] == 2
    assert [item["user"]["username"] for item in service.list_followers(users["aisyah"])[
        "items"]] == ["dina", "bala"]


def test_lists_of_a_user_nobody_follows(service, users):
    empty = {"items": [], "count": 0, "total": 0, "total_is_estimate": False, "next_offset": None,
             "next_cursor": None}
    assert service.list_followers(users["aisyah"]) == empty
    assert service.list_following(users["aisyah"]) == empty


def test_list_errors(service, users):
    for listing in (service.list_followers, service.list_following):
        with pytest.raises(NotFound):
            listing(str(uuid.uuid4()))
        with pytest.raises(InvalidInput):
            listing("nope")
        for paging in ({"limit": 51}, {"limit": 0}, {"offset": -1}):
            with pytest.raises(InvalidInput):
                listing(users["aisyah"], **paging)


def test_follow_and_unfollow_retried_with_their_keys(service, events, users):
    first = service.follow_user(users["aisyah"], users["bala"], idempotency_key="f-1")
    assert service.follow_user(users["aisyah"], users["bala"], idempotency_key="f-1") == first
    received(events, "user_followed")
    no_more(events, "user_followed")
    service.unfollow_user(users["aisyah"], users["bala"], idempotency_key="u-1")
    assert service.unfollow_user(users["aisyah"], users["bala"], idempotency_key="u-1") is None
    received(events, "user_unfollowed")
    no_more(events, "user_unfollowed")
    with pytest.raises(Conflict):  # the same key for another request
        service.follow_user(users["aisyah"], users["chen"], idempotency_key="f-1")
