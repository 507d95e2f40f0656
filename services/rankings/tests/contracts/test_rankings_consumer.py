"""rankings as a consumer: what it relies on in the catalog's events, and in its own.

Each declared event's example envelope goes through the real handler (the entrypoint
method, with a RankingsStore on the test database, read as its entrypoint reads it), on
an emptied database, and the test checks the handler did its work with it.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import sessionmaker

from conftest import empty_tables
from contracts.consumer import Contract, an_id, delivered, each, integer, moment, text
from services.rankings.domain.reviews import RATINGS, rating_moves
from services.rankings.service import RankingsService
from services.rankings.storage import RankingsStore
from services.rankings.storage.models import KnownDish, KnownRestaurant, ReviewSummary, User
from shared.postgres import make_engine

REFERENCE_TABLES = ("badges", "career_levels")


@pytest.fixture
def sessions(rankings_db):
    engine = make_engine(rankings_db)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def rankings(rankings_db, sessions):
    """handle(handler, body): `body` through `handler` on an emptied database; answers a
    session to look at the outcome with (closed before the next one, or with the test)."""
    opened = []

    def close_opened():
        while opened:
            opened.pop().close()

    def handle(handler, body: dict, users: tuple = ()):
        close_opened()  # an open transaction would hold off the TRUNCATE
        empty_tables(rankings_db, REFERENCE_TABLES)
        session = sessions()
        opened.append(session)
        for user_id in users:  # rewards go to users rankings knows
            session.add(User(id=uuid.UUID(user_id), email=f"{user_id}@example.com",
                             username=user_id[:20], password_hash="-"))
        session.commit()
        service = RankingsService()
        service.store = RankingsStore(sessions(), "rankings")
        try:
            handler(service, delivered(handler, body))
        finally:
            service.store.session.close()
        return session

    yield handle
    close_opened()


# --- the catalog's events: rankings' copy of restaurants and dishes ----------------------------

RESTAURANT_FACTS = {"id": an_id("restaurant"), "name": text("Warung Ipoh"),
                    "city": text("Ipoh"), "cuisine_type": each(text("Malay")),
                    "updated_at": moment()}
DISH_FACTS = {"id": an_id("dish"), "restaurant_id": an_id("restaurant"),
              "name": text("Nasi Lemak Ayam"), "dish_type": text("nasi lemak"),
              "updated_at": moment()}
DELETED = {"id": an_id("dish")}


def test_rankings_relies_on_the_catalogs_restaurant_and_dish_events(rankings, tmp_path):
    contract = Contract("rankings", "catalog")
    for event_type, handler, given in (
            ("restaurant_created", RankingsService.on_restaurant_created,
             "a restaurant can be created"),
            ("restaurant_updated", RankingsService.on_restaurant_updated, "a restaurant exists")):
        contract.event(event_type, RESTAURANT_FACTS, given=given, handler=handler)
    contract.event("restaurant_deleted", {"id": an_id("restaurant")},
                   given="a restaurant exists", handler=RankingsService.on_restaurant_deleted)
    for event_type, handler, given in (
            ("dish_created", RankingsService.on_dish_created, "a restaurant exists"),
            ("dish_updated", RankingsService.on_dish_updated,
             "a restaurant with a dish exists")):
        contract.event(event_type, DISH_FACTS, given=given, handler=handler)
    contract.event("dish_deleted", DELETED, given="a restaurant with a dish exists",
                   handler=RankingsService.on_dish_deleted)

    def handle(handler, body: dict) -> None:
        event_type, payload = body["event_type"], body["payload"]
        session = rankings(handler, body)
        fact_id = uuid.UUID(payload["id"])
        model = KnownRestaurant if event_type.startswith("restaurant") else KnownDish
        kept = session.get(model, fact_id)
        assert kept is not None, f"{event_type} left no fact"
        if event_type.endswith("_deleted"):
            assert kept.deleted
        else:
            assert (kept.name, kept.deleted) == (payload["name"], False)

    contract.feed_events(handle)
    contract.write(tmp_path)


# --- rankings' own events: rewards and review summaries ----------------------------------------

def test_rankings_relies_on_its_own_events_for_rewards_and_review_summaries(rankings, tmp_path):
    contract = Contract("rankings", "rankings")
    reviewed = "a user has reviewed a restaurant"
    contract.event("dish_ranked", {"user_id": an_id("user"), "dish_id": an_id("dish")},
                   given="a user and a dish are known", handler=RankingsService.reward_dish_ranked)
    contract.event("review_created", {"review_id": an_id("review"), "user_id": an_id("user")},
                   given="a user and a restaurant are known",
                   handler=RankingsService.reward_review_created)
    rating = {"review_id": an_id("review"), "restaurant_id": an_id("restaurant"),
              "rating": integer(5)}
    contract.event("review_created", rating, given="a user and a restaurant are known",
                   handler=RankingsService.count_review_created)
    contract.event("review_updated", {**rating, "previous_rating": integer(4)}, given=reviewed,
                   handler=RankingsService.count_review_updated)
    contract.event("review_deleted", rating, given=reviewed,
                   handler=RankingsService.count_review_deleted)
    contract.event("review_commented", {"comment_id": an_id("comment"),
                                        "user_id": an_id("other user")},
                   given=reviewed, handler=RankingsService.reward_review_commented)
    contract.event("review_liked", {"review_id": an_id("review"), "user_id": an_id("other user"),
                                    "author_id": an_id("user")},
                   given=reviewed, handler=RankingsService.reward_review_liked)
    contract.event("user_followed", {"follower_id": an_id("other user"),
                                     "followed_id": an_id("user")},
                   given="two users exist", handler=RankingsService.reward_user_followed)

    # who earns what, from the payload
    rewarded = {"dish_ranked": ("user_id", 10), "review_created": ("user_id", 5),
                "review_commented": ("user_id", 2), "review_liked": ("author_id", 1),
                "user_followed": ("followed_id", 3)}

    def handle(handler, body: dict) -> None:
        payload = body["payload"]
        users = [value for key, value in payload.items()
                 if key in ("user_id", "author_id", "follower_id", "followed_id")]
        session = rankings(handler, body, users=tuple(users))
        if handler.__name__.startswith("reward_"):
            field, points = rewarded[body["event_type"]]
            store = RankingsStore(session, "rankings")
            assert store.points_total(uuid.UUID(payload[field])) == points
        else:
            summary = session.get(ReviewSummary, uuid.UUID(payload["restaurant_id"]))
            moves = rating_moves(body["event_type"], payload)
            assert summary.rating_distribution == {rating: moves.get(rating, 0)
                                                   for rating in RATINGS}

    contract.feed_events(handle)
    contract.write(tmp_path)


def test_a_pact_leaving_out_a_field_the_handler_reads_fails_here(rankings):
    """Declaring less than the handler reads is caught before any producer is asked."""
    contract = Contract("rankings", "catalog")
    too_little = {name: value for name, value in DISH_FACTS.items() if name != "dish_type"}
    contract.event("dish_created", too_little, given="a restaurant exists",
                   handler=RankingsService.on_dish_created)
    with pytest.raises(AssertionError) as failure:
        contract.feed_events(lambda handler, body: rankings(handler, body))
    assert "dish_created event, as rankings.on_dish_created reads it" in str(failure.value)
    assert "dish_type" in str(failure.value)
