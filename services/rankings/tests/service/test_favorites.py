"""Favorite restaurants through the real RPC and PostgreSQL (SPEC §4): each once however
often it is favorited, gone however often it is unfavorited, listed newest first and paged
by cursor, one's own only; a restaurant the catalog deleted is left out of the list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from shared.errors import InvalidInput, NotFound

NOON = datetime(2026, 3, 4, 12, tzinfo=UTC)


@pytest.fixture
def user(make_user) -> str:
    return make_user("aisyah")


def listed(answer: dict) -> list[str]:
    return [item["restaurant_id"] for item in answer["items"]]


def favorited(db, user: str, restaurants: list[str], minutes: list[int]) -> None:
    """Favorites written at the moments a test needs (NOON + minutes)."""
    with db.begin() as conn:
        conn.execute(text("INSERT INTO favorites (user_id, restaurant_id, created_at) "
                          "VALUES (:user, :restaurant, :at)"),
                     [{"user": user, "restaurant": restaurant,
                       "at": NOON + timedelta(minutes=minute)}
                      for restaurant, minute in zip(restaurants, minutes, strict=True)])


def test_a_favorite_is_kept_once_and_removed_once(rankings, user):
    restaurant = str(uuid.uuid4())  # the catalog's: rankings need not know it
    first = rankings.favorite_restaurant(user, restaurant)
    assert first["restaurant_id"] == restaurant
    again = rankings.favorite_restaurant(user, restaurant)
    assert again == first  # since the first time
    answer = rankings.list_favorites(user)
    assert (listed(answer), answer["total"]) == ([restaurant], 1)

    assert rankings.unfavorite_restaurant(user, restaurant) is None
    assert rankings.unfavorite_restaurant(user, restaurant) is None  # none: nothing to do
    assert rankings.list_favorites(user)["items"] == []
    refavorited = rankings.favorite_restaurant(user, restaurant)
    assert refavorited["favorited_at"] >= first["favorited_at"]


def test_favorites_are_newest_first_and_the_cursor_pages_are_the_offset_pages(
        rankings, user, rankings_db_engine):
    restaurants = [str(uuid.uuid4()) for _ in range(7)]
    favorited(rankings_db_engine, user, restaurants, [0, 1, 1, 1, 2, 3, 5])  # ties: by id
    by_offset = [restaurant for offset in range(0, 7, 3)
                 for restaurant in listed(rankings.list_favorites(user, limit=3, offset=offset))]
    newest = sorted(zip([0, 1, 1, 1, 2, 3, 5], map(uuid.UUID, restaurants), strict=True),
                    reverse=True)
    assert by_offset == [str(restaurant) for _, restaurant in newest]
    pages = [rankings.list_favorites(user, limit=3)]
    while pages[-1]["next_cursor"]:
        pages.append(rankings.list_favorites(user, limit=3, cursor=pages[-1]["next_cursor"]))
    assert [restaurant for page in pages for restaurant in listed(page)] == by_offset
    assert [page["next_offset"] for page in pages] == [3, None, None]
    assert {page["total"] for page in pages} == {7}


def test_favorites_are_their_users_own(rankings, user, make_user):
    other = make_user("ben")
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    rankings.favorite_restaurant(user, mine)
    rankings.favorite_restaurant(other, theirs)
    rankings.unfavorite_restaurant(other, mine)  # not theirs: nothing happens to mine
    assert listed(rankings.list_favorites(user)) == [mine]
    assert listed(rankings.list_favorites(other)) == [theirs]


def test_a_restaurant_the_catalog_deleted_is_left_out(rankings, user, catalog_facts,
                                                      rankings_db_engine):
    kept, deleted = catalog_facts.restaurant("Warung Kept"), catalog_facts.restaurant("Gone")
    rankings.favorite_restaurant(user, kept)
    rankings.favorite_restaurant(user, deleted)
    with rankings_db_engine.begin() as conn:  # as restaurant_deleted leaves it
        conn.execute(text("UPDATE known_restaurants SET deleted = true "
                          "WHERE restaurant_id = :id"), {"id": deleted})
    answer = rankings.list_favorites(user)
    assert (listed(answer), answer["total"]) == ([kept], 1)


def test_no_such_user_has_no_favorites(rankings):
    ghost = str(uuid.uuid4())
    for call in (lambda: rankings.favorite_restaurant(ghost, str(uuid.uuid4())),
                 lambda: rankings.unfavorite_restaurant(ghost, str(uuid.uuid4())),
                 lambda: rankings.list_favorites(ghost)):
        with pytest.raises(NotFound):
            call()


@pytest.mark.parametrize("call, field", [
    (lambda rankings, user: rankings.favorite_restaurant(user, "not-an-id"), "restaurant_id"),
    (lambda rankings, user: rankings.unfavorite_restaurant("nobody", str(uuid.uuid4())),
     "user_id"),
    (lambda rankings, user: rankings.list_favorites(user, limit=51), "limit"),
    (lambda rankings, user: rankings.list_favorites(user, cursor="not a cursor"), "cursor"),
])
def test_bad_arguments_are_refused_by_name(rankings, user, call, field):
    with pytest.raises(InvalidInput) as exc:
        call(rankings, user)
    assert list(exc.value.details["fields"]) == [field]
