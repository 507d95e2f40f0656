"""Random sequences of list operations never break a list, and their changes say exactly
what happened (the store applies the changes, not the new list): no I/O."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.rankings.contract.rpc import MAX_RANK, TASTE_STATUSES
from services.rankings.domain.rankings import Change, DishList
from shared.errors import InvalidInput, NotFound

DISHES = "abcdefgh"

operations = st.lists(st.one_of(
    st.tuples(st.just("place"), st.sampled_from(DISHES), st.integers(0, MAX_RANK + 1)),
    st.tuples(st.just("taste"), st.sampled_from(DISHES), st.sampled_from(TASTE_STATUSES)),
    st.tuples(st.just("remove"), st.sampled_from(DISHES)),
), max_size=40)


def apply(dish_list: DishList, operation):
    name, dish, *argument = operation
    if name == "place":
        return dish_list.place(dish, argument[0])
    if name == "taste":
        return dish_list.give_taste_status(dish, argument[0])
    return dish_list.remove(dish)


def rows_of(dish_list: DishList) -> dict:
    """The list as the table holds it: dish -> (rank, taste status)."""
    rows = {dish: (rank, None) for rank, dish in enumerate(dish_list.ranked, start=1)}
    rows.update({dish: (None, status) for dish, status in dish_list.tasted.items()})
    return rows


def replay(rows: dict, changes: tuple[Change, ...]) -> dict:
    """What applying the changes row by row does (as storage does), checking each change's
    'before' against the row it changes."""
    rows = dict(rows)
    for change in changes:
        assert rows.get(change.dish_id, (None, None)) == (change.old_rank,
                                                           change.old_taste_status), change
        if change.kind == "removed":
            del rows[change.dish_id]
        else:
            rows[change.dish_id] = (change.new_rank, change.new_taste_status)
    return rows


def assert_valid(dish_list: DishList):
    ranks = [rank for rank, _ in rows_of(dish_list).values() if rank is not None]
    assert sorted(ranks) == list(range(1, len(ranks) + 1))  # exactly 1..n
    assert len(dish_list.ranked) <= MAX_RANK
    assert len(set(dish_list.ranked)) == len(dish_list.ranked)  # no dish twice
    assert not set(dish_list.ranked) & set(dish_list.tasted)  # ranked XOR taste status
    assert set(dish_list.tasted.values()) <= set(TASTE_STATUSES)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_random_operations_keep_every_list_valid_and_changes_exact(sequence):
    dish_list = DishList()
    for operation in sequence:
        try:
            after, changes = apply(dish_list, operation)
        except (InvalidInput, NotFound):
            continue  # refused: nothing changes (the list is immutable)
        assert_valid(after)
        assert replay(rows_of(dish_list), changes) == rows_of(after)
        assert len({change.dish_id for change in changes}) == len(changes)  # one change a dish
        dish_list = after


@settings(max_examples=200, deadline=None)
@given(operations)
def test_refusals_are_exactly_the_impossible_operations(sequence):
    dish_list = DishList()
    for operation in sequence:
        name, dish, *argument = operation
        present = dish in dish_list.ranked or dish in dish_list.tasted
        others = len([ranked for ranked in dish_list.ranked if ranked != dish])
        if name == "place":
            possible = 1 <= argument[0] <= min(others + 1, MAX_RANK)
        else:
            possible = name == "taste" or present
        try:
            dish_list, _ = apply(dish_list, operation)
        except (InvalidInput, NotFound):
            assert not possible, operation
        else:
            assert possible, operation
