"""The one-best rankings RPCs against a real broker and PostgreSQL (SPEC §4)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import parse_envelope

NASI_LEMAK = "nasi lemak"
RANKING_EVENTS = {"dish_ranked", "ranking_moved", "ranking_removed"}


# --- helpers (the property and concurrency tests use them too) --------------------------------

def make_dishes(catalog_facts, count: int, dish_type: str = NASI_LEMAK,
                city: str = "Kuala Lumpur") -> list[dict]:
    """`count` dishes of one type, each at its own restaurant."""
    dishes = []
    for number in range(1, count + 1):
        restaurant_id = catalog_facts.restaurant(f"Warung {number}", city=city,
                                                 cuisines=["Malay", "Mamak"])
        dishes.append({"id": catalog_facts.dish(restaurant_id, f"{dish_type.title()} {number}",
                                                dish_type=dish_type),
                       "restaurant_id": restaurant_id, "name": f"{dish_type.title()} {number}"})
    return dishes


def place(rankings, user_id: str, dish_id: str, rank: int | None = None,
          dish_type: str = NASI_LEMAK, **fields) -> dict:
    if rank is not None:
        fields["rank"] = rank
    return rankings.place_dish(user_id, dish_type, {"dish_id": dish_id, **fields})


def ranked(answer: dict) -> list[tuple[str, int]]:
    return [(entry["dish_id"], entry["rank"]) for entry in answer["ranked"]]


def tasted(answer: dict) -> dict[str, str]:
    return {entry["dish_id"]: entry["taste_status"] for entry in answer["tasted"]}


def stored_rows(engine, user_id: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(text(
            "SELECT dish_id::text, dish_type, rank, taste_status, ranked_at FROM dish_rankings"
            " WHERE user_id = :user_id ORDER BY dish_type, rank NULLS LAST, dish_id"),
            {"user_id": user_id})]


def assert_lists_valid(engine, user_id: str) -> None:
    """Every list of the user, as stored: ranks exactly 1..n, n <= 5, each dish once,
    ranked XOR taste status."""
    rows = stored_rows(engine, user_id)
    assert len({row["dish_id"] for row in rows}) == len(rows)
    for dish_type in {row["dish_type"] for row in rows}:
        ranks = [row["rank"] for row in rows if row["dish_type"] == dish_type
                 and row["rank"] is not None]
        assert ranks == list(range(1, len(ranks) + 1)), (dish_type, ranks)
        assert len(ranks) <= 5
    for row in rows:
        assert (row["rank"] is None) != (row["taste_status"] is None), row


def history(engine, user_id: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            "SELECT change, dish_id::text, old_rank, new_rank, old_taste_status,"
            " new_taste_status FROM ranking_history WHERE user_id = :user_id ORDER BY id"),
            {"user_id": user_id})]


def take_ranking_events(recorder, count: int) -> list[tuple[str, dict]]:
    """The next `count` ranking events (type, payload), in publishing order; other events
    (points, badges of the rewards area) are skipped."""
    found = []
    while len(found) < count:
        [body] = recorder.take(1)
        envelope = parse_envelope(body)
        if envelope["event_type"] in RANKING_EVENTS:
            assert envelope["producer"] == "rankings"
            found.append((envelope["event_type"], envelope["payload"]))
    return found


def assert_no_more_ranking_events(recorder) -> None:
    assert [body for body in recorder.take_all() if body["event_type"] in RANKING_EVENTS] == []


@pytest.fixture
def events(record_events):
    """Bound to rankings.events before the service starts, so nothing is missed."""
    return record_events("rankings")


@pytest.fixture
def dishes(catalog_facts):
    return make_dishes(catalog_facts, 6)


@pytest.fixture
def user(make_user):
    return make_user("aisyah")


# --- the list -----------------------------------------------------------------------------------

def test_spec_scenario_shift_drop_move_remove(rankings, user, dishes, rankings_db_engine):
    d1, d2, d3, d4, d5, d6 = (dish["id"] for dish in dishes)
    for rank, dish_id in enumerate([d1, d2, d3, d4, d5], start=1):
        answer = place(rankings, user, dish_id, rank)
    assert ranked(answer) == [(d1, 1), (d2, 2), (d3, 3), (d4, 4), (d5, 5)]

    answer = place(rankings, user, d6, 1)  # a new best: everyone shifts, #5 drops out
    assert ranked(answer) == [(d6, 1), (d1, 2), (d2, 3), (d3, 4), (d4, 5)]
    assert tasted(answer) == {d5: "ACCEPTABLE"}

    answer = place(rankings, user, d3, 2)  # a move within the list
    assert ranked(answer) == [(d6, 1), (d3, 2), (d1, 3), (d2, 4), (d4, 5)]

    answer = rankings.remove_dish(user, NASI_LEMAK, d1)  # the gap closes
    assert ranked(answer) == [(d6, 1), (d3, 2), (d2, 3), (d4, 4)]
    assert tasted(answer) == {d5: "ACCEPTABLE"}

    answer = place(rankings, user, d5, 5)  # back from the taste statuses
    assert ranked(answer) == [(d6, 1), (d3, 2), (d2, 3), (d4, 4), (d5, 5)]
    assert tasted(answer) == {}
    assert answer == rankings.get_my_list(user, NASI_LEMAK)
    assert_lists_valid(rankings_db_engine, user)


def test_an_entry_says_what_was_ranked_where(rankings, user, dishes):
    dish = dishes[0]
    before = datetime.now(UTC)
    answer = place(rankings, user, dish["id"], 1, notes="sambal is king",
                   photo_urls=["https://img.example.com/a.jpg"])
    [entry] = answer["ranked"]
    assert entry == {
        "dish_id": dish["id"], "dish_name": "Nasi Lemak 1", "restaurant_id": dish["restaurant_id"],
        "restaurant_name": "Warung 1", "city": "Kuala Lumpur", "rank": 1, "taste_status": None,
        "notes": "sambal is king", "photo_urls": ["https://img.example.com/a.jpg"],
        "ranked_at": entry["ranked_at"], "updated_at": entry["updated_at"],
    }
    assert answer == {"dish_type": NASI_LEMAK, "ranked": [entry], "tasted": []}
    for moment in (entry["ranked_at"], entry["updated_at"]):
        assert before - timedelta(seconds=5) < datetime.fromisoformat(moment) < (
            datetime.now(UTC) + timedelta(seconds=5))

    # notes and photos change without a rank change; notes can be cleared
    answer = place(rankings, user, dish["id"], 1, notes=None, photo_urls=[])
    assert (answer["ranked"][0]["notes"], answer["ranked"][0]["photo_urls"]) == (None, [])
    assert answer["ranked"][0]["ranked_at"] == entry["ranked_at"]  # same rank, same moment


def test_unknown_restaurant_leaves_its_name_and_city_empty(rankings, user, catalog_facts):
    restaurant_id = str(uuid.uuid4())  # catalog's event about it has not arrived
    dish_id = catalog_facts.dish(restaurant_id, "Nasi Lemak Kukus")
    [entry] = place(rankings, user, dish_id, 1)["ranked"]
    assert (entry["dish_name"], entry["restaurant_id"], entry["restaurant_name"],
            entry["city"]) == ("Nasi Lemak Kukus", restaurant_id, None, None)


def test_taste_statuses(rankings, user, dishes, rankings_db_engine):
    d1, d2, d3 = (dish["id"] for dish in dishes[:3])
    place(rankings, user, d1, 1)
    place(rankings, user, d2, 2)
    answer = place(rankings, user, d3, taste_status="SECOND_CHANCE")  # never ranked
    assert (ranked(answer), tasted(answer)) == ([(d1, 1), (d2, 2)], {d3: "SECOND_CHANCE"})

    answer = place(rankings, user, d1, taste_status="DISSATISFIED")  # out of the list
    assert (ranked(answer), tasted(answer)) == (
        [(d2, 1)], {d1: "DISSATISFIED", d3: "SECOND_CHANCE"})
    assert answer["tasted"][0]["ranked_at"] is None

    answer = place(rankings, user, d3, 1)  # tasted, then ranked after all
    assert (ranked(answer), tasted(answer)) == ([(d3, 1), (d2, 2)], {d1: "DISSATISFIED"})

    answer = rankings.remove_dish(user, NASI_LEMAK, d1)  # a taste status can be removed
    assert (ranked(answer), tasted(answer)) == ([(d3, 1), (d2, 2)], {})
    assert_lists_valid(rankings_db_engine, user)


def test_dish_types_are_one_list_however_spelled(rankings, user, dishes):
    answer = place(rankings, user, dishes[0]["id"], 1, dish_type="  Nasi   LEMAK ")
    assert answer["dish_type"] == NASI_LEMAK
    assert rankings.get_my_list(user, "NASI LEMAK") == answer


def test_my_rankings_has_a_list_per_dish_type(rankings, user, dishes, catalog_facts):
    [laksa] = make_dishes(catalog_facts, 1, dish_type="laksa")
    assert rankings.get_my_rankings(user) == {"items": [], "count": 0, "total": 0,
                                              "total_is_estimate": False, "next_offset": None,
                                              "next_cursor": None}
    place(rankings, user, dishes[0]["id"], 1)
    place(rankings, user, dishes[1]["id"], taste_status="ACCEPTABLE")
    place(rankings, user, laksa["id"], 1, dish_type="laksa")
    answer = rankings.get_my_rankings(user)
    assert answer == {"items": [rankings.get_my_list(user, "laksa"),
                                rankings.get_my_list(user, NASI_LEMAK)],
                      "count": 2, "total": 2, "total_is_estimate": False, "next_offset": None,
                      "next_cursor": None}
    assert [(ranked(item), tasted(item)) for item in answer["items"]] == [
        ([(laksa["id"], 1)], {}), ([(dishes[0]["id"], 1)], {dishes[1]["id"]: "ACCEPTABLE"})]
    assert rankings.get_my_list(user, "rendang") == {"dish_type": "rendang", "ranked": [],
                                                     "tasted": []}


def test_ranked_at_is_when_the_user_placed_the_dish_not_when_it_shifted(rankings, user, dishes,
                                                                       rankings_db_engine):
    d1, d2, d3 = (dish["id"] for dish in dishes[:3])
    place(rankings, user, d1, 1)
    place(rankings, user, d2, 2)
    with rankings_db_engine.begin() as conn:
        conn.execute(text("UPDATE dish_rankings SET ranked_at = now() - interval '10 days'"
                          " WHERE user_id = :user_id"), {"user_id": user})
    long_ago = datetime.now(UTC) - timedelta(days=9)
    just_now = datetime.now(UTC) - timedelta(minutes=1)

    def ages(answer):
        return {entry["dish_id"]: "old" if datetime.fromisoformat(entry["ranked_at"]) < long_ago
                else "new" if datetime.fromisoformat(entry["ranked_at"]) > just_now else "?"
                for entry in answer["ranked"]}

    answer = place(rankings, user, d2, 2, notes="still second")  # no rank change
    assert ages(answer) == {d1: "old", d2: "old"}
    # d3 placed above both: d1 and d2 only shift down, and keep when they were placed
    answer = place(rankings, user, d3, 1)
    assert ranked(answer) == [(d3, 1), (d1, 2), (d2, 3)]
    assert ages(answer) == {d3: "new", d1: "old", d2: "old"}
    # the user moves d2 up: placed anew; d3 and d1 shift
    answer = place(rankings, user, d2, 1)
    assert ages(answer) == {d2: "new", d3: "new", d1: "old"}
    # a removal closes the gap by shifting too
    answer = rankings.remove_dish(user, NASI_LEMAK, d3)
    assert ranked(answer) == [(d2, 1), (d1, 2)]
    assert ages(answer) == {d2: "new", d1: "old"}
    assert [row["ranked_at"] is None for row in stored_rows(rankings_db_engine, user)] == [
        False, False]


# --- events and history -------------------------------------------------------------------------

def test_events_say_exactly_what_changed(rankings, events, user, dishes):
    d = [dish["id"] for dish in dishes]
    r = [dish["restaurant_id"] for dish in dishes]

    def base(index):
        return {"user_id": user, "dish_id": d[index], "dish_type": NASI_LEMAK,
                "restaurant_id": r[index]}

    for rank in range(1, 6):
        place(rankings, user, d[rank - 1], rank)
    assert take_ranking_events(events, 5) == [
        ("dish_ranked", {**base(index), "city": "Kuala Lumpur", "cuisine_type": ["Malay", "Mamak"],
                         "rank": index + 1}) for index in range(5)]

    place(rankings, user, d[5], 1)
    assert take_ranking_events(events, 6) == [
        ("dish_ranked", {**base(5), "city": "Kuala Lumpur", "cuisine_type": ["Malay", "Mamak"],
                         "rank": 1}),
        *[("ranking_moved", {**base(index), "old_rank": index + 1, "new_rank": index + 2,
                             "reason": "shifted"}) for index in range(4)],
        ("ranking_removed", {**base(4), "old_rank": 5, "reason": "dropped"}),
    ]

    place(rankings, user, d[3], 2)  # list: d5 d0 d1 d2 d3 -> d5 d3 d0 d1 d2
    assert take_ranking_events(events, 4) == [
        ("ranking_moved", {**base(3), "old_rank": 5, "new_rank": 2, "reason": "moved"}),
        ("ranking_moved", {**base(0), "old_rank": 2, "new_rank": 3, "reason": "shifted"}),
        ("ranking_moved", {**base(1), "old_rank": 3, "new_rank": 4, "reason": "shifted"}),
        ("ranking_moved", {**base(2), "old_rank": 4, "new_rank": 5, "reason": "shifted"}),
    ]

    rankings.remove_dish(user, NASI_LEMAK, d[1])  # d5 d3 d0 d2
    assert take_ranking_events(events, 2) == [
        ("ranking_removed", {**base(1), "old_rank": 4, "reason": "removed"}),
        ("ranking_moved", {**base(2), "old_rank": 5, "new_rank": 4, "reason": "shifted"}),
    ]

    place(rankings, user, d[5], taste_status="DISSATISFIED")  # d3 d0 d2
    assert take_ranking_events(events, 4) == [
        ("ranking_removed", {**base(5), "old_rank": 1, "reason": "tasted"}),
        ("ranking_moved", {**base(3), "old_rank": 2, "new_rank": 1, "reason": "shifted"}),
        ("ranking_moved", {**base(0), "old_rank": 3, "new_rank": 2, "reason": "shifted"}),
        ("ranking_moved", {**base(2), "old_rank": 4, "new_rank": 3, "reason": "shifted"}),
    ]

    # outside the ranked list nothing is announced: a status changed, a status removed
    place(rankings, user, d[4], taste_status="SECOND_CHANCE")
    rankings.remove_dish(user, NASI_LEMAK, d[5])
    place(rankings, user, d[3], 1)  # no change at all
    assert_no_more_ranking_events(events)


def test_every_change_is_in_the_history_newest_first(rankings, user, dishes,
                                                     rankings_db_engine):
    d1, d2, d3 = (dish["id"] for dish in dishes[:3])
    place(rankings, user, d1, 1)
    place(rankings, user, d2, 1)
    place(rankings, user, d3, taste_status="ACCEPTABLE")
    place(rankings, user, d3, 2)
    rankings.remove_dish(user, NASI_LEMAK, d2)
    place(rankings, user, d1, 2)  # no change: no history
    place(rankings, user, d1, taste_status="DISSATISFIED")
    expected = [
        ("placed", d1, None, 1, None, None),
        ("placed", d2, None, 1, None, None),
        ("shifted", d1, 1, 2, None, None),
        ("tasted", d3, None, None, None, "ACCEPTABLE"),
        ("placed", d3, None, 2, "ACCEPTABLE", None),
        ("shifted", d1, 2, 3, None, None),
        ("removed", d2, 1, None, None, None),
        ("shifted", d3, 2, 1, None, None),
        ("shifted", d1, 3, 2, None, None),
        ("tasted", d1, 2, None, None, "DISSATISFIED"),
    ]
    assert history(rankings_db_engine, user) == expected

    first = rankings.get_ranking_history(user, NASI_LEMAK, limit=4)
    assert (first["count"], first["total"], first["next_offset"]) == (4, 10, 4)
    rest = rankings.get_ranking_history(user, " Nasi Lemak", limit=20, offset=4)
    assert (rest["count"], rest["total"], rest["next_offset"]) == (6, 10, None)
    entries = first["items"] + rest["items"]
    assert [(entry["change"], entry["dish_id"], entry["old_rank"], entry["new_rank"],
             entry["old_taste_status"], entry["new_taste_status"]) for entry in entries] == (
        expected[::-1])
    assert {(entry["dish_type"], entry["restaurant_id"]) for entry in entries
            if entry["dish_id"] == d1} == {(NASI_LEMAK, dishes[0]["restaurant_id"])}
    assert sorted(entries[0]) == ["change", "changed_at", "dish_id", "dish_name", "dish_type",
                                  "id", "new_rank", "new_taste_status", "old_rank",
                                  "old_taste_status", "restaurant_id", "restaurant_name"]
    assert rankings.get_ranking_history(user, "laksa") == {
        "items": [], "count": 0, "total": 0, "total_is_estimate": False, "next_offset": None,
        "next_cursor": None}


# --- refusals -----------------------------------------------------------------------------------

def test_refusals_change_nothing(rankings, events, user, dishes, catalog_facts,
                                 rankings_db_engine):
    d1, d2 = dishes[0]["id"], dishes[1]["id"]
    [laksa] = make_dishes(catalog_facts, 1, dish_type="laksa")
    place(rankings, user, d1, 1)
    take_ranking_events(events, 1)
    before = (rankings.get_my_list(user, NASI_LEMAK), history(rankings_db_engine, user))
    missing, ghost = str(uuid.uuid4()), str(uuid.uuid4())
    refusals = [
        (lambda: place(rankings, user, d2, 3), InvalidInput, "rank must be between 1 and 2",
         {"fields": {"rank": ["must be between 1 and 2"]}}),
        (lambda: place(rankings, user, d1, 2), InvalidInput, "rank must be between 1 and 1",
         {"fields": {"rank": ["must be between 1 and 1"]}}),
        (lambda: place(rankings, user, d2, 6), InvalidInput, "the request has invalid fields",
         {"fields": {"rank": ["Must be greater than or equal to 1 and less than or equal "
                              "to 5."]}}),
        (lambda: place(rankings, user, d2, 1, taste_status="ACCEPTABLE"), InvalidInput,
         "the request has invalid fields",
         {"fields": {"rank": ["give exactly one of rank or taste_status"]}}),
        (lambda: place(rankings, user, laksa["id"], 1), InvalidInput,
         "this dish is a laksa, not a nasi lemak",
         {"fields": {"dish_id": ["is a laksa, not a nasi lemak"]}}),
        (lambda: place(rankings, user, missing, 1), NotFound,
         "dish not known", {"dish_id": missing}),
        (lambda: place(rankings, ghost, d2, 1), NotFound,
         "user not found", {"user_id": ghost}),
        (lambda: place(rankings, "not-a-uuid", d2, 1), InvalidInput, "user_id is not a valid id",
         {"fields": {"user_id": ["Not a valid UUID."]}}),
        (lambda: place(rankings, user, d2, 1, dish_type="  "), InvalidInput,
         "the request has invalid fields", {"fields": {"dish_type": ["must not be blank"]}}),
        (lambda: rankings.remove_dish(user, NASI_LEMAK, d2), NotFound, "dish not in this list",
         {"dish_id": d2}),
        (lambda: rankings.remove_dish(user, "laksa", d1), NotFound, "dish not in this list",
         {"dish_id": d1}),
        (lambda: rankings.remove_dish(user, NASI_LEMAK, "x"), InvalidInput,
         "dish_id is not a valid id", {"fields": {"dish_id": ["Not a valid UUID."]}}),
        (lambda: rankings.remove_dish(ghost, NASI_LEMAK, d1), NotFound,
         "user not found", {"user_id": ghost}),
    ]
    for call, error, message, details in refusals:
        with pytest.raises(error) as refused:
            call()
        assert (refused.value.message, refused.value.details) == (message, details)

    assert (rankings.get_my_list(user, NASI_LEMAK), history(rankings_db_engine, user)) == before
    assert_no_more_ranking_events(events)


def test_reads_refuse_unknown_users_and_bad_ids(rankings):
    ghost = str(uuid.uuid4())
    for call in (lambda: rankings.get_my_rankings(ghost),
                 lambda: rankings.get_my_list(ghost, NASI_LEMAK),
                 lambda: rankings.get_ranking_history(ghost, NASI_LEMAK)):
        with pytest.raises(NotFound) as refused:
            call()
        assert (refused.value.message, refused.value.details) == ("user not found",
                                                                   {"user_id": ghost})
    for call, field in ((lambda: rankings.get_my_rankings(None), "user_id"),
                        (lambda: rankings.get_my_list(42, NASI_LEMAK), "user_id"),
                        (lambda: rankings.get_dish_stats("nope"), "dish_id")):
        with pytest.raises(InvalidInput) as refused:
            call()
        assert list(refused.value.details["fields"]) == [field]


def test_a_deleted_dish_cannot_be_placed_but_can_be_removed(rankings, user, dishes,
                                                            rankings_db_engine):
    d1 = dishes[0]["id"]
    place(rankings, user, d1, 1)
    with rankings_db_engine.begin() as conn:
        conn.execute(text("UPDATE known_dishes SET deleted = true WHERE dish_id = :id"),
                     {"id": d1})
    with pytest.raises(NotFound) as refused:
        place(rankings, user, d1, 1, notes="gone?")
    assert refused.value.message == "dish not known"
    [entry] = rankings.get_my_list(user, NASI_LEMAK)["ranked"]
    assert (entry["dish_id"], entry["dish_name"]) == (d1, None)
    assert rankings.remove_dish(user, NASI_LEMAK, d1)["ranked"] == []
    with pytest.raises(NotFound):
        rankings.get_dish_stats(d1)


def test_a_dish_whose_type_changed_stays_in_its_old_list(rankings, user, dishes,
                                                        rankings_db_engine):
    d1 = dishes[0]["id"]
    place(rankings, user, d1, 1)
    with rankings_db_engine.begin() as conn:
        conn.execute(text("UPDATE known_dishes SET dish_type = 'nasi kandar' WHERE dish_id = :id"),
                     {"id": d1})
    with pytest.raises(Conflict) as refused:
        place(rankings, user, d1, 1, dish_type="nasi kandar")
    assert (refused.value.message, refused.value.details) == (
        "this dish is in your nasi lemak list; remove it there",
        {"dish_id": d1, "dish_type": NASI_LEMAK})
    rankings.remove_dish(user, NASI_LEMAK, d1)
    assert ranked(place(rankings, user, d1, 1, dish_type="nasi kandar")) == [(d1, 1)]


# --- idempotency --------------------------------------------------------------------------------

def test_a_retry_with_the_same_key_gets_the_first_answer_and_changes_nothing(
        rankings, events, user, dishes, rankings_db_engine):
    d1, d2 = dishes[0]["id"], dishes[1]["id"]
    first = rankings.place_dish(user, NASI_LEMAK, {"dish_id": d1, "rank": 1},
                                idempotency_key="place-d1")
    take_ranking_events(events, 1)
    place(rankings, user, d2, 1)  # the list moves on
    take_ranking_events(events, 2)

    retry = rankings.place_dish(user, NASI_LEMAK, {"dish_id": d1, "rank": 1},
                                idempotency_key="place-d1")
    assert retry == first
    assert ranked(rankings.get_my_list(user, NASI_LEMAK)) == [(d2, 1), (d1, 2)]
    assert len(history(rankings_db_engine, user)) == 3

    removed = rankings.remove_dish(user, NASI_LEMAK, d2, idempotency_key="remove-d2")
    assert rankings.remove_dish(user, NASI_LEMAK, d2, idempotency_key="remove-d2") == removed
    take_ranking_events(events, 2)
    assert_no_more_ranking_events(events)

    with pytest.raises(Conflict):  # the same key for another request
        rankings.place_dish(user, NASI_LEMAK, {"dish_id": d2, "rank": 1},
                            idempotency_key="place-d1")


# --- across users: dish stats and best dishes -----------------------------------------------------

def test_dish_stats_count_every_users_rank_and_taste_status(rankings, make_user, dishes):
    target = dishes[0]["id"]
    others = [dish["id"] for dish in dishes[1:]]
    assert rankings.get_dish_stats(target) == {
        "dish_id": target, "dish_type": NASI_LEMAK, "ranking_count": 0, "average_rank": None,
        "rank_counts": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
        "taste_counts": {"ACCEPTABLE": 0, "SECOND_CHANCE": 0, "DISSATISFIED": 0}}

    for number, rank in enumerate([1, 1, 2, 4]):
        user_id = make_user(f"ranker{number}")
        for position, other in enumerate(others[:rank - 1], start=1):
            place(rankings, user_id, other, position)
        place(rankings, user_id, target, rank)
    for number, status in enumerate(["ACCEPTABLE", "DISSATISFIED", "DISSATISFIED"]):
        place(rankings, make_user(f"taster{number}"), target, taste_status=status)

    assert rankings.get_dish_stats(target) == {
        "dish_id": target, "dish_type": NASI_LEMAK, "ranking_count": 4, "average_rank": 2.0,
        "rank_counts": {"1": 2, "2": 1, "3": 0, "4": 1, "5": 0},
        "taste_counts": {"ACCEPTABLE": 1, "SECOND_CHANCE": 0, "DISSATISFIED": 2}}
    with pytest.raises(NotFound) as refused:
        rankings.get_dish_stats(missing := str(uuid.uuid4()))
    assert (refused.value.message, refused.value.details) == ("dish not known",
                                                               {"dish_id": missing})


def test_best_dishes_by_decayed_score_then_rankings(rankings, make_user, catalog_facts,
                                                    rankings_db_engine):
    kl = make_dishes(catalog_facts, 4)
    a, b, c, d = (dish["id"] for dish in kl)
    [ipoh] = make_dishes(catalog_facts, 1, city="Ipoh")
    [laksa] = make_dishes(catalog_facts, 1, dish_type="laksa")
    gone = make_dishes(catalog_facts, 1)[0]["id"]
    alice, bala, chen = make_user("alice"), make_user("bala"), make_user("chen")
    for user_id, dish_id, rank in [
        (alice, a, 1), (alice, c, 2), (alice, b, 3),
        (bala, a, 1), (bala, c, 2), (bala, gone, 3), (bala, b, 4),
        (chen, b, 1), (chen, d, 2), (chen, ipoh["id"], 3),
    ]:
        place(rankings, user_id, dish_id, rank)
    place(rankings, chen, laksa["id"], 1, dish_type="laksa")
    place(rankings, bala, d, taste_status="DISSATISFIED")  # a taste status scores nothing
    with rankings_db_engine.begin() as conn:  # one moment for all; c's a month ago
        conn.execute(text("UPDATE dish_rankings SET ranked_at = CASE WHEN dish_id = :c"
                          " THEN now() - interval '30 days' ELSE now() END"
                          " WHERE rank IS NOT NULL"), {"c": c})
        conn.execute(text("UPDATE known_dishes SET deleted = true WHERE dish_id = :id"),
                     {"id": gone})
    # a: 5+5 = 10 (2 rankings); b: 5+3+2 = 10 (3); c: (4+4)/e, older; d: 4
    best = rankings.get_best_dishes(NASI_LEMAK, "Kuala Lumpur")
    assert [(item["dish_id"], item["score"], item["ranking_count"]) for item in best["items"]] == [
        (b, 10.0, 3), (a, 10.0, 2), (d, 4.0, 1), (c, round(8 * math.exp(-1), 4), 2)]
    assert best["items"][0] == {"dish_id": b, "dish_name": "Nasi Lemak 2",
                                "restaurant_id": kl[1]["restaurant_id"],
                                "restaurant_name": "Warung 2", "city": "Kuala Lumpur",
                                "score": 10.0, "ranking_count": 3}
    assert (best["count"], best["total"], best["next_offset"]) == (4, 4, None)

    second_page = rankings.get_best_dishes(" Nasi Lemak", "Kuala Lumpur", limit=2, offset=2)
    assert [item["dish_id"] for item in second_page["items"]] == [d, c]
    assert (second_page["count"], second_page["total"], second_page["next_offset"]) == (2, 4, None)
    first_page = rankings.get_best_dishes(NASI_LEMAK, "Kuala Lumpur", limit=2)
    assert (first_page["count"], first_page["total"], first_page["next_offset"]) == (2, 4, 2)
    assert [item["dish_id"] for item in rankings.get_best_dishes(NASI_LEMAK, "Ipoh")["items"]] == [
        ipoh["id"]]
    assert rankings.get_best_dishes("rendang", "Kuala Lumpur") == {
        "items": [], "count": 0, "total": 0, "total_is_estimate": False, "next_offset": None,
                                                                   "next_cursor": None}


def test_best_dishes_age_a_ranking_from_when_its_user_placed_the_dish(
        rankings, make_user, catalog_facts, rankings_db_engine):
    """SPEC §4: another dish placed above it shifts a ranking down a rank, but does not
    make it young again."""
    old, fresh = (dish["id"] for dish in make_dishes(catalog_facts, 2))
    alice = make_user("alice")
    place(rankings, alice, old, 1)
    with rankings_db_engine.begin() as conn:  # placed a month ago
        conn.execute(text("UPDATE dish_rankings SET ranked_at = now() - interval '30 days'"))
    place(rankings, alice, fresh, 1)  # `old` shifts to 2
    best = rankings.get_best_dishes(NASI_LEMAK, "Kuala Lumpur")
    scores = {item["dish_id"]: item["score"] for item in best["items"]}
    assert scores[fresh] == pytest.approx(5.0, abs=1e-3)
    # (6 − 2) decayed over the month since alice placed it, not 4 as if placed today
    assert scores[old] == pytest.approx(4 * math.exp(-1), abs=1e-3)


def test_best_dishes_ties_fall_to_the_dish_id(rankings, make_user, catalog_facts,
                                             rankings_db_engine):
    """Not to the name: a cursor holds the key of the last dish shown, and an id keeps it
    short (a name may be 200 characters of any script)."""
    restaurant_id = catalog_facts.restaurant("Warung Sama")
    zebra = catalog_facts.dish(restaurant_id, "Zebra Nasi Lemak")
    apple = catalog_facts.dish(restaurant_id, "Apple Nasi Lemak")
    place(rankings, make_user("one"), zebra, 1)
    place(rankings, make_user("two"), apple, 1)
    with rankings_db_engine.begin() as conn:  # the same moment: the same score
        conn.execute(text("UPDATE dish_rankings SET ranked_at = now()"))
    best = rankings.get_best_dishes(NASI_LEMAK, "Kuala Lumpur")
    assert [item["dish_id"] for item in best["items"]] == sorted([zebra, apple])
    assert best["items"][0]["score"] == best["items"][1]["score"] == 5.0


@pytest.mark.parametrize("query", [
    {"limit": 0}, {"limit": 51}, {"offset": -1}, {"limit": "many"},
])
def test_best_dishes_refuses_bad_paging(rankings, query):
    with pytest.raises(InvalidInput) as refused:
        rankings.get_best_dishes(NASI_LEMAK, "Kuala Lumpur", **query)
    assert list(refused.value.details["fields"]) == list(query)


def test_best_dishes_needs_a_dish_type_and_a_city(rankings):
    with pytest.raises(InvalidInput) as refused:
        rankings.get_best_dishes("", " ")
    assert sorted(refused.value.details["fields"]) == ["city", "dish_type"]
