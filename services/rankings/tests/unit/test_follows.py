"""Follows without I/O: the list query, the event payload, and the no-self-follow rule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from services.rankings.contract.events import FollowEventSchema
from services.rankings.contract.rpc import FollowerSchema, FollowsQuery
from services.rankings.domain import follows
from shared.errors import InvalidInput


def test_follows_query_page_sizes():
    assert FollowsQuery().load({}) == {"limit": 20, "offset": 0}
    assert FollowsQuery().load({"limit": 50})["limit"] == 50
    for bad in [{"limit": 51}, {"limit": 0}, {"offset": -1}]:
        with pytest.raises(ValidationError):
            FollowsQuery().load(bad)


def test_follow_event_payload_carries_user_id_as_the_follower():
    follower, followed = uuid.uuid4(), uuid.uuid4()
    assert FollowEventSchema().dump({"follower_id": follower, "followed_id": followed}) == {
        "follower_id": str(follower), "followed_id": str(followed), "user_id": str(follower)}


def test_a_follower_entry_is_a_lite_profile_and_a_time():
    user = {"id": uuid.uuid4(), "username": "aisyah", "display_name": None,
            "profile_image_url": None, "email": "private@example.com", "bio": "private"}
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert FollowerSchema().dump({"user": user, "followed_at": since}) == {
        "user": {"id": str(user["id"]), "username": "aisyah", "display_name": None,
                 "profile_image_url": None},
        "followed_at": "2026-01-02T03:04:05+00:00"}


def test_nobody_follows_themselves_and_the_store_is_not_even_asked():
    me = uuid.uuid4()
    with pytest.raises(InvalidInput) as exc:
        follows.follow_user(store=None, user_id=me, target_id=me)
    assert list(exc.value.details["fields"]) == ["target_id"]
