"""Ranking histories through the real RPC and PostgreSQL (SPEC §4): a user's own, of one
dish type or of all, newest first and paged by cursor; another user's only when they made
it public (history_public, off until they turn it on), or to themselves."""

from __future__ import annotations

import uuid

import pytest

from shared.errors import Forbidden, InvalidInput, NotFound

NASI_LEMAK, LAKSA = "nasi lemak", "laksa"


@pytest.fixture
def user(make_user) -> str:
    return make_user("aisyah")


@pytest.fixture
def dishes(catalog_facts) -> dict[str, str]:
    """Two nasi lemak and a laksa, at three restaurants rankings knows."""
    found = {}
    for name, dish_type in (("Nasi Lemak Ayam", NASI_LEMAK), ("Nasi Lemak Sotong", NASI_LEMAK),
                            ("Laksa Ipoh", LAKSA)):
        restaurant = catalog_facts.restaurant(f"Warung {name}", city="Ipoh")
        found[name] = catalog_facts.dish(restaurant, name, dish_type=dish_type)
    return found


def changes(answer: dict) -> list[tuple[str, str, str]]:
    return [(entry["change"], entry["dish_name"], entry["dish_type"])
            for entry in answer["items"]]


def rank(rankings, user: str, dish_id: str, dish_type: str, rank: int) -> None:
    rankings.place_dish(user, dish_type, {"dish_id": dish_id, "rank": rank})


@pytest.fixture
def ranked(rankings, user, dishes) -> None:
    """In order: nasi lemak ayam #1, laksa #1, nasi lemak sotong #1 (ayam shifts to #2)."""
    rank(rankings, user, dishes["Nasi Lemak Ayam"], NASI_LEMAK, 1)
    rank(rankings, user, dishes["Laksa Ipoh"], LAKSA, 1)
    rank(rankings, user, dishes["Nasi Lemak Sotong"], NASI_LEMAK, 1)


def test_the_history_of_every_dish_type_is_newest_first_with_names(rankings, user, ranked):
    every = rankings.get_ranking_history(user)
    # newest first; a placing's own change is written before the shifts it causes
    assert changes(every) == [
        ("shifted", "Nasi Lemak Ayam", NASI_LEMAK),
        ("placed", "Nasi Lemak Sotong", NASI_LEMAK),
        ("placed", "Laksa Ipoh", LAKSA),
        ("placed", "Nasi Lemak Ayam", NASI_LEMAK),
    ]
    assert [entry["id"] for entry in every["items"]] == sorted(
        (entry["id"] for entry in every["items"]), reverse=True)
    assert (every["count"], every["total"], every["next_offset"]) == (4, 4, None)
    assert all(entry["restaurant_name"].startswith("Warung ") for entry in every["items"])
    # of one type: only its changes, however it is spelled
    laksa = rankings.get_ranking_history(user, " Laksa ")
    assert changes(laksa) == [("placed", "Laksa Ipoh", LAKSA)]
    nasi = rankings.get_ranking_history(user, dish_type=NASI_LEMAK)
    assert [entry["dish_type"] for entry in nasi["items"]] == [NASI_LEMAK] * 3


def test_the_history_of_every_type_by_cursor_is_the_history_by_offset(rankings, user, ranked,
                                                                      dishes):
    rank(rankings, user, dishes["Laksa Ipoh"], LAKSA, 1)  # no change: no history
    rankings.remove_dish(user, LAKSA, dishes["Laksa Ipoh"])
    by_offset = [entry for offset in range(0, 5, 2)
                 for entry in rankings.get_ranking_history(user, limit=2, offset=offset)["items"]]
    pages = [rankings.get_ranking_history(user, limit=2)]
    while pages[-1]["next_cursor"]:
        pages.append(rankings.get_ranking_history(user, limit=2,
                                                  cursor=pages[-1]["next_cursor"]))
    assert [entry for page in pages for entry in page["items"]] == by_offset
    assert [page["count"] for page in pages] == [2, 2, 1]
    assert by_offset[0]["change"] == "removed"


def test_a_history_is_private_until_its_user_makes_it_public(rankings, user, ranked, make_user):
    stranger = make_user("ben")
    for viewer in (None, stranger):
        with pytest.raises(Forbidden):
            rankings.get_public_ranking_history(user, viewer)
    # to themselves it is theirs, public or not
    assert rankings.get_public_ranking_history(user, user)["total"] == 4
    assert rankings.get_public_profile(user)["history_public"] is False

    assert rankings.update_user(user, {"history_public": True})["history_public"] is True
    assert rankings.get_public_profile(user)["history_public"] is True
    own = rankings.get_ranking_history(user, NASI_LEMAK)
    for viewer in (None, stranger):
        assert rankings.get_public_ranking_history(user, viewer, NASI_LEMAK) == own
    assert rankings.get_public_ranking_history(user, None, limit=1)["next_cursor"]

    # and private again
    assert rankings.update_user(user, {"history_public": False})["history_public"] is False
    with pytest.raises(Forbidden):
        rankings.get_public_ranking_history(user, stranger)


def test_an_account_starts_with_a_private_history(rankings):
    account = rankings.register_user({"email": "dina@example.com", "username": "dina",
                                      "password": "a-long-password-1"})
    assert account["history_public"] is False
    assert rankings.get_user(account["id"])["history_public"] is False


@pytest.mark.parametrize("value", [None, "true", 1, "yes"])
def test_history_public_is_true_or_false_only(rankings, user, value):
    with pytest.raises(InvalidInput) as exc:
        rankings.update_user(user, {"history_public": value})
    assert list(exc.value.details["fields"]) == ["history_public"]


def test_no_such_user_has_no_history(rankings, user):
    ghost = str(uuid.uuid4())
    with pytest.raises(NotFound):
        rankings.get_ranking_history(ghost)
    with pytest.raises(NotFound):
        rankings.get_public_ranking_history(ghost, user)


@pytest.mark.parametrize("call", [
    lambda rankings, user: rankings.get_ranking_history(user, "  "),
    lambda rankings, user: rankings.get_public_ranking_history(user, user, "x" * 101),
    lambda rankings, user: rankings.get_public_ranking_history(user, "not-an-id"),
])
def test_bad_arguments_are_refused_by_name(rankings, user, call):
    with pytest.raises(InvalidInput):
        call(rankings, user)
