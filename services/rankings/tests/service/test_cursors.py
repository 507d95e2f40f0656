"""Cursor paging of every rankings list the gateway pages (SPEC §3), through the real RPC and
PostgreSQL: followers and following, a restaurant's reviews (newest first), a review's
comments (oldest first), a user's ranking history and the best dishes (by a score). The
pages by cursor hold every row once while rows are added between pages, equal the pages
by offset (ties in the order's leading columns fall to the last, unique one), and a bad
cursor is refused by name."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from shared.errors import InvalidInput
from shared.schemas import MAX_CURSOR, encode_cursor

NASI_LEMAK = "nasi lemak"
CITY = "Kuala Lumpur"  # catalog_facts' restaurants are there
BASE = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(rankings_db_engine):
    return rankings_db_engine


def follow(call, *args, **query) -> list[dict]:
    """Every page of a list, by cursor from the first page; each page's answer."""
    pages = [call(*args, **query)]
    while pages[-1]["next_cursor"]:
        assert len(pages) < 100, "the cursor does not move on"
        assert pages[-1]["count"] == int(query.get("limit", pages[-1]["count"]))
        query = {**query, "cursor": pages[-1]["next_cursor"]}
        pages.append(call(*args, **query))
    return pages


def by_offset(call, *args, limit: int, total: int) -> list[dict]:
    return [item for offset in range(0, total, limit)
            for item in call(*args, limit=limit, offset=offset)["items"]]


def items(pages: list[dict]) -> list[dict]:
    return [item for page in pages for item in page["items"]]


def insert(db, table: str, rows: list[dict]) -> None:
    columns = list(rows[0])
    with db.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                          f"({', '.join(':' + column for column in columns)})"), rows)


def newest_first(rows: list[dict], moment: str, key: str) -> list[dict]:
    return sorted(rows, key=lambda row: (row[moment], uuid.UUID(row[key])), reverse=True)


def follows(db, user_id: str, fans: list[str], moments: list[datetime]) -> list[dict]:
    rows = [{"follower_id": fan, "followed_id": user_id, "created_at": moment}
            for fan, moment in zip(fans, moments, strict=True)]
    insert(db, "follows", rows)
    return rows


# --- followers and following: newest first ---------------------------------------------------

def test_followers_by_cursor_hold_every_row_once_while_follows_are_added(rankings, make_user,
                                                                         db):
    star = make_user("star")
    fans = [make_user(f"fan{n:02d}") for n in range(16)]
    # three at each moment: a tie the follower's id breaks
    rows = follows(db, star, fans[:12], [BASE + timedelta(seconds=n // 3) for n in range(12)])
    first = rankings.list_followers(star, limit=5)
    assert [item["user"]["id"] for item in first["items"]] == [
        row["follower_id"] for row in newest_first(rows, "created_at", "follower_id")[:5]]
    assert (first["total"], first["next_offset"]) == (12, 5)

    # added between pages: newer than the cursor (not shown: the client is past them),
    # older (shown in their place), and twins of the last one shown (shown if their id
    # comes after its)
    last = newest_first(rows, "created_at", "follower_id")[4]
    added = follows(db, star, fans[12:], [BASE + timedelta(hours=1), BASE - timedelta(hours=1),
                                         last["created_at"], last["created_at"]])
    rest = follow(rankings.list_followers, star, limit="5", cursor=first["next_cursor"])
    assert all(page["next_offset"] is None for page in rest)  # a cursor's page: no position
    after = [row for row in newest_first(rows + added, "created_at", "follower_id")
             if (row["created_at"], uuid.UUID(row["follower_id"]))
             < (last["created_at"], uuid.UUID(last["follower_id"]))]
    assert [item["user"]["id"] for item in items(rest)] == [row["follower_id"] for row in after]
    seen = [item["user"]["id"] for item in first["items"] + items(rest)]
    assert len(seen) == len(set(seen))  # no duplicate
    assert rest[-1]["total"] == 16 and rest[-1]["next_cursor"] is None


def test_following_by_cursor_equals_following_by_offset(rankings, make_user, db):
    fan = make_user("fan")
    stars = [make_user(f"star{n}") for n in range(7)]
    insert(db, "follows", [{"follower_id": fan, "followed_id": star,
                            "created_at": BASE + timedelta(seconds=n % 3)}
                           for n, star in enumerate(stars)])
    pages = follow(rankings.list_following, fan, limit=3)
    assert [page["count"] for page in pages] == [3, 3, 1]
    assert items(pages) == by_offset(rankings.list_following, fan, limit=3, total=7)
    assert {page["total"] for page in pages} == {7}


# --- a restaurant's reviews (newest first) and a review's comments (oldest first) -----------

def reviews(db, restaurant_id: str, authors: list[str], moments: list[datetime]) -> list[dict]:
    rows = [{"id": str(uuid.uuid4()), "user_id": author, "restaurant_id": restaurant_id,
             "rating": 4, "created_at": moment, "updated_at": moment}
            for author, moment in zip(authors, moments, strict=True)]
    insert(db, "reviews", rows)
    return rows


def test_reviews_by_cursor_hold_every_row_once_while_reviews_are_added(rankings, make_user,
                                                                       catalog_facts, db):
    place = catalog_facts.restaurant("Warung Cursor")
    authors = [make_user(f"author{n:02d}") for n in range(13)]
    rows = reviews(db, place, authors[:10], [BASE + timedelta(minutes=n // 2)
                                             for n in range(10)])
    reviews(db, catalog_facts.restaurant("Elsewhere"), authors[:3], [BASE] * 3)
    order = newest_first(rows, "created_at", "id")
    first = rankings.list_reviews(place, limit=4)
    assert [item["id"] for item in first["items"]] == [row["id"] for row in order[:4]]

    added = reviews(db, place, authors[10:], [BASE + timedelta(days=1),
                                              BASE - timedelta(days=1), order[3]["created_at"]])
    rest = follow(rankings.list_reviews, place, limit=4, cursor=first["next_cursor"])
    after = [row for row in newest_first(rows + added, "created_at", "id")
             if (row["created_at"], uuid.UUID(row["id"]))
             < (order[3]["created_at"], uuid.UUID(order[3]["id"]))]
    assert [item["id"] for item in items(rest)] == [row["id"] for row in after]
    assert set(items(rest)[0]) == set(first["items"][0])  # the same review views
    assert rest[-1]["total"] == 13

    everything = by_offset(rankings.list_reviews, place, limit=4, total=13)
    assert items(follow(rankings.list_reviews, place, limit=4)) == everything


def test_comments_by_cursor_read_down_and_meet_the_new_ones_at_the_end(rankings, make_user,
                                                                      catalog_facts, db):
    author, reader = make_user("author"), make_user("reader")
    [review] = reviews(db, catalog_facts.restaurant("Warung Chat"), [author], [BASE])
    rows = [{"id": str(uuid.uuid4()), "review_id": review["id"], "user_id": reader,
             "content": f"comment {n}", "created_at": BASE + timedelta(seconds=n // 2)}
            for n in range(9)]
    insert(db, "review_comments", rows)
    oldest_first = sorted(rows, key=lambda row: (row["created_at"], uuid.UUID(row["id"])))
    first = rankings.list_comments(review["id"], limit=4)
    assert [item["id"] for item in first["items"]] == [row["id"] for row in oldest_first[:4]]

    later = {"id": str(uuid.uuid4()), "review_id": review["id"], "user_id": author,
             "content": "a reply", "created_at": BASE + timedelta(hours=1)}
    earlier = {**later, "id": str(uuid.uuid4()), "created_at": BASE - timedelta(hours=1)}
    insert(db, "review_comments", [later, earlier])
    rest = follow(rankings.list_comments, review["id"], limit=4, cursor=first["next_cursor"])
    assert [item["id"] for item in items(rest)] == [
        row["id"] for row in oldest_first[4:]] + [later["id"]]  # not the earlier one
    assert items(rest)[-1]["username"] == "author"
    assert rest[-1]["total"] == 11


# --- one user's ranking history: newest change first ----------------------------------------

def test_ranking_history_by_cursor_equals_history_by_offset(rankings, make_user, db):
    user = make_user("aisyah")
    dish, restaurant = str(uuid.uuid4()), str(uuid.uuid4())
    change = {"user_id": user, "dish_id": dish, "restaurant_id": restaurant, "change": "moved"}
    insert(db, "ranking_history", [{**change, "dish_type": dish_type, "new_rank": n % 5 + 1}
                                   for n in range(11)
                                   for dish_type in (NASI_LEMAK, "laksa")])
    pages = follow(rankings.get_ranking_history, user, NASI_LEMAK, limit=4)
    assert [page["count"] for page in pages] == [4, 4, 3]
    history = items(pages)
    assert history == by_offset(rankings.get_ranking_history, user, NASI_LEMAK, limit=4,
                                total=11)
    assert {entry["dish_type"] for entry in history} == {NASI_LEMAK}
    assert [entry["id"] for entry in history] == sorted(
        (entry["id"] for entry in history), reverse=True)

    # a change made while the client pages is newer than any cursor: it comes first, on a
    # list asked again
    cursor = pages[0]["next_cursor"]
    insert(db, "ranking_history", [{**change, "dish_type": NASI_LEMAK, "new_rank": 1}])
    assert items(follow(rankings.get_ranking_history, user, " Nasi Lemak", limit=4,
                        cursor=cursor)) == history[4:]
    assert rankings.get_ranking_history(user, NASI_LEMAK, limit=1)["items"][0]["id"] > (
        history[0]["id"])


# --- best dishes: by a score, scored as of the first page ----------------------------------

def rank_once_each(db, make_user, restaurant_id: str, placed: list[tuple[str, datetime]]):
    """Each dish ranked #1 by a user of its own, placed at that moment."""
    insert(db, "dish_rankings", [
        {"id": str(uuid.uuid4()), "user_id": make_user(f"ranker-{dish_id[:8]}"),
         "dish_id": dish_id, "dish_type": NASI_LEMAK, "restaurant_id": restaurant_id,
         "rank": 1, "ranked_at": moment}
        for dish_id, moment in placed])


def test_best_dishes_by_cursor_through_ties_and_new_rankings(rankings, make_user,
                                                            catalog_facts, db):
    restaurant = catalog_facts.restaurant("Warung Terbaik")
    dishes = [catalog_facts.dish(restaurant, f"Nasi Lemak {n:02d}") for n in range(10)]
    # six placed at one moment (one score, one ranking each: the dish id decides), then
    # four a day apart, each worse than the one before
    moment = datetime.now(UTC) - timedelta(hours=1)
    rank_once_each(db, make_user, restaurant, [
        (dish, moment if n < 6 else moment - timedelta(days=n)) for n, dish in enumerate(dishes)])
    expected = sorted(dishes[:6]) + dishes[6:]
    whole = rankings.get_best_dishes(NASI_LEMAK, CITY, limit=50)
    assert [item["dish_id"] for item in whole["items"]] == expected
    for size in (1, 4, 6):
        pages = follow(rankings.get_best_dishes, NASI_LEMAK, CITY, limit=size)
        assert [item["dish_id"] for item in items(pages)] == expected, size
        scores = [item["score"] for item in items(pages)]
        assert scores == sorted(scores, reverse=True)
        assert scores == pytest.approx([item["score"] for item in whole["items"]], abs=1e-3)
        assert {page["total"] for page in pages} == {10}

    first = rankings.get_best_dishes(NASI_LEMAK, CITY, limit=4)
    best, worst = (catalog_facts.dish(restaurant, name) for name in ("Terbaik", "Terakhir"))
    rank_once_each(db, make_user, restaurant, [(best, datetime.now(UTC)),  # before the cursor
                                               (worst, moment - timedelta(days=60))])
    rest = follow(rankings.get_best_dishes, NASI_LEMAK, CITY, limit=4,
                  cursor=first["next_cursor"])
    assert [item["dish_id"] for item in first["items"] + items(rest)] == expected + [worst]
    assert rest[-1]["total"] == 12


def test_a_best_dishes_cursor_from_the_future_is_scored_as_of_now(rankings, make_user,
                                                                  catalog_facts, db):
    """A cursor's moment is its first page's; one no page gave, later than now, would decay
    every score past what the arithmetic does cheaply: it is read as now."""
    restaurant = catalog_facts.restaurant("Warung Esok")
    dishes = [catalog_facts.dish(restaurant, f"Nasi Lemak {n}") for n in range(3)]
    rank_once_each(db, make_user, restaurant, [
        (dish, BASE - timedelta(days=n)) for n, dish in enumerate(dishes)])
    # the key is negated (one direction): after a score of 1,000, every dish
    future = encode_cursor("best_dishes", ("9999-12-31T00:00:00+00:00", "-1000", -1000,
                                           str(uuid.UUID(int=0))))
    answer = rankings.get_best_dishes(NASI_LEMAK, CITY, cursor=future)
    assert [item["dish_id"] for item in answer["items"]] == dishes
    assert [item["score"] for item in answer["items"]] == pytest.approx(
        [item["score"] for item in rankings.get_best_dishes(NASI_LEMAK, CITY)["items"]],
        abs=1e-3)


# --- refusals ---------------------------------------------------------------------------------

SOMEONE = str(uuid.uuid4())
WHEN = "2026-03-04T12:00:00+00:00"
LISTS = {  # each list, and a cursor of another list with the same kinds
    "followers": (lambda rankings, **query: rankings.list_followers(SOMEONE, **query),
                  encode_cursor("reviews", (WHEN, SOMEONE))),
    "following": (lambda rankings, **query: rankings.list_following(SOMEONE, **query),
                  encode_cursor("comments", (WHEN, SOMEONE))),
    "reviews": (lambda rankings, **query: rankings.list_reviews(SOMEONE, **query),
                encode_cursor("follows", (WHEN, SOMEONE))),
    "comments": (lambda rankings, **query: rankings.list_comments(SOMEONE, **query),
                 encode_cursor("reviews", (WHEN, SOMEONE))),
    "history": (lambda rankings, **query: rankings.get_ranking_history(SOMEONE, NASI_LEMAK,
                                                                       **query),
                encode_cursor("restaurants", (7,))),
    "best dishes": (lambda rankings, **query: rankings.get_best_dishes(NASI_LEMAK, CITY,
                                                                       **query),
                    encode_cursor("dish_search", (WHEN, "1.5", 1, SOMEONE))),
}
BAD_CURSORS = [
    "not a cursor",
    "W10",  # base64 of "[]"
    encode_cursor("follows", ("yesterday", SOMEONE)),  # this shape, not these kinds
    encode_cursor("ranking_history", ("7",)),
    encode_cursor("best_dishes", (WHEN, "NaN", 1, SOMEONE)),
    encode_cursor("best_dishes", ("2026-03-04T12:00:00", "1.5", 1, SOMEONE)),  # no zone
    "x" * (MAX_CURSOR + 1),
]


@pytest.mark.parametrize("listing", LISTS)
def test_a_bad_cursor_is_refused_by_name(rankings, listing):
    call, of_another_list = LISTS[listing]
    for cursor in [*BAD_CURSORS, of_another_list]:
        with pytest.raises(InvalidInput) as refused:
            call(rankings, cursor=cursor)
        assert list(refused.value.details["fields"]) == ["cursor"], cursor


def test_a_cursor_and_an_offset_together_are_refused(rankings, make_user, db):
    star = make_user("star")
    follows(db, star, [make_user("one"), make_user("two")], [BASE, BASE])
    cursor = rankings.list_followers(star, limit=1)["next_cursor"]
    assert cursor is not None
    with pytest.raises(InvalidInput) as refused:
        rankings.list_followers(star, cursor=cursor, offset=1)
    assert refused.value.details["fields"] == {
        "offset": ["give a cursor or an offset, not both"]}
    assert rankings.list_followers(star, cursor=cursor, offset=0)["count"] == 1
