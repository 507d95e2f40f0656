"""The one-best list rules (domain.rankings.DishList) and what their changes announce: no I/O."""

from __future__ import annotations

import uuid

import pytest

from services.rankings.contract.rpc import PlaceDishInput
from services.rankings.domain.rankings import Change, DishList, event_for, normalize_dish_type
from shared.errors import InvalidInput, NotFound
from shared.schemas import load

FULL = DishList(ranked=("a", "b", "c", "d", "e"))


def test_placing_into_an_empty_list_ranks_it_first():
    after, changes = DishList().place("a", 1)
    assert after == DishList(ranked=("a",))
    assert changes == (Change("placed", "a", None, 1),)


def test_placing_at_the_end_shifts_nothing():
    after, changes = DishList(ranked=("a", "b")).place("c", 3)
    assert after.ranked == ("a", "b", "c")
    assert changes == (Change("placed", "c", None, 3),)


def test_placing_in_the_middle_shifts_the_ones_below_down():
    after, changes = DishList(ranked=("a", "b", "c")).place("x", 2)
    assert after.ranked == ("a", "x", "b", "c")
    assert changes == (Change("placed", "x", None, 2), Change("shifted", "b", 2, 3),
                       Change("shifted", "c", 3, 4))


def test_a_new_first_in_a_full_list_drops_the_fifth_which_becomes_acceptable():
    after, changes = FULL.place("x", 1)
    assert after == DishList(ranked=("x", "a", "b", "c", "d"), tasted={"e": "ACCEPTABLE"})
    assert changes == (
        Change("placed", "x", None, 1),
        Change("shifted", "a", 1, 2), Change("shifted", "b", 2, 3),
        Change("shifted", "c", 3, 4), Change("shifted", "d", 4, 5),
        Change("dropped", "e", 5, None, None, "ACCEPTABLE"),
    )


def test_a_new_fifth_in_a_full_list_replaces_the_fifth():
    after, changes = FULL.place("x", 5)
    assert after == DishList(ranked=("a", "b", "c", "d", "x"), tasted={"e": "ACCEPTABLE"})
    assert changes == (Change("placed", "x", None, 5),
                       Change("dropped", "e", 5, None, None, "ACCEPTABLE"))


def test_a_tasted_dish_placed_in_the_list_loses_its_taste_status():
    before = DishList(ranked=("a",), tasted={"x": "SECOND_CHANCE"})
    after, changes = before.place("x", 1)
    assert after == DishList(ranked=("x", "a"), tasted={})
    assert changes == (Change("placed", "x", None, 1, "SECOND_CHANCE", None),
                       Change("shifted", "a", 1, 2))


def test_moving_up_shifts_the_ones_between_down():
    after, changes = FULL.place("d", 2)
    assert after.ranked == ("a", "d", "b", "c", "e")
    assert changes == (Change("moved", "d", 4, 2), Change("shifted", "b", 2, 3),
                       Change("shifted", "c", 3, 4))


def test_moving_down_shifts_the_ones_between_up_and_drops_nothing():
    after, changes = FULL.place("a", 5)
    assert after == DishList(ranked=("b", "c", "d", "e", "a"))
    assert changes == (Change("moved", "a", 1, 5), Change("shifted", "b", 2, 1),
                       Change("shifted", "c", 3, 2), Change("shifted", "d", 4, 3),
                       Change("shifted", "e", 5, 4))


def test_placing_a_dish_at_its_own_rank_changes_nothing():
    assert FULL.place("c", 3) == (FULL, ())


@pytest.mark.parametrize(("before", "dish", "rank", "highest"), [
    (DishList(), "a", 0, 1),
    (DishList(), "a", 2, 1),
    (DishList(ranked=("a", "b")), "x", 4, 3),
    (DishList(ranked=("a", "b")), "a", 3, 2),  # a move: n counts the others only
    (FULL, "x", 6, 5),
    (FULL, "a", 6, 5),
])
def test_a_rank_beyond_the_list_is_refused(before, dish, rank, highest):
    with pytest.raises(InvalidInput) as refused:
        before.place(dish, rank)
    assert refused.value.message == f"rank must be between 1 and {highest}"
    assert refused.value.details == {"fields": {"rank": [f"must be between 1 and {highest}"]}}


def test_a_taste_status_takes_a_ranked_dish_out_and_closes_the_gap():
    after, changes = FULL.give_taste_status("b", "DISSATISFIED")
    assert after == DishList(ranked=("a", "c", "d", "e"), tasted={"b": "DISSATISFIED"})
    assert changes == (Change("tasted", "b", 2, None, None, "DISSATISFIED"),
                       Change("shifted", "c", 3, 2), Change("shifted", "d", 4, 3),
                       Change("shifted", "e", 5, 4))


def test_a_taste_status_for_a_new_dish_leaves_the_list_alone():
    after, changes = FULL.give_taste_status("x", "ACCEPTABLE")
    assert after == DishList(ranked=FULL.ranked, tasted={"x": "ACCEPTABLE"})
    assert changes == (Change("tasted", "x", None, None, None, "ACCEPTABLE"),)


def test_a_taste_status_can_change():
    before = DishList(tasted={"x": "ACCEPTABLE"})
    after, changes = before.give_taste_status("x", "SECOND_CHANCE")
    assert after == DishList(tasted={"x": "SECOND_CHANCE"})
    assert changes == (Change("tasted", "x", None, None, "ACCEPTABLE", "SECOND_CHANCE"),)


def test_the_same_taste_status_again_changes_nothing():
    before = DishList(tasted={"x": "ACCEPTABLE"})
    assert before.give_taste_status("x", "ACCEPTABLE") == (before, ())


def test_removing_a_ranked_dish_closes_the_gap():
    after, changes = FULL.remove("c")
    assert after == DishList(ranked=("a", "b", "d", "e"))
    assert changes == (Change("removed", "c", 3, None), Change("shifted", "d", 4, 3),
                       Change("shifted", "e", 5, 4))


def test_removing_a_tasted_dish_forgets_its_status():
    before = DishList(ranked=("a",), tasted={"x": "DISSATISFIED"})
    after, changes = before.remove("x")
    assert after == DishList(ranked=("a",))
    assert changes == (Change("removed", "x", None, None, "DISSATISFIED", None),)


def test_removing_a_dish_not_in_the_list_is_not_found():
    with pytest.raises(NotFound) as missing:
        FULL.remove("x")
    assert (missing.value.message, missing.value.details) == (
        "dish not in this list", {"dish_id": "x"})


def test_operations_never_change_the_list_they_are_given():
    before = DishList(ranked=("a", "b", "c", "d", "e"), tasted={"x": "ACCEPTABLE"})
    before.place("x", 1)
    before.give_taste_status("a", "DISSATISFIED")
    before.remove("x")
    assert before == DishList(ranked=("a", "b", "c", "d", "e"), tasted={"x": "ACCEPTABLE"})


@pytest.mark.parametrize(("change", "event"), [
    (Change("placed", "x", None, 2, "ACCEPTABLE", None), ("dish_ranked", {"rank": 2})),
    (Change("moved", "x", 4, 2), ("ranking_moved", {"old_rank": 4, "new_rank": 2,
                                                    "reason": "moved"})),
    (Change("shifted", "x", 2, 3), ("ranking_moved", {"old_rank": 2, "new_rank": 3,
                                                      "reason": "shifted"})),
    (Change("dropped", "x", 5, None, None, "ACCEPTABLE"),
     ("ranking_removed", {"old_rank": 5, "reason": "dropped"})),
    (Change("removed", "x", 3, None), ("ranking_removed", {"old_rank": 3,
                                                           "reason": "removed"})),
    (Change("tasted", "x", 1, None, None, "DISSATISFIED"),
     ("ranking_removed", {"old_rank": 1, "reason": "tasted"})),
    # outside the ranked list: no event
    (Change("tasted", "x", None, None, None, "ACCEPTABLE"), None),
    (Change("tasted", "x", None, None, "ACCEPTABLE", "DISSATISFIED"), None),
    (Change("removed", "x", None, None, "ACCEPTABLE", None), None),
])
def test_each_change_announces_what_it_did_to_the_list(change, event):
    announced = event_for(change)
    assert (announced and (announced[0].name, announced[1])) == event
    assert announced is None or announced[0].producer == "rankings"


@pytest.mark.parametrize(("given", "normal"), [
    ("nasi lemak", "nasi lemak"), ("  Nasi   LEMAK ", "nasi lemak"),
    ("Laksa\tPenang", "laksa penang"),
])
def test_dish_types_are_spelled_as_the_catalog_spells_them(given, normal):
    assert normalize_dish_type(given) == normal


# --- what place_dish accepts -----------------------------------------------------------------

DISH = str(uuid.uuid4())


def refusal(data) -> dict:
    with pytest.raises(InvalidInput) as refused:
        load(PlaceDishInput(), data)
    return refused.value.details["fields"]


def test_place_dish_input_takes_a_rank_or_a_taste_status_with_notes_and_photos():
    assert load(PlaceDishInput(), {"dish_id": DISH, "rank": 3}) == {
        "dish_id": uuid.UUID(DISH), "rank": 3}
    assert load(PlaceDishInput(), {
        "dish_id": DISH, "taste_status": "SECOND_CHANCE", "notes": "too sweet",
        "photo_urls": ["https://img.example.com/1.jpg"]}) == {
        "dish_id": uuid.UUID(DISH), "taste_status": "SECOND_CHANCE", "notes": "too sweet",
        "photo_urls": ["https://img.example.com/1.jpg"]}


@pytest.mark.parametrize(("data", "errors"), [
    ({"dish_id": DISH}, {"rank": ["give exactly one of rank or taste_status"]}),
    ({"dish_id": DISH, "rank": 1, "taste_status": "ACCEPTABLE"},
     {"rank": ["give exactly one of rank or taste_status"]}),
    ({"rank": 1}, {"dish_id": ["Missing data for required field."]}),
    ({"dish_id": "nope", "rank": 1}, {"dish_id": ["Not a valid UUID."]}),
    ({"dish_id": DISH, "rank": 0}, {"rank": ["Must be greater than or equal to 1 and less "
                                             "than or equal to 5."]}),
    ({"dish_id": DISH, "rank": 6}, {"rank": ["Must be greater than or equal to 1 and less "
                                             "than or equal to 5."]}),
    ({"dish_id": DISH, "rank": "1"}, {"rank": ["Not a valid integer."]}),
    ({"dish_id": DISH, "taste_status": "GREAT"},
     {"taste_status": ["Must be one of: ACCEPTABLE, SECOND_CHANCE, DISSATISFIED."]}),
    ({"dish_id": DISH, "rank": 1, "photo_urls": ["not a url"]},
     {"photo_urls": {0: ["Not a valid URL."]}}),
    ({"dish_id": DISH, "rank": 1, "photo_urls": [f"https://x.example.com/{n}" for n in range(11)]},
     {"photo_urls": ["Longer than maximum length 10."]}),
    ({"dish_id": DISH, "rank": 1, "user_id": DISH}, {"user_id": ["Unknown field."]}),
])
def test_place_dish_input_refuses(data, errors):
    assert refusal(data) == errors
