"""rankings as a producer: every committed pact naming it (contracts/pacts/*-rankings.json)
verified against its real code — RankingsService's entrypoints with a RankingsStore on the
rankings test database. Events are read back from the outbox the writes filled, exactly as
the relay publishes them; RPC answers are the entrypoints' own, as they go over the wire.

Provider states set up their data through the same entrypoints (users are written
directly, as the other service tests do: registering hashes a password on purpose slowly).
"""

from __future__ import annotations

import uuid

import pytest

from contracts.provider import (
    DatabaseProducer,
    Producer,
    consumer_of,
    pacts_naming,
    verify,
)
from services.catalog.contract import events as catalog_events
from services.rankings.service import RankingsService
from services.rankings.storage import RankingsStore
from services.rankings.storage.models import User
from shared.events import make_envelope, parse_envelope

CITY, CUISINE, DISH_TYPE = "Ipoh", "Malay", "nasi lemak"


def new_id() -> str:
    return str(uuid.uuid4())


class Rankings(DatabaseProducer):
    """rankings' side of its contracts, on the test database."""

    service_name, service_cls, store_cls = "rankings", RankingsService, RankingsStore

    def __init__(self, database_url: str):
        super().__init__(database_url)
        self.ids: dict[str, str] = {}  # what the last provider state made, by role

    def name(self, params: dict, role: str, real: str) -> str:
        """Remember `real` as the state's `role` (user_id, dish_id...), and as the consumer's
        example for it when the state names one."""
        self.ids[role] = real
        if role in params:
            self.aliases[params[role]] = real
        return real

    # --- building blocks ----------------------------------------------------------------------

    def user(self, params: dict, role: str = "user_id") -> str:
        user_id = uuid.uuid4()
        with self.sessions() as session, session.begin():
            session.add(User(id=user_id, email=f"{user_id}@example.com",
                             username=f"u{user_id.hex[:20]}", password_hash="-",
                             display_name="Ayu", bio="Makan", location=CITY,
                             profile_image_url="https://example.com/ayu.jpg"))
        return self.name(params, role, str(user_id))

    def catalog_event(self, handler: str, event_type: str, payload: dict) -> None:
        """A fact from the catalog, through rankings' own consumer of it."""
        envelope = parse_envelope(make_envelope(catalog_events.EVENTS[event_type], payload))
        self.call(handler, envelope)

    def restaurant(self, params: dict) -> str:
        restaurant_id = self.name(params, "restaurant_id", new_id())
        self.catalog_event("on_restaurant_created", "restaurant_created", {
            "id": restaurant_id, "name": "Warung Contract", "city": CITY,
            "cuisine_type": [CUISINE], "updated_at": "2026-03-04T12:00:00+00:00"})
        return restaurant_id

    def dish(self, params: dict, role: str = "dish_id") -> str:
        dish_id = self.name(params, role, new_id())
        self.catalog_event("on_dish_created", "dish_created", {
            "id": dish_id, "restaurant_id": self.ids["restaurant_id"],
            "name": f"Nasi Lemak {dish_id[:4]}", "dish_type": DISH_TYPE,
            "updated_at": "2026-03-04T12:00:00+00:00"})
        return dish_id

    def rank(self, role: str, rank: int) -> None:
        self.call("place_dish", self.ids["user_id"], DISH_TYPE,
                  {"dish_id": self.ids[role], "rank": rank})

    # --- provider states ----------------------------------------------------------------------

    def nobody_has_registered(self, params: dict) -> None:
        # the example email means itself again, not what an earlier state registered
        self.aliases.real.clear()

    def a_user_has_registered_with_a_password(self, params: dict) -> None:
        email = f"{new_id()}@example.com"
        registered = self.call("register_user", {"email": email,
                                                 "username": f"u{new_id()[:20]}",
                                                 "password": params["password"]})
        self.aliases[params["email"]] = email
        self.name(params, "user_id", registered["id"])

    def a_user_has_a_session(self, params: dict) -> None:
        user_id = self.user(params)
        opened = self.call("open_session", user_id)
        self.name(params, "refresh_token", opened["refresh_token"])

    def a_user_has_refreshed_a_session(self, params: dict) -> None:
        """The first refresh token of the session: used, so rotated."""
        self.a_user_has_a_session(params)
        self.call("refresh_session", self.ids["refresh_token"])

    def a_user_exists(self, params: dict) -> None:
        self.user(params)

    def two_users_exist(self, params: dict) -> None:
        self.user(params)
        self.user(params, "other_id")

    def a_user_follows_another(self, params: dict) -> None:
        self.two_users_exist(params)
        self.call("follow_user", self.ids["other_id"], self.ids["user_id"])

    def a_user_and_a_dish_are_known(self, params: dict) -> None:
        self.user(params)
        self.restaurant(params)
        self.dish(params)

    def a_user_has_ranked_a_dish(self, params: dict) -> None:
        self.a_user_and_a_dish_are_known(params)
        self.rank("dish_id", 1)

    def a_user_with_a_public_ranking_history_has_ranked_a_dish(self, params: dict) -> None:
        self.a_user_has_ranked_a_dish(params)
        self.call("update_user", self.ids["user_id"], {"history_public": True})

    def a_user_has_a_favorite_restaurant(self, params: dict) -> None:
        """A favorite of a restaurant rankings need not know (the catalog's, the gateway
        checked)."""
        self.user(params)
        restaurant_id = self.name(params, "restaurant_id", new_id())
        self.call("favorite_restaurant", self.ids["user_id"], restaurant_id)

    def a_user_has_ranked_two_dishes(self, params: dict) -> None:
        self.a_user_has_ranked_a_dish(params)
        self.dish(params, "second_dish_id")
        self.rank("second_dish_id", 2)

    def a_user_and_a_restaurant_are_known(self, params: dict) -> None:
        self.user(params)
        self.restaurant(params)

    def a_user_has_reviewed_a_restaurant(self, params: dict) -> None:
        self.a_user_and_a_restaurant_are_known(params)
        self.user(params, "other_id")
        review = self.call("create_review", self.ids["user_id"], self.ids["restaurant_id"],
                           {"rating": 4, "content": "Sedap!",
                            "photos": ["https://example.com/nasi.jpg"]})
        self.name(params, "review_id", review["id"])

    def another_user_likes_a_review(self, params: dict) -> None:
        self.a_user_has_reviewed_a_restaurant(params)
        self.call("like_review", self.ids["other_id"], self.ids["review_id"])

    def a_review_has_a_comment(self, params: dict) -> None:
        self.a_user_has_reviewed_a_restaurant(params)
        self.call("add_comment", self.ids["other_id"], self.ids["review_id"],
                  {"content": "Setuju!"})

    def states(self) -> dict:
        return {
            "nobody has registered": self.nobody_has_registered,
            "a user has registered with a password": self.a_user_has_registered_with_a_password,
            "a user has a session": self.a_user_has_a_session,
            "a user has refreshed a session": self.a_user_has_refreshed_a_session,
            "a user exists": self.a_user_exists,
            "two users exist": self.two_users_exist,
            "a user follows another": self.a_user_follows_another,
            "a user and a dish are known": self.a_user_and_a_dish_are_known,
            "a user has ranked a dish": self.a_user_has_ranked_a_dish,
            "a user has ranked two dishes": self.a_user_has_ranked_two_dishes,
            "a user with a public ranking history has ranked a dish":
                self.a_user_with_a_public_ranking_history_has_ranked_a_dish,
            "a user has a favorite restaurant": self.a_user_has_a_favorite_restaurant,
            "a user and a restaurant are known": self.a_user_and_a_restaurant_are_known,
            "a user has reviewed a restaurant": self.a_user_has_reviewed_a_restaurant,
            "another user likes a review": self.another_user_likes_a_review,
            "a review has a comment": self.a_review_has_a_comment,
        }

    # --- events: the real writes, and what they put in the outbox -----------------------------

    def events(self) -> dict:
        ids = self.ids
        return {
            "dish_ranked": lambda: self.emitted(
                "dish_ranked", "place_dish", ids["user_id"], DISH_TYPE,
                {"dish_id": ids["dish_id"], "rank": 1}),
            # the second dish moves to the top: it is moved, the first shifted
            "ranking_moved": lambda: self.emitted(
                "ranking_moved", "place_dish", ids["user_id"], DISH_TYPE,
                {"dish_id": ids["second_dish_id"], "rank": 1}),
            "ranking_removed": lambda: self.emitted(
                "ranking_removed", "remove_dish", ids["user_id"], DISH_TYPE, ids["dish_id"]),
            "review_created": lambda: self.emitted(
                "review_created", "create_review", ids["user_id"], ids["restaurant_id"],
                {"rating": 5, "content": "Sedap!"}),
            "review_updated": lambda: self.emitted(
                "review_updated", "update_review", ids["user_id"], ids["review_id"],
                {"rating": 5}),
            "review_deleted": lambda: self.emitted(
                "review_deleted", "delete_review", ids["user_id"], ids["review_id"]),
            "review_commented": lambda: self.emitted(
                "review_commented", "add_comment", ids["other_id"], ids["review_id"],
                {"content": "Setuju!"}),
            "review_liked": lambda: self.emitted(
                "review_liked", "like_review", ids["other_id"], ids["review_id"]),
            "user_followed": lambda: self.emitted(
                "user_followed", "follow_user", ids["other_id"], ids["user_id"]),
            "user_unfollowed": lambda: self.emitted(
                "user_unfollowed", "unfollow_user", ids["other_id"], ids["user_id"]),
        }

    def producer(self) -> Producer:
        return Producer("rankings", states=self.states(), events=self.events(),
                        service=self.service, aliases=self.aliases)


@pytest.fixture
def rankings(rankings_db):
    world = Rankings(rankings_db)
    yield world
    world.close()


@pytest.mark.parametrize("pact_file", pacts_naming("rankings"), ids=consumer_of)
def test_rankings_keeps_its_contract_with(pact_file, rankings):
    verify(pact_file, rankings.producer())
