"""The list invariant in the database, under random operation sequences through the real RPC
and under many concurrent changes to one list (SPEC §4: "concurrent changes to one list never
break the invariant")."""

from __future__ import annotations

import random
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.rankings.contract.rpc import MAX_RANK, TASTE_STATUSES
from services.rankings.domain.rankings import DishList
from services.rankings.tests.service.test_rankings_rpc import (
    NASI_LEMAK,
    assert_lists_valid,
    history,
    make_dishes,
    ranked,
    stored_rows,
    tasted,
)
from shared.errors import InvalidInput, NotFound

DISHES = 7


@pytest.fixture
def dish_ids(catalog_facts):
    return [dish["id"] for dish in make_dishes(catalog_facts, DISHES)]


def call(rankings, user_id: str, operation: tuple):
    """One operation as the gateway would send it: (name, dish_id, argument)."""
    name, dish_id, argument = operation
    if name == "place":
        return rankings.place_dish.call_async(user_id, NASI_LEMAK,
                                              {"dish_id": dish_id, "rank": argument})
    if name == "taste":
        return rankings.place_dish.call_async(user_id, NASI_LEMAK,
                                              {"dish_id": dish_id, "taste_status": argument})
    return rankings.remove_dish.call_async(user_id, NASI_LEMAK, dish_id)


def model_apply(dish_list: DishList, operation: tuple):
    name, dish_id, argument = operation
    if name == "place":
        return dish_list.place(dish_id, argument).after
    if name == "taste":
        return dish_list.give_taste_status(dish_id, argument).after
    return dish_list.remove(dish_id).after


def operation_strategy():
    dish = st.integers(0, DISHES - 1)
    return st.one_of(
        st.tuples(st.just("place"), dish, st.integers(1, MAX_RANK + 1)),
        st.tuples(st.just("taste"), dish, st.sampled_from(TASTE_STATUSES)),
        st.tuples(st.just("remove"), dish, st.none()),
    )


@settings(max_examples=8, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=st.lists(operation_strategy(), min_size=5, max_size=25))
def test_random_sequences_through_rpc_keep_the_stored_list_valid(
        rankings, make_user, dish_ids, rankings_db_engine, sequence):
    user_id = make_user(f"user-{uuid.uuid4().hex[:12]}")
    model = DishList()
    for name, dish, argument in sequence:
        operation = (name, dish_ids[dish], argument)
        try:
            expected = model_apply(model, operation)
        except (InvalidInput, NotFound) as refusal:
            with pytest.raises(type(refusal)):
                call(rankings, user_id, operation).result()
        else:
            answer = call(rankings, user_id, operation).result()
            model = expected
            assert ranked(answer) == [(dish_id, rank) for rank, dish_id
                                      in enumerate(model.ranked, start=1)], operation
            assert tasted(answer) == dict(model.tasted), operation
        assert_lists_valid(rankings_db_engine, user_id)


# --- concurrency ----------------------------------------------------------------------------------

def replay_history(engine, user_id: str) -> dict:
    """The list rebuilt from its ranking_history alone, in commit order."""
    rows = {}
    for change, dish_id, _, new_rank, _, new_taste_status in history(engine, user_id):
        if change == "removed":
            del rows[dish_id]
        else:
            rows[dish_id] = (new_rank, new_taste_status)
    return rows


def test_concurrent_changes_to_one_list_never_break_it(rankings, make_user, dish_ids,
                                                       rankings_db_engine):
    """The service's workers run at once (psycopg2 is green under eventlet's monkey patch),
    so without the per-list lock two of them read the same list and one commit fails."""
    user_id = make_user("busy")
    generator = random.Random(20261122)
    answers = []
    for _ in range(3):
        operations = []
        for _ in range(30):
            name = generator.choice(["place", "place", "place", "taste", "remove"])
            argument = {"place": lambda: generator.randint(1, MAX_RANK),
                        "taste": lambda: generator.choice(TASTE_STATUSES),
                        "remove": lambda: None}[name]()
            operations.append((name, generator.choice(dish_ids), argument))
        replies = [call(rankings, user_id, operation) for operation in operations]  # all at once
        for operation, reply in zip(operations, replies, strict=True):
            try:
                answers.append(reply.result())
            except InvalidInput as refusal:  # a rank beyond the list as it was then
                assert refusal.message.startswith("rank must be between 1 and"), operation
            except NotFound as refusal:  # removing what another call removed first
                assert refusal.message == "dish not in this list", operation
        assert_lists_valid(rankings_db_engine, user_id)

    assert len(answers) > 45  # most calls were accepted
    for answer in answers:  # every answer showed a valid list
        assert [rank for _, rank in ranked(answer)] == list(range(1, len(answer["ranked"]) + 1))
    stored = {row["dish_id"]: (row["rank"], row["taste_status"])
              for row in stored_rows(rankings_db_engine, user_id)}
    assert replay_history(rankings_db_engine, user_id) == stored  # no change was lost
