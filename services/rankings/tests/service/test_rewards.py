"""Points, badges and careers, earned from rankings' own events on the real broker.

The producers of those events (rankings, reviews, follows) are other areas; these
tests publish the envelopes themselves, as those areas do. A dish entering a list
is, as the rankings area writes it, a ranking_history row (with its new rank) in the
transaction that emits dish_ranked: `Ranker.rank` writes both.
"""

from __future__ import annotations

import uuid
from collections import Counter

import eventlet
import pytest
from kombu import Connection
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from services.rankings.contract.events import (
    DISH_RANKED,
    REVIEW_COMMENTED,
    REVIEW_CREATED,
    REVIEW_LIKED,
    USER_FOLLOWED,
)
from services.rankings.domain.rewards import reward_summary
from services.rankings.storage import RankingsStore
from services.rankings.storage.models import ActivityPoints, RankingHistory, UserBadge
from shared.deadletters import read_dead_letters
from shared.errors import InvalidInput, NotFound
from shared.events import EnvelopePublisher

REWARD_EVENTS = ("points_awarded", "badge_awarded")


def wait_for(predicate, timeout: float = 10.0):
    with eventlet.Timeout(timeout):
        while not (result := predicate()):
            eventlet.sleep(0.05)
    return result


class Rewards:
    """Reads what rewards stored, and the reward events rankings published."""

    def __init__(self, engine, recorder):
        self.engine = engine
        self.recorder = recorder
        self.events: list[dict] = []

    def points(self, user_id: str) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.coalesce(func.sum(ActivityPoints.points), 0))
                               .where(ActivityPoints.user_id == user_id))

    def awards(self, user_id: str) -> list[tuple[str, int]]:
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(ActivityPoints.activity_type, ActivityPoints.points)
                                       .where(ActivityPoints.user_id == user_id)).all())

    def badges(self, user_id: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(UserBadge.badge_code)
                                    .where(UserBadge.user_id == user_id)))

    def summary(self, user_id: str) -> dict:
        with Session(self.engine) as session:
            return reward_summary(RankingsStore(session, "rankings"), user_id)

    def settle(self, seconds: float = 1.0) -> list[dict]:
        """Every reward event so far, once nothing more has come for `seconds`."""
        self.events += [event for event in self.recorder.take_all(settle=seconds)
                        if event["event_type"] in REWARD_EVENTS]
        return self.events

    def payloads(self, event_type: str) -> list[dict]:
        return [event["payload"] for event in self.events if event["event_type"] == event_type]


class Ranker:
    """Does what the rankings area does when a dish enters a user's list."""

    def __init__(self, engine, bus):
        self.engine = engine
        self.bus = bus

    def history(self, user_id: str, dish_id: str, dish_type: str, restaurant_id: str,
                rank: int = 1) -> None:
        self.histories(user_id, [(dish_id, dish_type, restaurant_id)], rank)

    def histories(self, user_id: str, dishes: list[tuple[str, str, str]], rank: int = 1) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(RankingHistory), [
                {"user_id": user_id, "dish_id": dish_id, "dish_type": dish_type,
                 "restaurant_id": restaurant_id, "change": "placed", "new_rank": rank}
                for dish_id, dish_type, restaurant_id in dishes])

    def rank(self, user_id: str, dish_id: str, dish_type: str, restaurant_id: str,
             rank: int = 1) -> dict:
        self.history(user_id, dish_id, dish_type, restaurant_id, rank)
        return self.bus.dispatch(DISH_RANKED, {
            "user_id": user_id, "dish_id": dish_id, "dish_type": dish_type,
            "restaurant_id": restaurant_id, "city": "Kuala Lumpur", "cuisine_type": ["Malay"],
            "rank": rank})


@pytest.fixture
def bus(rankings_config):
    return EnvelopePublisher(rankings_config["AMQP_URI"], "rankings")


@pytest.fixture
def rewards(rankings_service, rankings_db_engine, record_events):
    return Rewards(rankings_db_engine, record_events("rankings"))


@pytest.fixture
def ranker(rankings_db_engine, bus):
    return Ranker(rankings_db_engine, bus)


def new_dishes(catalog_facts, count: int, dish_type: str = "nasi lemak",
               restaurants: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(dish_id, dish_type, restaurant_id): each at its own restaurant unless given."""
    made = []
    for index in range(count):
        restaurant = (restaurants[index % len(restaurants)] if restaurants
                      else catalog_facts.restaurant(f"Warung {dish_type} {index}"))
        made.append((catalog_facts.dish(restaurant, f"{dish_type} {index}", dish_type=dish_type),
                     dish_type, restaurant))
    return made


# --- exactly once --------------------------------------------------------------------------

def test_a_redelivered_event_awards_nothing_more(rewards, ranker, bus, make_user,
                                                 catalog_facts):
    author, liker, commenter, follower = (make_user(name) for name in
                                          ("author", "liker", "commenter", "follower"))
    [(dish, dish_type, restaurant)] = new_dishes(catalog_facts, 1)
    review, comment = str(uuid.uuid4()), str(uuid.uuid4())
    envelopes = [
        ranker.rank(author, dish, dish_type, restaurant),
        bus.dispatch(REVIEW_CREATED, {"review_id": review, "user_id": author,
                                        "restaurant_id": restaurant, "rating": 4}),
        bus.dispatch(REVIEW_COMMENTED, {"review_id": review, "comment_id": comment,
                                          "user_id": commenter, "author_id": author}),
        bus.dispatch(REVIEW_LIKED, {"review_id": review, "user_id": liker,
                                      "author_id": author}),
        bus.dispatch(USER_FOLLOWED, {"follower_id": follower, "followed_id": author,
                                       "user_id": follower}),
    ]
    for envelope in envelopes:
        bus.publish(envelope)  # the same envelope again: a redelivery

    wait_for(lambda: rewards.points(author) == 10 + 5 + 1 + 3 and rewards.points(commenter) == 2)
    rewards.settle()
    assert rewards.awards(author) == [("like_received", 1), ("new_follower", 3),
                                      ("ranking", 10), ("review", 5)]
    assert rewards.awards(commenter) == [("comment", 2)]
    assert rewards.points(liker) == rewards.points(follower) == 0
    points = rewards.payloads("points_awarded")
    assert sorted((event["user_id"], event["activity_type"], event["points"]) for event in points) \
        == sorted([(author, "ranking", 10), (author, "review", 5), (commenter, "comment", 2),
                   (author, "like_received", 1), (author, "new_follower", 3)])
    assert {event["reference_id"] for event in points if event["activity_type"] == "ranking"} \
        == {dish}
    assert rewards.payloads("badge_awarded") == [
        {"user_id": author, "badge_code": "FIRST_TIMER", "badge_name": "First Timer"}]


def test_points_awarded_carries_the_running_total(rewards, bus, make_user):
    """Awards to one user are serialized: concurrent ones each see the others' points."""
    author = make_user("author")
    for _ in range(5):  # all at once: the handlers run concurrently
        bus.dispatch(REVIEW_CREATED, {"review_id": str(uuid.uuid4()), "user_id": author})
    wait_for(lambda: rewards.points(author) == 25)
    rewards.settle()
    assert sorted(event["total_points"] for event in rewards.payloads("points_awarded")) == [
        5, 10, 15, 20, 25]


def test_one_award_per_cause(rewards, ranker, bus, make_user, catalog_facts):
    """Ranked again after removal, liked again after unliking, followed again: no new points."""
    author, liker, other_liker, follower = (make_user(name) for name in
                                            ("author", "liker", "other", "follower"))
    [(dish, dish_type, restaurant)] = new_dishes(catalog_facts, 1)
    review = str(uuid.uuid4())
    liked = {"review_id": review, "user_id": liker, "author_id": author}
    followed = {"follower_id": follower, "followed_id": author, "user_id": follower}

    ranker.rank(author, dish, dish_type, restaurant)
    bus.dispatch(REVIEW_LIKED, liked)
    bus.dispatch(USER_FOLLOWED, followed)
    wait_for(lambda: rewards.points(author) == 10 + 1 + 3)

    ranker.rank(author, dish, dish_type, restaurant, rank=2)  # removed, then placed again
    bus.dispatch(REVIEW_LIKED, liked)  # unliked, then liked again: new event, same cause
    bus.dispatch(USER_FOLLOWED, followed)
    bus.dispatch(REVIEW_LIKED, {**liked, "user_id": other_liker})  # a new cause
    wait_for(lambda: rewards.points(author) == 10 + 1 + 3 + 1)
    rewards.settle()
    assert rewards.points(author) == 15
    assert rewards.awards(author) == [("like_received", 1), ("like_received", 1),
                                      ("new_follower", 3), ("ranking", 10)]
    assert len(rewards.payloads("points_awarded")) == 4
    assert len(rewards.payloads("badge_awarded")) == 1


def test_no_points_for_someone_who_is_not_a_user(rewards, bus, make_user):
    ghost = str(uuid.uuid4())
    bus.dispatch(REVIEW_CREATED, {"review_id": str(uuid.uuid4()), "user_id": ghost})
    follower = make_user("follower")
    bus.dispatch(USER_FOLLOWED, {"follower_id": follower, "followed_id": ghost,
                                   "user_id": follower})
    rewards.settle()
    assert rewards.events == []
    assert rewards.points(ghost) == 0


def test_an_unreadable_payload_is_dead_lettered_not_rewarded(rewards, bus, make_user,
                                                            rankings_config):
    user = make_user("aisyah")
    bus.dispatch(DISH_RANKED, {"user_id": user, "dish_type": "nasi lemak"})  # no dish_id
    with Connection(rankings_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        queue = "dlq.rankings"
        wait_for(lambda: channel.queue_declare(queue, passive=True).message_count >= 1,
                 timeout=15)
        [letter] = read_dead_letters(channel, "rankings")
    assert letter.origin.endswith("reward_dish_ranked")
    assert "dish_id" in letter.error
    assert rewards.points(user) == 0


# --- badges --------------------------------------------------------------------------------

def test_dish_explorer_at_5_dishes_not_4(rewards, ranker, make_user, catalog_facts):
    user = make_user("aisyah")
    restaurant = catalog_facts.restaurant("Warung Satu")
    dishes = new_dishes(catalog_facts, 5, restaurants=[restaurant])
    for dish in dishes[:4]:
        ranker.rank(user, *dish)
    wait_for(lambda: rewards.points(user) == 40)
    rewards.settle()
    assert rewards.badges(user) == {"FIRST_TIMER"}

    ranker.rank(user, *dishes[4])
    wait_for(lambda: "DISH_EXPLORER" in rewards.badges(user))
    rewards.settle()
    assert rewards.badges(user) == {"FIRST_TIMER", "DISH_EXPLORER"}
    assert Counter(event["badge_code"] for event in rewards.payloads("badge_awarded")) == \
        Counter({"FIRST_TIMER": 1, "DISH_EXPLORER": 1})


def test_dish_expert_for_one_dish_type_at_3_restaurants_not_2(rewards, ranker, make_user,
                                                              catalog_facts):
    user = make_user("aisyah")
    first, second, third = (catalog_facts.restaurant(name) for name in ("A", "B", "C"))
    # three nasi lemak at two restaurants, and other types at the third: still 2 for one type
    for dish in [*new_dishes(catalog_facts, 3, "nasi lemak", [first, second]),
                 *new_dishes(catalog_facts, 1, "laksa", [third]),
                 *new_dishes(catalog_facts, 1, "satay", [third])]:
        ranker.rank(user, *dish)
    wait_for(lambda: rewards.points(user) == 50)
    rewards.settle()
    assert rewards.badges(user) == {"FIRST_TIMER", "DISH_EXPLORER"}

    [dish] = new_dishes(catalog_facts, 1, "nasi lemak", [third])
    ranker.rank(user, *dish)
    wait_for(lambda: "DISH_EXPERT" in rewards.badges(user))
    rewards.settle()
    assert rewards.badges(user) == {"FIRST_TIMER", "DISH_EXPLORER", "DISH_EXPERT"}


def test_every_badge_once_with_one_event_each(rewards, ranker, make_user, catalog_facts):
    user = make_user("aisyah")
    dishes = new_dishes(catalog_facts, 10, "nasi lemak")  # ten restaurants
    for dish in dishes:
        ranker.rank(user, *dish)
    for dish in dishes[:3]:
        ranker.rank(user, *dish)  # placed again: nothing new
    wait_for(lambda: rewards.points(user) == 100 and len(rewards.badges(user)) == 5)
    events = rewards.settle()
    assert sorted(event["payload"]["badge_code"] for event in events
                  if event["event_type"] == "badge_awarded") == sorted(
        ["FIRST_TIMER", "DISH_EXPLORER", "DISH_CONNOISSEUR", "DISH_EXPERT", "DISH_MASTER"])
    assert {event["payload"]["user_id"] for event in events} == {user}
    assert len(rewards.payloads("points_awarded")) == 10
    assert max(event["total_points"] for event in rewards.payloads("points_awarded")) == 100


# --- what a profile shows ------------------------------------------------------------------

def test_reward_summary_shows_points_badge_progress_and_career(rewards, ranker, bus, make_user,
                                                                catalog_facts):
    user = make_user("aisyah")
    malay = catalog_facts.restaurant("Warung", cuisines=["Malay"])
    chinese = catalog_facts.restaurant("Kedai", cuisines=["Chinese", "malay"])
    dishes = [*new_dishes(catalog_facts, 2, "nasi lemak", [malay, chinese]),
              *new_dishes(catalog_facts, 1, "nasi lemak", [malay]),
              *new_dishes(catalog_facts, 1, "char kway teow", [chinese])]
    for dish in dishes:
        ranker.rank(user, *dish)
    bus.dispatch(REVIEW_CREATED, {"review_id": str(uuid.uuid4()), "user_id": user})
    wait_for(lambda: rewards.points(user) == 45)

    summary = rewards.summary(user)
    assert summary["points"] == 45
    assert [(badge["code"], badge["awarded_at"] is not None, badge["progress"])
            for badge in summary["badges"]] == [
        ("FIRST_TIMER", True, {"current": 1, "target": 1}),
        ("DISH_EXPLORER", False, {"current": 4, "target": 5}),
        ("DISH_CONNOISSEUR", False, {"current": 4, "target": 10}),
        ("DISH_EXPERT", False, {"current": 2, "target": 3}),
        ("DISH_MASTER", False, {"current": 2, "target": 5}),
    ]
    first_timer = summary["badges"][0]
    assert first_timer["name"] == "First Timer" and first_timer["description"]
    assert first_timer["awarded_at"].endswith("+00:00")
    assert summary["career"] == {
        "level": None, "name": None, "rankings": 4, "cuisines": 2,  # Malay = malay
        "next": {"level": 1, "name": "Junior District Reviewer", "required_rankings": 20,
                 "required_cuisines": 2}}


def test_a_new_user_has_nothing_yet(rewards, rankings, make_user):
    user = make_user("aisyah")
    summary = rewards.summary(user)
    assert summary["points"] == 0
    assert [badge["progress"]["current"] for badge in summary["badges"]] == [0] * 5
    assert all(badge["awarded_at"] is None for badge in summary["badges"])
    assert (summary["career"]["level"], summary["career"]["next"]["level"]) == (None, 1)
    assert rankings.get_user_badges(user) == summary["badges"]


def test_get_user_badges(rewards, rankings, ranker, make_user, catalog_facts):
    user = make_user("aisyah")
    ranker.rank(user, *new_dishes(catalog_facts, 1)[0])
    wait_for(lambda: rewards.badges(user))
    badges = rankings.get_user_badges(user)
    assert [badge["code"] for badge in badges] == [
        "FIRST_TIMER", "DISH_EXPLORER", "DISH_CONNOISSEUR", "DISH_EXPERT", "DISH_MASTER"]
    assert set(badges[0]) == {"code", "name", "description", "awarded_at", "progress"}
    assert badges[0]["awarded_at"] is not None and badges[1]["awarded_at"] is None
    assert badges[1]["progress"] == {"current": 1, "target": 5}

    with pytest.raises(NotFound):
        rankings.get_user_badges(str(uuid.uuid4()))
    with pytest.raises(InvalidInput):
        rankings.get_user_badges("not-a-uuid")


def test_career_levels_climb_with_rankings_and_cuisines(rewards, ranker, make_user,
                                                        catalog_facts):
    user = make_user("aisyah")
    cuisines = ["Malay", "Chinese", "Indian", "Thai", "Japanese", "Korean", "Western", "Nyonya"]
    restaurants = [catalog_facts.restaurant(f"R{index}", cuisines=[cuisine])
                   for index, cuisine in enumerate(cuisines)]

    def history_up_to(count: int, cuisine_count: int) -> None:
        """Earlier rankings, written cheaply: `count` dishes over the first restaurants."""
        ranker.histories(user, [(str(uuid.uuid4()), f"type {index % 3}",
                                 restaurants[index % cuisine_count]) for index in range(count)])

    def rank_one_more(restaurant: str) -> None:
        [dish] = new_dishes(catalog_facts, 1, "nasi lemak", [restaurant])
        before = rewards.points(user)
        ranker.rank(user, *dish)
        wait_for(lambda: rewards.points(user) == before + 10)

    history_up_to(19, 1)
    rank_one_more(restaurants[0])  # 20 dishes but one cuisine
    career = rewards.summary(user)["career"]
    assert (career["level"], career["rankings"], career["cuisines"]) == (None, 20, 1)

    rank_one_more(restaurants[1])  # and a second cuisine
    career = rewards.summary(user)["career"]
    assert (career["level"], career["name"], career["rankings"], career["cuisines"]) == (
        1, "Junior District Reviewer", 21, 2)
    assert career["next"]["level"] == 2

    history_up_to(28, 2)  # 49 dishes
    rank_one_more(restaurants[2])  # 50 and three cuisines
    assert rewards.summary(user)["career"]["level"] == 2

    history_up_to(1949, 7)  # 1999 dishes, seven cuisines
    rank_one_more(restaurants[7])  # 2000 and eight
    career = rewards.summary(user)["career"]
    assert (career["level"], career["name"], career["next"]) == (7, "Chief Food Officer", None)
    assert (career["rankings"], career["cuisines"]) == (2000, 8)
    # the badges caught up on the earlier rankings at the first event that checked them
    assert rewards.badges(user) == {"FIRST_TIMER", "DISH_EXPLORER", "DISH_CONNOISSEUR",
                                    "DISH_EXPERT", "DISH_MASTER"}


# --- with the real producer ----------------------------------------------------------------

def test_placing_dishes_through_rankings_earns_points_and_badges(rewards, rankings, make_user,
                                                                 catalog_facts):
    """The rankings area's place_dish/remove_dish write the history and events rewards read."""
    user = make_user("aisyah")
    dishes = new_dishes(catalog_facts, 3, "nasi lemak")  # at three restaurants
    for dish_id, dish_type, _ in dishes:
        rankings.place_dish(user, dish_type, {"dish_id": dish_id, "rank": 1})
    wait_for(lambda: rewards.points(user) == 30 and "DISH_EXPERT" in rewards.badges(user))

    dish_id, dish_type, _ = dishes[0]
    rankings.remove_dish(user, dish_type, dish_id)
    rankings.place_dish(user, dish_type, {"dish_id": dish_id, "rank": 3})
    rewards.settle()
    assert rewards.points(user) == 30
    assert rewards.badges(user) == {"FIRST_TIMER", "DISH_EXPERT"}
    summary = rewards.summary(user)
    assert summary["career"]["rankings"] == 3
    assert [badge["progress"]["current"] for badge in summary["badges"]] == [1, 3, 3, 3, 3]
