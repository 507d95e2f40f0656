"""Rewards rules without I/O: badge thresholds, career levels, causes, payloads."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from services.rankings.domain import rewards

# SPEC §4, written out again here rather than read from the migration
SPEC_CAREER = [
    (1, "Junior District Reviewer", 20, 2),
    (2, "District Reviewer", 50, 3),
    (3, "Senior District Reviewer", 100, 3),
    (4, "District Manager", 250, 4),
    (5, "City Analyst", 500, 5),
    (6, "Regional Director", 1000, 6),
    (7, "Chief Food Officer", 2000, 8),
]
LEVELS = [SimpleNamespace(level=level, name=name, required_rankings=rankings,
                          required_cuisines=cuisines)
          for level, name, rankings, cuisines in SPEC_CAREER]


def record(dishes=0, best_type_restaurants=0, cuisines=0) -> dict:
    return {"dishes": dishes, "best_type_restaurants": best_type_restaurants,
            "cuisines": cuisines}


# --- badges --------------------------------------------------------------------------------

def test_no_ranking_no_badge():
    assert rewards.earned_badges(record()) == []


def test_first_ranking_is_first_timer():
    assert rewards.earned_badges(record(dishes=1, best_type_restaurants=1)) == ["FIRST_TIMER"]


@pytest.mark.parametrize(("dishes", "expected"), [
    (4, ["FIRST_TIMER"]),
    (5, ["FIRST_TIMER", "DISH_EXPLORER"]),
    (9, ["FIRST_TIMER", "DISH_EXPLORER"]),
    (10, ["FIRST_TIMER", "DISH_EXPLORER", "DISH_CONNOISSEUR"]),
])
def test_dish_count_badges_at_exactly_5_and_10(dishes, expected):
    assert rewards.earned_badges(record(dishes=dishes, best_type_restaurants=1)) == expected


@pytest.mark.parametrize(("restaurants", "expected"), [
    (2, []),
    (3, ["DISH_EXPERT"]),
    (4, ["DISH_EXPERT"]),
    (5, ["DISH_EXPERT", "DISH_MASTER"]),
])
def test_one_dish_type_at_3_then_5_restaurants(restaurants, expected):
    # dishes fixed at 1 so only the restaurant badges move
    earned = rewards.earned_badges(record(dishes=1, best_type_restaurants=restaurants))
    assert [code for code in earned if code != "FIRST_TIMER"] == expected


def test_progress_counts_up_to_the_target_and_stops_there():
    assert rewards.badge_progress("DISH_EXPLORER", record(dishes=4)) == {"current": 4, "target": 5}
    assert rewards.badge_progress("DISH_EXPLORER", record(dishes=7)) == {"current": 5, "target": 5}
    assert rewards.badge_progress("DISH_MASTER", record(best_type_restaurants=2)) == {
        "current": 2, "target": 5}


# --- careers -------------------------------------------------------------------------------

def test_no_level_below_the_first_and_the_first_is_next():
    answer = rewards.career(LEVELS, rankings=19, cuisines=5)
    assert (answer["level"], answer["name"]) == (None, None)
    assert answer["next"] == {"level": 1, "name": "Junior District Reviewer",
                              "required_rankings": 20, "required_cuisines": 2}
    assert (answer["rankings"], answer["cuisines"]) == (19, 5)


@pytest.mark.parametrize(("level", "name", "rankings", "cuisines"), SPEC_CAREER)
def test_each_level_needs_both_its_rankings_and_its_cuisines(level, name, rankings, cuisines):
    assert rewards.career(LEVELS, rankings, cuisines)["level"] == level
    assert rewards.career(LEVELS, rankings, cuisines)["name"] == name
    assert rewards.career(LEVELS, rankings - 1, cuisines)["level"] == (level - 1 or None)
    assert rewards.career(LEVELS, rankings, cuisines - 1)["level"] != level


def test_cuisines_hold_a_user_back_however_many_rankings():
    answer = rewards.career(LEVELS, rankings=5000, cuisines=3)
    assert answer["level"] == 3  # 100/3 met, 250/4 not
    assert answer["next"]["level"] == 4


def test_the_top_level_has_no_next():
    answer = rewards.career(LEVELS, rankings=2000, cuisines=8)
    assert (answer["level"], answer["name"], answer["next"]) == (7, "Chief Food Officer", None)


def test_levels_may_come_in_any_order():
    assert rewards.career(list(reversed(LEVELS)), 50, 3)["level"] == 2


# --- causes and payloads -------------------------------------------------------------------

def test_a_like_is_one_cause_per_review_and_liker():
    review, liker, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert rewards.like_reference(review, liker) == rewards.like_reference(review, liker)
    assert rewards.like_reference(review, liker) != rewards.like_reference(review, other)
    assert rewards.like_reference(review, liker) != rewards.like_reference(other, liker)
    assert isinstance(rewards.like_reference(review, liker), uuid.UUID)


def test_payloads_ignore_unknown_fields_and_refuse_missing_ones():
    user, dish = str(uuid.uuid4()), str(uuid.uuid4())
    loaded = rewards._ranked.load({"user_id": user, "dish_id": dish, "rank": 1,
                                   "something_new": True})
    assert loaded == {"user_id": uuid.UUID(user), "dish_id": uuid.UUID(dish)}
    with pytest.raises(ValidationError):
        rewards._liked.load({"review_id": str(uuid.uuid4()), "user_id": user})


# --- the award flow over a store in memory -------------------------------------------------

class MemoryStore:
    """Just what the rewards domain calls, kept in dicts."""

    def __init__(self, users, ranking_record=None):
        self.users = set(users)
        self.claimed = set()
        self.points = {}
        self.badges = set()
        self.events = []
        self.record = ranking_record or record()

    @contextmanager
    def transaction(self):
        yield self

    def first_time(self, consumer, event):
        key = (consumer, event["event_id"])
        if key in self.claimed:
            return False
        self.claimed.add(key)
        return True

    def user_exists_for_rewards(self, user_id):
        return user_id in self.users

    def lock_rewards_of(self, user_id):
        pass

    def award_points(self, user_id, activity_type, reference_id, points):
        key = (user_id, activity_type, reference_id)
        if key in self.points:
            return False
        self.points[key] = points
        return True

    def points_total(self, user_id):
        return sum(points for (user, _, _), points in self.points.items() if user == user_id)

    def ranking_record(self, user_id):
        return self.record

    def award_badge(self, user_id, code):
        if (user_id, code) in self.badges:
            return False
        self.badges.add((user_id, code))
        return True

    def badges_of(self, user_id):
        return [(SimpleNamespace(code=code, name=code.title(), description=""), None)
                for code in rewards.BADGE_RULES]

    def emit(self, event, payload):
        self.events.append((event.name, payload))


def envelope(payload):
    return {"event_id": uuid.uuid4(), "payload": payload}


def test_one_award_per_cause_and_per_event():
    user, dish = uuid.uuid4(), uuid.uuid4()
    store = MemoryStore([user], record(dishes=1, best_type_restaurants=1))
    first = envelope({"user_id": str(user), "dish_id": str(dish)})
    rewards.reward_dish_ranked(store, "c", first)
    rewards.reward_dish_ranked(store, "c", first)  # redelivered
    rewards.reward_dish_ranked(store, "c", envelope(first["payload"]))  # same dish again
    assert store.events == [
        ("points_awarded", {"user_id": str(user), "activity_type": "ranking", "points": 10,
                            "reference_id": str(dish), "total_points": 10}),
        ("badge_awarded", {"user_id": str(user), "badge_code": "FIRST_TIMER",
                           "badge_name": "First_Timer"}),
    ]


def test_likes_and_follows_reward_the_one_liked_or_followed():
    author, liker, follower = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    store = MemoryStore([author, liker, follower])
    review = str(uuid.uuid4())
    rewards.reward_review_liked(store, "l", envelope(
        {"review_id": review, "user_id": str(liker), "author_id": str(author)}))
    rewards.reward_user_followed(store, "f", envelope(
        {"follower_id": str(follower), "followed_id": str(author), "user_id": str(follower)}))
    assert [(event["user_id"], event["activity_type"], event["points"], event["total_points"])
            for _, event in store.events] == [
        (str(author), "like_received", 1, 1), (str(author), "new_follower", 3, 4)]


def test_no_award_for_a_user_who_is_gone():
    store = MemoryStore([])
    rewards.reward_review_created(store, "r", envelope(
        {"review_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4()), "restaurant_id": "x"}))
    assert store.events == [] and store.points == {}


def test_liking_your_own_review_earns_nothing():
    author = uuid.uuid4()
    store = MemoryStore([author])
    rewards.reward_review_liked(store, "l", envelope(
        {"review_id": str(uuid.uuid4()), "user_id": str(author), "author_id": str(author)}))
    assert store.events == [] and store.points == {}
